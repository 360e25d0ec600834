//! `openai-admin-key-no-expiry`: a key without an expiry lives until someone remembers it.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::keys::{KeyRef, for_admin_keys};
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-admin-key-no-expiry",
    title: "Admin key never expires",
    severity: Severity::Low,
    category: "credentials",
    resource_kind: "admin_api_key",
    needs: &[Need::Admin],
    params: &[],
    description: "An admin key's `expires_at` is null.",
    remediation: "Replace the key with one that has an expiry date.",
    controls: controls::CREDENTIALS,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, _params: &Params, out: &mut Outcomes) {
    for_admin_keys(snapshot, out, |key, out| {
        let KeyRef::Admin(admin_key) = key else {
            return;
        };
        let expires_at = admin_key.expires_at;
        out.judge(
            key.subject(),
            expires_at.is_none(),
            |fires| {
                let label = key.label();
                if fires {
                    format!("{label} has no expiry date")
                } else {
                    format!("{label} has an expiry date")
                }
            },
            || json!({ "expires_at": expires_at }),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::testing::*;

    #[test]
    fn fires_when_expires_at_is_null_or_missing() {
        let mut snapshot = snapshot();
        for key in [
            json!({"id": "null", "created_at": 0, "expires_at": null}),
            json!({"id": "missing", "created_at": 0}),
            json!({"id": "set", "created_at": 0, "expires_at": AS_OF + 1}),
            json!({"id": "set-in-past", "created_at": 0, "expires_at": AS_OF - 1}),
        ] {
            snapshot.inventory.admin_api_keys.push(obj(key));
        }
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(verdict(&outcomes, "null"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "missing"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "set"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "set-in-past"), Verdict::Pass);
    }
}
