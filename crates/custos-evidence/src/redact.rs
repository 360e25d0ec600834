//! What leaves the store in a pack carries no email address and no key value, even when the
//! store was configured to keep emails (`privacy.store_emails`) or a record slipped through.
//!
//! Emails become what the scan writes at ingest (`custos-scan`'s privacy module), with the
//! same hash ([`custos_records::privacy::email_hash`]), so that records of the pack, the store and a
//! directory can be matched: `email: null`, `email_sha256`, `email_prefix`, `email_domain`.

use serde_json::Value;

/// Redacts any JSON record: every `email` string is hashed, and every key object (its
/// `object` names an `api_key`) loses its `value`: the store's own rule.
pub(crate) fn redact(value: &mut Value) {
    custos_records::privacy::scrub(value, false);
}

/// Redacts an API key record: its top-level `value` goes whatever its `object` says (the
/// masked `redacted_value` stays, it is what auditors match against the dashboard).
pub(crate) fn redact_key(value: &mut Value) {
    if let Value::Object(map) = value {
        map.remove("value");
    }
    redact(value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emails_are_hashed_as_at_ingest() {
        let mut event = json!({"actor": {"session": {"user": {"email": " Alice@Example.com "}}}});
        redact(&mut event);
        let user = &event["actor"]["session"]["user"];
        assert_eq!(user["email"], Value::Null);
        assert_eq!(
            user["email_sha256"],
            "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976"
        );
        assert_eq!(user["email_prefix"], "alic");
        assert_eq!(user["email_domain"], "example.com");
    }

    #[test]
    fn already_hashed_records_are_unchanged() {
        let stored = json!({"email": null, "email_sha256": "ab", "email_prefix": "a", "email_domain": "b.c"});
        let mut again = stored.clone();
        redact(&mut again);
        assert_eq!(again, stored);
    }

    #[test]
    fn key_values_never_survive() {
        let mut key = json!({"id": "k", "value": "sk-secret", "redacted_value": "sk-...cret",
                             "owner": {"object": "organization.project.api_key", "value": "x"}});
        redact_key(&mut key);
        assert!(key.get("value").is_none());
        assert!(key["owner"].get("value").is_none());
        assert_eq!(key["redacted_value"], "sk-...cret");
    }
}
