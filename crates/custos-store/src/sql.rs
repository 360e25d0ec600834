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
            "SELECT id, org_id, started_at, finished_at, status FROM scans WHERE {} ORDER BY id",
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
