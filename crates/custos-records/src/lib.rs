//! The records custos keeps, shared without the store: what a scan writes (snapshot objects,
//! scan runs with their endpoints, audit events, usage and cost buckets), the privacy rules
//! applied to them ([`privacy`]), and the narrow read trait an evidence pack needs
//! ([`EvidenceSource`]). The store (`custos-store`) implements that trait and re-exports
//! everything here; `custos-report` and `custos-evidence` depend on this crate instead of the
//! store and its two database drivers.

#[macro_use]
mod macros;
pub mod privacy;

use serde::{Deserialize, Serialize};

/// A stored name (a status, a kind of event) that this build does not know: only custos
/// writes them, so the store holding it is corrupt or was written by a newer custos.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}")]
pub struct UnknownName {
    /// What the name is of, e.g. `scan status`.
    pub what: &'static str,
    pub name: String,
}

/// Identifies a scan; the store gives each new scan a larger one.
pub type ScanId = i64;

/// One object of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectRecord {
    /// The object kind: `user`, `invite`, `project`, `project_user`, `service_account`,
    /// `project_api_key`, `admin_api_key`, `group_member`, `rate_limit`, ...
    pub kind: String,
    /// The API's id, or a composite id (`proj_1/user_1`) for memberships; unique per kind.
    pub id: String,
    /// The project the object belongs to, if any.
    pub project_id: Option<String>,
    /// The object as the API returned it, after privacy scrubbing.
    pub data: serde_json::Value,
}

stored_name_enum! {
    /// Where a scan is in its life.
    pub enum ScanStatus ("scan status") {
        /// Writing; its objects are not visible yet.
        Running = "running",
        /// Every endpoint answered.
        Complete = "complete",
        /// Some endpoints failed: what they would have provided is unknown, not absent.
        Partial = "partial",
        /// Never finished (the process died, or a newer scan of the organization started); its
        /// objects were deleted.
        Abandoned = "abandoned",
        /// Ended by its process with an error (a store failure, a deadline, Ctrl-C): the
        /// reason is in [`ScanRun::error`]; its objects were deleted.
        Failed = "failed",
        /// Found still running by the next scan of its organization, which held the
        /// organization's lock: the process running it died. Its objects were deleted.
        Interrupted = "interrupted",
    }
}

impl ScanStatus {
    /// Whether objects of a scan with this status can be read.
    pub fn is_visible(self) -> bool {
        matches!(self, ScanStatus::Complete | ScanStatus::Partial)
    }
}

/// What one endpoint (for one scope) gave a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointRun {
    /// Method and path template, e.g. `GET /organization/users`.
    pub endpoint: String,
    /// The project id for per-project endpoints.
    pub scope: Option<String>,
    /// The object kinds this endpoint provides: when it failed, these are unknown.
    pub kinds: Vec<String>,
    /// Whether every page was fetched.
    pub ok: bool,
    /// Why it failed (never holds a secret: the client redacts).
    pub error: Option<String>,
    /// The HTTP status of the failure, when the API answered.
    pub status: Option<u16>,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Items received.
    pub items: u64,
}

/// A scan and its per-endpoint outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRun {
    pub id: ScanId,
    pub org_id: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Unix seconds; `None` while running or when abandoned by a crash; for a failed or
    /// interrupted scan, when that was recorded.
    pub finished_at: Option<i64>,
    pub status: ScanStatus,
    /// Why a failed or interrupted scan ended.
    #[serde(default)]
    pub error: Option<String>,
    /// In the order they were recorded.
    pub endpoints: Vec<EndpointRun>,
}

/// One audit-log event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEventRecord {
    /// The API's event id; events are deduplicated on it per organization.
    pub id: String,
    /// Unix seconds.
    pub effective_at: i64,
    /// The event type, e.g. `api_key.created`.
    pub kind: String,
    pub data: serde_json::Value,
}

/// One usage bucket for one grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// The usage kind, e.g. `completions`.
    pub kind: String,
    /// Unix seconds, inclusive.
    pub bucket_start: i64,
    /// Unix seconds, exclusive.
    pub bucket_end: i64,
    /// Canonical JSON of the grouping fields (project, user, key, model...), so that a
    /// re-fetched bucket replaces the same row.
    pub group_key: String,
    pub data: serde_json::Value,
}

/// One cost amount for one bucket, project and line item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostRecord {
    /// Unix seconds, inclusive.
    pub bucket_start: i64,
    /// Unix seconds, exclusive.
    pub bucket_end: i64,
    pub project_id: Option<String>,
    pub line_item: Option<String>,
    pub amount: f64,
    /// Lower-case ISO code, e.g. `usd`.
    pub currency: String,
    pub data: serde_json::Value,
}

/// Why a read of an [`EvidenceSource`] failed: the source's own error (the store's
/// `custos_store::Error`), boxed so that readers need not know which source they read.
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What an evidence pack reads: one organization's scans, the objects of one snapshot, and
/// its audit log. Implemented by the store (for `dyn custos_store::Store`).
#[async_trait::async_trait]
pub trait EvidenceSource: Send + Sync {
    /// The organization's scans, oldest first, with their endpoints.
    async fn scans_of(&self, org_id: &str) -> Result<Vec<ScanRun>, SourceError>;

    /// The objects of kind `kind` of a finished scan, by id (byte order); a scan that is not
    /// visible is an error, never an empty list.
    async fn snapshot_objects(
        &self,
        scan: ScanId,
        kind: &str,
    ) -> Result<Vec<ObjectRecord>, SourceError>;

    /// The organization's audit events with `from <= effective_at < to`, by time then id.
    async fn audit_log(
        &self,
        org_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<AuditEventRecord>, SourceError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_read_back_and_unknown_ones_are_named() {
        for status in [
            ScanStatus::Running,
            ScanStatus::Complete,
            ScanStatus::Interrupted,
        ] {
            assert_eq!(status.as_str().parse::<ScanStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::Value::from(status.as_str())
            );
        }
        let err = "finished".parse::<ScanStatus>().unwrap_err();
        assert_eq!(err.to_string(), r#"unknown scan status "finished""#);
        assert!(ScanStatus::Partial.is_visible() && !ScanStatus::Failed.is_visible());
    }
}
