//! Privacy of what enters and leaves the store: no email address (unless the configuration
//! keeps them) and no key value. The scan scrubs at ingest; evidence packs scrub again on the
//! way out, with the same rule, so their records match the store's.
//!
//! An email becomes `email_sha256` (of the trimmed, lower-cased address, so a directory can be
//! matched against it), `email_prefix` (its first four characters, for display) and
//! `email_domain` (the external-user policies compare domains).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Rewrites `value` in place: every `email` string field is hashed (unless `keep_emails`),
/// every `value` field of a key object is dropped.
pub fn scrub(value: &mut Value, keep_emails: bool) {
    match value {
        Value::Object(map) => {
            // A key's `value` is the secret itself; the API sends it only on create, and it
            // must never be stored even if a response carries it.
            if map
                .get("object")
                .and_then(Value::as_str)
                .is_some_and(|o| o.contains("api_key"))
            {
                map.remove("value");
            }
            if !keep_emails {
                hash_email_field(map);
            }
            for child in map.values_mut() {
                scrub(child, keep_emails);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| scrub(item, keep_emails)),
        _ => {}
    }
}

/// SHA-256 (hex) of the trimmed, lower-cased email and its first four characters for display:
/// what the store keeps instead of the address unless configured otherwise.
pub fn email_hash(email: &str) -> (String, String) {
    let normalised = email.trim().to_lowercase();
    let hash = hex::encode(Sha256::digest(normalised.as_bytes()));
    (hash, normalised.chars().take(4).collect())
}

fn hash_email_field(map: &mut Map<String, Value>) {
    let Some(Value::String(email)) = map.get("email") else {
        return;
    };
    let (hash, prefix) = email_hash(email);
    let domain = email
        .rsplit_once('@')
        .map(|(_, domain)| Value::String(domain.trim().to_lowercase()))
        .unwrap_or(Value::Null);
    map.insert("email".into(), Value::Null);
    map.insert("email_sha256".into(), Value::String(hash));
    map.insert("email_prefix".into(), Value::String(prefix));
    map.insert("email_domain".into(), domain);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn email_hash_normalises() {
        let (hash, prefix) = email_hash("  Alice@Example.com ");
        assert_eq!(
            hash,
            "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976"
        );
        assert_eq!(prefix, "alic");
    }

    #[test]
    fn emails_are_hashed_everywhere_and_domains_kept() {
        let mut user = json!({
            "object": "organization.user", "id": "user_1", "email": " Alice@Example.com ",
            "owner": {"user": {"email": "bob@corp.io"}}
        });
        scrub(&mut user, false);
        assert_eq!(user["email"], Value::Null);
        assert_eq!(user["email_prefix"], "alic");
        assert_eq!(user["email_domain"], "example.com");
        // sha256("alice@example.com")
        assert_eq!(
            user["email_sha256"],
            "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976"
        );
        assert_eq!(user["owner"]["user"]["email_domain"], "corp.io");
        assert!(!user.to_string().contains("alice@"));
    }

    #[test]
    fn emails_are_kept_when_configured_but_key_values_never() {
        let mut key = json!({"object": "organization.admin_api_key", "id": "k", "value": "sk-admin-secret", "owner": {"email": "a@b.c"}});
        scrub(&mut key, true);
        assert!(key.get("value").is_none());
        assert_eq!(key["owner"]["email"], "a@b.c");
    }
}
