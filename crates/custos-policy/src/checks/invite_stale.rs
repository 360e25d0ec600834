//! `openai-invite-stale`: an old pending invite is an open door nobody watches.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::people::for_pending_invites;
use crate::shared::time::{age_in_days, older_than};
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-invite-stale",
    title: "Pending invite is stale",
    severity: Severity::Low,
    category: "identity",
    resource_kind: "invite",
    needs: &[Need::Admin],
    params: &[ParamSpec {
        name: "stale_days",
        doc: "Age in days from which a pending invite is stale.",
        default: "30",
        kind: ParamKind::Integer {
            min: 0,
            max: i64::MAX,
        },
    }],
    description: "An invite has `status == \"pending\"` and was created at least `stale_days` days ago, or has an `expires_at` at or before the evaluation time.",
    remediation: "Delete the invite; invite the person again if they still need access.",
    controls: controls::ACCOUNT_LIFECYCLE,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let stale_days = params.integer("stale_days");
    for_pending_invites(snapshot, out, |invite, out| {
        let subject = Subject::new("invite", &invite.id, None);
        let expired = invite.expires_at.is_some_and(|t| t <= as_of);
        // `created_at`, or `invited_at` in older payloads; an expired invite is stale whenever
        // it was sent, any other needs the time.
        let sent_at = invite.sent_at();
        if sent_at.is_none() && !expired {
            let gap = format!(
                "invite {} says neither when it was sent (created_at) nor invited_at",
                invite.id
            );
            out.indeterminate(subject, vec![gap]);
            return;
        }
        let old = sent_at.is_some_and(|t| older_than(t, as_of, stale_days));
        let age = sent_at.map(|t| age_in_days(t, as_of));
        out.judge(
            subject,
            old || expired,
            // Only an expired invite may lack a time (see above), so where its age is
            // written it is known.
            |fires| match (fires, expired) {
                (true, true) => format!(
                    "Pending invite {} has expired but is still pending",
                    invite.id
                ),
                (true, false) => format!(
                    "Pending invite {} was created {} days ago, at least {stale_days} days",
                    invite.id,
                    age.unwrap_or_default()
                ),
                (false, _) => format!(
                    "Pending invite {} is {} days old",
                    invite.id,
                    age.unwrap_or_default()
                ),
            },
            || {
                json!({
                    "created_at": sent_at,
                    "expires_at": invite.expires_at,
                    "age_days": age,
                    "stale_days": stale_days,
                })
            },
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::time::days;
    use crate::testing::*;

    #[test]
    fn boundaries_of_age_and_expiry() {
        let cutoff = AS_OF - days(30);
        let cases = [
            (
                "created-at-cutoff",
                json!(cutoff),
                json!(null),
                Verdict::Fail,
            ),
            (
                "created-before-cutoff",
                json!(cutoff - 1),
                json!(null),
                Verdict::Fail,
            ),
            (
                "created-after-cutoff",
                json!(cutoff + 1),
                json!(null),
                Verdict::Pass,
            ),
            (
                "expires-at-as-of",
                json!(cutoff + 1),
                json!(AS_OF),
                Verdict::Fail,
            ),
            (
                "expired-a-second-ago",
                json!(cutoff + 1),
                json!(AS_OF - 1),
                Verdict::Fail,
            ),
            (
                "expires-in-a-second",
                json!(cutoff + 1),
                json!(AS_OF + 1),
                Verdict::Pass,
            ),
        ];
        let mut snapshot = snapshot();
        for (id, created, expires, _) in &cases {
            snapshot.inventory.invites.push(obj(json!({
                "id": id, "role": "reader", "status": "pending",
                "created_at": created, "expires_at": expires,
            })));
        }
        // Without `expires_at` at all, only the age counts.
        snapshot.inventory.invites.push(obj(json!({
            "id": "no-expiry-field", "role": "reader", "status": "pending", "created_at": cutoff + 1,
        })));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        for (id, _, _, expected) in cases {
            assert_eq!(verdict(&outcomes, id), expected, "{id}");
        }
        assert_eq!(verdict(&outcomes, "no-expiry-field"), Verdict::Pass);
    }

    #[test]
    fn the_time_is_created_at_or_invited_at_and_without_either_only_expiry_judges() {
        let cutoff = AS_OF - days(30);
        let mut snapshot = snapshot();
        for invite in [
            json!({"id": "old-payload-stale", "invited_at": cutoff}),
            json!({"id": "old-payload-fresh", "invited_at": cutoff + 1}),
            json!({"id": "no-time-expired", "expires_at": AS_OF - 1}),
            json!({"id": "no-time", "expires_at": AS_OF + 1}),
        ] {
            let mut invite = invite;
            invite["role"] = json!("reader");
            invite["status"] = json!("pending");
            snapshot.inventory.invites.push(obj(invite));
        }
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(verdict(&outcomes, "old-payload-stale"), Verdict::Fail);
        assert_eq!(
            outcome(&outcomes, "old-payload-stale").evidence.to_value()["created_at"],
            json!(cutoff)
        );
        assert_eq!(verdict(&outcomes, "old-payload-fresh"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "no-time-expired"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "no-time"), Verdict::Indeterminate);
        assert!(missing(outcome(&outcomes, "no-time")).contains("invited_at"));
    }

    #[test]
    fn accepted_invites_are_out_of_scope() {
        let mut snapshot = snapshot();
        snapshot.inventory.invites.push(obj(
            json!({"id": "old", "role": "reader", "status": "accepted", "created_at": 0}),
        ));
        assert!(run_default(&CHECK, &snapshot, AS_OF).is_empty());
    }
}
