//! `openai-admin-key-not-rotated`: an admin key can do anything; old ones have had time to leak.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::keys::{for_admin_keys, judge_rotation};
use custos_model::inventory::Snapshot;

pub(crate) const ROTATION_DAYS: ParamSpec = ParamSpec {
    name: "rotation_days",
    doc: "Age in days at which a key must have been replaced.",
    default: "90",
    kind: ParamKind::Integer {
        min: 1,
        max: i64::MAX,
    },
};

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-admin-key-not-rotated",
    title: "Admin key not rotated",
    severity: Severity::High,
    category: "credentials",
    resource_kind: "admin_api_key",
    needs: &[Need::Admin],
    params: &[ROTATION_DAYS],
    description: "An admin key was created at least `rotation_days` days ago.",
    remediation: "Create a new admin key, move its users to it, then delete the old one.",
    controls: controls::CREDENTIALS,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let rotation_days = params.integer("rotation_days");
    for_admin_keys(snapshot, out, |key, out| {
        judge_rotation(out, key, as_of, rotation_days);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::data::endpoints;
    use crate::shared::time::days;
    use crate::testing::*;
    use serde_json::json;

    #[test]
    fn fires_at_and_beyond_the_rotation_age() {
        let cutoff = AS_OF - days(90);
        let mut snapshot = snapshot();
        for (id, created) in [
            ("at", cutoff),
            ("older", cutoff - 1),
            ("younger", cutoff + 1),
        ] {
            snapshot
                .inventory
                .admin_api_keys
                .push(obj(json!({"id": id, "created_at": created})));
        }
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(verdict(&outcomes, "at"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "older"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "younger"), Verdict::Pass);
        assert_eq!(outcome(&outcomes, "at").resource_kind, "admin_api_key");
        assert_eq!(outcome(&outcomes, "at").evidence.to_value()["age_days"], 90);
    }

    #[test]
    fn failed_key_list_is_indeterminate() {
        let mut snapshot = snapshot();
        snapshot
            .failures
            .push(failure(endpoints::ADMIN_API_KEYS, None, 403));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, ORG)).contains("admin_api_keys"));
    }
}
