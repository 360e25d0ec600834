//! The store's typed errors. Each says what failed and what to do about it; none ever holds a
//! secret or a database password.

use crate::ScanId;

/// A boxed backend error, so that the public API does not expose rusqlite or tokio-postgres types.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with the store's [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL cannot be understood.
    #[error("invalid database URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// The SQLite file exists but is not an SQLite database at all.
    #[error(
        "{location} is not a custos database (file is not a database): restore a backup or point --db elsewhere"
    )]
    NotADatabase { location: String },

    /// A valid SQLite database that some other program wrote.
    #[error(
        "{location} is an SQLite database but not a custos one (it has tables and no schema_version): point --db elsewhere"
    )]
    ForeignDatabase { location: String },

    /// The store was written by a later custos; nothing was changed.
    #[error(
        "{location} was written by a newer custos (schema {found}, this build knows {known}): upgrade custos"
    )]
    NewerSchema {
        location: String,
        found: i64,
        known: i64,
    },

    /// A store opened read-only needs a migration, which only a writer can run.
    #[error(
        "{location} has schema {found}, older than this build's {known}, and was opened read-only, so it cannot be migrated: run a command that writes (such as `custos scan`) once with write access, then read again"
    )]
    OutdatedReadOnly {
        location: String,
        found: i64,
        known: i64,
    },

    /// A command that only reads was pointed at an SQLite file that does not exist.
    #[error(
        "there is no store at {location}: run `custos scan` to create it, or point --db (CUSTOS_DB) at an existing one"
    )]
    Missing { location: String },

    /// Another scan of the organization holds its lock.
    #[error(
        "organization {org_id} is already being scanned by {holder}: wait for that scan to end (or stop it), then scan again; a lock left by a process that died is released with it"
    )]
    ScanInProgress { org_id: String, holder: String },

    /// The SQLite file cannot be opened or created.
    #[error("cannot open {location} (check the path and its permissions)")]
    Open {
        location: String,
        #[source]
        source: BoxError,
    },

    /// PostgreSQL could not be reached or refused the login. `url` has no password.
    #[error(
        "cannot connect to PostgreSQL at {url}: {reason}: check that the server runs and that the URL, user and password are right"
    )]
    Unreachable { url: String, reason: String },

    /// A query failed in the backend.
    #[error("{backend} failed to {op}")]
    Backend {
        backend: &'static str,
        op: &'static str,
        #[source]
        source: BoxError,
    },

    /// A stored value cannot be read back (a bad status name, malformed JSON, an out-of-range number).
    #[error("the store holds an unreadable {what}: {reason}; restore a backup")]
    Corrupt { what: &'static str, reason: String },

    /// The caller passed something the store cannot accept; nothing was written.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// An object appears twice in one snapshot.
    #[error(
        "scan {scan} already holds a {kind} object with id {id:?}: each (kind, id) is stored once per scan"
    )]
    DuplicateObject {
        scan: ScanId,
        kind: String,
        id: String,
    },

    /// No scan has this id.
    #[error("no scan {0} in this store: `custos scans` lists them")]
    ScanNotFound(ScanId),

    /// A write to a scan that is no longer running (finished, or abandoned by a newer scan).
    #[error("scan {id} is {status}, not running: start a new scan")]
    ScanNotRunning {
        id: ScanId,
        status: crate::ScanStatus,
    },

    /// Objects were asked of a scan that has not committed (or was abandoned).
    #[error(
        "scan {id} is {status}: its objects are visible only once it finishes complete or partial"
    )]
    ScanNotVisible {
        id: ScanId,
        status: crate::ScanStatus,
    },

    /// No finding has this identity.
    #[error(
        "organization {org_id} has no finding of policy {policy_id} on {resource_id}: `custos findings` lists them"
    )]
    FindingNotFound {
        org_id: String,
        policy_id: String,
        resource_id: String,
    },

    /// No master key was configured.
    #[error(
        "no master key: set CUSTOS_MASTER_KEY (32 bytes, base64 or hex) or configure a key file with mode 0600"
    )]
    MasterKeyMissing,

    /// The master key's text is not 32 bytes of base64 or hex.
    #[error("the master key from {source_name} is invalid: {reason}")]
    MasterKeyInvalid { source_name: String, reason: String },

    /// The master key file cannot be read or written.
    #[error("the master key file {path} cannot be {op}")]
    MasterKeyFile {
        path: String,
        op: &'static str,
        #[source]
        source: std::io::Error,
    },

    /// The master key file is readable by others than its owner.
    #[error(
        "the master key file {path} has mode {mode:o}, readable by others: run `chmod 600 {path}`"
    )]
    MasterKeyPermissions { path: String, mode: u32 },

    /// A credential was sealed under another master key.
    #[error(
        "the master key (id {current}) does not match the one this credential was sealed with (id {sealed}): set the right CUSTOS_MASTER_KEY or key file"
    )]
    WrongMasterKey { current: String, sealed: String },

    /// A sealed credential fails authentication although the key id matches.
    #[error(
        "the stored credential {name:?} fails authentication (altered, truncated or stored under another name): store it again"
    )]
    Tampered { name: String },
}

impl Error {
    /// Wraps a backend error with the operation that failed.
    pub(crate) fn backend(
        backend: &'static str,
        op: &'static str,
        source: impl Into<BoxError>,
    ) -> Self {
        Error::Backend {
            backend,
            op,
            source: source.into(),
        }
    }

    pub(crate) fn corrupt(what: &'static str, reason: impl std::fmt::Display) -> Self {
        Error::Corrupt {
            what,
            reason: reason.to_string(),
        }
    }
}

/// Attaches the operation that failed to a backend's error (`.op("read scans")?`); each
/// backend implements it for its driver's `Result`.
pub(crate) trait Op<T> {
    fn op(self, op: &'static str) -> Result<T>;
}

/// A stored name this build does not know: custos writes them all, so the store is corrupt.
impl From<custos_records::UnknownName> for Error {
    fn from(e: custos_records::UnknownName) -> Self {
        Error::corrupt(e.what, format!("{:?}", e.name))
    }
}
