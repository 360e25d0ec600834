//! The SQLite backend: one connection behind a mutex, used from tokio's blocking pool.
//!
//! The file is in WAL mode with `synchronous=NORMAL`: a commit survives a killed process (the
//! WAL is in the file system before the commit returns) and, at worst, the last commits are
//! lost on a power cut, which for a re-runnable scan is the right trade for its speed.
//!
//! A transaction holds the connection's mutex from `BEGIN` to `COMMIT`; each of its
//! statements (or batches of them) goes to the blocking pool with the connection and comes
//! back. Write transactions begin `IMMEDIATE`, taking the database's write lock at once, so
//! writers are serialized and [`Tx::lock`] has nothing left to do.

use crate::db::{Backend, Cell, End, FindingWrites, Lock, Mode, Param, Row, Tx};
use crate::error::Op;
use crate::lock::{self, ScanLock};
use crate::migrate::{self, CREATE_VERSION_TABLE, CURRENT_VERSION, RECORD_VERSION};
use crate::sql;
use crate::{Access, Error, ObjectRecord, Result, ScanId};
use rusqlite::OpenFlags;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode, TransactionBehavior};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

const BACKEND: &str = "SQLite";

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Page cache per connection, in KiB.
const CACHE_KIB: i64 = 64 * 1024;

/// WAL size (in 4 KiB pages) that triggers a checkpoint.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 16 * 1024;

/// An SQLite database.
pub(crate) struct Sqlite {
    conn: Arc<tokio::sync::Mutex<Connection>>,
    location: String,
    /// The database file (scan lock files live beside it); None in memory.
    path: Option<PathBuf>,
    /// Organizations being scanned, for an in-memory store.
    memory_locks: Arc<Mutex<BTreeSet<String>>>,
}

impl std::fmt::Debug for Sqlite {
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

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Param::Null => ValueRef::Null,
            Param::Int(v) => ValueRef::Integer(*v),
            Param::Real(v) => ValueRef::Real(*v),
            Param::Bool(v) => ValueRef::Integer(i64::from(*v)),
            Param::Text(v) | Param::Json(v) => ValueRef::Text(v.as_bytes()),
            Param::Name(v) => ValueRef::Text(v.as_bytes()),
            Param::Sealed(v) => ValueRef::Blob(v),
        }))
    }
}

/// An SQLite row as the store's neutral [`Row`].
fn row(r: &rusqlite::Row<'_>, columns: usize) -> Result<Row> {
    (0..columns)
        .map(|i| {
            let value = r
                .get_ref(i)
                .map_err(|e| Error::corrupt("SQLite column", format!("column {i}: {e}")))?;
            Ok(match value {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(v) => Cell::Int(v),
                ValueRef::Real(v) => Cell::Real(v),
                ValueRef::Text(bytes) => Cell::Text(
                    String::from_utf8(bytes.to_vec())
                        .map_err(|e| Error::corrupt("SQLite column", format!("column {i}: {e}")))?,
                ),
                ValueRef::Blob(bytes) => Cell::Bytes(bytes.to_vec()),
            })
        })
        .collect::<Result<_>>()
        .map(Row)
}

/// Runs one statement and collects its rows.
fn query(conn: &Connection, op: &'static str, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
    let mut st = conn.prepare_cached(&q(sql)).op(op)?;
    let columns = st.column_count();
    let mut rows = st.query(rusqlite::params_from_iter(params)).op(op)?;
    let mut read = Vec::new();
    while let Some(r) = rows.next().op(op)? {
        read.push(row(r, columns)?);
    }
    Ok(read)
}

/// Runs one prepared statement once per row of parameters; the rows changed in all.
fn execute_each(
    conn: &Connection,
    op: &'static str,
    sql: &str,
    rows: &[Vec<Param>],
) -> Result<u64> {
    let mut st = conn.prepare_cached(&q(sql)).op(op)?;
    let mut changed = 0;
    for params in rows {
        changed += st.execute(rusqlite::params_from_iter(params)).op(op)? as u64;
    }
    Ok(changed)
}

/// Rolls back a transaction left open (by a task cancelled or a panic mid-statement), so
/// that the connection's next user starts clean.
fn end_open_transaction(conn: &Connection) -> Result<()> {
    if !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK")
            .op("roll back an interrupted transaction")?;
    }
    Ok(())
}

impl Sqlite {
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
        Sqlite {
            conn: Arc::new(tokio::sync::Mutex::new(conn)),
            location,
            path,
            memory_locks: Arc::default(),
        }
    }

    /// The connection, once no other transaction holds it.
    async fn connection(&self) -> OwnedMutexGuard<Connection> {
        Arc::clone(&self.conn).lock_owned().await
    }
}

/// Runs blocking SQLite work off the async threads.
async fn spawn<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::backend(BACKEND, "run a database task", e))?
}

/// A transaction: the connection, held from `BEGIN` until it commits or rolls back.
struct SqliteTx {
    /// None only while a statement runs on the blocking pool (or after one was lost there).
    conn: Option<OwnedMutexGuard<Connection>>,
}

impl SqliteTx {
    /// Runs `f` on the connection in the blocking pool.
    async fn run<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = self.conn.take().ok_or_else(|| {
            Error::backend(
                BACKEND,
                "continue a transaction",
                "an earlier statement of it did not finish",
            )
        })?;
        let (conn, result) = spawn(move || {
            let result = f(&conn);
            Ok((conn, result))
        })
        .await?;
        self.conn = Some(conn);
        result
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        // Dropped without COMMIT (an error, a cancelled task): roll back now rather than
        // keep the database's write lock until the connection's next use.
        if let Some(conn) = &self.conn {
            let _ = end_open_transaction(conn);
        }
    }
}

#[async_trait::async_trait]
impl Tx for SqliteTx {
    async fn execute(&mut self, op: &'static str, sql: &str, params: Vec<Param>) -> Result<u64> {
        let sql = q(sql);
        self.run(move |conn| {
            let mut st = conn.prepare_cached(&sql).op(op)?;
            Ok(st.execute(rusqlite::params_from_iter(&params)).op(op)? as u64)
        })
        .await
    }

    async fn query(&mut self, op: &'static str, sql: &str, params: Vec<Param>) -> Result<Vec<Row>> {
        let sql = sql.to_owned();
        self.run(move |conn| query(conn, op, &sql, &params)).await
    }

    async fn execute_each(
        &mut self,
        op: &'static str,
        sql: &str,
        rows: Vec<Vec<Param>>,
    ) -> Result<u64> {
        let sql = sql.to_owned();
        self.run(move |conn| execute_each(conn, op, &sql, &rows))
            .await
    }

    async fn lock(&mut self, _lock: Lock<'_>) -> Result<()> {
        // The IMMEDIATE transaction already holds the database's write lock.
        Ok(())
    }

    async fn insert_objects(&mut self, scan: ScanId, objects: &[ObjectRecord]) -> Result<()> {
        // Serialized here, and moved to the blocking pool with the keys.
        let batch: Vec<(String, String, Option<String>, String)> = objects
            .iter()
            .map(|o| {
                (
                    o.kind.clone(),
                    o.id.clone(),
                    o.project_id.clone(),
                    o.data.to_string(),
                )
            })
            .collect();
        self.run(move |conn| {
            let mut st = conn
                .prepare_cached(&q(sql::INSERT_OBJECT))
                .op("prepare the object insert")?;
            for (kind, id, project_id, data) in batch {
                match st.execute(rusqlite::params![scan, kind, id, project_id, data]) {
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

    async fn write_findings(&mut self, writes: FindingWrites) -> Result<()> {
        self.run(move |conn| {
            let op = "write findings";
            execute_each(conn, op, sql::UPSERT_FINDING, &writes.new)?;
            execute_each(conn, op, sql::UPSERT_FINDING, &writes.known)?;
            let op = "change findings' states";
            execute_each(conn, op, sql::SET_FINDING_STATE, &writes.changes)?;
            let op = "append finding events";
            execute_each(conn, op, sql::INSERT_FINDING_EVENT, &writes.events)?;
            Ok(())
        })
        .await
    }

    async fn end(mut self: Box<Self>, end: End) -> Result<()> {
        self.run(move |conn| conn.execute_batch(end.sql()).op(end.op()))
            .await
    }
}

#[async_trait::async_trait]
impl Backend for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn begin(&self, mode: Mode) -> Result<Box<dyn Tx>> {
        let begin = match mode {
            Mode::Write | Mode::Batch => "BEGIN IMMEDIATE",
            Mode::Read => "BEGIN DEFERRED",
        };
        let mut tx = SqliteTx {
            conn: Some(self.connection().await),
        };
        tx.run(move |conn| {
            end_open_transaction(conn)?;
            conn.execute_batch(begin).op("begin a transaction")
        })
        .await?;
        Ok(Box::new(tx))
    }

    async fn query(&self, op: &'static str, sql: &str, params: Vec<Param>) -> Result<Vec<Row>> {
        let conn = self.connection().await;
        let sql = sql.to_owned();
        spawn(move || {
            end_open_transaction(&conn)?;
            query(&conn, op, &sql, &params)
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
                rusqlite::params![migration.version, migrate::now()],
            )
            .op("record the schema version")?;
        }
        tx.commit().op("commit the migration")?;
    }
    conn.pragma_update(None, "foreign_keys", "ON")
        .op("enable foreign keys")?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_transaction_dropped_unfinished_rolls_back_and_frees_the_connection() {
        let db = Sqlite::open_memory().await.unwrap();
        let mut tx = db.begin(Mode::Write).await.unwrap();
        tx.execute("register", sql::ENSURE_ORG, params!["org-dropped"])
            .await
            .unwrap();
        drop(tx);
        assert!(
            db.query("read", sql::ORGS, params![])
                .await
                .unwrap()
                .is_empty()
        );

        let mut tx = db.begin(Mode::Write).await.unwrap();
        tx.execute("register", sql::ENSURE_ORG, params!["org-kept"])
            .await
            .unwrap();
        tx.end(End::Commit).await.unwrap();
        let orgs = db.query("read", sql::ORGS, params![]).await.unwrap();
        assert_eq!(orgs, [Row(vec![Cell::Text("org-kept".into()), Cell::Null])]);
    }

    #[tokio::test]
    async fn parameters_read_back_as_the_cells_they_were() {
        let db = Sqlite::open_memory().await.unwrap();
        let params = params![
            7,
            2.5,
            true,
            "text",
            Param::Json(r#"{"a":1}"#.into()),
            Param::Sealed(vec![0, 1, 2]),
            None::<i64>
        ];
        let rows = db
            .query("echo", "SELECT $1, $2, $3, $4, $5, $6, $7", params)
            .await
            .unwrap();
        assert_eq!(
            rows,
            [Row(vec![
                Cell::Int(7),
                Cell::Real(2.5),
                Cell::Int(1),
                Cell::Text("text".into()),
                Cell::Text(r#"{"a":1}"#.into()),
                Cell::Bytes(vec![0, 1, 2]),
                Cell::Null,
            ])]
        );
    }
}
