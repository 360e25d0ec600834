//! What data a scope lacks: endpoints that failed, and time series that do not reach back far
//! enough. Each gap is a sentence that an indeterminate result lists under `missing`.

use crate::shared::time::date;
use custos_model::inventory::{EndpointFailure, Snapshot};

/// Endpoint paths as the scan records them (`Snapshot::failed` matches on these).
pub mod endpoints {
    pub const USERS: &str = "/organization/users";
    pub const INVITES: &str = "/organization/invites";
    pub const ADMIN_API_KEYS: &str = "/organization/admin_api_keys";
    pub const CERTIFICATES: &str = "/organization/certificates";
    pub const SPEND_LIMIT: &str = "/organization/spend_limit";
    pub const PROJECTS: &str = "/organization/projects";
    pub const AUDIT_LOGS: &str = "/organization/audit_logs";
    pub const COSTS: &str = "/organization/costs";
    pub const USAGE_PREFIX: &str = "/organization/usage/";
    pub const PROJECT_USERS: &str = "/organization/projects/{project_id}/users";
    pub const PROJECT_SERVICE_ACCOUNTS: &str =
        "/organization/projects/{project_id}/service_accounts";
    pub const PROJECT_API_KEYS: &str = "/organization/projects/{project_id}/api_keys";
    pub const PROJECT_CERTIFICATES: &str = "/organization/projects/{project_id}/certificates";
    pub const PROJECT_MODEL_PERMISSIONS: &str =
        "/organization/projects/{project_id}/model_permissions";
    pub const PROJECT_SPEND_LIMIT: &str = "/organization/projects/{project_id}/spend_limit";
    pub const VECTOR_STORES: &str = "/vector_stores";
}

/// The failure of `path` for the organization or for `project_id`, described; `None` when the
/// endpoint answered.
pub fn endpoint_gap(snapshot: &Snapshot, path: &str, project_id: Option<&str>) -> Option<String> {
    snapshot
        .failures_of(path)
        .find(|f| f.project_id.is_none() || f.project_id.as_deref() == project_id)
        .map(describe_failure)
}

fn describe_failure(failure: &EndpointFailure) -> String {
    let scope = failure
        .project_id
        .as_deref()
        .map(|p| format!(" for project {p}"))
        .unwrap_or_default();
    let status = failure
        .status
        .map(|s| format!("HTTP {s}: "))
        .unwrap_or_default();
    format!(
        "{}{scope} failed ({status}{})",
        failure.endpoint, failure.message
    )
}

/// Gaps in a time series: it was not collected, or does not reach back to `needed_from`.
fn coverage_gap(source: &str, covered_from: Option<i64>, needed_from: i64) -> Option<String> {
    match covered_from {
        None => Some(format!("{source} were not collected")),
        Some(from) if from > needed_from => Some(format!(
            "{source} cover only from {} but are needed from {}",
            date(from),
            date(needed_from)
        )),
        Some(_) => None,
    }
}

/// What is missing to read usage records from `needed_from` on.
pub fn usage_gaps(snapshot: &Snapshot, needed_from: i64) -> Vec<String> {
    let mut gaps: Vec<String> =
        coverage_gap("usage records", snapshot.coverage.usage_from, needed_from)
            .into_iter()
            .collect();
    gaps.extend(
        snapshot
            .failures
            .iter()
            .filter(|f| f.endpoint.contains(endpoints::USAGE_PREFIX))
            .map(describe_failure),
    );
    gaps
}

/// What is missing to read cost records from `needed_from` on.
pub fn cost_gaps(snapshot: &Snapshot, needed_from: i64) -> Vec<String> {
    let mut gaps: Vec<String> =
        coverage_gap("cost records", snapshot.coverage.costs_from, needed_from)
            .into_iter()
            .collect();
    gaps.extend(endpoint_gap(snapshot, endpoints::COSTS, None));
    gaps
}

/// What is missing to read audit events from `needed_from` on.
pub fn audit_gaps(snapshot: &Snapshot, needed_from: i64) -> Vec<String> {
    let mut gaps: Vec<String> =
        coverage_gap("audit events", snapshot.coverage.audit_from, needed_from)
            .into_iter()
            .collect();
    gaps.extend(endpoint_gap(snapshot, endpoints::AUDIT_LOGS, None));
    gaps
}
