//! `custos serve` end to end, in process, against the simulator serving two generated
//! organizations: the scheduler's scans, the findings pages against the application layer's
//! list, tokens and roles on every endpoint, problem documents, the metrics, shutdown and the
//! one-scheduler-per-file lock.

#[path = "api/common.rs"]
mod common;
#[path = "api/findings.rs"]
mod findings;
#[path = "api/metrics.rs"]
mod metrics;
#[path = "api/scheduler.rs"]
mod scheduler;
#[path = "api/security.rs"]
mod security;
