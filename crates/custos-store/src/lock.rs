//! The per-organization scan lock: one scan of an organization at a time, whichever process
//! runs it, released by the operating system or the server when its holder dies.
//!
//! - SQLite files: an exclusive OS lock (`flock`) on a lock file beside the database, one per
//!   organization, which also holds the holder's description for the refusal message.
//! - In-memory SQLite: a set of locked organizations in the store (nothing else can see it).
//! - PostgreSQL: a session advisory lock on a hash of the schema and organization, held by a
//!   connection taken out of the pool for the scan; its `application_name` is the holder.

use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// Held while a scan of one organization runs (see [`crate::Store::lock_organization`]).
/// Dropping it releases the lock; [`ScanLock::release`] does so and reports a failure.
pub struct ScanLock {
    org_id: String,
    guard: Guard,
}

pub(crate) enum Guard {
    /// The open lock file: closing it releases the OS lock.
    File(std::fs::File),
    /// The store's set of locked organizations.
    Memory(Arc<Mutex<BTreeSet<String>>>),
    /// The connection holding the advisory lock `key` (None once released).
    Postgres {
        client: Option<deadpool_postgres::ClientWrapper>,
        key: i64,
    },
}

impl std::fmt::Debug for ScanLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ScanLock({})", self.org_id)
    }
}

impl ScanLock {
    pub(crate) fn new(org_id: &str, guard: Guard) -> Self {
        ScanLock {
            org_id: org_id.to_owned(),
            guard,
        }
    }

    /// The locked organization.
    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// Releases the lock now. On PostgreSQL the advisory lock is released before the
    /// connection closes, so that the next scan does not race the server's session cleanup.
    pub async fn release(mut self) -> Result<()> {
        match &mut self.guard {
            Guard::File(file) => file
                .unlock()
                .map_err(|e| Error::backend("SQLite", "release the scan lock", e)),
            Guard::Memory(_) => Ok(()),
            Guard::Postgres { client, key } => match client.take() {
                Some(client) => client
                    .execute("SELECT pg_advisory_unlock($1)", &[&*key])
                    .await
                    .map(drop)
                    .map_err(|e| Error::backend("PostgreSQL", "release the scan lock", e)),
                None => Ok(()),
            },
        }
    }
}

impl Drop for ScanLock {
    fn drop(&mut self) {
        if let Guard::Memory(locked) = &self.guard {
            locked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&self.org_id);
        }
        // A file closes, and a connection disconnects, with the guard: both release the lock.
    }
}

/// 16 hex digits naming an organization in a lock file's name (ids may hold any character).
pub(crate) fn org_digest(org_id: &str) -> String {
    hex::encode(&Sha256::digest(org_id.as_bytes())[..8])
}

/// The advisory lock key of an organization in one schema: the first 8 bytes of a SHA-256.
pub(crate) fn advisory_key(schema: &str, org_id: &str) -> i64 {
    let mut hasher = Sha256::new();
    hasher.update(b"custos scan lock\0");
    hasher.update(schema.as_bytes());
    hasher.update(b"\0");
    hasher.update(org_id.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Takes the in-memory lock of `org_id`.
pub(crate) fn lock_in_memory(
    locked: &Arc<Mutex<BTreeSet<String>>>,
    org_id: &str,
    holder: &str,
) -> Result<ScanLock> {
    let mut set = locked
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !set.insert(org_id.to_owned()) {
        return Err(Error::ScanInProgress {
            org_id: org_id.to_owned(),
            holder: format!("another scan in this process (not {holder})"),
        });
    }
    Ok(ScanLock::new(org_id, Guard::Memory(Arc::clone(locked))))
}

/// Why a lock file could not be taken.
#[derive(Debug)]
pub enum LockFileError {
    /// Another holder has it; what it wrote into the file (empty if nothing yet).
    Held(String),
    /// The file could not be opened, locked or written (`op` says which).
    Io {
        op: &'static str,
        source: std::io::Error,
    },
}

/// Opens `path` (created with mode 0600 if missing), takes its exclusive OS lock without
/// waiting and writes `holder` into it; the lock lasts as long as the returned file is open
/// (or its process lives). A lock held elsewhere is refused with what its holder wrote.
pub fn take_lock_file(
    path: &std::path::Path,
    holder: &str,
) -> std::result::Result<std::fs::File, LockFileError> {
    use std::io::{Read as _, Seek as _, Write as _};
    let io = |op| move |source| LockFileError::Io { op, source };
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io("open"))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut held_by = String::new();
            // What the holder wrote; empty if it has not written it yet.
            let _ = file.read_to_string(&mut held_by);
            return Err(LockFileError::Held(held_by.trim().to_owned()));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io("lock")(e)),
    }
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(holder.as_bytes()))
        .and_then(|()| file.flush())
        .map_err(io("write"))?;
    Ok(file)
}

/// Takes the scan lock file of `org_id` at `path` ([`take_lock_file`]).
pub(crate) fn lock_file(path: &std::path::Path, org_id: &str, holder: &str) -> Result<ScanLock> {
    match take_lock_file(path, holder) {
        Ok(file) => Ok(ScanLock::new(org_id, Guard::File(file))),
        Err(LockFileError::Held(held_by)) => Err(Error::ScanInProgress {
            org_id: org_id.to_owned(),
            holder: if held_by.is_empty() {
                "another process".to_owned()
            } else {
                held_by
            },
        }),
        Err(LockFileError::Io { op, source }) => Err(Error::Open {
            location: path.display().to_string(),
            source: format!("cannot {op} the scan lock file: {source}").into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_schema_and_organization() {
        let a = advisory_key("public", "org-a");
        assert_eq!(a, advisory_key("public", "org-a"));
        assert_ne!(a, advisory_key("public", "org-b"));
        assert_ne!(a, advisory_key("other", "org-a"));
        assert_eq!(org_digest("org-a").len(), 16);
    }
}
