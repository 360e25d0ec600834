//! `openai-admin-key-unused`: a key nobody uses is risk without benefit.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::keys::{for_admin_keys, judge_unused};
use custos_model::inventory::Snapshot;

pub(crate) const UNUSED_DAYS: ParamSpec = ParamSpec {
    name: "unused_days",
    doc: "Days without use after which a key is unused.",
    default: "90",
    kind: ParamKind::Integer {
        min: 1,
        max: i64::MAX,
    },
};

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-admin-key-unused",
    title: "Admin key unused",
    severity: Severity::Medium,
    category: "credentials",
    resource_kind: "admin_api_key",
    needs: &[Need::Admin],
    params: &[UNUSED_DAYS],
    description: "An admin key: `last_used_at` is null and the key was created at least `unused_days` days ago, or `last_used_at` is at least `unused_days` days ago.",
    remediation: "Delete the admin key.",
    controls: controls::CREDENTIAL_LIFECYCLE,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let unused_days = params.integer("unused_days");
    for_admin_keys(snapshot, out, |key, out| {
        judge_unused(out, key, as_of, unused_days);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::time::days;
    use crate::testing::*;
    use serde_json::json;

    #[test]
    fn never_used_and_last_used_boundaries() {
        let cutoff = AS_OF - days(90);
        let mut snapshot = snapshot();
        for key in [
            json!({"id": "never-used-old", "created_at": cutoff, "last_used_at": null}),
            json!({"id": "never-used-young", "created_at": cutoff + 1}),
            json!({"id": "used-at-cutoff", "created_at": 0, "last_used_at": cutoff}),
            json!({"id": "used-before-cutoff", "created_at": 0, "last_used_at": cutoff - 1}),
            json!({"id": "used-after-cutoff", "created_at": 0, "last_used_at": cutoff + 1}),
        ] {
            snapshot.inventory.admin_api_keys.push(obj(key));
        }
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        for (id, expected) in [
            ("never-used-old", Verdict::Fail),
            ("never-used-young", Verdict::Pass),
            ("used-at-cutoff", Verdict::Fail),
            ("used-before-cutoff", Verdict::Fail),
            ("used-after-cutoff", Verdict::Pass),
        ] {
            assert_eq!(verdict(&outcomes, id), expected, "{id}");
        }
    }
}
