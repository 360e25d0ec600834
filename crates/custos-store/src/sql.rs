//! Statements that read the same in both dialects, written with PostgreSQL's `$N` placeholders
//! (the SQLite backend turns them into `?N`). Keeping one copy means the backends cannot drift
//! apart in what they store or how they order it.

/// Registers an organization without touching its name.
pub(crate) const ENSURE_ORG: &str =
    "INSERT INTO organizations (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING";

/// A `None` name keeps the stored one.
pub(crate) const UPSERT_ORG: &str = "INSERT INTO organizations (org_id, name) VALUES ($1, $2) \
     ON CONFLICT (org_id) DO UPDATE SET name = COALESCE(excluded.name, organizations.name)";

pub(crate) const ORGS: &str = "SELECT org_id, name FROM organizations ORDER BY org_id";

/// Marks the organization's running scans abandoned; their objects are deleted next, after
/// this statement took the rows' locks (so that a concurrent batch has committed or waits).
pub(crate) const ABANDON_RUNNING: &str = "UPDATE scans SET status = 'abandoned' \
     WHERE org_id = $1 AND status = 'running' RETURNING id";

/// Closes the organization's running scans as failed or interrupted, with their reason; their
/// objects are deleted next, as for abandoned ones.
pub(crate) const CLOSE_RUNNING: &str = "UPDATE scans SET status = $2, finished_at = $3, error = $4 \
     WHERE org_id = $1 AND status = 'running' RETURNING id";

pub(crate) const DELETE_SCAN_OBJECTS: &str = "DELETE FROM objects WHERE scan_id = $1";

pub(crate) const INSERT_SCAN: &str = "INSERT INTO scans (org_id, started_at, status) \
     VALUES ($1, $2, 'running') RETURNING id";

pub(crate) const SCAN_STATUS: &str = "SELECT status FROM scans WHERE id = $1";

pub(crate) const INSERT_ENDPOINT: &str = "INSERT INTO scan_endpoints \
     (scan_id, endpoint, scope, kinds, ok, error, requests, items, status) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Only a running scan finishes; zero rows changed means it was not running.
pub(crate) const FINISH_SCAN: &str = "UPDATE scans SET finished_at = $1, status = $2 \
     WHERE id = $3 AND status = 'running'";

pub(crate) const INSERT_OBJECT: &str =
    "INSERT INTO objects (scan_id, kind, id, project_id, data) VALUES ($1, $2, $3, $4, $5)";

/// Objects of a scan, provided it is visible: the status check and the rows come from one
/// statement, so `finish_scan`'s single update is the moment of visibility.
pub(crate) const OBJECTS: &str = "SELECT o.kind, o.id, o.project_id, CAST(o.data AS TEXT) \
     FROM objects o JOIN scans s ON s.id = o.scan_id \
     WHERE o.scan_id = $1 AND s.status IN ('complete', 'partial') ORDER BY o.kind, o.id";

pub(crate) const OBJECTS_OF_KIND: &str = "SELECT o.kind, o.id, o.project_id, CAST(o.data AS TEXT) \
     FROM objects o JOIN scans s ON s.id = o.scan_id \
     WHERE o.scan_id = $1 AND s.status IN ('complete', 'partial') AND o.kind = $2 \
     ORDER BY o.kind, o.id";

pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_events \
     (org_id, id, effective_at, kind, data) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (org_id, id) DO NOTHING";

pub(crate) const AUDIT: &str = "SELECT id, effective_at, kind, CAST(data AS TEXT) \
     FROM audit_events WHERE org_id = $1 AND effective_at >= $2 AND effective_at < $3 \
     ORDER BY effective_at, id";

pub(crate) const DELETE_USAGE: &str = "DELETE FROM usage_buckets \
     WHERE org_id = $1 AND kind = $2 AND bucket_start >= $3 AND bucket_start < $4";

pub(crate) const INSERT_USAGE: &str = "INSERT INTO usage_buckets \
     (org_id, kind, bucket_start, bucket_end, group_key, data) VALUES ($1, $2, $3, $4, $5, $6)";

pub(crate) const USAGE: &str = "SELECT kind, bucket_start, bucket_end, group_key, \
     CAST(data AS TEXT) FROM usage_buckets \
     WHERE org_id = $1 AND bucket_start >= $2 AND bucket_start < $3 \
     ORDER BY kind, bucket_start, group_key";

pub(crate) const USAGE_OF_KIND: &str = "SELECT kind, bucket_start, bucket_end, group_key, \
     CAST(data AS TEXT) FROM usage_buckets \
     WHERE org_id = $1 AND bucket_start >= $2 AND bucket_start < $3 AND kind = $4 \
     ORDER BY kind, bucket_start, group_key";

pub(crate) const DELETE_COSTS: &str =
    "DELETE FROM costs WHERE org_id = $1 AND bucket_start >= $2 AND bucket_start < $3";

pub(crate) const INSERT_COST: &str = "INSERT INTO costs (org_id, bucket_start, bucket_end, \
     project_id, line_item, amount, currency, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

pub(crate) const COSTS: &str = "SELECT bucket_start, bucket_end, project_id, line_item, amount, \
     currency, CAST(data AS TEXT) FROM costs \
     WHERE org_id = $1 AND bucket_start >= $2 AND bucket_start < $3 \
     ORDER BY bucket_start, project_id NULLS FIRST, line_item NULLS FIRST, id";

pub(crate) const SYNC_MARK: &str = "SELECT value FROM sync_marks WHERE org_id = $1 AND stream = $2";

pub(crate) const SET_SYNC_MARK: &str = "INSERT INTO sync_marks (org_id, stream, value) \
     VALUES ($1, $2, $3) ON CONFLICT (org_id, stream) DO UPDATE SET value = excluded.value";

pub(crate) const PUT_SECRET: &str = "INSERT INTO secrets (name, key_id, nonce, ciphertext) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET key_id = excluded.key_id, \
     nonce = excluded.nonce, ciphertext = excluded.ciphertext";

pub(crate) const SECRET: &str = "SELECT key_id, nonce, ciphertext FROM secrets WHERE name = $1";

pub(crate) const DELETE_SECRET: &str = "DELETE FROM secrets WHERE name = $1";

pub(crate) const SECRETS: &str =
    "SELECT name, key_id, nonce, ciphertext FROM secrets ORDER BY name";

pub(crate) const SCAN_OWNER: &str = "SELECT org_id, status FROM scans WHERE id = $1";

/// The newest scan whose findings an organization has (NULL when none).
pub(crate) const LAST_FINDINGS_SCAN: &str =
    "SELECT MAX(last_scan_id) FROM findings WHERE org_id = $1";

/// The lifecycle columns that `lifecycle::FindingState` holds, in its order.
macro_rules! finding_states {
    () => {
        "SELECT policy_id, resource_id, status, last_seen, resolved_at, suppression_reason, \
         suppression_author, suppressed_at, suppressed_until FROM findings WHERE org_id = $1"
    };
}

pub(crate) const FINDING_STATES: &str = finding_states!();

pub(crate) const FINDING_STATE: &str = concat!(
    finding_states!(),
    " AND policy_id = $2 AND resource_id = $3"
);

/// Every column of `findings`, in the order the writers bind them.
macro_rules! finding_columns {
    () => {
        "org_id, policy_id, resource_id, resource_kind, project_id, severity, result, title, \
         message, evidence, status, first_seen, last_seen, resolved_at, last_scan_id, \
         suppression_reason, suppression_author, suppressed_at, suppressed_until"
    };
}

/// An observation rewrites everything but the identity and `first_seen`.
macro_rules! on_finding_conflict {
    () => {
        " ON CONFLICT (org_id, policy_id, resource_id) DO UPDATE SET \
         resource_kind = excluded.resource_kind, project_id = excluded.project_id, \
         severity = excluded.severity, result = excluded.result, title = excluded.title, \
         message = excluded.message, evidence = excluded.evidence, status = excluded.status, \
         last_seen = excluded.last_seen, resolved_at = excluded.resolved_at, \
         last_scan_id = excluded.last_scan_id, suppression_reason = excluded.suppression_reason, \
         suppression_author = excluded.suppression_author, \
         suppressed_at = excluded.suppressed_at, suppressed_until = excluded.suppressed_until"
    };
}

/// One observation (SQLite, with a prepared statement per row).
pub(crate) const UPSERT_FINDING: &str = concat!(
    "INSERT INTO findings (",
    finding_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
     $18, $19)",
    on_finding_conflict!()
);

/// PostgreSQL: the observations, copied into the temporary `finding_batch` first. (`WHERE
/// TRUE` is what SQLite's grammar needs between a SELECT and ON CONFLICT, harmless here.)
pub(crate) const UPSERT_STAGED_FINDINGS: &str = concat!(
    "INSERT INTO findings (",
    finding_columns!(),
    ") SELECT ",
    finding_columns!(),
    " FROM finding_batch WHERE TRUE",
    on_finding_conflict!()
);

/// PostgreSQL: new findings, straight into the table (none can conflict: the writer holds the
/// organization's findings lock and has read them all).
pub(crate) const COPY_NEW_FINDINGS: &str = concat!(
    "COPY findings (",
    finding_columns!(),
    ") FROM STDIN (FORMAT binary)"
);

/// PostgreSQL: observations of existing findings, staged for `UPSERT_STAGED_FINDINGS`.
pub(crate) const COPY_STAGED_FINDINGS: &str = concat!(
    "COPY finding_batch (",
    finding_columns!(),
    ") FROM STDIN (FORMAT binary)"
);

/// The lifecycle columns of one finding that no observation rewrites (SQLite; PostgreSQL
/// changes many findings in one statement).
pub(crate) const SET_FINDING_STATE: &str = "UPDATE findings SET status = $4, resolved_at = $5, \
     suppression_reason = $6, suppression_author = $7, suppressed_at = $8, suppressed_until = $9 \
     WHERE org_id = $1 AND policy_id = $2 AND resource_id = $3";

macro_rules! finding_event_columns {
    () => {
        "org_id, policy_id, resource_id, at, event, scan_id, detail"
    };
}

pub(crate) const INSERT_FINDING_EVENT: &str = concat!(
    "INSERT INTO finding_events (",
    finding_event_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
);

/// PostgreSQL: appends events in one COPY.
pub(crate) const COPY_FINDING_EVENTS: &str = concat!(
    "COPY finding_events (",
    finding_event_columns!(),
    ") FROM STDIN (FORMAT binary)"
);

/// `FindingRecord`s, as `rows::finding` reads them.
macro_rules! select_findings {
    () => {
        "SELECT org_id, policy_id, resource_id, resource_kind, project_id, severity, result, \
         title, message, CAST(evidence AS TEXT), status, first_seen, last_seen, resolved_at, \
         last_scan_id, suppression_reason, suppression_author, suppressed_at, suppressed_until \
         FROM findings"
    };
}

pub(crate) const FINDINGS: &str = concat!(
    select_findings!(),
    " ORDER BY org_id, policy_id, resource_id"
);

pub(crate) const FINDINGS_OF_ORG: &str = concat!(
    select_findings!(),
    " WHERE org_id = $1 ORDER BY org_id, policy_id, resource_id"
);

pub(crate) const FINDING_EVENTS: &str = "SELECT org_id, policy_id, resource_id, at, event, \
     scan_id, CAST(detail AS TEXT) FROM finding_events \
     WHERE org_id = $1 AND at >= $2 AND at < $3 ORDER BY at, id";

/// The two queries of a scan listing share one filter, so that endpoints match their scans.
impl crate::ScanFilter<'_> {
    /// `WHERE ...` over `scans` (binding at most `$1`), shared by the two queries below.
    fn condition(self) -> &'static str {
        match self {
            crate::ScanFilter::All => "TRUE",
            crate::ScanFilter::Org(_) => "org_id = $1",
            crate::ScanFilter::Id(_) => "id = $1",
            crate::ScanFilter::Latest(_) => {
                "id = (SELECT MAX(id) FROM scans WHERE org_id = $1 \
                 AND status IN ('complete', 'partial'))"
            }
        }
    }

    pub(crate) fn scans_sql(self) -> String {
        format!(
            "SELECT id, org_id, started_at, finished_at, status, error FROM scans WHERE {} \
             ORDER BY id",
            self.condition()
        )
    }

    pub(crate) fn endpoints_sql(self) -> String {
        format!(
            "SELECT scan_id, endpoint, scope, kinds, ok, error, requests, items, status \
             FROM scan_endpoints WHERE scan_id IN (SELECT id FROM scans WHERE {}) \
             ORDER BY scan_id, id",
            self.condition()
        )
    }
}
