//! The SQLite backend: one connection behind a mutex, used from tokio's blocking pool.
//!
//! The file is in WAL mode with `synchronous=NORMAL`: a commit survives a killed process (the
//! WAL is in the file system before the commit returns) and, at worst, the last commits are
//! lost on a power cut, which for a re-runnable scan is the right trade for its speed.

use crate::Access;
use crate::actions::{self, JournalEntry, JournalNote};
use crate::error::Op;
use crate::lifecycle::{self, FindingKey, FindingState, NewEvent, ObservedFinding, StateChange};
use crate::lock::{self, ScanLock};
use crate::migrate::{self, CREATE_VERSION_TABLE, CURRENT_VERSION, RECORD_VERSION};
use crate::rows::{self, Columns, CostRow, EndpointRow, ScanRow};
use crate::sql;
use crate::{
    ActionId, ActionRecord, ActionStatus, ApprovalRecord, AuditEventRecord, CallRecord, CostRecord,
    EndpointRun, Error, FindingChanges, FindingEvent, FindingObservation, FindingRecord, NewAction,
    ObjectRecord, PrincipalRecord, Result, ScanFilter, ScanId, ScanRun, ScanStatus, SealedSecret,
    Store, Suppression, UsageRecord,
};
use rusqlite::OpenFlags;
use rusqlite::types::FromSql;
use rusqlite::{
    Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior, params,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BACKEND: &str = "SQLite";

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Page cache per connection, in KiB.
const CACHE_KIB: i64 = 64 * 1024;

/// WAL size (in 4 KiB pages) that triggers a checkpoint.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 16 * 1024;

/// An SQLite store.
pub(crate) struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    location: String,
    /// The database file (scan lock files live beside it); None in memory.
    path: Option<PathBuf>,
    /// Organizations being scanned, for an in-memory store.
    memory_locks: Arc<Mutex<BTreeSet<String>>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqliteStore({})", self.location)
    }
}

impl<T> Op<T> for rusqlite::Result<T> {
    fn op(self, op: &'static str) -> Result<T> {
        self.map_err(|e| Error::backend(BACKEND, op, e))
    }
}

/// The shared `$N` statements with SQLite's explicit `?N` placeholders.
fn q(sql: &str) -> String {
    sql.replace('$', "?")
}

fn is_code(err: &rusqlite::Error, code: ErrorCode) -> bool {
    err.sqlite_error_code() == Some(code)
}

/// Appends `note` to the journal inside `tx`, chained to the last entry (the immediate
/// transaction holds the write lock, so no other entry can come in between).
fn append_journal_tx(tx: &Transaction<'_>, note: &JournalNote) -> Result<JournalEntry> {
    let head: Option<(i64, String)> = tx
        .prepare_cached(&q(actions::sql::JOURNAL_HEAD))
        .and_then(|mut st| st.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .op("read the journal's last entry")?;
    let entry = JournalEntry::chain(head, note);
    tx.prepare_cached(&q(actions::sql::INSERT_JOURNAL))
        .and_then(|mut st| {
            st.execute(params![
                entry.seq,
                entry.at,
                entry.actor,
                entry.action_id,
                entry.kind,
                to_text(&entry.detail),
                entry.prev_hash,
                entry.hash
            ])
        })
        .op("append to the journal")?;
    Ok(entry)
}

/// Moves an action from one of `from` to `to`; whether a row changed.
fn set_action_status(
    tx: &Transaction<'_>,
    id: ActionId,
    from: &[ActionStatus],
    to: ActionStatus,
    at: i64,
) -> Result<bool> {
    let mut st = tx
        .prepare_cached(&q(actions::sql::SET_ACTION_STATUS))
        .op("change an action's status")?;
    for status in from {
        if st
            .execute(params![id, to.as_str(), at, status.as_str()])
            .op("change an action's status")?
            > 0
        {
            return Ok(true);
        }
    }
    Ok(false)
}

impl SqliteStore {
    /// Opens the file at `path`: to write (created, mode 0600, if missing) or only to read.
    pub(crate) async fn open(path: PathBuf, access: Access) -> Result<Self> {
        let location = path.display().to_string();
        let shown = location.clone();
        let file = path.clone();
        let conn = spawn(move || {
            let open_error = |e: rusqlite::Error| Error::Open {
                location: shown.clone(),
                source: e.into(),
            };
            let conn = match access {
                Access::ReadWrite => {
                    create_private(&file, &shown)?;
                    Connection::open(&file).map_err(open_error)?
                }
                Access::ReadOnly if !file.exists() => {
                    return Err(Error::Missing { location: shown });
                }
                Access::ReadOnly => open_read_only(&file).map_err(open_error)?,
            };
            init(conn, &shown, Some(access))
        })
        .await?;
        Ok(Self::new(conn, location, Some(path)))
    }

    /// Opens a private in-memory database.
    pub(crate) async fn open_memory() -> Result<Self> {
        let location = "sqlite::memory:".to_owned();
        let shown = location.clone();
        let conn = spawn(move || {
            let conn = Connection::open_in_memory().op("open an in-memory database")?;
            init(conn, &shown, None)
        })
        .await?;
        Ok(Self::new(conn, location, None))
    }

    fn new(conn: Connection, location: String, path: Option<PathBuf>) -> Self {
        SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            location,
            path,
            memory_locks: Arc::default(),
        }
    }

    /// Runs `f` on the connection in the blocking pool.
    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = Arc::clone(&self.conn);
        spawn(move || {
            // A panic while holding the lock dropped its transaction, which rolled back:
            // the connection is fine to reuse.
            let mut conn = conn
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut conn)
        })
        .await
    }

    /// Runs `f` in an immediate (write-locking) transaction and commits it.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.call(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .op("begin a transaction")?;
            let value = f(&tx)?;
            tx.commit().op("commit")?;
            Ok(value)
        })
        .await
    }

    /// Collects the rows of a read-only query.
    async fn query<P, T, F>(
        &self,
        op: &'static str,
        sql: &'static str,
        params: P,
        map: F,
    ) -> Result<Vec<T>>
    where
        P: rusqlite::Params + Send + 'static,
        T: Send + 'static,
        F: FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T> + Send + 'static,
    {
        self.call(move |conn| {
            let mut st = conn.prepare_cached(&q(sql)).op(op)?;
            let rows = st.query_map(params, map).op(op)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().op(op)
        })
        .await
    }
}

/// Runs blocking SQLite work off the async threads.
async fn spawn<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::backend(BACKEND, "run a database task", e))?
}

/// Creates a missing database file readable by its owner only; SQLite gives the `-wal` and
/// `-shm` files it creates beside it the same mode. An existing file keeps its mode.
fn create_private(path: &Path, location: &str) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::Open {
            location: location.to_owned(),
            source: e.into(),
        }),
    }
}

/// Opens an existing file without creating or writing anything. A WAL database needs its
/// `-shm` file, which a read-only directory may not let SQLite create: then the file is read
/// as immutable (nobody can be writing it, since nobody could create that file either).
fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // Other errors (not a database...) are for `init` to report.
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())) {
        Err(e) if is_code(&e, ErrorCode::CannotOpen) => match immutable_uri(path) {
            Some(uri) => Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI),
            None => Err(e),
        },
        _ => Ok(conn),
    }
}

/// `file:///ABSOLUTE/PATH?immutable=1`.
fn immutable_uri(path: &Path) -> Option<String> {
    let mut uri = url::Url::from_file_path(std::path::absolute(path).ok()?).ok()?;
    uri.set_query(Some("immutable=1"));
    Some(uri.into())
}

/// Checks what the file holds, refuses what is not ours or too new, then configures the
/// connection and migrates (`access` is None in memory). Nothing is written before the checks
/// pass; nothing at all when reading only: an outdated schema is then refused.
fn init(mut conn: Connection, location: &str, access: Option<Access>) -> Result<Connection> {
    let file = access.is_some();
    conn.busy_timeout(BUSY_TIMEOUT).op("set the busy timeout")?;
    let not_ours = |e: rusqlite::Error| {
        if is_code(&e, ErrorCode::NotADatabase) {
            Error::NotADatabase {
                location: location.to_owned(),
            }
        } else {
            Error::Open {
                location: location.to_owned(),
                source: e.into(),
            }
        }
    };
    // The first read of the file: a file that is not SQLite fails here.
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .map_err(not_ours)?;
    let current = if tables.iter().any(|t| t == "schema_version") {
        conn.query_row(CURRENT_VERSION, [], |r| r.get(0))
            .map_err(not_ours)?
    } else if tables.is_empty() {
        0
    } else {
        return Err(Error::ForeignDatabase {
            location: location.to_owned(),
        });
    };
    let pending = migrate::pending(location, current, migrate::SQLITE)?;
    // Off while migrating (the bundled SQLite turns them on by default): a migration that
    // rebuilds a table (a CHECK cannot be altered) drops the old one, which with foreign keys
    // on would cascade into the rows that refer to it. On again below, before any other write.
    conn.pragma_update(None, "foreign_keys", "OFF")
        .op("disable foreign keys while migrating")?;
    // A snapshot's primary-key index outgrows the default 2 MiB cache at ~100,000 objects,
    // after which every insert reads pages back: 64 MiB keeps a million-object index warm.
    conn.pragma_update(None, "cache_size", -CACHE_KIB)
        .op("set the cache size")?;
    if access == Some(Access::ReadOnly) {
        if !pending.is_empty() {
            return Err(Error::OutdatedReadOnly {
                location: location.to_owned(),
                found: current,
                known: migrate::latest(migrate::SQLITE),
            });
        }
        conn.pragma_update(None, "foreign_keys", "ON")
            .op("enable foreign keys")?;
        return Ok(conn);
    }
    if file {
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .op("enable WAL")?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::backend(
                BACKEND,
                "enable WAL",
                format!("journal mode stayed {mode}"),
            ));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .op("set synchronous")?;
        // Fewer, larger checkpoints (each one syncs the file): the WAL grows to ~64 MiB
        // during a snapshot write instead of 4 MiB.
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
            .op("set the WAL checkpoint size")?;
    }
    if !pending.is_empty() {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .op("begin the migration")?;
        tx.execute(CREATE_VERSION_TABLE, [])
            .op("create schema_version")?;
        // Another process may have migrated between the check and the lock.
        let current: i64 = tx
            .query_row(CURRENT_VERSION, [], |r| r.get(0))
            .op("read schema_version")?;
        for migration in migrate::pending(location, current, migrate::SQLITE)? {
            tx.execute_batch(migration.sql).op("apply a migration")?;
            tx.execute(
                &q(RECORD_VERSION),
                params![migration.version, migrate::now()],
            )
            .op("record the schema version")?;
        }
        tx.commit().op("commit the migration")?;
    }
    conn.pragma_update(None, "foreign_keys", "ON")
        .op("enable foreign keys")?;
    Ok(conn)
}

/// The status of a scan, or [`Error::ScanNotFound`].
fn scan_status(conn: &Connection, scan: ScanId) -> Result<ScanStatus> {
    let status: Option<String> = conn
        .prepare_cached(&q(sql::SCAN_STATUS))
        .and_then(|mut st| st.query_row([scan], |r| r.get(0)).optional())
        .op("read a scan's status")?;
    status.ok_or(Error::ScanNotFound(scan))?.parse()
}

/// Fails unless the scan is running.
fn ensure_running(conn: &Connection, scan: ScanId) -> Result<()> {
    match scan_status(conn, scan)? {
        ScanStatus::Running => Ok(()),
        status => Err(Error::ScanNotRunning { id: scan, status }),
    }
}

fn ensure_org(tx: &Transaction<'_>, org_id: &str) -> Result<()> {
    tx.prepare_cached(&q(sql::ENSURE_ORG))
        .and_then(|mut st| st.execute([org_id]))
        .op("register the organization")?;
    Ok(())
}

fn to_text(value: &serde_json::Value) -> String {
    value.to_string()
}

/// Column `i` of a row; a value of the wrong type is a corrupt store.
fn column<T: FromSql>(row: &rusqlite::Row<'_>, i: usize) -> Result<T> {
    row.get(i)
        .map_err(|e| Error::corrupt("SQLite column", format!("column {i}: {e}")))
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<String> {
        column(self, i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        column(self, i)
    }
    fn int(&self, i: usize) -> Result<i64> {
        column(self, i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        column(self, i)
    }
}

/// Decodes every row of a shared query with one of the shared decoders.
fn read_all<T>(
    conn: &Connection,
    op: &'static str,
    sql: &str,
    params: impl rusqlite::Params,
    decode: impl Fn(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut st = conn.prepare_cached(&q(sql)).op(op)?;
    let mut rows = st.query(params).op(op)?;
    let mut decoded = Vec::new();
    while let Some(row) = rows.next().op(op)? {
        decoded.push(decode(row)?);
    }
    Ok(decoded)
}

/// The organization and status of a scan, if it exists.
fn scan_owner(conn: &Connection, scan: ScanId) -> Result<Option<(String, ScanStatus)>> {
    let row: Option<(String, String)> = conn
        .prepare_cached(&q(sql::SCAN_OWNER))
        .and_then(|mut st| {
            st.query_row([scan], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .op("read a scan's organization")?;
    row.map(|(org, status)| Ok((org, status.parse()?)))
        .transpose()
}

fn upsert_findings(
    tx: &Transaction<'_>,
    org_id: &str,
    scan: ScanId,
    at: i64,
    observed: &[ObservedFinding<'_>],
) -> Result<()> {
    let op = "write findings";
    let mut st = tx.prepare_cached(&q(sql::UPSERT_FINDING)).op(op)?;
    for row in observed {
        let o = row.observation;
        let (reason, author, suppressed_at, until) =
            rows::suppression_columns(row.suppression.as_ref());
        st.execute(params![
            org_id,
            o.policy_id,
            o.resource_id,
            o.resource_kind,
            o.project_id,
            o.severity,
            o.result,
            o.title,
            o.message,
            o.evidence.get(),
            row.status.as_str(),
            at,
            at,
            None::<i64>,
            scan,
            reason,
            author,
            suppressed_at,
            until
        ])
        .op(op)?;
    }
    Ok(())
}

fn set_finding_states(tx: &Transaction<'_>, org_id: &str, changes: &[StateChange]) -> Result<()> {
    let op = "change findings' states";
    let mut st = tx.prepare_cached(&q(sql::SET_FINDING_STATE)).op(op)?;
    for c in changes {
        let (reason, author, at, until) = rows::suppression_columns(c.suppression.as_ref());
        st.execute(params![
            org_id,
            c.policy_id,
            c.resource_id,
            c.status.as_str(),
            c.resolved_at,
            reason,
            author,
            at,
            until
        ])
        .op(op)?;
    }
    Ok(())
}

fn append_finding_events(tx: &Transaction<'_>, org_id: &str, events: &[NewEvent]) -> Result<()> {
    let op = "append finding events";
    let mut st = tx.prepare_cached(&q(sql::INSERT_FINDING_EVENT)).op(op)?;
    for e in events {
        st.execute(params![
            org_id,
            e.policy_id,
            e.resource_id,
            e.at,
            e.event.as_str(),
            e.scan_id,
            to_text(&e.detail)
        ])
        .op(op)?;
    }
    Ok(())
}

impl SqliteStore {
    /// Changes one finding by hand (suppress, unsuppress) as `plan` decides from its state.
    async fn change_finding(
        &self,
        key: FindingKey,
        plan: impl FnOnce(&FindingKey, Option<FindingState>) -> Result<(StateChange, NewEvent)>
        + Send
        + 'static,
    ) -> Result<()> {
        self.write(move |tx| {
            let finding = read_all(
                tx,
                "read a finding",
                sql::FINDING_STATE,
                params![key.org_id, key.policy_id, key.resource_id],
                |r| rows::finding_state(r),
            )?
            .pop();
            let (change, event) = plan(&key, finding)?;
            set_finding_states(tx, &key.org_id, &[change])?;
            append_finding_events(tx, &key.org_id, &[event])
        })
        .await
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn upsert_organization(&self, org_id: &str, name: Option<&str>) -> Result<()> {
        let (org_id, name) = (org_id.to_owned(), name.map(str::to_owned));
        self.write(move |tx| {
            tx.execute(&q(sql::UPSERT_ORG), params![org_id, name])
                .op("save the organization")?;
            Ok(())
        })
        .await
    }

    async fn organizations(&self) -> Result<Vec<(String, Option<String>)>> {
        self.query("read organizations", sql::ORGS, [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .await
    }

    async fn lock_organization(&self, org_id: &str, holder: &str) -> Result<ScanLock> {
        let Some(path) = &self.path else {
            return lock::lock_in_memory(&self.memory_locks, org_id, holder);
        };
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(format!("-scan-{}.lock", lock::org_digest(org_id)));
        let lock_path = path.with_file_name(name);
        let (org_id, holder) = (org_id.to_owned(), holder.to_owned());
        spawn(move || lock::lock_file(&lock_path, &org_id, &holder)).await
    }

    async fn close_running_scans(
        &self,
        lock: &ScanLock,
        at: i64,
        status: ScanStatus,
        reason: &str,
    ) -> Result<Vec<ScanId>> {
        rows::check_closing(status, reason)?;
        let (org_id, reason) = (lock.org_id().to_owned(), reason.to_owned());
        self.write(move |tx| {
            let closed: Vec<ScanId> = tx
                .prepare(&q(sql::CLOSE_RUNNING))
                .and_then(|mut st| {
                    st.query_map(params![org_id, status.as_str(), at, reason], |r| r.get(0))?
                        .collect()
                })
                .op("close running scans")?;
            for id in &closed {
                tx.execute(&q(sql::DELETE_SCAN_OBJECTS), [id])
                    .op("delete a closed scan's objects")?;
            }
            Ok(closed)
        })
        .await
    }

    async fn begin_scan(&self, org_id: &str, started_at: i64) -> Result<ScanId> {
        let org_id = org_id.to_owned();
        self.write(move |tx| {
            ensure_org(tx, &org_id)?;
            let abandoned: Vec<ScanId> = tx
                .prepare(&q(sql::ABANDON_RUNNING))
                .and_then(|mut st| st.query_map([&org_id], |r| r.get(0))?.collect())
                .op("abandon unfinished scans")?;
            for id in abandoned {
                tx.execute(&q(sql::DELETE_SCAN_OBJECTS), [id])
                    .op("delete an abandoned scan's objects")?;
            }
            tx.query_row(&q(sql::INSERT_SCAN), params![org_id, started_at], |r| {
                r.get(0)
            })
            .op("start a scan")
        })
        .await
    }

    async fn put_objects(&self, scan: ScanId, objects: &[ObjectRecord]) -> Result<()> {
        rows::check_unique(scan, objects)?;
        // Serialized here, and moved to the blocking pool with the keys.
        let batch: Vec<(String, String, Option<String>, String)> = objects
            .iter()
            .map(|o| {
                (
                    o.kind.clone(),
                    o.id.clone(),
                    o.project_id.clone(),
                    to_text(&o.data),
                )
            })
            .collect();
        self.write(move |tx| {
            ensure_running(tx, scan)?;
            let mut st = tx
                .prepare_cached(&q(sql::INSERT_OBJECT))
                .op("prepare the object insert")?;
            for (kind, id, project_id, data) in batch {
                match st.execute(params![scan, kind, id, project_id, data]) {
                    Ok(_) => {}
                    Err(e) if is_code(&e, ErrorCode::ConstraintViolation) => {
                        return Err(Error::DuplicateObject { scan, kind, id });
                    }
                    Err(e) => return Err(Error::backend(BACKEND, "write objects", e)),
                }
            }
            Ok(())
        })
        .await
    }

    async fn record_endpoint(&self, scan: ScanId, run: &EndpointRun) -> Result<()> {
        let run = run.clone();
        let (requests, items) = (
            rows::to_i64("request count", run.requests)?,
            rows::to_i64("item count", run.items)?,
        );
        self.write(move |tx| {
            ensure_running(tx, scan)?;
            let kinds = rows::kinds_json(&run);
            tx.execute(
                &q(sql::INSERT_ENDPOINT),
                params![
                    scan,
                    run.endpoint,
                    run.scope,
                    kinds,
                    run.ok,
                    run.error,
                    requests,
                    items,
                    run.status.map(i64::from)
                ],
            )
            .op("record an endpoint")?;
            Ok(())
        })
        .await
    }

    async fn finish_scan(&self, scan: ScanId, finished_at: i64, status: ScanStatus) -> Result<()> {
        rows::check_final(status)?;
        self.write(move |tx| {
            let changed = tx
                .execute(
                    &q(sql::FINISH_SCAN),
                    params![finished_at, status.as_str(), scan],
                )
                .op("finish a scan")?;
            if changed == 0 {
                ensure_running(tx, scan)?;
            }
            if status == ScanStatus::Abandoned {
                tx.execute(&q(sql::DELETE_SCAN_OBJECTS), [scan])
                    .op("delete an abandoned scan's objects")?;
            }
            Ok(())
        })
        .await
    }

    async fn find_scans(&self, filter: ScanFilter<'_>) -> Result<Vec<ScanRun>> {
        let (scans_sql, endpoints_sql) = (q(&filter.scans_sql()), q(&filter.endpoints_sql()));
        let param: Option<rusqlite::types::Value> = match filter {
            ScanFilter::All => None,
            ScanFilter::Org(org) | ScanFilter::Latest(org) => Some(org.to_owned().into()),
            ScanFilter::Id(id) => Some(id.into()),
        };
        let (scans, endpoints) = self
            .call(move |conn| {
                // One read transaction, so that scans and endpoints agree.
                let tx = conn.transaction().op("begin a transaction")?;
                let params = rusqlite::params_from_iter(param.iter());
                let scans = tx
                    .prepare_cached(&scans_sql)
                    .and_then(|mut st| {
                        st.query_map(params, |r| {
                            Ok(ScanRow {
                                id: r.get(0)?,
                                org_id: r.get(1)?,
                                started_at: r.get(2)?,
                                finished_at: r.get(3)?,
                                status: r.get(4)?,
                                error: r.get(5)?,
                            })
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()
                    })
                    .op("read scans")?;
                let params = rusqlite::params_from_iter(param.iter());
                let endpoints = tx
                    .prepare_cached(&endpoints_sql)
                    .and_then(|mut st| {
                        st.query_map(params, |r| {
                            Ok(EndpointRow {
                                scan_id: r.get(0)?,
                                endpoint: r.get(1)?,
                                scope: r.get(2)?,
                                kinds: r.get(3)?,
                                ok: r.get(4)?,
                                error: r.get(5)?,
                                requests: r.get(6)?,
                                items: r.get(7)?,
                                status: r.get(8)?,
                            })
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()
                    })
                    .op("read scan endpoints")?;
                Ok((scans, endpoints))
            })
            .await?;
        rows::scan_runs(scans, endpoints)
    }

    async fn objects(&self, scan: ScanId, kind: Option<&str>) -> Result<Vec<ObjectRecord>> {
        let kind = kind.map(str::to_owned);
        let raw = self
            .call(move |conn| {
                let tx = conn.transaction().op("begin a transaction")?;
                let read = |r: &rusqlite::Row<'_>| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get::<_, String>(3)?,
                    ))
                };
                let rows = match &kind {
                    None => tx.prepare_cached(&q(sql::OBJECTS)).and_then(|mut st| {
                        st.query_map(params![scan], read)?
                            .collect::<rusqlite::Result<Vec<_>>>()
                    }),
                    Some(kind) => tx
                        .prepare_cached(&q(sql::OBJECTS_OF_KIND))
                        .and_then(|mut st| st.query_map(params![scan, kind], read)?.collect()),
                }
                .op("read objects")?;
                let status = scan_status(&tx, scan)?;
                Ok((rows, status))
            })
            .await?;
        match raw {
            (rows, status) if status.is_visible() => rows
                .into_iter()
                .map(|(kind, id, project, data)| rows::object(kind, id, project, &data))
                .collect(),
            (_, status) => Err(Error::ScanNotVisible { id: scan, status }),
        }
    }

    async fn append_audit_events(&self, org_id: &str, events: &[AuditEventRecord]) -> Result<u64> {
        let org_id = org_id.to_owned();
        let events: Vec<(String, i64, String, String)> = events
            .iter()
            .map(|e| {
                (
                    e.id.clone(),
                    e.effective_at,
                    e.kind.clone(),
                    to_text(&e.data),
                )
            })
            .collect();
        self.write(move |tx| {
            ensure_org(tx, &org_id)?;
            let mut st = tx
                .prepare_cached(&q(sql::INSERT_AUDIT))
                .op("prepare the audit insert")?;
            let mut inserted = 0u64;
            for (id, effective_at, kind, data) in events {
                let n = st
                    .execute(params![org_id, id, effective_at, kind, data])
                    .op("append audit events")?;
                inserted += n as u64;
            }
            Ok(inserted)
        })
        .await
    }

    async fn audit_events(
        &self,
        org_id: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<AuditEventRecord>> {
        let params = (
            org_id.to_owned(),
            from.unwrap_or(i64::MIN),
            to.unwrap_or(i64::MAX),
        );
        let raw = self
            .query("read audit events", sql::AUDIT, params, |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?))
            })
            .await?;
        raw.into_iter()
            .map(|(id, at, kind, data)| rows::audit_event(id, at, kind, &data))
            .collect()
    }

    async fn record_findings(
        &self,
        org_id: &str,
        scan: ScanId,
        at: i64,
        complete: bool,
        observed: &[FindingObservation],
    ) -> Result<FindingChanges> {
        lifecycle::check_observations(observed)?;
        let (org_id, observed) = (org_id.to_owned(), observed.to_vec());
        self.write(move |tx| {
            let owner = scan_owner(tx, scan)?;
            let latest = tx
                .query_row(&q(sql::LAST_FINDINGS_SCAN), [&org_id], |r| r.get(0))
                .op("read the latest findings' scan")?;
            lifecycle::check_scan(&org_id, scan, owner, latest, complete)?;
            let existing = read_all(tx, "read findings", sql::FINDING_STATES, [&org_id], |r| {
                rows::finding_state(r)
            })?;
            let plan = lifecycle::plan_scan(&existing, &observed, scan, at, complete);
            upsert_findings(tx, &org_id, scan, at, &plan.observed)?;
            set_finding_states(tx, &org_id, &plan.unobserved)?;
            append_finding_events(tx, &org_id, &plan.events)?;
            Ok(plan.changes)
        })
        .await
    }

    async fn findings(&self, org_id: Option<&str>) -> Result<Vec<FindingRecord>> {
        let org_id = org_id.map(str::to_owned);
        self.call(move |conn| {
            let read = |r: &rusqlite::Row<'_>| rows::finding(r);
            match org_id {
                None => read_all(conn, "read findings", sql::FINDINGS, [], read),
                Some(org) => read_all(conn, "read findings", sql::FINDINGS_OF_ORG, [org], read),
            }
        })
        .await
    }

    async fn suppress_finding(
        &self,
        org_id: &str,
        policy_id: &str,
        resource_id: &str,
        suppression: &Suppression,
    ) -> Result<()> {
        let suppression = suppression.clone();
        let key = FindingKey::new(org_id, policy_id, resource_id);
        self.change_finding(key, move |key, finding| {
            lifecycle::plan_suppress(key, finding, &suppression)
        })
        .await
    }

    async fn unsuppress_finding(
        &self,
        org_id: &str,
        policy_id: &str,
        resource_id: &str,
        at: i64,
        author: &str,
    ) -> Result<()> {
        let author = author.to_owned();
        let key = FindingKey::new(org_id, policy_id, resource_id);
        self.change_finding(key, move |key, finding| {
            lifecycle::plan_unsuppress(key, finding, at, &author)
        })
        .await
    }

    async fn finding_events(
        &self,
        org_id: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<FindingEvent>> {
        let params = (
            org_id.to_owned(),
            from.unwrap_or(i64::MIN),
            to.unwrap_or(i64::MAX),
        );
        self.call(move |conn| {
            read_all(
                conn,
                "read finding events",
                sql::FINDING_EVENTS,
                params,
                |r| rows::finding_event(r),
            )
        })
        .await
    }

    async fn replace_usage(
        &self,
        org_id: &str,
        kind: &str,
        window: (i64, i64),
        rows: &[UsageRecord],
    ) -> Result<()> {
        rows::check_usage(kind, window, rows)?;
        let (org_id, kind) = (org_id.to_owned(), kind.to_owned());
        let rows: Vec<(i64, i64, String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.bucket_start,
                    r.bucket_end,
                    r.group_key.clone(),
                    to_text(&r.data),
                )
            })
            .collect();
        self.write(move |tx| {
            ensure_org(tx, &org_id)?;
            tx.execute(
                &q(sql::DELETE_USAGE),
                params![org_id, kind, window.0, window.1],
            )
            .op("delete replaced usage")?;
            let mut st = tx
                .prepare_cached(&q(sql::INSERT_USAGE))
                .op("prepare the usage insert")?;
            for (start, end, group_key, data) in rows {
                st.execute(params![org_id, kind, start, end, group_key, data])
                    .op("write usage")?;
            }
            Ok(())
        })
        .await
    }

    async fn usage(
        &self,
        org_id: &str,
        kind: Option<&str>,
        from: i64,
        to: i64,
    ) -> Result<Vec<UsageRecord>> {
        let read = |r: &rusqlite::Row<'_>| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get::<_, String>(4)?,
            ))
        };
        let org_id = org_id.to_owned();
        let raw: Vec<(String, i64, i64, String, String)> = match kind {
            None => {
                self.query("read usage", sql::USAGE, (org_id, from, to), read)
                    .await?
            }
            Some(kind) => {
                self.query(
                    "read usage",
                    sql::USAGE_OF_KIND,
                    (org_id, from, to, kind.to_owned()),
                    read,
                )
                .await?
            }
        };
        raw.into_iter()
            .map(|(kind, start, end, group, data)| rows::usage(kind, start, end, group, &data))
            .collect()
    }

    async fn replace_costs(
        &self,
        org_id: &str,
        window: (i64, i64),
        rows: &[CostRecord],
    ) -> Result<()> {
        rows::check_window("cost", window, rows.iter().map(|r| r.bucket_start))?;
        let org_id = org_id.to_owned();
        let rows: Vec<(CostRecord, String)> =
            rows.iter().map(|r| (r.clone(), to_text(&r.data))).collect();
        self.write(move |tx| {
            ensure_org(tx, &org_id)?;
            tx.execute(&q(sql::DELETE_COSTS), params![org_id, window.0, window.1])
                .op("delete replaced costs")?;
            let mut st = tx
                .prepare_cached(&q(sql::INSERT_COST))
                .op("prepare the cost insert")?;
            for (r, data) in rows {
                st.execute(params![
                    org_id,
                    r.bucket_start,
                    r.bucket_end,
                    r.project_id,
                    r.line_item,
                    r.amount,
                    r.currency,
                    data
                ])
                .op("write costs")?;
            }
            Ok(())
        })
        .await
    }

    async fn costs(&self, org_id: &str, from: i64, to: i64) -> Result<Vec<CostRecord>> {
        let raw = self
            .query(
                "read costs",
                sql::COSTS,
                (org_id.to_owned(), from, to),
                |r| {
                    Ok(CostRow {
                        bucket_start: r.get(0)?,
                        bucket_end: r.get(1)?,
                        project_id: r.get(2)?,
                        line_item: r.get(3)?,
                        amount: r.get(4)?,
                        currency: r.get(5)?,
                        data: r.get(6)?,
                    })
                },
            )
            .await?;
        raw.into_iter().map(rows::cost).collect()
    }

    async fn sync_mark(&self, org_id: &str, stream: &str) -> Result<Option<i64>> {
        let params = (org_id.to_owned(), stream.to_owned());
        Ok(self
            .query("read a sync mark", sql::SYNC_MARK, params, |r| r.get(0))
            .await?
            .pop())
    }

    async fn set_sync_mark(&self, org_id: &str, stream: &str, value: i64) -> Result<()> {
        let (org_id, stream) = (org_id.to_owned(), stream.to_owned());
        self.write(move |tx| {
            ensure_org(tx, &org_id)?;
            tx.execute(&q(sql::SET_SYNC_MARK), params![org_id, stream, value])
                .op("save a sync mark")?;
            Ok(())
        })
        .await
    }

    async fn put_secret(&self, name: &str, sealed: &SealedSecret) -> Result<()> {
        let (name, sealed) = (name.to_owned(), sealed.clone());
        self.write(move |tx| {
            tx.execute(
                &q(sql::PUT_SECRET),
                params![name, sealed.key_id, sealed.nonce, sealed.ciphertext],
            )
            .op("store a credential")?;
            Ok(())
        })
        .await
    }

    async fn put_secrets(&self, secrets: &[(String, SealedSecret)]) -> Result<()> {
        let secrets = secrets.to_vec();
        self.write(move |tx| {
            let mut st = tx
                .prepare_cached(&q(sql::PUT_SECRET))
                .op("store credentials")?;
            for (name, sealed) in secrets {
                st.execute(params![
                    name,
                    sealed.key_id,
                    sealed.nonce,
                    sealed.ciphertext
                ])
                .op("store credentials")?;
            }
            Ok(())
        })
        .await
    }

    async fn secret(&self, name: &str) -> Result<Option<SealedSecret>> {
        let found = self
            .query("read a credential", sql::SECRET, [name.to_owned()], |r| {
                Ok(SealedSecret {
                    key_id: r.get(0)?,
                    nonce: r.get(1)?,
                    ciphertext: r.get(2)?,
                })
            })
            .await?;
        Ok(found.into_iter().next())
    }

    async fn delete_secret(&self, name: &str) -> Result<bool> {
        let name = name.to_owned();
        self.write(move |tx| {
            Ok(tx
                .execute(&q(sql::DELETE_SECRET), [name])
                .op("delete a credential")?
                > 0)
        })
        .await
    }

    async fn secrets(&self) -> Result<Vec<(String, SealedSecret)>> {
        self.query("read credentials", sql::SECRETS, [], |r| {
            Ok((
                r.get(0)?,
                SealedSecret {
                    key_id: r.get(1)?,
                    nonce: r.get(2)?,
                    ciphertext: r.get(3)?,
                },
            ))
        })
        .await
    }

    async fn add_principal(&self, principal: &PrincipalRecord, note: &JournalNote) -> Result<()> {
        actions::check_principal(principal)?;
        let (p, note) = (principal.clone(), note.clone());
        self.write(move |tx| {
            let inserted = tx
                .execute(
                    &q(actions::sql::INSERT_PRINCIPAL),
                    params![
                        p.name,
                        p.role.as_str(),
                        p.email_sha256,
                        p.manager,
                        p.token_hash,
                        p.disabled,
                        p.created_at
                    ],
                )
                .op("add a principal")?;
            if inserted == 0 {
                return Err(Error::InvalidInput(format!(
                    "a principal named {:?} already exists",
                    p.name
                )));
            }
            append_journal_tx(tx, &note)?;
            Ok(())
        })
        .await
    }

    async fn principals(&self) -> Result<Vec<PrincipalRecord>> {
        self.call(|conn| {
            read_all(conn, "read principals", actions::sql::PRINCIPALS, [], |r| {
                let disabled: bool = column(r, 5)?;
                actions::decode::principal(r, disabled)
            })
        })
        .await
    }

    async fn set_principal_disabled(
        &self,
        name: &str,
        disabled: bool,
        note: &JournalNote,
    ) -> Result<bool> {
        let (name, note) = (name.to_owned(), note.clone());
        self.write(move |tx| {
            let changed = tx
                .execute(
                    &q(actions::sql::SET_PRINCIPAL_DISABLED),
                    params![name, disabled],
                )
                .op("disable a principal")?;
            if changed > 0 {
                append_journal_tx(tx, &note)?;
            }
            Ok(changed > 0)
        })
        .await
    }

    async fn set_principal_token(
        &self,
        name: &str,
        token_hash: &str,
        note: &JournalNote,
    ) -> Result<bool> {
        actions::check_token_hash(name, token_hash)?;
        let (name, token_hash, note) = (name.to_owned(), token_hash.to_owned(), note.clone());
        self.write(move |tx| {
            let changed = tx
                .execute(
                    &q(actions::sql::SET_PRINCIPAL_TOKEN),
                    params![name, token_hash],
                )
                .op("re-key a principal")?;
            if changed > 0 {
                append_journal_tx(tx, &note)?;
            }
            Ok(changed > 0)
        })
        .await
    }

    async fn create_action(&self, action: &NewAction, note: &JournalNote) -> Result<ActionId> {
        let (a, note) = (action.clone(), note.clone());
        self.write(move |tx| {
            let id: ActionId = tx
                .query_row(
                    &q(actions::sql::INSERT_ACTION),
                    params![
                        a.org_id,
                        a.template,
                        a.requested_by,
                        a.reason,
                        a.created_at,
                        a.expires_at,
                        a.plan_hash,
                        to_text(&a.plan)
                    ],
                    |r| r.get(0),
                )
                .op("create an action")?;
            append_journal_tx(tx, &note.clone().about(id))?;
            Ok(id)
        })
        .await
    }

    async fn actions(&self, org_id: Option<&str>) -> Result<Vec<ActionRecord>> {
        let org_id = org_id.map(str::to_owned);
        self.call(move |conn| match org_id {
            Some(org) => read_all(
                conn,
                "read actions",
                actions::sql::ACTIONS_OF_ORG,
                [org],
                |r| actions::decode::action(r),
            ),
            None => read_all(conn, "read actions", actions::sql::ACTIONS, [], |r| {
                actions::decode::action(r)
            }),
        })
        .await
    }

    async fn action(&self, id: ActionId) -> Result<Option<ActionRecord>> {
        self.call(move |conn| {
            Ok(
                read_all(conn, "read an action", actions::sql::ACTION, [id], |r| {
                    actions::decode::action(r)
                })?
                .pop(),
            )
        })
        .await
    }

    async fn transition_action(
        &self,
        id: ActionId,
        from: &[ActionStatus],
        to: ActionStatus,
        at: i64,
        note: &JournalNote,
    ) -> Result<bool> {
        let (from, note) = (from.to_vec(), note.clone());
        self.write(move |tx| {
            let moved = set_action_status(tx, id, &from, to, at)?;
            if moved {
                append_journal_tx(tx, &note)?;
            }
            Ok(moved)
        })
        .await
    }

    async fn decide_action(
        &self,
        approval: &ApprovalRecord,
        to: ActionStatus,
        note: &JournalNote,
    ) -> Result<bool> {
        let (a, note) = (approval.clone(), note.clone());
        self.write(move |tx| {
            if !set_action_status(tx, a.action_id, &[ActionStatus::Pending], to, a.at)? {
                return Ok(false);
            }
            tx.execute(
                &q(actions::sql::INSERT_APPROVAL),
                params![
                    a.action_id,
                    a.principal,
                    a.decision.as_str(),
                    a.plan_hash,
                    a.at,
                    a.comment
                ],
            )
            .op("record an approval")?;
            append_journal_tx(tx, &note)?;
            Ok(true)
        })
        .await
    }

    async fn approvals(&self, id: ActionId) -> Result<Vec<ApprovalRecord>> {
        self.call(move |conn| {
            read_all(conn, "read approvals", actions::sql::APPROVALS, [id], |r| {
                actions::decode::approval(r)
            })
        })
        .await
    }

    async fn record_call(&self, call: &CallRecord, note: &JournalNote) -> Result<()> {
        let (c, note) = (call.clone(), note.clone());
        self.write(move |tx| {
            tx.prepare_cached(&q(actions::sql::UPSERT_CALL))
                .and_then(|mut st| {
                    st.execute(params![
                        c.action_id,
                        c.call_index,
                        c.status.as_str(),
                        c.http_status,
                        to_text(&c.detail),
                        c.at
                    ])
                })
                .op("record a call")?;
            append_journal_tx(tx, &note)?;
            Ok(())
        })
        .await
    }

    async fn calls(&self, id: ActionId) -> Result<Vec<CallRecord>> {
        self.call(move |conn| {
            read_all(conn, "read calls", actions::sql::CALLS, [id], |r| {
                actions::decode::call(r)
            })
        })
        .await
    }

    async fn append_journal(&self, note: &JournalNote) -> Result<JournalEntry> {
        let note = note.clone();
        self.write(move |tx| append_journal_tx(tx, &note)).await
    }

    async fn journal(&self) -> Result<Vec<JournalEntry>> {
        self.call(|conn| {
            read_all(conn, "read the journal", actions::sql::JOURNAL, [], |r| {
                actions::decode::journal(r)
            })
        })
        .await
    }
}
