//! Key pairs: passphrase protection, files that are never overwritten, and signing with a
//! decrypted key.

mod common;

use common::*;
use custos_evidence::{KeyError, PublicKey, SigningKey, keygen, verify, write_key_pair};
use secrecy::SecretString;

fn passphrase(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

#[tokio::test]
async fn a_passphrase_protected_key_round_trips_and_signs() {
    let pair = keygen(Some(&passphrase("correct horse"))).unwrap();
    let key = SigningKey::from_text(&pair.secret, Some(&passphrase("correct horse"))).unwrap();
    let public = PublicKey::from_text(&pair.public.0).unwrap();
    assert_eq!(key.public_key().to_base64(), public.to_base64());
    assert!(public.to_base64().starts_with("RW"));
    let archive = pack(&key).await;
    verify(archive.as_slice(), &public, None).unwrap();
}

#[test]
fn a_wrong_or_missing_passphrase_is_a_typed_error() {
    let pair = keygen(Some(&passphrase("right"))).unwrap();
    assert!(matches!(
        SigningKey::from_text(&pair.secret, Some(&passphrase("wrong"))),
        Err(KeyError::WrongPassphrase)
    ));
    assert!(matches!(
        SigningKey::from_text(&pair.secret, None),
        Err(KeyError::PassphraseRequired)
    ));
}

#[cfg(unix)]
#[test]
fn key_files_are_private_and_never_overwritten() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let (public, secret) = (
        dir.path().join("evidence.pub"),
        dir.path().join("evidence.key"),
    );
    let pair = keygen(None).unwrap();
    write_key_pair(&pair, &public, &secret).unwrap();
    let mode = |path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&secret), 0o600);
    assert_eq!(mode(&public), 0o644);
    let before = std::fs::read(&secret).unwrap();

    let again = keygen(None).unwrap();
    assert!(matches!(
        write_key_pair(&again, &public, &secret),
        Err(KeyError::AlreadyExists { .. })
    ));
    assert_eq!(std::fs::read(&secret).unwrap(), before);

    let key = SigningKey::from_file(&secret, None).unwrap();
    let read_public = PublicKey::from_file(&public).unwrap();
    assert_eq!(key.public_key().to_base64(), read_public.to_base64());
    assert_eq!(
        read_public.to_file_text().0,
        std::fs::read_to_string(&public).unwrap()
    );

    // An unencrypted key readable by others is refused.
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = SigningKey::from_file(&secret, None).unwrap_err();
    assert!(matches!(
        error,
        KeyError::InsecurePermissions { mode: 0o644, .. }
    ));
    assert!(error.to_string().contains("chmod 600"), "{error}");
}
