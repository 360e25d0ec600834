//! What can go wrong in the application layer, as one typed error: the command line prints it
//! with its causes, the web service will map its variants to answers.

use std::path::PathBuf;

/// An application error. Every message names the file, field or object it is about and, where
/// there is one, what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `custos.toml` does not parse or holds a value outside its range.
    #[error(transparent)]
    Config(#[from] custos_config::ConfigError),

    /// An organization entry names a provider that is not registered.
    #[error(
        "{path}: line {line}: organizations[{index}].provider = {name:?} is not a known provider; known providers: {known}"
    )]
    UnknownProvider {
        path: PathBuf,
        line: usize,
        index: usize,
        name: String,
        known: String,
    },

    /// The policy settings of the config do not fit the policies.
    #[error("the policy settings in the config are invalid:\n{}", list(.errors))]
    PolicySettings { errors: Vec<String> },

    /// Two custom policies, or a custom and a built-in one, share an id.
    #[error(transparent)]
    DuplicatePolicy(#[from] custos_policy::DuplicateId),

    #[error(transparent)]
    Store(#[from] custos_store::Error),

    /// The store named by `--db` cannot be opened to write.
    #[error("cannot open the store {location}")]
    OpenStore {
        location: String,
        #[source]
        source: custos_store::Error,
    },

    /// The store named by `--db` cannot be opened to read.
    #[error("cannot read the store {location}")]
    ReadStore {
        location: String,
        #[source]
        source: custos_store::Error,
    },

    /// A stored scan cannot be read back.
    #[error(transparent)]
    Snapshot(#[from] custos_scan::snapshot::LoadError),

    /// A stored object of a report's input does not parse.
    #[error("stored {kind} {id} of scan {scan} does not parse; rescan")]
    StoredObject {
        kind: &'static str,
        id: String,
        scan: i64,
        #[source]
        source: serde_json::Error,
    },

    /// A scan that could not be recorded, or that was stopped.
    #[error("scanning organization {org_id}")]
    Scan {
        org_id: String,
        #[source]
        source: Box<Error>,
    },

    #[error(transparent)]
    ScanStore(#[from] custos_scan::scan::ScanError),

    /// The scan was stopped by its caller (a signal, a cancelled request).
    #[error("{0}")]
    Stopped(String),

    #[error(transparent)]
    Client(#[from] custos_openai::Error),

    /// A key that cannot be read from its source.
    #[error("reading {what}")]
    Key {
        what: String,
        #[source]
        source: Box<Error>,
    },

    /// An organization named only on the command line, with neither a stored key nor the
    /// environment variable.
    #[error(
        "organization {org_id} has no stored key (`custos orgs add {org_id}`) and {variable} is not set"
    )]
    NoKey {
        org_id: String,
        variable: &'static str,
        #[source]
        source: Box<Error>,
    },

    /// A stored key that is not in the store.
    #[error("no stored key named {0:?}: add it with `custos orgs add`")]
    NoStoredKey(String),

    /// Which organization or scan a command is about cannot be told, or does not exist.
    #[error("{0}")]
    Selection(String),

    /// A value the caller gave is outside what it may be (the message names the parameter).
    #[error("{0}")]
    Invalid(String),

    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

fn list(errors: &[String]) -> String {
    errors
        .iter()
        .map(|e| format!("  - {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
