//! The custos store: everything a scan learns about an organization, kept with its history.
//!
//! One [`Store`] trait with two backends, chosen by [`open`]'s URL: embedded SQLite (the default;
//! a file in WAL mode with `synchronous=NORMAL` and foreign keys on) and PostgreSQL (several
//! workers or many organizations sharing one store). Both run the same behavioural test suite
//! (`tests/suite`).
//!
//! # Tables
//!
//! | table | holds | key |
//! |---|---|---|
//! | `schema_version` | one row per applied migration | `version` |
//! | `organizations` | organizations known to the store, with an optional display name | `org_id` |
//! | `scans` | one row per scan: organization, start, finish, [`ScanStatus`] | `id` |
//! | `scan_endpoints` | per-endpoint outcome of a scan ([`EndpointRun`]) | `id`, by `scan_id` |
//! | `objects` | the snapshot: one row per object of a scan ([`ObjectRecord`]) | `(scan_id, kind, id)` |
//! | `audit_events` | the audit log, append-only ([`AuditEventRecord`]) | `(org_id, id)` |
//! | `usage_buckets` | usage buckets per kind ([`UsageRecord`]) | `(org_id, kind, bucket_start, group_key)` |
//! | `costs` | cost buckets by project and line item ([`CostRecord`]) | `id`, by `(org_id, bucket_start)` |
//! | `findings` | one row per finding: the latest observation, [`FindingStatus`], first and last seen, suppression ([`FindingRecord`]) | `(org_id, policy_id, resource_id)` |
//! | `finding_events` | every transition of a finding, append-only ([`FindingEvent`]) | `id`, by `(org_id, at, id)` |
//! | `sync_marks` | where each incremental stream got to | `(org_id, stream)` |
//! | `secrets` | credentials sealed by [`crypto`] under a master key the store never sees | `name` |
//! | `principals` | custos's own users: role, email hash, manager, argon2 token hash ([`PrincipalRecord`]) | `name` |
//! | `actions` | requested actions: plan JSON and hash, status, expiry ([`ActionRecord`]) | `id` |
//! | `approvals` | approvals and rejections bound to a plan hash ([`ApprovalRecord`]) | `id`, by `action_id` |
//! | `action_calls` | the latest state of each planned API call ([`CallRecord`]) | `(action_id, call_index)` |
//! | `journal` | every request, decision, call and verification, append-only and hash-chained ([`JournalEntry`]) | `seq` |
//!
//! Migrations are SQL files embedded per backend (`migrations/{sqlite,postgres}/NNNN_*.sql`),
//! each applied in one transaction together with its `schema_version` row.
//!
//! # Invariants
//!
//! - **A snapshot is visible only once its scan commits.** [`Store::put_objects`] writes rows of
//!   a `running` scan; readers only return objects of `complete` or `partial` scans, and
//!   [`Store::finish_scan`] flips the status in one statement. A process killed at any point
//!   leaves the previous snapshot as the latest; the next [`Store::begin_scan`] of that
//!   organization marks the leftover `running` scans `abandoned` and deletes their objects.
//!   One scan per organization runs at a time: a newer `begin_scan` abandons an older running
//!   one, whose later writes then fail with [`Error::ScanNotRunning`].
//! - **One scanner per organization.** [`Store::lock_organization`] refuses a second holder at
//!   once (an OS file lock beside an SQLite file, a session advisory lock on PostgreSQL), and
//!   the lock dies with its process. Its holder closes a scan left running by a dead process
//!   as `interrupted`, and its own failed scan as `failed` with the reason
//!   ([`Store::close_running_scans`]): no scan stays `running` once a later one started.
//! - **Reading writes nothing.** [`open_read_only`] neither creates, migrates nor writes: an
//!   outdated schema is refused rather than migrated.
//! - **Sealed values are never logged**: PostgreSQL binds them through a parameter type whose
//!   `Debug` hides them, so the driver's debug log of statement parameters cannot show them.
//! - **Audit events are append-only**, deduplicated by `(org_id, id)`; a trigger refuses any
//!   update or delete.
//! - **A finding resolves only when a complete scan no longer observes it.** A partial scan,
//!   or an evaluation recorded as not complete, resolves nothing: an unread endpoint is not a
//!   fix. Each [`Store::record_findings`] (and each suppression set or lifted) runs in one
//!   transaction that reads the organization's findings, decides every transition in one
//!   place shared by both backends, and writes rows and events together; PostgreSQL
//!   serializes these writers per organization with a row lock on the organization.
//! - **Finding events are append-only**: one row per transition (opened, resolved, reopened,
//!   suppressed, unsuppressed, suppression expired); a trigger refuses any update or delete,
//!   so the findings open at any time in a period can be rebuilt from them.
//! - **Suppressions expire when findings are next recorded**: the store has no clock, so a
//!   suppression whose `until` has passed keeps its finding `suppressed` until the next
//!   [`Store::record_findings`], which clears it (the event keeps it) and reopens the finding.
//! - **Usage and cost re-fetches replace a window**: rows whose bucket starts inside it are
//!   deleted and the new ones inserted in one transaction; rows outside are untouched.
//! - **Nothing is ever migrated down or overwritten**: a corrupt file, a foreign SQLite
//!   database or a schema newer than this build is refused before any write.
//! - **A snapshot is written fast**: batches go in with prepared statements (SQLite) or binary
//!   `COPY` (PostgreSQL, with `synchronous_commit = off` per batch: `finish_scan` commits
//!   synchronously, which flushes every batch before it). `objects.scan_id` has no foreign key,
//!   because each batch checks its scan once, under a lock, in its own transaction; likewise
//!   `findings` and `finding_events`, whose writer checks the scan and organization once.
//!   Findings are written the same way: prepared statements (SQLite), `COPY` then one upsert
//!   and one `unnest` update (PostgreSQL).
//! - **JSON is kept exactly** as serde_json wrote it (SQLite `TEXT`, PostgreSQL `json`).
//! - **The journal is append-only and hash-chained**: a trigger refuses any update or delete,
//!   and each entry's hash covers the previous one ([`verify_journal`] finds an edit, a
//!   deletion or a reordering done behind custos' back). Every action-table write appends its
//!   journal entry in the same transaction; PostgreSQL serializes appenders with a table lock.
//! - **No secret is stored in clear.** Credentials are [`crypto::SealedSecret`]s; emails are
//!   hashed at ingest with [`email_hash`] unless configured otherwise.

#[macro_use]
mod db;
pub mod actions;
pub mod crypto;
mod error;
mod lifecycle;
mod location;
mod lock;
mod migrate;
mod postgres;
mod postgres_tls;
mod rows;
mod sql;
mod sql_store;
mod sqlite;

use custos_records::stored_name_enum;
use serde::{Deserialize, Serialize};

pub use actions::{
    ActionId, ActionRecord, ActionStatus, ApprovalRecord, CallRecord, CallStatus, Decision,
    JournalAnchor, JournalBreak, JournalEntry, JournalNote, NewAction, PrincipalRecord,
    PrincipalRole, verify_journal, verify_journal_against,
};
pub use crypto::SealedSecret;
pub use custos_records::privacy::{self, email_hash};
pub use custos_records::{
    AuditEventRecord, CostRecord, EndpointRun, EvidenceSource, ObjectRecord, ScanId, ScanRun,
    ScanStatus, SourceError, UnknownName, UsageRecord,
};
pub use error::{BoxError, Error, Result};
pub use location::Location;
pub use lock::{LockFileError, ScanLock, take_lock_file};

/// The schema version this build writes (the number of its last migration).
pub const SCHEMA_VERSION: i64 = 5;

/// Which scans [`Store::find_scans`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFilter<'a> {
    /// Every scan.
    All,
    /// The scans of one organization.
    Org(&'a str),
    /// One scan.
    Id(ScanId),
    /// The latest visible (`Complete` or `Partial`) scan of an organization.
    Latest(&'a str),
}

stored_name_enum! {
    /// Where a finding is in its life (see [`Store::record_findings`]).
    pub enum FindingStatus ("finding status") {
        /// The policy fires on the resource and nobody suppressed it.
        Open = "open",
        /// The policy stopped firing in a complete scan; kept for the history.
        Resolved = "resolved",
        /// The policy fires, but someone accepted it until the suppression expires.
        Suppressed = "suppressed",
    }
}

stored_name_enum! {
    /// A transition of a finding, as [`Store::finding_events`] returns it. Only transitions
    /// are recorded: a finding seen again in the same state adds no event.
    pub enum FindingEventKind ("finding event") {
        /// First seen. Detail: `severity`, `result`, `title`, `message`.
        Opened = "opened",
        /// Not seen in a complete scan. Detail: `last_seen`.
        Resolved = "resolved",
        /// Seen again after being resolved. Detail: as `opened`, plus the new `status`
        /// (`suppressed` when a suppression stored while resolved still applies).
        Reopened = "reopened",
        /// Suppressed (or its suppression replaced). Detail: the [`Suppression`].
        Suppressed = "suppressed",
        /// A suppression lifted by hand. Detail: `author` (who lifted it) and `lifted` (the
        /// [`Suppression`]).
        Unsuppressed = "unsuppressed",
        /// A suppression whose `until` had passed when findings were next recorded.
        /// Detail: `expired` (the [`Suppression`]).
        SuppressionExpired = "suppression_expired",
    }
}

/// Why, by whom and until when a finding is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// Why the finding is accepted (required, not blank).
    pub reason: String,
    /// Who accepted it (required, not blank).
    pub author: String,
    /// Unix seconds: when it was suppressed.
    pub at: i64,
    /// Unix seconds: when the suppression stops applying (exclusive); `None` for never.
    pub until: Option<i64>,
}

impl Suppression {
    /// Whether the suppression still applies at `time`.
    pub fn applies_at(&self, time: i64) -> bool {
        self.until.is_none_or(|until| time < until)
    }
}

/// What one policy said about one resource in one evaluation: the input of
/// [`Store::record_findings`]. A finding is identified by `(organization, policy_id,
/// resource_id)`; a resource the policy passes is not observed at all.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingObservation {
    pub policy_id: String,
    /// The object's id (composite for memberships, as in [`ObjectRecord::id`]).
    pub resource_id: String,
    /// The object kind, as in [`ObjectRecord::kind`].
    pub resource_kind: String,
    pub project_id: Option<String>,
    /// The policy's severity, e.g. `high`.
    pub severity: String,
    /// `fail`, or `indeterminate` when the policy could not decide (missing data).
    pub result: String,
    pub title: String,
    pub message: String,
    /// What the policy looked at, as JSON text: kept exactly as given, never parsed on the way
    /// in (a scan of a large organization records hundreds of thousands of findings).
    pub evidence: Box<serde_json::value::RawValue>,
}

/// A finding as stored: the latest observation and its lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRecord {
    pub org_id: String,
    pub policy_id: String,
    pub resource_id: String,
    pub resource_kind: String,
    pub project_id: Option<String>,
    pub severity: String,
    /// `fail` or `indeterminate`.
    pub result: String,
    pub title: String,
    pub message: String,
    pub evidence: serde_json::Value,
    pub status: FindingStatus,
    /// Unix seconds: when it was first observed (a reopened finding keeps it).
    pub first_seen: i64,
    /// Unix seconds: when it was last observed.
    pub last_seen: i64,
    /// Unix seconds: when it was resolved; `Some` exactly when the status is `Resolved`.
    pub resolved_at: Option<i64>,
    /// The scan whose evaluation last observed it.
    pub last_scan_id: ScanId,
    /// Present while suppressed, and on a resolved finding suppressed before it fires again.
    pub suppression: Option<Suppression>,
}

/// One transition of a finding, from the append-only `finding_events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingEvent {
    pub org_id: String,
    pub policy_id: String,
    pub resource_id: String,
    /// Unix seconds.
    pub at: i64,
    pub event: FindingEventKind,
    /// The scan whose findings caused it; `None` for suppressions set or lifted by hand.
    pub scan_id: Option<ScanId>,
    /// What changed (see [`FindingEventKind`]).
    pub detail: serde_json::Value,
}

/// What one [`Store::record_findings`] changed. Every observation counts in exactly one of
/// `opened`, `reopened`, `still_open` and `suppressed`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingChanges {
    /// New findings.
    pub opened: u64,
    /// Findings open now that were resolved or suppressed before: observed again after being
    /// resolved, or whose suppression expired while they still fire (observed or not, in a
    /// partial scan).
    pub reopened: u64,
    /// Findings resolved: open or suppressed before, not observed by a complete scan.
    pub resolved: u64,
    /// Observed findings that were open and stay open.
    pub still_open: u64,
    /// Observed findings that stay (or, reopened under a standing suppression, become)
    /// suppressed.
    pub suppressed: u64,
}

/// Everything custos keeps. Implemented by the SQLite and PostgreSQL backends; obtain one with
/// [`open`]. Times are Unix seconds; windows are half-open `[from, to)`.
#[async_trait::async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Which backend this is: `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// The schema version the store is at (its last migration applied): [`SCHEMA_VERSION`]
    /// once this build has opened it to write; a readiness check compares the two.
    async fn schema_version(&self) -> Result<i64>;

    /// Registers an organization, or renames it. `None` keeps a name already stored.
    async fn upsert_organization(&self, org_id: &str, name: Option<&str>) -> Result<()>;

    /// Every organization, by id.
    async fn organizations(&self) -> Result<Vec<(String, Option<String>)>>;

    /// Takes the lock that lets one scan of `org_id` run at a time, for as long as the returned
    /// [`ScanLock`] lives (or until [`ScanLock::release`]). A lock held elsewhere, by this or
    /// another process, is refused at once with [`Error::ScanInProgress`] naming its `holder`
    /// (a description such as `custos scan, pid 42`). A process that dies releases its locks:
    /// an OS file lock (SQLite) or a session advisory lock (PostgreSQL) ends with it.
    async fn lock_organization(&self, org_id: &str, holder: &str) -> Result<ScanLock>;

    /// Ends every `running` scan of the locked organization as `status` (`Failed` or
    /// `Interrupted`) at `at` with `reason`, deleting their objects, and returns their ids.
    /// Only the holder of the lock may: no scan of the organization can be running elsewhere.
    async fn close_running_scans(
        &self,
        lock: &ScanLock,
        at: i64,
        status: ScanStatus,
        reason: &str,
    ) -> Result<Vec<ScanId>>;

    /// Starts a scan of `org_id` (registering the organization if needed). Running scans of
    /// that organization left by a crash or superseded are marked abandoned and their objects
    /// deleted, in the same transaction.
    async fn begin_scan(&self, org_id: &str, started_at: i64) -> Result<ScanId>;

    /// Adds a batch of objects to a running scan; they stay invisible until
    /// [`finish_scan`](Store::finish_scan). Meant to be called many times with batches of a
    /// few thousand. A `(kind, id)` already in the scan gives [`Error::DuplicateObject`] and the
    /// batch is not written.
    async fn put_objects(&self, scan: ScanId, objects: &[ObjectRecord]) -> Result<()>;

    /// Records what one endpoint gave a running scan.
    async fn record_endpoint(&self, scan: ScanId, run: &EndpointRun) -> Result<()>;

    /// Ends a running scan. `Complete` or `Partial` make its snapshot visible in one atomic
    /// step; `Abandoned` deletes its objects. `Running` is refused.
    async fn finish_scan(&self, scan: ScanId, finished_at: i64, status: ScanStatus) -> Result<()>;

    /// The scans `filter` selects, oldest first, with their endpoints.
    async fn find_scans(&self, filter: ScanFilter<'_>) -> Result<Vec<ScanRun>>;

    /// Every scan, optionally of one organization, oldest first.
    async fn scans(&self, org_id: Option<&str>) -> Result<Vec<ScanRun>> {
        self.find_scans(org_id.map_or(ScanFilter::All, ScanFilter::Org))
            .await
    }

    /// One scan, if it exists.
    async fn scan(&self, id: ScanId) -> Result<Option<ScanRun>> {
        Ok(self.find_scans(ScanFilter::Id(id)).await?.pop())
    }

    /// The latest finished scan (`Complete` or `Partial`) of an organization.
    async fn latest_scan(&self, org_id: &str) -> Result<Option<ScanRun>> {
        Ok(self.find_scans(ScanFilter::Latest(org_id)).await?.pop())
    }

    /// The objects of a finished scan, optionally of one kind, sorted by kind then id (byte
    /// order). A scan that is running or abandoned gives [`Error::ScanNotVisible`], never an
    /// empty list that would read as "nothing exists".
    async fn objects(&self, scan: ScanId, kind: Option<&str>) -> Result<Vec<ObjectRecord>>;

    /// Appends audit events; an id already stored for the organization is skipped and its row
    /// left unchanged. Returns how many were inserted.
    async fn append_audit_events(&self, org_id: &str, events: &[AuditEventRecord]) -> Result<u64>;

    /// Audit events with `from <= effective_at < to` (either bound optional), by time then id.
    async fn audit_events(
        &self,
        org_id: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<AuditEventRecord>>;

    /// Records what the policies said in one evaluation of scan `scan` of `org_id` at `at`, in
    /// one transaction, and returns what changed:
    ///
    /// - a new `(policy_id, resource_id)` is inserted `open` (first and last seen `at`,
    ///   event `opened`);
    /// - an existing one takes the observation's fields, `last_seen = at` and
    ///   `last_scan_id = scan`; a `resolved` one becomes `open` again, or `suppressed` if a
    ///   suppression stored meanwhile still applies (event `reopened`);
    /// - first, every suppression of the organization whose `until <= at` is cleared (event
    ///   `suppression_expired`; the event keeps it): its finding, if suppressed, is `open`
    ///   again, and resolved if a complete scan no longer observes it;
    /// - with `complete`, every `open` or `suppressed` finding of the organization not in
    ///   `observed` becomes `resolved` at `at` (event `resolved`); its suppression, if any, is
    ///   kept for when it fires again. Without, nothing is resolved: an unread endpoint
    ///   is not a fix.
    ///
    /// `complete` must mean that every policy was evaluated on a complete snapshot. Refused
    /// ([`Error::InvalidInput`], nothing written): a `(policy_id, resource_id)` observed twice,
    /// a `result` other than `fail` or `indeterminate`, a scan of another organization,
    /// `complete` for a partial scan, and a scan older than one whose findings are already
    /// recorded. The scan must exist ([`Error::ScanNotFound`]) and be finished complete or
    /// partial ([`Error::ScanNotVisible`]): findings describe a committed snapshot.
    async fn record_findings(
        &self,
        org_id: &str,
        scan: ScanId,
        at: i64,
        complete: bool,
        observed: &[FindingObservation],
    ) -> Result<FindingChanges>;

    /// Every finding, optionally of one organization, by organization, policy, resource
    /// (byte order).
    async fn findings(&self, org_id: Option<&str>) -> Result<Vec<FindingRecord>>;

    /// Suppresses a finding (or replaces its suppression): an `open` one becomes `suppressed`;
    /// a `resolved` one stays resolved and keeps the suppression for when it fires again.
    /// Event `suppressed` at `suppression.at`. A blank reason or author, or an `until` not
    /// after `at`, is [`Error::InvalidInput`]; an unknown finding [`Error::FindingNotFound`].
    async fn suppress_finding(
        &self,
        org_id: &str,
        policy_id: &str,
        resource_id: &str,
        suppression: &Suppression,
    ) -> Result<()>;

    /// Lifts a finding's suppression at `at` on behalf of `author`: a `suppressed` finding is
    /// `open` again, a `resolved` one stays resolved. Event `unsuppressed`. A finding without
    /// a suppression is [`Error::InvalidInput`]; an unknown one [`Error::FindingNotFound`].
    async fn unsuppress_finding(
        &self,
        org_id: &str,
        policy_id: &str,
        resource_id: &str,
        at: i64,
        author: &str,
    ) -> Result<()>;

    /// Finding transitions with `from <= at < to` (either bound optional), by time then
    /// recording order.
    async fn finding_events(
        &self,
        org_id: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<FindingEvent>>;

    /// Replaces the usage of one kind whose buckets start in `window`, in one transaction.
    /// Every row must be of that kind and start inside the window ([`Error::InvalidInput`]).
    async fn replace_usage(
        &self,
        org_id: &str,
        kind: &str,
        window: (i64, i64),
        rows: &[UsageRecord],
    ) -> Result<()>;

    /// Usage buckets starting in `[from, to)`, optionally of one kind, by kind, start, group.
    async fn usage(
        &self,
        org_id: &str,
        kind: Option<&str>,
        from: i64,
        to: i64,
    ) -> Result<Vec<UsageRecord>>;

    /// Replaces the costs whose buckets start in `window`, in one transaction. Every row must
    /// start inside the window ([`Error::InvalidInput`]).
    async fn replace_costs(
        &self,
        org_id: &str,
        window: (i64, i64),
        rows: &[CostRecord],
    ) -> Result<()>;

    /// Costs whose buckets start in `[from, to)`, by start, project, line item (missing first).
    async fn costs(&self, org_id: &str, from: i64, to: i64) -> Result<Vec<CostRecord>>;

    /// Where an incremental stream got to (e.g. `audit_logs`, `usage/completions`, `costs`).
    async fn sync_mark(&self, org_id: &str, stream: &str) -> Result<Option<i64>>;

    /// Sets where an incremental stream got to.
    async fn set_sync_mark(&self, org_id: &str, stream: &str, value: i64) -> Result<()>;

    /// Stores (or replaces) a sealed credential.
    async fn put_secret(&self, name: &str, sealed: &SealedSecret) -> Result<()>;

    /// Stores (or replaces) several sealed credentials in one transaction: all or none (a
    /// master-key rotation must not leave some under each key).
    async fn put_secrets(&self, secrets: &[(String, SealedSecret)]) -> Result<()>;

    /// A sealed credential, if stored.
    async fn secret(&self, name: &str) -> Result<Option<SealedSecret>>;

    /// Deletes a sealed credential; whether it existed.
    async fn delete_secret(&self, name: &str) -> Result<bool>;

    /// Every sealed credential, by name (for master-key rotation).
    async fn secrets(&self) -> Result<Vec<(String, SealedSecret)>>;

    /// Adds a principal and journals `note`, in one transaction. A name already taken, a
    /// malformed name, email hash or token hash is [`Error::InvalidInput`].
    async fn add_principal(&self, principal: &PrincipalRecord, note: &JournalNote) -> Result<()>;

    /// Every principal, by name.
    async fn principals(&self) -> Result<Vec<PrincipalRecord>>;

    /// One principal, if it exists.
    async fn principal(&self, name: &str) -> Result<Option<PrincipalRecord>> {
        Ok(self
            .principals()
            .await?
            .into_iter()
            .find(|p| p.name == name))
    }

    /// Disables or re-enables a principal and journals `note`; whether it exists.
    async fn set_principal_disabled(
        &self,
        name: &str,
        disabled: bool,
        note: &JournalNote,
    ) -> Result<bool>;

    /// Replaces a principal's token hash (a re-issued token) and journals `note`, in one
    /// transaction; whether it exists.
    async fn set_principal_token(
        &self,
        name: &str,
        token_hash: &str,
        note: &JournalNote,
    ) -> Result<bool>;

    /// Creates a `pending` action and journals `note` (with the new id), in one transaction.
    async fn create_action(&self, action: &NewAction, note: &JournalNote) -> Result<ActionId>;

    /// Every action, optionally of one organization, by id.
    async fn actions(&self, org_id: Option<&str>) -> Result<Vec<ActionRecord>>;

    /// One action, if it exists.
    async fn action(&self, id: ActionId) -> Result<Option<ActionRecord>>;

    /// Moves an action to `to` at `at` if its status is one of `from`, and journals `note`, in
    /// one transaction; whether it moved (nothing is journaled when it did not).
    async fn transition_action(
        &self,
        id: ActionId,
        from: &[ActionStatus],
        to: ActionStatus,
        at: i64,
        note: &JournalNote,
    ) -> Result<bool>;

    /// Records an approval or rejection, moves the action from `pending` to `to`, and
    /// journals `note`, in one transaction; false (nothing written) if the action is no
    /// longer pending.
    async fn decide_action(
        &self,
        approval: &ApprovalRecord,
        to: ActionStatus,
        note: &JournalNote,
    ) -> Result<bool>;

    /// The approvals and rejections of an action, in order.
    async fn approvals(&self, id: ActionId) -> Result<Vec<ApprovalRecord>>;

    /// Sets the state of one planned call and journals `note`, in one transaction.
    async fn record_call(&self, call: &CallRecord, note: &JournalNote) -> Result<()>;

    /// The state of every call of an action that has one, by index.
    async fn calls(&self, id: ActionId) -> Result<Vec<CallRecord>>;

    /// Appends one entry to the journal and returns it, chained.
    async fn append_journal(&self, note: &JournalNote) -> Result<JournalEntry>;

    /// The whole journal, by `seq`.
    async fn journal(&self) -> Result<Vec<JournalEntry>>;
}

/// Opens (creating and migrating as needed) the store at `url`:
///
/// - `sqlite://PATH`, `sqlite:PATH` or a bare path: an SQLite file (created if missing);
/// - `sqlite::memory:`: a private in-memory SQLite database (tests, demos);
/// - `postgres://...` or `postgresql://...`: PostgreSQL, with the usual URL parameters
///   (`options=-c search_path=NAME` selects a schema).
///
/// Refuses, without writing anything, a file that is not a custos database and a store written
/// by a newer custos. A new SQLite file (and its `-wal` and `-shm`) is readable by its owner
/// only (mode 0600), like the master key file.
pub async fn open(url: &str) -> Result<Box<dyn Store>> {
    open_with(url, Access::ReadWrite).await
}

/// Opens the store at `url` for a command that only reads: nothing is created, migrated or
/// written, so a read-only file (or a read-only PostgreSQL role) can be read. A store whose
/// schema is older than this build is refused with [`Error::OutdatedReadOnly`] (it would need
/// a migration), a missing SQLite file with [`Error::Missing`]. Writes through it fail.
pub async fn open_read_only(url: &str) -> Result<Box<dyn Store>> {
    open_with(url, Access::ReadOnly).await
}

/// Whether a store is opened to write (create, migrate) or only to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    ReadWrite,
    ReadOnly,
}

async fn open_with(url: &str, access: Access) -> Result<Box<dyn Store>> {
    use postgres::Postgres;
    use sql_store::SqlStore;
    use sqlite::Sqlite;
    Ok(match Location::parse(url)? {
        Location::Sqlite(path) => Box::new(SqlStore::new(Sqlite::open(path, access).await?)),
        Location::SqliteMemory => Box::new(SqlStore::new(Sqlite::open_memory().await?)),
        Location::Postgres(url) => Box::new(SqlStore::new(Postgres::open(&url, access).await?)),
    })
}

/// Evidence packs read a store through the narrow trait of `custos-records`.
#[async_trait::async_trait]
impl<'a> EvidenceSource for dyn Store + 'a {
    async fn scans_of(&self, org_id: &str) -> std::result::Result<Vec<ScanRun>, SourceError> {
        Ok(self.scans(Some(org_id)).await?)
    }

    async fn snapshot_objects(
        &self,
        scan: ScanId,
        kind: &str,
    ) -> std::result::Result<Vec<ObjectRecord>, SourceError> {
        Ok(self.objects(scan, Some(kind)).await?)
    }

    async fn audit_log(
        &self,
        org_id: &str,
        from: i64,
        to: i64,
    ) -> std::result::Result<Vec<AuditEventRecord>, SourceError> {
        Ok(self.audit_events(org_id, Some(from), Some(to)).await?)
    }
}
