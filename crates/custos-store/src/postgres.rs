//! The PostgreSQL backend: a small connection pool (deadpool), snapshots and findings written
//! with binary `COPY`, reads that need two queries in one repeatable-read transaction.
//!
//! The store lives in the first schema of the connection's search path, so one database can
//! hold several stores (the test suite gives each test its own schema).

use crate::db::{Backend, Cell, End, FindingWrites, Lock, Mode, Param, Row, Tx};
use crate::error::Op;
use crate::location::redact;
use crate::lock::{self, Guard, ScanLock};
use crate::migrate::{self, CREATE_VERSION_TABLE, CURRENT_VERSION, RECORD_VERSION};
use crate::postgres_tls;
use crate::sql;
use crate::{Access, Error, ObjectRecord, Result, ScanId};
use bytes::BufMut;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use futures::future::try_join_all;
use std::time::Duration;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type};

const BACKEND: &str = "PostgreSQL";

/// Connections per store: enough for a scan's writer and a dashboard's readers.
const POOL_SIZE: usize = 8;

/// Serializes migrations of concurrent workers (any 64-bit constant unique to custos).
const MIGRATION_LOCK: i64 = 0x6375_7374_6f73_0001;

const COPY_OBJECTS: &str =
    "COPY objects (scan_id, kind, id, project_id, data) FROM STDIN (FORMAT binary)";

/// Which (kind, id) of a batch the scan already holds, after a COPY hit the primary key.
const FIND_DUPLICATE: &str = "SELECT o.kind, o.id FROM objects o \
     JOIN unnest($2::text[], $3::text[]) AS b (kind, id) ON o.kind = b.kind AND o.id = b.id \
     WHERE o.scan_id = $1 ORDER BY o.kind, o.id LIMIT 1";

/// Holds a running scan's row (see [`Lock::Scan`]).
const LOCK_SCAN: &str = "SELECT 1 FROM scans WHERE id = $1 FOR SHARE";

/// Serializes the writers of one organization's findings (record, suppress, unsuppress), each
/// of which reads the findings' states and then writes what follows from them. `NO KEY`: the
/// key-share locks of other writers' foreign keys (scans, audit events...) do not wait.
const LOCK_FINDINGS: &str = "SELECT 1 FROM organizations WHERE org_id = $1 FOR NO KEY UPDATE";

/// Where `sql::COPY_STAGED_FINDINGS` stages observations; dropped when the transaction ends.
const CREATE_FINDING_BATCH: &str = "CREATE TEMP TABLE finding_batch (LIKE findings) ON COMMIT DROP";

/// The types of the finding columns, as `sql::COPY_NEW_FINDINGS` lists them.
const FINDING_TYPES: [Type; 19] = [
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::JSON,
    Type::TEXT,
    Type::INT8,
    Type::INT8,
    Type::INT8,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::INT8,
];

/// The types of `sql::COPY_FINDING_EVENTS`' columns.
const FINDING_EVENT_TYPES: [Type; 7] = [
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::TEXT,
    Type::INT8,
    Type::JSON,
];

/// The lifecycle columns of many findings in one statement, from the columns of
/// `sql::SET_FINDING_STATE`'s rows (SQLite runs that per finding instead).
const SET_FINDING_STATES: &str = "UPDATE findings f SET status = c.status, \
     resolved_at = c.resolved_at, suppression_reason = c.reason, suppression_author = c.author, \
     suppressed_at = c.suppressed_at, suppressed_until = c.until \
     FROM unnest($2::text[], $3::text[], $4::text[], $5::int8[], $6::text[], $7::text[], \
     $8::int8[], $9::int8[]) \
     AS c (policy_id, resource_id, status, resolved_at, reason, author, suppressed_at, until) \
     WHERE f.org_id = $1 AND f.policy_id = c.policy_id AND f.resource_id = c.resource_id";

/// Who holds an organization's scan lock (the advisory lock `$1` of this database).
const LOCK_HOLDER: &str = "SELECT a.application_name, a.pid FROM pg_locks l \
     JOIN pg_stat_activity a ON a.pid = l.pid \
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
     AND l.classid::int8 = ($1::int8 >> 32) & 4294967295 \
     AND l.objid::int8 = $1::int8 & 4294967295 \
     LIMIT 1";

/// A PostgreSQL database.
pub(crate) struct Postgres {
    pool: Pool,
    /// The URL without its password, for errors.
    url: String,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PostgresStore({})", self.url)
    }
}

impl<T> Op<T> for std::result::Result<T, tokio_postgres::Error> {
    fn op(self, op: &'static str) -> Result<T> {
        self.map_err(|e| Error::backend(BACKEND, op, e))
    }
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Param {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, BoxError> {
        match self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(v) => match *ty {
                Type::INT2 => i16::try_from(*v)?.to_sql_checked(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql_checked(ty, out),
                _ => v.to_sql_checked(ty, out),
            },
            Param::Real(v) => v.to_sql_checked(ty, out),
            Param::Bool(v) => v.to_sql_checked(ty, out),
            Param::Text(v) => v.to_sql_checked(ty, out),
            Param::Name(v) => v.to_sql_checked(ty, out),
            // The text exactly as given: `json` is its text on the wire, `jsonb` a version
            // byte and the text.
            Param::Json(v) => {
                match *ty {
                    Type::JSON => {}
                    Type::JSONB => out.put_u8(1),
                    _ => return v.to_sql_checked(ty, out),
                }
                out.put_slice(v.as_bytes());
                Ok(IsNull::No)
            }
            Param::Sealed(v) => v.to_sql_checked(ty, out),
        }
    }

    /// Every variant checks its type when written (`to_sql_checked`).
    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// Reads column `i` of a row of the backend's own queries (migrations, locks); a type the
/// migrations did not create is reported as a corrupt store instead of the driver's panic in
/// `Row::get`.
trait Column {
    fn col<'a, T: tokio_postgres::types::FromSql<'a>>(&'a self, i: usize) -> Result<T>;
}

impl Column for tokio_postgres::Row {
    fn col<'a, T: tokio_postgres::types::FromSql<'a>>(&'a self, i: usize) -> Result<T> {
        self.try_get(i)
            .map_err(|e| Error::corrupt("PostgreSQL column", format!("column {i}: {e}")))
    }
}

/// The parameters as the driver takes them.
fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// A PostgreSQL row as the store's neutral [`Row`]; a type the migrations did not create is
/// reported as a corrupt store.
fn row(r: &tokio_postgres::Row) -> Result<Row> {
    fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
        r: &'a tokio_postgres::Row,
        i: usize,
    ) -> Result<Option<T>> {
        r.col(i)
    }
    (0..r.len())
        .map(|i| {
            let ty = r.columns()[i].type_();
            let cell = match *ty {
                Type::INT8 => get::<i64>(r, i)?.map(Cell::Int),
                Type::INT4 => get::<i32>(r, i)?.map(|v| Cell::Int(v.into())),
                Type::INT2 => get::<i16>(r, i)?.map(|v| Cell::Int(v.into())),
                Type::FLOAT8 => get::<f64>(r, i)?.map(Cell::Real),
                Type::BOOL => get::<bool>(r, i)?.map(Cell::Bool),
                Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => {
                    get::<String>(r, i)?.map(Cell::Text)
                }
                Type::BYTEA => get::<Vec<u8>>(r, i)?.map(Cell::Bytes),
                _ => {
                    return Err(Error::corrupt(
                        "PostgreSQL column",
                        format!("column {i} has type {ty}, which the store does not read"),
                    ));
                }
            };
            Ok(cell.unwrap_or(Cell::Null))
        })
        .collect::<Result<_>>()
        .map(Row)
}

impl Postgres {
    /// Connects, checks the schema version and migrates (only checks, when reading only).
    pub(crate) async fn open(url: &str, access: Access) -> Result<Self> {
        let shown = redact(url);
        let invalid = |reason: String| Error::InvalidUrl {
            url: shown.clone(),
            reason,
        };
        let (mut config, connector) = postgres_tls::driver_config(url).map_err(invalid)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let manager = Manager::from_config(
            config,
            connector,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| Error::backend(BACKEND, "create the connection pool", e))?;
        let store = Postgres { pool, url: shown };
        store.migrate(access).await?;
        Ok(store)
    }

    async fn client(&self) -> Result<Object> {
        self.pool.get().await.map_err(|e| Error::Unreachable {
            url: self.url.clone(),
            reason: match e {
                // The driver's error and its causes ("error connecting to server: Connection
                // refused"), without the pool's wrapping.
                deadpool_postgres::PoolError::Backend(e) => chain(&e),
                other => chain(&other),
            },
        })
    }

    /// Applies pending migrations under an advisory lock; refuses a newer schema before
    /// writing anything. Reading only, refuses a schema that would need a migration.
    async fn migrate(&self, access: Access) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin the migration")?;
        if access == Access::ReadWrite {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await
                .op("lock the schema for migration")?;
        }
        let exists: bool = tx
            .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
            .await
            .op("look for schema_version")?
            .col(0)?;
        let current: i64 = if exists {
            tx.query_one(CURRENT_VERSION, &[])
                .await
                .op("read schema_version")?
                .col(0)?
        } else {
            0
        };
        let pending = migrate::pending(&self.url, current, migrate::POSTGRES)?;
        if pending.is_empty() {
            return Ok(());
        }
        if access == Access::ReadOnly {
            return Err(Error::OutdatedReadOnly {
                location: self.url.clone(),
                found: current,
                known: migrate::latest(migrate::POSTGRES),
            });
        }
        tx.batch_execute(CREATE_VERSION_TABLE)
            .await
            .op("create schema_version")?;
        for migration in pending {
            tx.batch_execute(migration.sql)
                .await
                .op("apply a migration")?;
            tx.execute(RECORD_VERSION, &[&migration.version, &migrate::now()])
                .await
                .op("record the schema version")?;
        }
        tx.commit().await.op("commit the migration")
    }
}

/// An error and its causes, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// A transaction on a connection of its own, from `BEGIN` until it commits or rolls back.
struct PgTx {
    /// None once the transaction ended.
    client: Option<Object>,
}

impl PgTx {
    fn client(&self) -> Result<&Object> {
        self.client
            .as_ref()
            .ok_or_else(|| Error::backend(BACKEND, "continue a transaction", "it already ended"))
    }

    /// Copies `rows` with `copy` (a `COPY ... FROM STDIN (FORMAT binary)` of columns `types`).
    async fn copy(
        &self,
        op: &'static str,
        copy: &str,
        types: &[Type],
        rows: &[Vec<Param>],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let sink = self.client()?.copy_in(copy).await.op(op)?;
        let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, types));
        for row in rows {
            writer.as_mut().write(&refs(row)).await.op(op)?;
        }
        writer.finish().await.op(op)?;
        Ok(())
    }

    /// The first `(kind, id)` of `objects` that scan `scan` already holds, as an error.
    async fn duplicate(
        &self,
        scan: ScanId,
        objects: &[ObjectRecord],
        cause: tokio_postgres::Error,
    ) -> Error {
        let kinds: Vec<&str> = objects.iter().map(|o| o.kind.as_str()).collect();
        let ids: Vec<&str> = objects.iter().map(|o| o.id.as_str()).collect();
        let found = match self.client() {
            Ok(client) => client
                .query_opt(FIND_DUPLICATE, &[&scan, &kinds, &ids])
                .await
                .ok()
                .flatten(),
            Err(_) => None,
        };
        match found.map(|r| (r.try_get::<_, String>(0), r.try_get::<_, String>(1))) {
            Some((Ok(kind), Ok(id))) => Error::DuplicateObject { scan, kind, id },
            _ => Error::backend(BACKEND, "write objects", cause),
        }
    }
}

impl Drop for PgTx {
    fn drop(&mut self) {
        // Dropped without COMMIT or ROLLBACK (a cancelled task): the connection is closed
        // rather than returned to the pool mid-transaction; the server rolls back.
        if let Some(client) = self.client.take() {
            drop(Object::take(client));
        }
    }
}

#[async_trait::async_trait]
impl Tx for PgTx {
    async fn execute(&mut self, op: &'static str, sql: &str, params: Vec<Param>) -> Result<u64> {
        let client = self.client()?;
        let statement = client.prepare_cached(sql).await.op(op)?;
        client.execute(&statement, &refs(&params)).await.op(op)
    }

    async fn query(&mut self, op: &'static str, sql: &str, params: Vec<Param>) -> Result<Vec<Row>> {
        let client = self.client()?;
        let statement = client.prepare_cached(sql).await.op(op)?;
        let rows = client.query(&statement, &refs(&params)).await.op(op)?;
        rows.iter().map(row).collect()
    }

    /// Pipelined: tokio-postgres sends the statements without waiting for each answer.
    async fn execute_each(
        &mut self,
        op: &'static str,
        sql: &str,
        rows: Vec<Vec<Param>>,
    ) -> Result<u64> {
        let client = self.client()?;
        let statement = &client.prepare_cached(sql).await.op(op)?;
        let changed = try_join_all(
            rows.iter()
                .map(|params| async move { client.execute(statement, &refs(params)).await }),
        )
        .await
        .op(op)?;
        Ok(changed.into_iter().sum())
    }

    async fn lock(&mut self, lock: Lock<'_>) -> Result<()> {
        let client = self.client()?;
        match lock {
            Lock::Scan(scan) => client
                .execute(LOCK_SCAN, &[&scan])
                .await
                .op("lock a running scan"),
            Lock::Findings(org_id) => client
                .execute(LOCK_FINDINGS, &[&org_id])
                .await
                .op("lock the organization's findings"),
            // Until the transaction ends; readers are not blocked.
            Lock::Journal => client
                .batch_execute("LOCK TABLE journal IN EXCLUSIVE MODE")
                .await
                .map(|()| 0)
                .op("lock the journal"),
        }?;
        Ok(())
    }

    async fn insert_objects(&mut self, scan: ScanId, objects: &[ObjectRecord]) -> Result<()> {
        let client = self.client()?;
        let copied = async {
            let sink = client.copy_in(COPY_OBJECTS).await?;
            let types = [Type::INT8, Type::TEXT, Type::TEXT, Type::TEXT, Type::JSON];
            let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
            for o in objects {
                writer
                    .as_mut()
                    .write(&[&scan, &o.kind, &o.id, &o.project_id, &o.data])
                    .await?;
            }
            writer.finish().await
        }
        .await;
        match copied {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                // The transaction is aborted: end it, then look for the culprit.
                client.batch_execute("ROLLBACK").await.op("roll back")?;
                let error = self.duplicate(scan, objects, e).await;
                self.client.take();
                Err(error)
            }
            Err(e) => Err(Error::backend(BACKEND, "write objects", e)),
        }
    }

    /// New findings copied straight into `findings` (none can conflict: the writer holds the
    /// organization's findings lock and has read them all), the others copied into
    /// `finding_batch` and upserted from there, the lifecycle changes in one `unnest` update,
    /// the events in one more copy.
    async fn write_findings(&mut self, writes: FindingWrites) -> Result<()> {
        let op = "write findings";
        self.copy(op, sql::COPY_NEW_FINDINGS, &FINDING_TYPES, &writes.new)
            .await?;
        if !writes.known.is_empty() {
            let client = self.client()?;
            client.batch_execute(CREATE_FINDING_BATCH).await.op(op)?;
            self.copy(op, sql::COPY_STAGED_FINDINGS, &FINDING_TYPES, &writes.known)
                .await?;
            self.client()?
                .execute(sql::UPSERT_STAGED_FINDINGS, &[])
                .await
                .op(op)?;
        }
        if !writes.changes.is_empty() {
            // One array per column of the rows, the organization (column 0) aside.
            let columns: Vec<Vec<Param>> = (1..writes.changes[0].len())
                .map(|i| writes.changes.iter().map(|row| row[i].clone()).collect())
                .collect();
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![&writes.org_id];
            params.extend(columns.iter().map(|c| c as &(dyn ToSql + Sync)));
            self.client()?
                .execute(SET_FINDING_STATES, &params)
                .await
                .op("change findings' states")?;
        }
        let op = "append finding events";
        self.copy(
            op,
            sql::COPY_FINDING_EVENTS,
            &FINDING_EVENT_TYPES,
            &writes.events,
        )
        .await
    }

    async fn end(mut self: Box<Self>, end: End) -> Result<()> {
        if end == End::Rollback && self.client.is_none() {
            // Already rolled back (a duplicate object ends its transaction to look for it).
            return Ok(());
        }
        self.client()?.batch_execute(end.sql()).await.op(end.op())?;
        // Ended: the connection goes back to the pool clean.
        self.client.take();
        Ok(())
    }
}

#[async_trait::async_trait]
impl Backend for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn begin(&self, mode: Mode) -> Result<Box<dyn Tx>> {
        let begin = match mode {
            Mode::Write => "BEGIN",
            Mode::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            // Until `finish_scan` commits (synchronously, flushing every earlier record of
            // the WAL with it) the batch is invisible, and a server crash before then leaves
            // a running scan that the next one abandons anyway.
            Mode::Batch => "BEGIN; SET LOCAL synchronous_commit = off",
        };
        let client = self.client().await?;
        client
            .batch_execute(begin)
            .await
            .op("begin a transaction")?;
        Ok(Box::new(PgTx {
            client: Some(client),
        }))
    }

    async fn query(&self, op: &'static str, sql: &str, params: Vec<Param>) -> Result<Vec<Row>> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.op(op)?;
        let rows = client.query(&statement, &refs(&params)).await.op(op)?;
        rows.iter().map(row).collect()
    }

    async fn lock_organization(&self, org_id: &str, holder: &str) -> Result<ScanLock> {
        // A connection of its own, out of the pool: the session lock lives as long as it.
        let client = Object::take(self.client().await?);
        let schema: String = client
            .query_one("SELECT current_schema()", &[])
            .await
            .op("read the current schema")?
            .col(0)?;
        let key = lock::advisory_key(&schema, org_id);
        let locked: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await
            .op("take the scan lock")?
            .col(0)?;
        if !locked {
            let holder = client
                .query_opt(LOCK_HOLDER, &[&key])
                .await
                .op("find who holds the scan lock")?
                .map(|r| -> Result<String> {
                    let (name, pid): (Option<String>, i32) = (r.col(0)?, r.col(1)?);
                    Ok(match name.filter(|n| !n.is_empty()) {
                        Some(name) => format!("{name} (PostgreSQL backend pid {pid})"),
                        None => format!("PostgreSQL backend pid {pid}"),
                    })
                })
                .transpose()?
                .unwrap_or_else(|| "another session".to_owned());
            return Err(Error::ScanInProgress {
                org_id: org_id.to_owned(),
                holder,
            });
        }
        client
            .execute(
                "SELECT set_config('application_name', $1, false)",
                &[&holder],
            )
            .await
            .op("name the scan lock's holder")?;
        Ok(ScanLock::new(
            org_id,
            Guard::Postgres {
                client: Some(client),
                key,
            },
        ))
    }
}
