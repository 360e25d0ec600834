//! Credentials at rest and emails at ingest.
//!
//! A stored credential is sealed with AES-256-GCM under a [`MasterKey`] that lives outside the
//! store (`CUSTOS_MASTER_KEY` or a key file of mode 0600). The credential's name is the
//! associated data, so a blob copied under another name fails to open; the key's id (the
//! first 8 hex digits of its SHA-256) is stored beside the blob, so that a wrong key is told
//! apart from tampering and `custos orgs rotate-master-key` knows what to re-seal.

use crate::{Error, Result};
use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The environment variable holding the master key (32 bytes, base64 or hex).
pub const MASTER_KEY_ENV: &str = "CUSTOS_MASTER_KEY";

/// Length of an AES-GCM nonce in bytes.
const NONCE_LEN: usize = 12;

/// The 32-byte key that seals stored credentials. Its bytes never appear in `Debug`.
pub struct MasterKey {
    bytes: SecretBox<[u8; 32]>,
    key_id: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey(id {})", self.key_id)
    }
}

impl MasterKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let key_id = hex::encode(Sha256::digest(bytes))[..8].to_owned();
        MasterKey {
            bytes: SecretBox::new(Box::new(bytes)),
            key_id,
        }
    }

    /// A new random key.
    pub fn generate() -> Result<Self> {
        let bytes = <[u8; 32]>::try_generate().map_err(|e| Error::MasterKeyInvalid {
            source_name: "the system random generator".into(),
            reason: e.to_string(),
        })?;
        Ok(Self::from_bytes(bytes))
    }

    /// Parses 32 bytes written as base64 or hex; `source_name` says where the text came from
    /// (for the error, which never repeats the text).
    pub fn from_text(source_name: &str, text: &str) -> Result<Self> {
        let text = text.trim();
        let invalid = |reason: String| Error::MasterKeyInvalid {
            source_name: source_name.to_owned(),
            reason,
        };
        // 64 hex digits are also valid base64 (of 48 bytes), so hex is tried first.
        let decoded = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|e| invalid(e.to_string()))?
        } else {
            BASE64.decode(text).map_err(|_| {
                invalid("expected 32 bytes written as base64 or as 64 hex digits".into())
            })?
        };
        let bytes: [u8; 32] = decoded.try_into().map_err(|d: Vec<u8>| {
            invalid(format!(
                "it decodes to {} bytes, a master key has 32",
                d.len()
            ))
        })?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key in `CUSTOS_MASTER_KEY`, if set.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var(MASTER_KEY_ENV) {
            Ok(text) => Self::from_text(MASTER_KEY_ENV, &text).map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::MasterKeyInvalid {
                source_name: MASTER_KEY_ENV.into(),
                reason: "it is not valid UTF-8".into(),
            }),
        }
    }

    /// Reads a key file, refusing one that its group or others may read or write.
    pub fn from_file(path: &Path) -> Result<Self> {
        let shown = path.display().to_string();
        let file_error = |op, source| Error::MasterKeyFile {
            path: shown.clone(),
            op,
            source,
        };
        let metadata = std::fs::metadata(path).map_err(|e| file_error("read", e))?;
        check_private(&shown, &metadata)?;
        let text = std::fs::read_to_string(path).map_err(|e| file_error("read", e))?;
        Self::from_text(&shown, &text)
    }

    /// `CUSTOS_MASTER_KEY` if set, else `file` if given, else [`Error::MasterKeyMissing`].
    pub fn load(file: Option<&Path>) -> Result<Self> {
        match (Self::from_env()?, file) {
            (Some(key), _) => Ok(key),
            (None, Some(path)) => Self::from_file(path),
            (None, None) => Err(Error::MasterKeyMissing),
        }
    }

    /// Creates a new random key in a new file of mode 0600 (base64, one line). Never
    /// overwrites: an existing file is an error.
    pub fn generate_file(path: &Path) -> Result<Self> {
        use std::io::Write as _;
        let key = Self::generate()?;
        let file_error = |source| Error::MasterKeyFile {
            path: path.display().to_string(),
            op: "created",
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(file_error)?;
        let text = format!("{}\n", BASE64.encode(key.bytes.expose_secret()));
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(file_error)?;
        Ok(key)
    }

    /// The first 8 hex digits of the key's SHA-256: names the key without revealing it.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&(*self.bytes.expose_secret()).into())
    }
}

#[cfg(unix)]
fn check_private(path: &str, metadata: &std::fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::MasterKeyPermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &str, _metadata: &std::fs::Metadata) -> Result<()> {
    Ok(())
}

/// A credential encrypted under a master key: what the store keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// [`MasterKey::key_id`] of the key it was sealed with.
    pub key_id: String,
    /// The 12-byte AES-GCM nonce, random per seal.
    pub nonce: Vec<u8>,
    /// Ciphertext followed by the 16-byte tag.
    pub ciphertext: Vec<u8>,
}

/// Shows sizes only: ciphertext is harmless, but there is nothing useful to print either.
impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedSecret")
            .field("key_id", &self.key_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

/// Encrypts `secret` under `key`, bound to `name`.
pub fn seal(key: &MasterKey, name: &str, secret: &SecretString) -> Result<SealedSecret> {
    let nonce = Nonce::try_generate().map_err(|e| Error::MasterKeyInvalid {
        source_name: "the system random generator".into(),
        reason: e.to_string(),
    })?;
    let payload = Payload {
        msg: secret.expose_secret().as_bytes(),
        aad: name.as_bytes(),
    };
    // Encryption only fails for messages beyond AES-GCM's 64 GiB limit.
    let ciphertext = key
        .cipher()
        .encrypt(&nonce, payload)
        .map_err(|_| Error::InvalidInput(format!("the credential {name:?} is too long to seal")))?;
    Ok(SealedSecret {
        key_id: key.key_id.clone(),
        nonce: nonce.to_vec(),
        ciphertext,
    })
}

/// Decrypts a credential sealed under `key` with [`seal`] for `name`.
pub fn open(key: &MasterKey, name: &str, sealed: &SealedSecret) -> Result<SecretString> {
    if sealed.key_id != key.key_id {
        return Err(Error::WrongMasterKey {
            current: key.key_id.clone(),
            sealed: sealed.key_id.clone(),
        });
    }
    let tampered = || Error::Tampered {
        name: name.to_owned(),
    };
    let nonce: [u8; NONCE_LEN] = sealed.nonce.as_slice().try_into().map_err(|_| tampered())?;
    let payload = Payload {
        msg: &sealed.ciphertext,
        aad: name.as_bytes(),
    };
    let plain = key
        .cipher()
        .decrypt(&nonce.into(), payload)
        .map_err(|_| tampered())?;
    String::from_utf8(plain)
        .map(SecretString::from)
        .map_err(|_| tampered())
}

/// 32 bytes from the operating system's random generator (for tokens and salts).
pub fn random_bytes() -> Result<[u8; 32]> {
    <[u8; 32]>::try_generate().map_err(|e| Error::MasterKeyInvalid {
        source_name: "the system random generator".into(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> MasterKey {
        MasterKey::from_bytes([byte; 32])
    }

    #[test]
    fn seal_open_round_trip_and_debug_hides_everything() {
        let secret = SecretString::from("sk-admin-canary-123");
        let sealed = seal(&key(1), "org-a/read", &secret).unwrap();
        assert_eq!(sealed.nonce.len(), NONCE_LEN);
        let opened = open(&key(1), "org-a/read", &sealed).unwrap();
        assert_eq!(opened.expose_secret(), "sk-admin-canary-123");
        let shown = format!("{:?} {:?} {:?}", sealed, key(1), opened);
        assert!(!shown.contains("canary"), "{shown}");
    }

    #[test]
    fn wrong_key_moved_blob_and_tampering_are_told_apart() {
        let sealed = seal(&key(1), "a", &SecretString::from("s")).unwrap();
        let err = open(&key(2), "a", &sealed).unwrap_err().to_string();
        let (current, original) = (key(2).key_id().to_owned(), key(1).key_id().to_owned());
        assert!(
            err.contains(&format!(
                "the master key (id {current}) does not match the one this credential was sealed with (id {original})"
            )),
            "{err}"
        );
        assert!(matches!(
            open(&key(1), "b", &sealed),
            Err(Error::Tampered { .. })
        ));
        let mut flipped = sealed.clone();
        flipped.ciphertext[0] ^= 1;
        assert!(matches!(
            open(&key(1), "a", &flipped),
            Err(Error::Tampered { .. })
        ));
        let mut short = sealed;
        short.nonce.pop();
        assert!(matches!(
            open(&key(1), "a", &short),
            Err(Error::Tampered { .. })
        ));
    }

    #[test]
    fn key_text_in_base64_or_hex() {
        let hex_text = "01".repeat(32);
        let b64_text = BASE64.encode([1u8; 32]);
        assert_eq!(
            MasterKey::from_text("t", &hex_text).unwrap().key_id(),
            key(1).key_id()
        );
        assert_eq!(
            MasterKey::from_text("t", &b64_text).unwrap().key_id(),
            key(1).key_id()
        );
        let err = MasterKey::from_text("t", "c2hvcnQ=")
            .unwrap_err()
            .to_string();
        assert!(err.contains("decodes to 5 bytes"), "{err}");
        assert!(MasterKey::from_text("t", "not base64!").is_err());
        assert_eq!(key(1).key_id().len(), 8);
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_created_private_and_loose_files_are_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let created = MasterKey::generate_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            MasterKey::from_file(&path).unwrap().key_id(),
            created.key_id()
        );
        assert!(matches!(
            MasterKey::generate_file(&path),
            Err(Error::MasterKeyFile { .. })
        ));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = MasterKey::from_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("mode 644") && err.contains("chmod 600"),
            "{err}"
        );
    }
}
