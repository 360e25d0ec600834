//! The backend-neutral layer the store is written once over (`sql_store.rs`): typed
//! parameters ([`Param`]), rows of typed cells ([`Row`]), and a transaction ([`Tx`]) that each
//! backend implements. SQL is written once with PostgreSQL's `$N` placeholders (SQLite's
//! transaction rewrites them); what differs between the two databases beyond that is behind
//! [`Tx`]'s methods: row locks ([`Tx::lock`]) and the bulk paths ([`Tx::insert_objects`],
//! [`Tx::write_findings`]: binary `COPY` on PostgreSQL, prepared inserts on SQLite).
//!
//! Parameters and rows are owned values: SQLite runs its statements on tokio's blocking pool,
//! which needs `'static` data, and one owned shape for both keeps the store's code single.

use crate::lock::ScanLock;
use crate::{Error, ObjectRecord, Result, ScanId};

/// A statement parameter, bound by each backend with its driver's types.
#[derive(Clone, PartialEq)]
pub(crate) enum Param {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(String),
    /// A name custos spells (a status, an event kind): text that needs no copy.
    Name(&'static str),
    /// JSON text, bound as `TEXT` on SQLite and `json` on PostgreSQL.
    Json(String),
    /// Sealed bytes: never shown by `Debug`, because tokio-postgres logs every statement's
    /// parameters with it at debug level (`-vv`, `CUSTOS_LOG=debug`), and sealed credentials
    /// must not be copied into log files, whatever the level.
    Sealed(Vec<u8>),
}

impl std::fmt::Debug for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Param::Null => f.write_str("NULL"),
            Param::Int(v) => write!(f, "{v}"),
            Param::Real(v) => write!(f, "{v}"),
            Param::Bool(v) => write!(f, "{v}"),
            Param::Text(v) | Param::Json(v) => write!(f, "{v:?}"),
            Param::Name(v) => write!(f, "{v:?}"),
            Param::Sealed(_) => f.write_str("(sealed, not logged)"),
        }
    }
}

impl Param {
    /// A JSON value, serialized as serde_json writes it (the store keeps it exactly).
    pub(crate) fn json(value: &serde_json::Value) -> Param {
        Param::Json(value.to_string())
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}

impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::Real(v)
    }
}

impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_owned())
    }
}

impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}

impl From<&String> for Param {
    fn from(v: &String) -> Self {
        Param::Text(v.clone())
    }
}

impl<T: Into<Param>> From<Option<T>> for Param {
    fn from(v: Option<T>) -> Self {
        v.map_or(Param::Null, Into::into)
    }
}

/// `params![a, b, ...]`: a `Vec<Param>` of values convertible with `Param::from`.
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        vec![$($crate::db::Param::from($value)),*]
    };
}

/// One column value of a result row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

impl Cell {
    fn kind(&self) -> &'static str {
        match self {
            Cell::Null => "NULL",
            Cell::Int(_) => "an integer",
            Cell::Real(_) => "a real number",
            Cell::Bool(_) => "a boolean",
            Cell::Text(_) => "text",
            Cell::Bytes(_) => "bytes",
        }
    }
}

/// A result row, as both backends return it; `rows.rs` decodes it into records. A column of
/// an unexpected type is a corrupt store, never a panic.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row(pub(crate) Vec<Cell>);

impl Row {
    fn cell(&self, i: usize) -> Result<&Cell> {
        self.0
            .get(i)
            .ok_or_else(|| Error::corrupt("row", format!("it has no column {i}")))
    }

    fn wrong(&self, i: usize, expected: &str) -> Error {
        let found = self.0.get(i).map_or("nothing", Cell::kind);
        Error::corrupt(
            "column",
            format!("column {i} holds {found}, expected {expected}"),
        )
    }

    /// Text borrowed from the row (JSON is parsed from it without a copy).
    pub(crate) fn str(&self, i: usize) -> Result<&str> {
        match self.cell(i)? {
            Cell::Text(text) => Ok(text),
            _ => Err(self.wrong(i, "text")),
        }
    }

    /// Text moved out of the row (a column is read once).
    pub(crate) fn text(&mut self, i: usize) -> Result<String> {
        match self.0.get_mut(i) {
            Some(Cell::Text(text)) => Ok(std::mem::take(text)),
            _ => Err(self.wrong(i, "text")),
        }
    }

    pub(crate) fn opt_text(&mut self, i: usize) -> Result<Option<String>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub(crate) fn int(&self, i: usize) -> Result<i64> {
        match self.cell(i)? {
            Cell::Int(v) => Ok(*v),
            _ => Err(self.wrong(i, "an integer")),
        }
    }

    pub(crate) fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    /// A number; SQLite may hand back a whole amount as an integer.
    pub(crate) fn real(&self, i: usize) -> Result<f64> {
        match self.cell(i)? {
            Cell::Real(v) => Ok(*v),
            Cell::Int(v) => Ok(*v as f64),
            _ => Err(self.wrong(i, "a number")),
        }
    }

    /// A boolean; SQLite stores them as the integers 0 and 1.
    pub(crate) fn bool(&self, i: usize) -> Result<bool> {
        match self.cell(i)? {
            Cell::Bool(v) => Ok(*v),
            Cell::Int(v) => Ok(*v != 0),
            _ => Err(self.wrong(i, "a boolean")),
        }
    }

    pub(crate) fn bytes(&mut self, i: usize) -> Result<Vec<u8>> {
        match self.0.get_mut(i) {
            Some(Cell::Bytes(v)) => Ok(std::mem::take(v)),
            _ => Err(self.wrong(i, "bytes")),
        }
    }
}

/// What a transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Reads and writes; writers are serialized (SQLite takes the write lock at the start).
    Write,
    /// Several reads that see one state of the store, and no writes.
    Read,
    /// A snapshot batch: a write whose commit need not wait for its WAL flush, because the
    /// batch stays invisible until `finish_scan` commits synchronously, flushing it too.
    Batch,
}

/// What [`Tx::lock`] holds until the transaction ends. SQLite needs none of them: its write
/// transactions hold the database's write lock from their first statement.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lock<'a> {
    /// A running scan's row: a concurrent `begin_scan` waits for this batch before it
    /// abandons the scan and deletes its objects.
    Scan(ScanId),
    /// One organization's findings: each writer (record, suppress, unsuppress) reads their
    /// states and then writes what follows from them.
    Findings(&'a str),
    /// The journal: each appender reads the head and chains onto it.
    Journal,
}

/// Everything one `record_findings` (or one suppression change) writes, as parameter rows
/// in the shapes of `sql::UPSERT_FINDING`, `sql::SET_FINDING_STATE` and
/// `sql::INSERT_FINDING_EVENT`, all of organization `org_id`.
#[derive(Debug, Default)]
pub(crate) struct FindingWrites {
    pub org_id: String,
    /// Observations of findings not stored yet: nothing can conflict with them.
    pub new: Vec<Vec<Param>>,
    /// Observations of stored findings, which they rewrite.
    pub known: Vec<Vec<Param>>,
    /// Lifecycle changes of findings not observed.
    pub changes: Vec<Vec<Param>>,
    pub events: Vec<Vec<Param>>,
}

/// One transaction of a backend. Dropped without [`Tx::end`], it rolls back.
#[async_trait::async_trait]
pub(crate) trait Tx: Send {
    /// Runs one statement; returns the rows it changed.
    async fn execute(&mut self, op: &'static str, sql: &str, params: Vec<Param>) -> Result<u64>;

    /// Runs one statement and returns its rows.
    async fn query(&mut self, op: &'static str, sql: &str, params: Vec<Param>) -> Result<Vec<Row>>;

    /// Runs one statement once per parameter row (prepared once; pipelined on PostgreSQL);
    /// returns the rows changed in all.
    async fn execute_each(
        &mut self,
        op: &'static str,
        sql: &str,
        rows: Vec<Vec<Param>>,
    ) -> Result<u64>;

    /// Holds `lock` until the transaction ends.
    async fn lock(&mut self, lock: Lock<'_>) -> Result<()>;

    /// Writes a snapshot batch into scan `scan`; a `(kind, id)` the scan already holds is
    /// [`Error::DuplicateObject`] (the batch itself was checked for repeats).
    async fn insert_objects(&mut self, scan: ScanId, objects: &[ObjectRecord]) -> Result<()>;

    /// Writes what the findings lifecycle decided.
    async fn write_findings(&mut self, writes: FindingWrites) -> Result<()>;

    /// Commits, or rolls back now (dropping the transaction rolls back as well, later).
    async fn end(self: Box<Self>, end: End) -> Result<()>;
}

/// How a transaction ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Commit,
    Rollback,
}

impl End {
    /// The statement, the same in both dialects.
    pub(crate) fn sql(self) -> &'static str {
        match self {
            End::Commit => "COMMIT",
            End::Rollback => "ROLLBACK",
        }
    }

    /// What failed, for an error.
    pub(crate) fn op(self) -> &'static str {
        match self {
            End::Commit => "commit",
            End::Rollback => "roll back",
        }
    }
}

/// A database the store runs on: its connections, transactions and scan locks.
#[async_trait::async_trait]
pub(crate) trait Backend: Send + Sync + std::fmt::Debug + 'static {
    /// `"sqlite"` or `"postgres"`, as [`crate::Store::backend`] returns it.
    fn name(&self) -> &'static str;

    async fn begin(&self, mode: Mode) -> Result<Box<dyn Tx>>;

    /// Runs one read outside any transaction.
    async fn query(&self, op: &'static str, sql: &str, params: Vec<Param>) -> Result<Vec<Row>>;

    /// See [`crate::Store::lock_organization`].
    async fn lock_organization(&self, org_id: &str, holder: &str) -> Result<ScanLock>;
}

/// Commits `tx` after `result`, or rolls it back and returns the error that ended it.
pub(crate) async fn finish<T>(tx: Box<dyn Tx>, result: Result<T>) -> Result<T> {
    match result {
        Ok(value) => {
            tx.end(End::Commit).await?;
            Ok(value)
        }
        Err(e) => {
            // The error that ended the transaction is the one to report; a failed rollback
            // still ends it, when the transaction is dropped.
            let _ = tx.end(End::Rollback).await;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_parameters_are_never_shown() {
        let shown = format!(
            "{:?}",
            params![Param::Sealed(b"secret".to_vec()), "name", 7]
        );
        assert_eq!(shown, r#"[(sealed, not logged), "name", 7]"#);
    }

    #[test]
    fn a_column_of_the_wrong_type_is_a_corrupt_store() {
        let mut row = Row(vec![Cell::Text("x".into()), Cell::Null, Cell::Int(1)]);
        let err = row.int(0).unwrap_err().to_string();
        assert_eq!(
            err,
            "the store holds an unreadable column: column 0 holds text, expected an integer; restore a backup"
        );
        assert_eq!(row.opt_text(1).unwrap(), None);
        assert!(row.bool(2).unwrap());
        assert!(matches!(row.text(3), Err(Error::Corrupt { .. })));
    }
}
