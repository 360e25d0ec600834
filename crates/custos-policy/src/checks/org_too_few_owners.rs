//! `openai-org-too-few-owners`: a single owner is a single point of failure.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::owners::{OwnerBound, evaluate_org_owners};
use custos_model::inventory::Snapshot;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-org-too-few-owners",
    title: "Organization has too few owners",
    severity: Severity::High,
    category: "identity",
    resource_kind: "organization",
    needs: &[Need::Admin],
    params: &[ParamSpec {
        name: "min_owners",
        doc: "The fewest organization owners allowed.",
        default: "2",
        kind: ParamKind::Integer {
            min: 0,
            max: i64::MAX,
        },
    }],
    description: "The organization has fewer users with `role == \"owner\"` than `min_owners`.",
    remediation: "Promote a second trusted administrator to owner so that the organization is not locked out when one owner leaves.",
    controls: controls::PRIVILEGED_ACCESS,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, params: &Params, out: &mut Outcomes) {
    evaluate_org_owners(
        snapshot,
        out,
        OwnerBound::AtLeast(params.integer("min_owners")),
        "min_owners",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::data::endpoints;
    use crate::testing::*;
    use serde_json::json;

    fn org_with_owners(owners: usize) -> Snapshot {
        let mut snapshot = snapshot();
        for i in 0..owners {
            snapshot
                .inventory
                .users
                .push(user(&format!("owner-{i}"), "owner", 0));
        }
        snapshot.inventory.users.push(user("reader", "reader", 0));
        snapshot
    }

    #[test]
    fn fires_below_the_minimum_only() {
        for (owners, min, expected) in [
            (0, 2, Verdict::Fail),
            (1, 2, Verdict::Fail),
            (2, 2, Verdict::Pass),
            (3, 2, Verdict::Pass),
            (0, 0, Verdict::Pass),
        ] {
            let outcomes = run(
                &CHECK,
                &org_with_owners(owners),
                AS_OF,
                json!({"min_owners": min}),
            );
            assert_well_formed(&META, &outcomes);
            assert_eq!(
                verdict(&outcomes, ORG),
                expected,
                "{owners} owners, min {min}"
            );
            assert!(
                outcomes[0]
                    .message
                    .contains(&format!("has {owners} owner(s)"))
            );
            if expected == Verdict::Fail {
                assert_eq!(outcomes[0].evidence.to_value()["owners"], json!(owners));
                assert_eq!(outcomes[0].evidence.to_value()["min_owners"], json!(min));
            } else {
                assert_eq!(
                    outcomes[0].evidence.to_value(),
                    json!({}),
                    "a pass carries no evidence"
                );
            }
        }
    }

    #[test]
    fn null_or_other_roles_are_not_owners() {
        let mut snapshot = org_with_owners(1);
        snapshot
            .inventory
            .users
            .push(obj(json!({"id": "u-null", "role": null, "added_at": 0})));
        snapshot
            .inventory
            .users
            .push(obj(json!({"id": "u-missing", "added_at": 0})));
        snapshot.inventory.users.push(user("u-upper", "Owner", 0));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_eq!(verdict(&outcomes, ORG), Verdict::Fail);
    }

    #[test]
    fn failed_user_list_is_indeterminate() {
        let mut snapshot = org_with_owners(3);
        snapshot.failures.push(failure(endpoints::USERS, None, 503));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, ORG)).contains("/organization/users"));
    }
}
