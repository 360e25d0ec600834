//! `openai-invite-high-privilege`: whoever accepts an owner invite owns the organization.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::people::for_pending_invites;
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-invite-high-privilege",
    title: "Pending invite grants the owner role",
    severity: Severity::High,
    category: "identity",
    resource_kind: "invite",
    needs: &[Need::Admin],
    params: &[],
    description: "An invite has `status == \"pending\"` and `role == \"owner\"`.",
    remediation: "Delete the invite and invite the person as reader; promote them once they have joined, if they need it.",
    controls: controls::PRIVILEGED_ACCESS,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, _params: &Params, out: &mut Outcomes) {
    for_pending_invites(snapshot, out, |invite, out| {
        let role = invite.role.as_str();
        out.judge(
            Subject::new("invite", &invite.id, None),
            role == "owner",
            |fires| {
                let what = if fires {
                    "grants the owner role"
                } else {
                    "grants the role"
                };
                format!("Pending invite {} {what} {role}", invite.id)
            },
            || json!({ "role": role, "status": invite.status, "created_at": invite.sent_at() }),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::data::endpoints;
    use crate::testing::*;

    #[test]
    fn fires_for_pending_owner_invites_only() {
        let mut snapshot = snapshot();
        for (id, role, status) in [
            ("pending-owner", "owner", "pending"),
            ("pending-reader", "reader", "pending"),
            ("accepted-owner", "owner", "accepted"),
            ("expired-owner", "owner", "expired"),
        ] {
            snapshot.inventory.invites.push(obj(
                json!({"id": id, "role": role, "status": status, "created_at": 0, "email": "a@b.c"}),
            ));
        }
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 2, "only pending invites are in scope");
        assert_eq!(verdict(&outcomes, "pending-owner"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "pending-reader"), Verdict::Pass);
    }

    #[test]
    fn failed_invite_list_is_indeterminate() {
        let mut snapshot = snapshot();
        snapshot
            .failures
            .push(failure(endpoints::INVITES, None, 500));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, ORG)).contains("invites"));
    }
}
