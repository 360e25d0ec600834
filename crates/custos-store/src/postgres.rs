//! The PostgreSQL backend: a small connection pool (deadpool), snapshots written with binary
//! `COPY`, reads that need two queries in one repeatable-read transaction.
//!
//! The store lives in the first schema of the connection's search path, so one database can
//! hold several stores (the test suite gives each test its own schema).

use crate::Access;
use crate::actions::{self, JournalEntry, JournalNote};
use crate::error::Op;
use crate::lifecycle::{self, FindingKey, FindingState, NewEvent, ObservedFinding, StateChange};
use crate::location::redact;
use crate::lock::{self, Guard, ScanLock};
use crate::migrate::{self, CREATE_VERSION_TABLE, CURRENT_VERSION, RECORD_VERSION};
use crate::postgres_tls;
use crate::rows::{self, Columns, CostRow, EndpointRow, ScanRow};
use crate::sql;
use crate::{
    ActionId, ActionRecord, ActionStatus, ApprovalRecord, AuditEventRecord, CallRecord, CostRecord,
    EndpointRun, Error, FindingChanges, FindingEvent, FindingObservation, FindingRecord, NewAction,
    ObjectRecord, PrincipalRecord, Result, ScanFilter, ScanId, ScanRun, ScanStatus, SealedSecret,
    Store, Suppression, UsageRecord,
};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Transaction};
use futures::future::try_join_all;
use std::time::Duration;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, Json, ToSql, Type};
use tokio_postgres::{IsolationLevel, Row};

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

/// The lifecycle columns of many findings in one statement (SQLite runs `sql::SET_FINDING_STATE`
/// per finding instead).
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

/// A parameter whose value never reaches a log: tokio-postgres logs every statement's
/// parameters with their `Debug` at debug level (`-vv`, `CUSTOS_LOG=debug`), and sealed
/// credentials must not be copied into log files, whatever the level.
struct Unlogged<T>(T);

impl<T> std::fmt::Debug for Unlogged<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(sealed, not logged)")
    }
}

impl<T: ToSql> ToSql for Unlogged<T> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        self.0.to_sql(ty, out)
    }

    fn accepts(ty: &Type) -> bool {
        T::accepts(ty)
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A PostgreSQL store.
pub(crate) struct PostgresStore {
    pool: Pool,
    /// The URL without its password, for errors.
    url: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PostgresStore({})", self.url)
    }
}

impl<T> Op<T> for std::result::Result<T, tokio_postgres::Error> {
    fn op(self, op: &'static str) -> Result<T> {
        self.map_err(|e| Error::backend(BACKEND, op, e))
    }
}

/// Appends `note` to the journal inside `tx`, chained to the last entry. The table lock
/// serializes appenders until the transaction ends (readers are not blocked), so two entries
/// never claim the same predecessor.
async fn append_journal_tx(tx: &Transaction<'_>, note: &JournalNote) -> Result<JournalEntry> {
    tx.batch_execute("LOCK TABLE journal IN EXCLUSIVE MODE")
        .await
        .op("lock the journal")?;
    let head = tx
        .query_opt(actions::sql::JOURNAL_HEAD, &[])
        .await
        .op("read the journal's last entry")?
        .map(|r| -> Result<(i64, String)> { Ok((r.col(0)?, r.col(1)?)) })
        .transpose()?;
    let entry = JournalEntry::chain(head, note);
    tx.execute(
        actions::sql::INSERT_JOURNAL,
        &[
            &entry.seq,
            &entry.at,
            &entry.actor,
            &entry.action_id,
            &entry.kind,
            &entry.detail,
            &entry.prev_hash,
            &entry.hash,
        ],
    )
    .await
    .op("append to the journal")?;
    Ok(entry)
}

/// Moves an action from one of `from` to `to`; whether a row changed.
async fn set_action_status(
    tx: &Transaction<'_>,
    id: ActionId,
    from: &[ActionStatus],
    to: ActionStatus,
    at: i64,
) -> Result<bool> {
    for status in from {
        let changed = tx
            .execute(
                actions::sql::SET_ACTION_STATUS,
                &[&id, &to.as_str(), &at, &status.as_str()],
            )
            .await
            .op("change an action's status")?;
        if changed > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

impl PostgresStore {
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
        let store = PostgresStore { pool, url: shown };
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

    /// Runs a query and maps its rows.
    async fn query<T>(
        &self,
        op: &'static str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        map: impl Fn(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.op(op)?;
        let rows = client.query(&statement, params).await.op(op)?;
        rows.iter().map(map).collect()
    }

    /// Runs one statement in its own transaction and returns the rows it changed.
    async fn execute(
        &self,
        op: &'static str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.op(op)?;
        client.execute(&statement, params).await.op(op)
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
        let found = self
            .query(
                "find a duplicate object",
                FIND_DUPLICATE,
                &[&scan, &kinds, &ids],
                |r| Ok((r.get::<_, String>(0), r.get::<_, String>(1))),
            )
            .await;
        match found.map(|mut rows| rows.pop()) {
            Ok(Some((kind, id))) => Error::DuplicateObject { scan, kind, id },
            _ => Error::backend(BACKEND, "write objects", cause),
        }
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

/// A read-only repeatable-read transaction: several queries see one state of the store.
async fn snapshot(client: &mut Object) -> Result<Transaction<'_>> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .op("begin a read")
}

/// The status of a scan, or [`Error::ScanNotFound`]. With `lock`, holds a share lock on the
/// scan's row until the transaction ends, so that a concurrent `begin_scan` waits for this
/// batch before abandoning the scan and deleting its objects.
async fn scan_status(tx: &Transaction<'_>, scan: ScanId, lock: bool) -> Result<ScanStatus> {
    let sql = if lock {
        format!("{} FOR SHARE", sql::SCAN_STATUS)
    } else {
        sql::SCAN_STATUS.to_owned()
    };
    let row = tx
        .query_opt(&sql, &[&scan])
        .await
        .op("read a scan's status")?;
    row.ok_or(Error::ScanNotFound(scan))?
        .get::<_, String>(0)
        .parse()
}

/// Fails unless the scan is running; locks its row (see [`scan_status`]).
async fn ensure_running(tx: &Transaction<'_>, scan: ScanId) -> Result<()> {
    match scan_status(tx, scan, true).await? {
        ScanStatus::Running => Ok(()),
        status => Err(Error::ScanNotRunning { id: scan, status }),
    }
}

async fn ensure_org(tx: &Transaction<'_>, org_id: &str) -> Result<()> {
    let statement = tx
        .prepare_cached(sql::ENSURE_ORG)
        .await
        .op("register the organization")?;
    tx.execute(&statement, &[&org_id])
        .await
        .op("register the organization")?;
    Ok(())
}

/// Writes rows with one statement, pipelined (tokio-postgres sends them without waiting for
/// each answer); returns the rows changed.
async fn execute_all<'p, I>(
    tx: &Transaction<'_>,
    op: &'static str,
    sql: &str,
    rows: I,
) -> Result<u64>
where
    I: IntoIterator<Item = Vec<&'p (dyn ToSql + Sync)>>,
{
    let statement = tx.prepare_cached(sql).await.op(op)?;
    let statement = &statement;
    let changed = try_join_all(
        rows.into_iter()
            .map(|params| async move { tx.execute(statement, &params).await }),
    )
    .await
    .op(op)?;
    Ok(changed.into_iter().sum())
}

/// Reads column `i` of a row; a type the migrations did not create is reported as a
/// corrupt store instead of the driver's panic in `Row::get`.
trait Column {
    fn col<'a, T: FromSql<'a>>(&'a self, i: usize) -> Result<T>;
}

impl Column for Row {
    fn col<'a, T: FromSql<'a>>(&'a self, i: usize) -> Result<T> {
        self.try_get(i)
            .map_err(|e| Error::corrupt("PostgreSQL column", format!("column {i}: {e}")))
    }
}

/// Reads the `CAST(data AS TEXT)` column `i`.
fn text(row: &Row, i: usize) -> Result<String> {
    row.col(i)
}

impl Columns for Row {
    fn text(&self, i: usize) -> Result<String> {
        self.col(i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        self.col(i)
    }
    fn int(&self, i: usize) -> Result<i64> {
        self.col(i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        self.col(i)
    }
}

/// Decodes every row of a query with one of the shared decoders.
async fn read_all<T>(
    tx: &Transaction<'_>,
    op: &'static str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    decode: impl Fn(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    let statement = tx.prepare_cached(sql).await.op(op)?;
    tx.query(&statement, params)
        .await
        .op(op)?
        .iter()
        .map(decode)
        .collect()
}

async fn lock_findings(tx: &Transaction<'_>, org_id: &str) -> Result<()> {
    tx.execute(LOCK_FINDINGS, &[&org_id])
        .await
        .op("lock the organization's findings")?;
    Ok(())
}

/// Writes the observations: new findings copied straight into `findings`, the others copied
/// into `finding_batch` and upserted from there in one statement.
async fn upsert_findings(
    tx: &Transaction<'_>,
    org_id: &str,
    scan: ScanId,
    at: i64,
    observed: &[ObservedFinding<'_>],
) -> Result<()> {
    let (new, known): (Vec<_>, Vec<_>) = observed.iter().partition(|row| row.new);
    copy_findings(tx, sql::COPY_NEW_FINDINGS, org_id, scan, at, &new).await?;
    if !known.is_empty() {
        let op = "write findings";
        tx.batch_execute(CREATE_FINDING_BATCH).await.op(op)?;
        copy_findings(tx, sql::COPY_STAGED_FINDINGS, org_id, scan, at, &known).await?;
        tx.execute(sql::UPSERT_STAGED_FINDINGS, &[]).await.op(op)?;
    }
    Ok(())
}

/// Copies observations with `copy` (a `COPY ... (finding columns) FROM STDIN`).
async fn copy_findings(
    tx: &Transaction<'_>,
    copy: &str,
    org_id: &str,
    scan: ScanId,
    at: i64,
    rows: &[&ObservedFinding<'_>],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let op = "write findings";
    let sink = tx.copy_in(copy).await.op(op)?;
    let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &FINDING_TYPES));
    let no_time: Option<i64> = None;
    for row in rows {
        let o = row.observation;
        let (reason, author, suppressed_at, until) =
            rows::suppression_columns(row.suppression.as_ref());
        writer
            .as_mut()
            .write(&[
                &org_id,
                &o.policy_id,
                &o.resource_id,
                &o.resource_kind,
                &o.project_id,
                &o.severity,
                &o.result,
                &o.title,
                &o.message,
                &Json(&o.evidence),
                &row.status.as_str(),
                &at,
                &at,
                &no_time,
                &scan,
                &reason,
                &author,
                &suppressed_at,
                &until,
            ])
            .await
            .op(op)?;
    }
    writer.finish().await.op(op)?;
    Ok(())
}

async fn set_finding_states(
    tx: &Transaction<'_>,
    org_id: &str,
    changes: &[StateChange],
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let policy_ids: Vec<&str> = changes.iter().map(|c| c.policy_id.as_str()).collect();
    let resource_ids: Vec<&str> = changes.iter().map(|c| c.resource_id.as_str()).collect();
    let statuses: Vec<&str> = changes.iter().map(|c| c.status.as_str()).collect();
    let resolved_at: Vec<Option<i64>> = changes.iter().map(|c| c.resolved_at).collect();
    let suppressions: Vec<_> = changes
        .iter()
        .map(|c| rows::suppression_columns(c.suppression.as_ref()))
        .collect();
    let reasons: Vec<Option<&str>> = suppressions.iter().map(|s| s.0).collect();
    let authors: Vec<Option<&str>> = suppressions.iter().map(|s| s.1).collect();
    let suppressed_at: Vec<Option<i64>> = suppressions.iter().map(|s| s.2).collect();
    let until: Vec<Option<i64>> = suppressions.iter().map(|s| s.3).collect();
    tx.execute(
        SET_FINDING_STATES,
        &[
            &org_id,
            &policy_ids,
            &resource_ids,
            &statuses,
            &resolved_at,
            &reasons,
            &authors,
            &suppressed_at,
            &until,
        ],
    )
    .await
    .op("change findings' states")?;
    Ok(())
}

async fn append_finding_events(
    tx: &Transaction<'_>,
    org_id: &str,
    events: &[NewEvent],
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let op = "append finding events";
    let sink = tx.copy_in(sql::COPY_FINDING_EVENTS).await.op(op)?;
    let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &FINDING_EVENT_TYPES));
    for e in events {
        writer
            .as_mut()
            .write(&[
                &org_id,
                &e.policy_id,
                &e.resource_id,
                &e.at,
                &e.event.as_str(),
                &e.scan_id,
                &e.detail,
            ])
            .await
            .op(op)?;
    }
    writer.finish().await.op(op)?;
    Ok(())
}

impl PostgresStore {
    /// Changes one finding by hand (suppress, unsuppress) as `plan` decides from its state.
    async fn change_finding(
        &self,
        key: FindingKey,
        plan: impl FnOnce(&FindingKey, Option<FindingState>) -> Result<(StateChange, NewEvent)> + Send,
    ) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        lock_findings(&tx, &key.org_id).await?;
        let finding = read_all(
            &tx,
            "read a finding",
            sql::FINDING_STATE,
            &[&key.org_id, &key.policy_id, &key.resource_id],
            rows::finding_state,
        )
        .await?
        .pop();
        let (change, event) = plan(&key, finding)?;
        set_finding_states(&tx, &key.org_id, &[change]).await?;
        append_finding_events(&tx, &key.org_id, &[event]).await?;
        tx.commit().await.op("commit")
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn upsert_organization(&self, org_id: &str, name: Option<&str>) -> Result<()> {
        self.execute("save the organization", sql::UPSERT_ORG, &[&org_id, &name])
            .await?;
        Ok(())
    }

    async fn organizations(&self) -> Result<Vec<(String, Option<String>)>> {
        self.query("read organizations", sql::ORGS, &[], |r| {
            Ok((r.col(0)?, r.col(1)?))
        })
        .await
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

    async fn close_running_scans(
        &self,
        lock: &ScanLock,
        at: i64,
        status: ScanStatus,
        reason: &str,
    ) -> Result<Vec<ScanId>> {
        rows::check_closing(status, reason)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        let closed = tx
            .query(
                sql::CLOSE_RUNNING,
                &[&lock.org_id(), &status.as_str(), &at, &reason],
            )
            .await
            .op("close running scans")?
            .iter()
            .map(|r| r.col(0))
            .collect::<Result<Vec<ScanId>>>()?;
        for id in &closed {
            tx.execute(sql::DELETE_SCAN_OBJECTS, &[id])
                .await
                .op("delete a closed scan's objects")?;
        }
        tx.commit().await.op("commit")?;
        Ok(closed)
    }

    async fn begin_scan(&self, org_id: &str, started_at: i64) -> Result<ScanId> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        ensure_org(&tx, org_id).await?;
        let abandoned = tx
            .query(sql::ABANDON_RUNNING, &[&org_id])
            .await
            .op("abandon unfinished scans")?;
        for row in abandoned {
            let id: ScanId = row.col(0)?;
            tx.execute(sql::DELETE_SCAN_OBJECTS, &[&id])
                .await
                .op("delete an abandoned scan's objects")?;
        }
        let id = tx
            .query_one(sql::INSERT_SCAN, &[&org_id, &started_at])
            .await
            .op("start a scan")?
            .col(0)?;
        tx.commit().await.op("commit")?;
        Ok(id)
    }

    async fn put_objects(&self, scan: ScanId, objects: &[ObjectRecord]) -> Result<()> {
        rows::check_unique(scan, objects)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        // A batch need not wait for its WAL flush: until `finish_scan` commits (synchronously,
        // flushing every earlier record of the WAL with it) the batch is invisible, and a
        // server crash before then leaves a running scan that the next one abandons anyway.
        tx.batch_execute("SET LOCAL synchronous_commit = off")
            .await
            .op("relax the batch's commit")?;
        ensure_running(&tx, scan).await?;
        let copied = async {
            let sink = tx.copy_in(COPY_OBJECTS).await?;
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
            Ok(_) => tx.commit().await.op("commit objects"),
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                drop(tx);
                Err(self.duplicate(scan, objects, e).await)
            }
            Err(e) => Err(Error::backend(BACKEND, "write objects", e)),
        }
    }

    async fn record_endpoint(&self, scan: ScanId, run: &EndpointRun) -> Result<()> {
        let requests = rows::to_i64("request count", run.requests)?;
        let items = rows::to_i64("item count", run.items)?;
        let kinds = rows::kinds_json(run);
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        ensure_running(&tx, scan).await?;
        tx.execute(
            sql::INSERT_ENDPOINT,
            &[
                &scan,
                &run.endpoint,
                &run.scope,
                &kinds,
                &run.ok,
                &run.error,
                &requests,
                &items,
                &run.status.map(i64::from),
            ],
        )
        .await
        .op("record an endpoint")?;
        tx.commit().await.op("commit")
    }

    async fn finish_scan(&self, scan: ScanId, finished_at: i64, status: ScanStatus) -> Result<()> {
        rows::check_final(status)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        let changed = tx
            .execute(sql::FINISH_SCAN, &[&finished_at, &status.as_str(), &scan])
            .await
            .op("finish a scan")?;
        if changed == 0 {
            ensure_running(&tx, scan).await?;
        }
        if status == ScanStatus::Abandoned {
            tx.execute(sql::DELETE_SCAN_OBJECTS, &[&scan])
                .await
                .op("delete an abandoned scan's objects")?;
        }
        tx.commit().await.op("commit")
    }

    async fn find_scans(&self, filter: ScanFilter<'_>) -> Result<Vec<ScanRun>> {
        let id;
        let params: Vec<&(dyn ToSql + Sync)> = match &filter {
            ScanFilter::All => vec![],
            ScanFilter::Org(org) | ScanFilter::Latest(org) => vec![org],
            ScanFilter::Id(scan) => {
                id = *scan;
                vec![&id]
            }
        };
        let mut client = self.client().await?;
        let tx = snapshot(&mut client).await?;
        let scans = tx
            .query(&filter.scans_sql(), &params)
            .await
            .op("read scans")?;
        let endpoints = tx
            .query(&filter.endpoints_sql(), &params)
            .await
            .op("read scan endpoints")?;
        tx.commit().await.op("end a read")?;
        let scans = scans
            .iter()
            .map(|r| {
                Ok(ScanRow {
                    id: r.col(0)?,
                    org_id: r.col(1)?,
                    started_at: r.col(2)?,
                    finished_at: r.col(3)?,
                    status: r.col(4)?,
                    error: r.col(5)?,
                })
            })
            .collect::<Result<_>>()?;
        let endpoints = endpoints
            .iter()
            .map(|r| {
                Ok(EndpointRow {
                    scan_id: r.col(0)?,
                    endpoint: r.col(1)?,
                    scope: r.col(2)?,
                    kinds: r.col(3)?,
                    ok: r.col(4)?,
                    error: r.col(5)?,
                    requests: r.col(6)?,
                    items: r.col(7)?,
                    status: r.col(8)?,
                })
            })
            .collect::<Result<_>>()?;
        rows::scan_runs(scans, endpoints)
    }

    async fn objects(&self, scan: ScanId, kind: Option<&str>) -> Result<Vec<ObjectRecord>> {
        let mut client = self.client().await?;
        let tx = snapshot(&mut client).await?;
        let rows = match kind {
            None => tx.query(sql::OBJECTS, &[&scan]).await,
            Some(kind) => tx.query(sql::OBJECTS_OF_KIND, &[&scan, &kind]).await,
        }
        .op("read objects")?;
        let status = scan_status(&tx, scan, false).await?;
        tx.commit().await.op("end a read")?;
        if !status.is_visible() {
            return Err(Error::ScanNotVisible { id: scan, status });
        }
        rows.iter()
            .map(|r| rows::object(r.col(0)?, r.col(1)?, r.col(2)?, &text(r, 3)?))
            .collect()
    }

    async fn append_audit_events(&self, org_id: &str, events: &[AuditEventRecord]) -> Result<u64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        ensure_org(&tx, org_id).await?;
        let rows = events.iter().map(|e| -> Vec<&(dyn ToSql + Sync)> {
            vec![&org_id, &e.id, &e.effective_at, &e.kind, &e.data]
        });
        let inserted = execute_all(&tx, "append audit events", sql::INSERT_AUDIT, rows).await?;
        tx.commit().await.op("commit")?;
        Ok(inserted)
    }

    async fn audit_events(
        &self,
        org_id: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<AuditEventRecord>> {
        let (from, to) = (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
        self.query(
            "read audit events",
            sql::AUDIT,
            &[&org_id, &from, &to],
            |r| rows::audit_event(r.col(0)?, r.col(1)?, r.col(2)?, &text(r, 3)?),
        )
        .await
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
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        lock_findings(&tx, org_id).await?;
        let owner = tx
            .query_opt(sql::SCAN_OWNER, &[&scan])
            .await
            .op("read a scan's organization")?
            .map(|r| Ok::<_, Error>((r.col(0)?, r.col::<String>(1)?.parse()?)))
            .transpose()?;
        let latest = tx
            .query_one(sql::LAST_FINDINGS_SCAN, &[&org_id])
            .await
            .op("read the latest findings' scan")?
            .col(0)?;
        lifecycle::check_scan(org_id, scan, owner, latest, complete)?;
        let existing = read_all(&tx, "read findings", sql::FINDING_STATES, &[&org_id], |r| {
            rows::finding_state(r)
        })
        .await?;
        let plan = lifecycle::plan_scan(&existing, observed, scan, at, complete);
        upsert_findings(&tx, org_id, scan, at, &plan.observed).await?;
        set_finding_states(&tx, org_id, &plan.unobserved).await?;
        append_finding_events(&tx, org_id, &plan.events).await?;
        tx.commit().await.op("commit")?;
        Ok(plan.changes)
    }

    async fn findings(&self, org_id: Option<&str>) -> Result<Vec<FindingRecord>> {
        let read = rows::finding;
        match org_id {
            None => self.query("read findings", sql::FINDINGS, &[], read).await,
            Some(org) => {
                self.query("read findings", sql::FINDINGS_OF_ORG, &[&org], read)
                    .await
            }
        }
    }

    async fn suppress_finding(
        &self,
        org_id: &str,
        policy_id: &str,
        resource_id: &str,
        suppression: &Suppression,
    ) -> Result<()> {
        let key = FindingKey::new(org_id, policy_id, resource_id);
        self.change_finding(key, |key, finding| {
            lifecycle::plan_suppress(key, finding, suppression)
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
        let key = FindingKey::new(org_id, policy_id, resource_id);
        self.change_finding(key, |key, finding| {
            lifecycle::plan_unsuppress(key, finding, at, author)
        })
        .await
    }

    async fn finding_events(
        &self,
        org_id: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<FindingEvent>> {
        let (from, to) = (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
        self.query(
            "read finding events",
            sql::FINDING_EVENTS,
            &[&org_id, &from, &to],
            rows::finding_event,
        )
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
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        ensure_org(&tx, org_id).await?;
        tx.execute(sql::DELETE_USAGE, &[&org_id, &kind, &window.0, &window.1])
            .await
            .op("delete replaced usage")?;
        let params = rows.iter().map(|r| -> Vec<&(dyn ToSql + Sync)> {
            vec![
                &org_id,
                &kind,
                &r.bucket_start,
                &r.bucket_end,
                &r.group_key,
                &r.data,
            ]
        });
        execute_all(&tx, "write usage", sql::INSERT_USAGE, params).await?;
        tx.commit().await.op("commit")
    }

    async fn usage(
        &self,
        org_id: &str,
        kind: Option<&str>,
        from: i64,
        to: i64,
    ) -> Result<Vec<UsageRecord>> {
        let read = |r: &Row| rows::usage(r.col(0)?, r.col(1)?, r.col(2)?, r.col(3)?, &text(r, 4)?);
        match kind {
            None => {
                self.query("read usage", sql::USAGE, &[&org_id, &from, &to], read)
                    .await
            }
            Some(kind) => {
                self.query(
                    "read usage",
                    sql::USAGE_OF_KIND,
                    &[&org_id, &from, &to, &kind],
                    read,
                )
                .await
            }
        }
    }

    async fn replace_costs(
        &self,
        org_id: &str,
        window: (i64, i64),
        rows: &[CostRecord],
    ) -> Result<()> {
        rows::check_window("cost", window, rows.iter().map(|r| r.bucket_start))?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        ensure_org(&tx, org_id).await?;
        tx.execute(sql::DELETE_COSTS, &[&org_id, &window.0, &window.1])
            .await
            .op("delete replaced costs")?;
        let params = rows.iter().map(|r| -> Vec<&(dyn ToSql + Sync)> {
            vec![
                &org_id,
                &r.bucket_start,
                &r.bucket_end,
                &r.project_id,
                &r.line_item,
                &r.amount,
                &r.currency,
                &r.data,
            ]
        });
        execute_all(&tx, "write costs", sql::INSERT_COST, params).await?;
        tx.commit().await.op("commit")
    }

    async fn costs(&self, org_id: &str, from: i64, to: i64) -> Result<Vec<CostRecord>> {
        self.query("read costs", sql::COSTS, &[&org_id, &from, &to], |r| {
            rows::cost(CostRow {
                bucket_start: r.col(0)?,
                bucket_end: r.col(1)?,
                project_id: r.col(2)?,
                line_item: r.col(3)?,
                amount: r.col(4)?,
                currency: r.col(5)?,
                data: r.col(6)?,
            })
        })
        .await
    }

    async fn sync_mark(&self, org_id: &str, stream: &str) -> Result<Option<i64>> {
        let marks = self
            .query(
                "read a sync mark",
                sql::SYNC_MARK,
                &[&org_id, &stream],
                |r| r.col(0),
            )
            .await?;
        Ok(marks.into_iter().next())
    }

    async fn set_sync_mark(&self, org_id: &str, stream: &str, value: i64) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        ensure_org(&tx, org_id).await?;
        tx.execute(sql::SET_SYNC_MARK, &[&org_id, &stream, &value])
            .await
            .op("save a sync mark")?;
        tx.commit().await.op("commit")
    }

    async fn put_secret(&self, name: &str, sealed: &SealedSecret) -> Result<()> {
        let (nonce, ciphertext) = (Unlogged(&sealed.nonce), Unlogged(&sealed.ciphertext));
        let params: [&(dyn ToSql + Sync); 4] = [&name, &sealed.key_id, &nonce, &ciphertext];
        self.execute("store a credential", sql::PUT_SECRET, &params)
            .await?;
        Ok(())
    }

    async fn put_secrets(&self, secrets: &[(String, SealedSecret)]) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        let statement = tx
            .prepare_cached(sql::PUT_SECRET)
            .await
            .op("store credentials")?;
        for (name, sealed) in secrets {
            let (nonce, ciphertext) = (Unlogged(&sealed.nonce), Unlogged(&sealed.ciphertext));
            tx.execute(&statement, &[name, &sealed.key_id, &nonce, &ciphertext])
                .await
                .op("store credentials")?;
        }
        tx.commit().await.op("commit")
    }

    async fn secret(&self, name: &str) -> Result<Option<SealedSecret>> {
        let found = self
            .query("read a credential", sql::SECRET, &[&name], |r| {
                Ok(SealedSecret {
                    key_id: r.col(0)?,
                    nonce: r.col(1)?,
                    ciphertext: r.col(2)?,
                })
            })
            .await?;
        Ok(found.into_iter().next())
    }

    async fn delete_secret(&self, name: &str) -> Result<bool> {
        Ok(self
            .execute("delete a credential", sql::DELETE_SECRET, &[&name])
            .await?
            > 0)
    }

    async fn secrets(&self) -> Result<Vec<(String, SealedSecret)>> {
        self.query("read credentials", sql::SECRETS, &[], |r| {
            Ok((
                r.col(0)?,
                SealedSecret {
                    key_id: r.col(1)?,
                    nonce: r.col(2)?,
                    ciphertext: r.col(3)?,
                },
            ))
        })
        .await
    }

    async fn add_principal(&self, principal: &PrincipalRecord, note: &JournalNote) -> Result<()> {
        actions::check_principal(principal)?;
        let p = principal;
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        let inserted = tx
            .execute(
                actions::sql::INSERT_PRINCIPAL,
                &[
                    &p.name,
                    &p.role.as_str(),
                    &p.email_sha256,
                    &p.manager,
                    &p.token_hash,
                    &p.disabled,
                    &p.created_at,
                ],
            )
            .await
            .op("add a principal")?;
        if inserted == 0 {
            return Err(Error::InvalidInput(format!(
                "a principal named {:?} already exists",
                p.name
            )));
        }
        append_journal_tx(&tx, note).await?;
        tx.commit().await.op("commit")
    }

    async fn principals(&self) -> Result<Vec<PrincipalRecord>> {
        self.query("read principals", actions::sql::PRINCIPALS, &[], |r| {
            actions::decode::principal(r, r.col(5)?)
        })
        .await
    }

    async fn set_principal_disabled(
        &self,
        name: &str,
        disabled: bool,
        note: &JournalNote,
    ) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        let changed = tx
            .execute(actions::sql::SET_PRINCIPAL_DISABLED, &[&name, &disabled])
            .await
            .op("disable a principal")?;
        if changed > 0 {
            append_journal_tx(&tx, note).await?;
        }
        tx.commit().await.op("commit")?;
        Ok(changed > 0)
    }

    async fn set_principal_token(
        &self,
        name: &str,
        token_hash: &str,
        note: &JournalNote,
    ) -> Result<bool> {
        actions::check_token_hash(name, token_hash)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        let changed = tx
            .execute(actions::sql::SET_PRINCIPAL_TOKEN, &[&name, &token_hash])
            .await
            .op("re-key a principal")?;
        if changed > 0 {
            append_journal_tx(&tx, note).await?;
        }
        tx.commit().await.op("commit")?;
        Ok(changed > 0)
    }

    async fn create_action(&self, action: &NewAction, note: &JournalNote) -> Result<ActionId> {
        let a = action;
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        let id: ActionId = tx
            .query_one(
                actions::sql::INSERT_ACTION,
                &[
                    &a.org_id,
                    &a.template,
                    &a.requested_by,
                    &a.reason,
                    &a.created_at,
                    &a.expires_at,
                    &a.plan_hash,
                    &a.plan,
                ],
            )
            .await
            .op("create an action")?
            .col(0)?;
        append_journal_tx(&tx, &note.clone().about(id)).await?;
        tx.commit().await.op("commit")?;
        Ok(id)
    }

    async fn actions(&self, org_id: Option<&str>) -> Result<Vec<ActionRecord>> {
        match org_id {
            Some(org) => {
                self.query("read actions", actions::sql::ACTIONS_OF_ORG, &[&org], |r| {
                    actions::decode::action(r)
                })
                .await
            }
            None => {
                self.query("read actions", actions::sql::ACTIONS, &[], |r| {
                    actions::decode::action(r)
                })
                .await
            }
        }
    }

    async fn action(&self, id: ActionId) -> Result<Option<ActionRecord>> {
        Ok(self
            .query("read an action", actions::sql::ACTION, &[&id], |r| {
                actions::decode::action(r)
            })
            .await?
            .pop())
    }

    async fn transition_action(
        &self,
        id: ActionId,
        from: &[ActionStatus],
        to: ActionStatus,
        at: i64,
        note: &JournalNote,
    ) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        let moved = set_action_status(&tx, id, from, to, at).await?;
        if moved {
            append_journal_tx(&tx, note).await?;
        }
        tx.commit().await.op("commit")?;
        Ok(moved)
    }

    async fn decide_action(
        &self,
        approval: &ApprovalRecord,
        to: ActionStatus,
        note: &JournalNote,
    ) -> Result<bool> {
        let a = approval;
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        if !set_action_status(&tx, a.action_id, &[ActionStatus::Pending], to, a.at).await? {
            return Ok(false);
        }
        tx.execute(
            actions::sql::INSERT_APPROVAL,
            &[
                &a.action_id,
                &a.principal,
                &a.decision.as_str(),
                &a.plan_hash,
                &a.at,
                &a.comment,
            ],
        )
        .await
        .op("record an approval")?;
        append_journal_tx(&tx, note).await?;
        tx.commit().await.op("commit")?;
        Ok(true)
    }

    async fn approvals(&self, id: ActionId) -> Result<Vec<ApprovalRecord>> {
        self.query("read approvals", actions::sql::APPROVALS, &[&id], |r| {
            actions::decode::approval(r)
        })
        .await
    }

    async fn record_call(&self, call: &CallRecord, note: &JournalNote) -> Result<()> {
        let c = call;
        let http_status = c.http_status.map(i64::from);
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        tx.execute(
            actions::sql::UPSERT_CALL,
            &[
                &c.action_id,
                &c.call_index,
                &c.status.as_str(),
                &http_status,
                &c.detail,
                &c.at,
            ],
        )
        .await
        .op("record a call")?;
        append_journal_tx(&tx, note).await?;
        tx.commit().await.op("commit")
    }

    async fn calls(&self, id: ActionId) -> Result<Vec<CallRecord>> {
        self.query("read calls", actions::sql::CALLS, &[&id], |r| {
            actions::decode::call(r)
        })
        .await
    }

    async fn append_journal(&self, note: &JournalNote) -> Result<JournalEntry> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.op("begin a transaction")?;
        let entry = append_journal_tx(&tx, note).await?;
        tx.commit().await.op("commit")?;
        Ok(entry)
    }

    async fn journal(&self) -> Result<Vec<JournalEntry>> {
        self.query("read the journal", actions::sql::JOURNAL, &[], |r| {
            actions::decode::journal(r)
        })
        .await
    }
}
