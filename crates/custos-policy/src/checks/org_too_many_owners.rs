//! `openai-org-too-many-owners`: every owner can do everything, so there should be few.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::owners::{OwnerBound, evaluate_org_owners};
use custos_model::inventory::Snapshot;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-org-too-many-owners",
    title: "Organization has too many owners",
    severity: Severity::High,
    category: "identity",
    resource_kind: "organization",
    needs: &[Need::Admin],
    params: &[ParamSpec {
        name: "max_owners",
        doc: "The most organization owners allowed.",
        default: "5",
        kind: ParamKind::Integer {
            min: 0,
            max: i64::MAX,
        },
    }],
    description: "The organization has more users with `role == \"owner\"` than `max_owners`.",
    remediation: "Downgrade owners who do not need to manage the organization to reader.",
    controls: controls::PRIVILEGED_ACCESS,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, params: &Params, out: &mut Outcomes) {
    evaluate_org_owners(
        snapshot,
        out,
        OwnerBound::AtMost(params.integer("max_owners")),
        "max_owners",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::data::endpoints;
    use crate::testing::*;
    use serde_json::json;

    #[test]
    fn fires_above_the_maximum_only() {
        for (owners, max, expected) in [
            (5, 5, Verdict::Pass),
            (6, 5, Verdict::Fail),
            (4, 5, Verdict::Pass),
            (0, 0, Verdict::Pass),
            (1, 0, Verdict::Fail),
        ] {
            let mut snapshot = snapshot();
            for i in 0..owners {
                snapshot
                    .inventory
                    .users
                    .push(user(&format!("o{i}"), "owner", 0));
            }
            snapshot.inventory.users.push(user("r", "reader", 0));
            let outcomes = run(&CHECK, &snapshot, AS_OF, json!({"max_owners": max}));
            assert_well_formed(&META, &outcomes);
            assert_eq!(
                verdict(&outcomes, ORG),
                expected,
                "{owners} owners, max {max}"
            );
        }
    }

    #[test]
    fn failed_user_list_is_indeterminate() {
        let mut snapshot = snapshot();
        snapshot.failures.push(failure(endpoints::USERS, None, 500));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, ORG)).contains("HTTP 500"));
    }
}
