//! Typed errors. Every message names the file (or key) and the problem, and none holds a
//! secret: passphrases and secret keys never reach an error.

use std::path::PathBuf;

/// Creating, reading or writing keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("could not generate a key pair: {0}")]
    Generate(String),
    #[error("the secret key is protected by a passphrase; give the passphrase")]
    PassphraseRequired,
    #[error("wrong passphrase for the secret key")]
    WrongPassphrase,
    #[error("not a minisign secret key: {0}")]
    MalformedSecretKey(String),
    #[error("not a minisign Ed25519 public key: {0}")]
    MalformedPublicKey(String),
    #[error(
        "{path}: an unencrypted secret key must be readable by its owner only (mode {mode:o}); \
         run chmod 600 on it or protect it with a passphrase"
    )]
    InsecurePermissions { path: PathBuf, mode: u32 },
    #[error("{path}: already exists; keys are never overwritten")]
    AlreadyExists { path: PathBuf },
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Producing a pack.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("invalid export request: {0}")]
    InvalidRequest(String),
    #[error("could not {what}")]
    Store {
        what: String,
        #[source]
        source: custos_records::SourceError,
    },
    #[error("could not {what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl ExportError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| ExportError::Io { what, source }
    }

    pub(crate) fn store(
        what: impl Into<String>,
    ) -> impl FnOnce(custos_records::SourceError) -> Self {
        let what = what.into();
        move |source| ExportError::Store { what, source }
    }
}

/// Why a pack does not verify. Offsets are in bytes of the compressed archive as read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("archive truncated at byte {at}")]
    Truncated { at: u64 },
    #[error("archive corrupt near byte {at}: {reason}")]
    Corrupt { at: u64, reason: String },
    #[error("unexpected data after the end of the archive at byte {at}")]
    TrailingData { at: u64 },
    #[error("path traversal in {name}")]
    PathTraversal { name: String },
    #[error("{name}: {kind} entries are refused, a pack holds regular files only")]
    NotARegularFile { name: String, kind: String },
    #[error("{name}: declares {declared} bytes, more than the limit of {limit}")]
    EntryTooLarge {
        name: String,
        declared: u64,
        limit: u64,
    },
    #[error("archive expands to more than {limit} bytes")]
    ArchiveTooLarge { limit: u64 },
    #[error(
        "decompression bomb: {expanded} bytes out of {compressed} compressed (ratio above {limit})"
    )]
    DecompressionBomb {
        expanded: u64,
        compressed: u64,
        limit: u64,
    },
    #[error("extra file {name}")]
    ExtraFile { name: String },
    #[error("missing file {name}")]
    MissingFile { name: String },
    #[error("duplicate file {name}")]
    DuplicateFile { name: String },
    #[error("entries out of order: {name} comes after {after}")]
    OutOfOrder { name: String, after: String },
    #[error("{name}: {actual} bytes, the manifest says {expected}")]
    SizeMismatch {
        name: String,
        expected: u64,
        actual: u64,
    },
    #[error("{name}: SHA-256 mismatch (manifest {expected}, content {actual})")]
    HashMismatch {
        name: String,
        expected: String,
        actual: String,
    },
    #[error("{name}: {actual} lines, the manifest says {expected}")]
    LineCountMismatch {
        name: String,
        expected: u64,
        actual: u64,
    },
    #[error("manifest.json.minisig: {reason}")]
    MalformedSignature { reason: String },
    #[error(
        "manifest.json.minisig: signed by key ID {signed_by}, not by the given key {key} (ID {key_id})"
    )]
    WrongKey {
        signed_by: String,
        key: String,
        key_id: String,
    },
    #[error(
        "manifest.json: the signature in manifest.json.minisig does not verify with key {key}: {reason}"
    )]
    BadSignature { key: String, reason: String },
    #[error("manifest.json: {reason}")]
    MalformedManifest { reason: String },
    #[error("manifest.json: unsupported format {format:?} (this build reads {supported})")]
    UnsupportedFormat { format: String, supported: String },
    #[error("chain: {reason}")]
    Chain { reason: String },
}
