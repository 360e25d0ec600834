//! What data a scope lacks: endpoints that failed, and time series that do not reach back far
//! enough. Each gap is a sentence that an indeterminate result lists under `missing`.

use crate::shared::time::date;
use custos_model::inventory::{EndpointFailure, Snapshot};

/// Endpoint paths as the scan records them (`Snapshot::failed` matches on these), from the
/// operation table.
pub mod endpoints {
    use custos_model::operations as ops;

    pub const USERS: &str = ops::LIST_USERS.path;
    pub const INVITES: &str = ops::LIST_INVITES.path;
    pub const ADMIN_API_KEYS: &str = ops::LIST_ADMIN_API_KEYS.path;
    pub const CERTIFICATES: &str = ops::LIST_ORGANIZATION_CERTIFICATES.path;
    pub const SPEND_LIMIT: &str = ops::RETRIEVE_ORGANIZATION_SPEND_LIMIT.path;
    pub const PROJECTS: &str = ops::LIST_PROJECTS.path;
    pub const AUDIT_LOGS: &str = ops::LIST_AUDIT_LOGS.path;
    pub const COSTS: &str = ops::COSTS.path;
    pub const USAGE_PREFIX: &str = "/organization/usage/";
    pub const PROJECT_USERS: &str = ops::LIST_PROJECT_USERS.path;
    pub const PROJECT_SERVICE_ACCOUNTS: &str = ops::LIST_PROJECT_SERVICE_ACCOUNTS.path;
    pub const PROJECT_API_KEYS: &str = ops::LIST_PROJECT_API_KEYS.path;
    pub const PROJECT_CERTIFICATES: &str = ops::LIST_PROJECT_CERTIFICATES.path;
    pub const PROJECT_MODEL_PERMISSIONS: &str = ops::RETRIEVE_PROJECT_MODEL_PERMISSIONS.path;
    pub const PROJECT_SPEND_LIMIT: &str = ops::RETRIEVE_PROJECT_SPEND_LIMIT.path;
    pub const VECTOR_STORES: &str = ops::LIST_VECTOR_STORES.path;
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
