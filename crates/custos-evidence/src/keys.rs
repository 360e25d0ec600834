//! Signing keys in minisign's format, so that an auditor can check a pack with the `minisign`
//! tool alone.
//!
//! Keys are created, encrypted (scrypt, as minisign does) and decrypted by the `minisign`
//! crate. Signatures are made here with `ed25519-dalek`, because the crate's signer adds random
//! noise to every signature and a pack must be byte-identical when exported twice; Ed25519 as
//! specified (RFC 8032) is deterministic. Verification goes back through the `minisign` crate,
//! an implementation independent of the signer.

use crate::error::{KeyError, VerifyError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use blake2::{Blake2b512, Digest};
use ed25519_dalek::Signer as _;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::io::Write;
use std::path::Path;

/// Layout of a decoded minisign secret key (`SecretKey::to_bytes`): signature, KDF and checksum
/// algorithms (2 bytes each), KDF salt (32), opslimit and memlimit (8 each), then the key id
/// (8), the Ed25519 secret key (32-byte seed, then the 32-byte public key) and a checksum.
const SECRET_KDF_ALG: std::ops::Range<usize> = 2..4;
const SECRET_KEY_ID: std::ops::Range<usize> = 54..62;
const SECRET_SEED: std::ops::Range<usize> = 62..94;
const SECRET_PUBLIC: std::ops::Range<usize> = 94..126;
/// A decoded public key: algorithm (2 bytes), key id (8), Ed25519 public key (32).
const PUBLIC_ALG: std::ops::Range<usize> = 0..2;
const PUBLIC_KEY_ID: std::ops::Range<usize> = 2..10;
const PUBLIC_POINT: std::ops::Range<usize> = 10..42;
const PUBLIC_KEY_LEN: usize = 42;
/// The signature line of a `.minisig`: algorithm (2 bytes), key id (8), signature (64).
const SIGNATURE_LINE_LEN: usize = 74;
/// minisign's "no KDF" marker: the secret key is stored in clear.
const KDF_NONE: [u8; 2] = [0, 0];
const ED25519: &[u8; 2] = b"Ed";
/// Signature algorithm of a signature over the BLAKE2b-512 of the file (minisign's default).
const PREHASHED_ED25519: &[u8; 2] = b"ED";

const SECRET_KEY_COMMENT: &str = "custos evidence secret key";
const SIGNATURE_COMMENT: &str = "signature from a custos evidence key";

/// The text of a public key file (`minisign.pub` format: a comment line and the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyText(pub String);

/// The text of a secret key file (minisign format), encrypted with the passphrase or not.
pub struct SecretKeyText(pub SecretString);

impl fmt::Debug for SecretKeyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKeyText([REDACTED])")
    }
}

/// A new key pair as file contents.
#[derive(Debug)]
pub struct KeyPairText {
    pub public: PublicKeyText,
    pub secret: SecretKeyText,
}

/// Creates an Ed25519 key pair in minisign's format. With a passphrase the secret key is
/// encrypted (scrypt, minisign's parameters); without, it is in clear and belongs in a 0600
/// file ([`write_key_pair`] makes one).
pub fn keygen(passphrase: Option<&SecretString>) -> Result<KeyPairText, KeyError> {
    let generate = |e: minisign::PError| KeyError::Generate(e.to_string());
    let pair = match passphrase {
        Some(passphrase) => minisign::KeyPair::generate_encrypted_keypair(Some(
            passphrase.expose_secret().to_owned(),
        )),
        None => minisign::KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(generate)?;
    let public = pair.pk.to_box().map_err(generate)?.into_string();
    let secret = pair
        .sk
        .to_box(Some(SECRET_KEY_COMMENT))
        .map_err(generate)?
        .into_string();
    Ok(KeyPairText {
        public: PublicKeyText(public),
        secret: SecretKeyText(SecretString::from(secret)),
    })
}

/// Writes a key pair: the secret key with mode 0600, the public key with mode 0644. Neither
/// file may exist; when the second cannot be written, the first is removed again.
pub fn write_key_pair(
    pair: &KeyPairText,
    public_path: &Path,
    secret_path: &Path,
) -> Result<(), KeyError> {
    for path in [public_path, secret_path] {
        if path.exists() {
            return Err(KeyError::AlreadyExists { path: path.into() });
        }
    }
    write_new_file(secret_path, pair.secret.0.expose_secret().as_bytes(), 0o600)?;
    if let Err(e) = write_new_file(public_path, pair.public.0.as_bytes(), 0o644) {
        // We created it a moment ago: leaving a secret key without its public half helps nobody.
        let _ = std::fs::remove_file(secret_path);
        return Err(e);
    }
    Ok(())
}

/// Creates `path` with `contents` and `mode` (Unix), refusing to replace an existing file.
pub fn write_new_file(path: &Path, contents: &[u8], mode: u32) -> Result<(), KeyError> {
    let io = |source| KeyError::Io {
        path: path.into(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyError::AlreadyExists { path: path.into() }
        } else {
            io(e)
        }
    })?;
    file.write_all(contents).map_err(io)?;
    file.sync_all().map_err(io)
}

/// A public key that verifies packs.
#[derive(Clone)]
pub struct PublicKey {
    key: ed25519_dalek::VerifyingKey,
    key_id: [u8; 8],
    base64: String,
}

impl PublicKey {
    /// Reads a key given as a `.pub` file's text or as the bare base64 line (`RW...`).
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let malformed = |reason: &str| KeyError::MalformedPublicKey(reason.to_owned());
        let line = key_line(text).ok_or_else(|| malformed("no key line found"))?;
        let bytes = BASE64
            .decode(line)
            .map_err(|e| KeyError::MalformedPublicKey(format!("not base64: {e}")))?;
        if bytes.len() != PUBLIC_KEY_LEN {
            return Err(malformed("not 42 bytes long"));
        }
        if bytes.get(PUBLIC_ALG) != Some(ED25519.as_slice()) {
            return Err(malformed("not an Ed25519 key (algorithm is not \"Ed\")"));
        }
        let key_id = fixed(&bytes, PUBLIC_KEY_ID).ok_or_else(|| malformed("too short"))?;
        let point = fixed(&bytes, PUBLIC_POINT).ok_or_else(|| malformed("too short"))?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&point)
            .map_err(|_| malformed("not a valid Ed25519 point"))?;
        Ok(PublicKey {
            key,
            key_id,
            base64: line.to_owned(),
        })
    }

    /// Reads a public key file.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.into(),
            source,
        })?;
        Self::from_text(&text)
    }

    fn from_verifying_key(key: ed25519_dalek::VerifyingKey, key_id: [u8; 8]) -> Self {
        let mut bytes = Vec::with_capacity(PUBLIC_KEY_LEN);
        bytes.extend_from_slice(ED25519);
        bytes.extend_from_slice(&key_id);
        bytes.extend_from_slice(key.as_bytes());
        PublicKey {
            key,
            key_id,
            base64: BASE64.encode(&bytes),
        }
    }

    /// The key as minisign prints it (`RW...`), which `minisign -P` accepts.
    pub fn to_base64(&self) -> &str {
        &self.base64
    }

    /// The key as a `.pub` file, as `minisign -G` writes it.
    pub fn to_file_text(&self) -> PublicKeyText {
        PublicKeyText(format!(
            "untrusted comment: minisign public key: {}\n{}\n",
            self.key_id(),
            self.base64
        ))
    }

    /// The key id as minisign shows it (16 upper-case hex digits).
    pub fn key_id(&self) -> String {
        key_id_hex(&self.key_id)
    }

    /// Checks a minisign signature file (`.minisig` text) of `data`: the prehashed Ed25519
    /// signature and the signature of its trusted comment.
    pub(crate) fn verify_minisig(&self, data: &[u8], minisig: &[u8]) -> Result<(), VerifyError> {
        let signature = MinisigFile::parse(minisig)
            .map_err(|reason| VerifyError::MalformedSignature { reason })?;
        if signature.key_id != self.key_id {
            return Err(VerifyError::WrongKey {
                signed_by: key_id_hex(&signature.key_id),
                key: self.base64.clone(),
                key_id: self.key_id(),
            });
        }
        let bad = |reason: &str| VerifyError::BadSignature {
            key: self.base64.clone(),
            reason: reason.to_owned(),
        };
        self.key
            .verify_strict(&Blake2b512::digest(data), &signature.signature)
            .map_err(|_| bad("the signature does not match its content"))?;
        let mut signed_comment = signature.signature.to_bytes().to_vec();
        signed_comment.extend_from_slice(signature.trusted_comment.as_bytes());
        self.key
            .verify_strict(&signed_comment, &signature.comment_signature)
            .map_err(|_| bad("the trusted comment's signature does not match"))
    }
}

/// A parsed `.minisig` file: four lines, as minisign writes them.
struct MinisigFile<'a> {
    key_id: [u8; 8],
    signature: ed25519_dalek::Signature,
    trusted_comment: &'a str,
    comment_signature: ed25519_dalek::Signature,
}

impl<'a> MinisigFile<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())?;
        let mut lines = text.lines();
        let mut line = |what: &str| lines.next().ok_or_else(|| format!("{what} line missing"));
        line("untrusted comment")?
            .strip_prefix("untrusted comment: ")
            .ok_or("the first line is not an untrusted comment")?;
        let signature = BASE64
            .decode(line("signature")?.trim())
            .map_err(|e| format!("signature is not base64: {e}"))?;
        let trusted_comment = line("trusted comment")?
            .strip_prefix("trusted comment: ")
            .ok_or("the third line is not a trusted comment")?;
        let comment_signature = BASE64
            .decode(line("comment signature")?.trim())
            .map_err(|e| format!("comment signature is not base64: {e}"))?;
        if lines.any(|rest| !rest.trim().is_empty()) {
            return Err("unexpected lines after the comment signature".into());
        }
        if signature.len() != SIGNATURE_LINE_LEN {
            return Err(format!(
                "signature is {} bytes, not {SIGNATURE_LINE_LEN}",
                signature.len()
            ));
        }
        if signature.get(..2) != Some(PREHASHED_ED25519.as_slice()) {
            return Err("not a prehashed Ed25519 signature (algorithm is not \"ED\")".into());
        }
        let as_signature = |bytes: &[u8]| {
            ed25519_dalek::Signature::from_slice(bytes)
                .map_err(|_| format!("a signature is {} bytes, not 64", bytes.len()))
        };
        Ok(MinisigFile {
            key_id: fixed(&signature, 2..10).ok_or("signature too short")?,
            signature: as_signature(signature.get(10..).unwrap_or_default())?,
            trusted_comment: trusted_comment.trim(),
            comment_signature: as_signature(&comment_signature)?,
        })
    }
}

/// `bytes[range]` as an array, when it has exactly that length.
fn fixed<const N: usize>(bytes: &[u8], range: std::ops::Range<usize>) -> Option<[u8; N]> {
    bytes.get(range)?.try_into().ok()
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.base64)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base64)
    }
}

/// The first line of a key file that is not its comment.
fn key_line(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with("untrusted comment:"))
}

/// A minisign key id as minisign prints it: the 8 bytes read as a little-endian integer.
pub(crate) fn key_id_hex(keynum: &[u8]) -> String {
    keynum.iter().rev().map(|b| format!("{b:02X}")).collect()
}

/// A decrypted secret key, ready to sign manifests.
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    key_id: [u8; 8],
    public: PublicKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey(key ID {})", key_id_hex(&self.key_id))
    }
}

impl SigningKey {
    /// Reads a secret key from its file text; `passphrase` is required when the key is
    /// encrypted (and ignored otherwise).
    pub fn from_text(
        text: &SecretKeyText,
        passphrase: Option<&SecretString>,
    ) -> Result<Self, KeyError> {
        let text = text.0.expose_secret();
        let encrypted = kdf_alg(text)? != KDF_NONE;
        let key_box = minisign::SecretKeyBox::from_string(text)
            .map_err(|e| KeyError::MalformedSecretKey(e.to_string()))?;
        let secret = match (encrypted, passphrase) {
            (true, None) => return Err(KeyError::PassphraseRequired),
            (true, Some(passphrase)) => {
                minisign::SecretKey::from_box(key_box, Some(passphrase.expose_secret().to_owned()))
                    .map_err(|e| match e.kind() {
                        // The crate reports a checksum mismatch after decryption this way.
                        minisign::ErrorKind::Verify => KeyError::WrongPassphrase,
                        _ => KeyError::MalformedSecretKey(e.to_string()),
                    })?
            }
            (false, _) => minisign::SecretKey::from_unencrypted_box(key_box)
                .map_err(|e| KeyError::MalformedSecretKey(e.to_string()))?,
        };
        Self::from_minisign(&secret)
    }

    /// Reads a secret key file. An unencrypted key must not be readable by group or others.
    pub fn from_file(path: &Path, passphrase: Option<&SecretString>) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.into(),
            source,
        };
        let text = SecretKeyText(SecretString::from(
            std::fs::read_to_string(path).map_err(io)?,
        ));
        #[cfg(unix)]
        if kdf_alg(text.0.expose_secret())? == KDF_NONE {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::InsecurePermissions {
                    path: path.into(),
                    mode,
                });
            }
        }
        Self::from_text(&text, passphrase)
    }

    fn from_minisign(secret: &minisign::SecretKey) -> Result<Self, KeyError> {
        let bytes = secret.to_bytes();
        let too_short = || KeyError::MalformedSecretKey("too short".into());
        let seed: [u8; 32] = fixed(&bytes, SECRET_SEED).ok_or_else(too_short)?;
        let key_id: [u8; 8] = fixed(&bytes, SECRET_KEY_ID).ok_or_else(too_short)?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        if bytes.get(SECRET_PUBLIC) != Some(key.verifying_key().as_bytes().as_slice()) {
            return Err(KeyError::MalformedSecretKey(
                "its public half does not match its secret half".into(),
            ));
        }
        Ok(SigningKey {
            public: PublicKey::from_verifying_key(key.verifying_key(), key_id),
            key,
            key_id,
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// A minisign signature file (`.minisig`) of `data`: prehashed Ed25519 over BLAKE2b-512
    /// and a signed trusted comment, as `minisign -S` writes, but deterministic.
    pub(crate) fn sign(&self, data: &[u8], trusted_comment: &str) -> String {
        let prehash = Blake2b512::digest(data);
        let signature = self.key.sign(&prehash).to_bytes();
        let mut signature_line = Vec::with_capacity(2 + 8 + 64);
        signature_line.extend_from_slice(PREHASHED_ED25519);
        signature_line.extend_from_slice(&self.key_id);
        signature_line.extend_from_slice(&signature);
        let mut signed_comment = signature.to_vec();
        signed_comment.extend_from_slice(trusted_comment.as_bytes());
        let comment_signature = self.key.sign(&signed_comment).to_bytes();
        format!(
            "untrusted comment: {SIGNATURE_COMMENT}\n{}\ntrusted comment: {trusted_comment}\n{}\n",
            BASE64.encode(&signature_line),
            BASE64.encode(comment_signature),
        )
    }
}

/// The KDF algorithm bytes of a secret key file, read without decrypting anything.
fn kdf_alg(text: &str) -> Result<[u8; 2], KeyError> {
    let line =
        key_line(text).ok_or_else(|| KeyError::MalformedSecretKey("no key line found".into()))?;
    let bytes = BASE64
        .decode(line)
        .map_err(|e| KeyError::MalformedSecretKey(format!("not base64: {e}")))?;
    bytes
        .get(SECRET_KDF_ALG)
        .and_then(|alg| alg.try_into().ok())
        .ok_or_else(|| KeyError::MalformedSecretKey("too short".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_read_like_minisign() {
        assert_eq!(key_id_hex(&[1, 2, 3, 4, 5, 6, 7, 0xAB]), "AB07060504030201");
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let pair = keygen(None).unwrap();
        let key = SigningKey::from_text(&pair.secret, None).unwrap();
        let secret_line = key_line(pair.secret.0.expose_secret()).unwrap().to_owned();
        let shown = format!("{key:?} {:?}", pair.secret);
        assert!(!shown.contains(&secret_line[10..30]), "{shown}");
        assert!(shown.contains("key ID"));
    }

    #[test]
    fn public_key_from_secret_matches_the_generated_one() {
        let pair = keygen(None).unwrap();
        let key = SigningKey::from_text(&pair.secret, None).unwrap();
        let public = PublicKey::from_text(&pair.public.0).unwrap();
        assert_eq!(key.public_key().to_base64(), public.to_base64());
        assert_eq!(key.public_key().key_id(), public.key_id());
    }

    #[test]
    fn malformed_keys_are_typed_errors() {
        assert!(matches!(
            PublicKey::from_text("untrusted comment: x\nnot a key"),
            Err(KeyError::MalformedPublicKey(_))
        ));
        assert!(matches!(
            PublicKey::from_text(""),
            Err(KeyError::MalformedPublicKey(_))
        ));
        let garbage = SecretKeyText(SecretString::from("untrusted comment: x\nAAAA"));
        assert!(matches!(
            SigningKey::from_text(&garbage, None),
            Err(KeyError::MalformedSecretKey(_))
        ));
    }
}
