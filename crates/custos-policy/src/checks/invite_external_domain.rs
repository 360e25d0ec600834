//! `openai-invite-external-domain`: an invite to an address outside the company's domains.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::people::{
    AllowedDomains, NO_ALLOWED_DOMAINS, for_pending_invites, judge_domain,
};
use custos_model::inventory::Snapshot;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-invite-external-domain",
    title: "Pending invite to an external email domain",
    severity: Severity::Medium,
    category: "identity",
    resource_kind: "invite",
    needs: &[Need::Admin],
    params: &[ALLOWED_DOMAINS],
    description: "An invite has `status == \"pending\"` and its email's domain (lower-cased) is not in `allowed_domains`. Indeterminate when `allowed_domains` is empty.",
    remediation: "Delete the invite unless the external person is approved; add approved partner domains to `allowed_domains`.",
    controls: controls::ACCOUNT_LIFECYCLE,
};

/// Shared with `openai-user-external`.
pub(crate) const ALLOWED_DOMAINS: ParamSpec = ParamSpec {
    name: "allowed_domains",
    doc: "The organization's email domains, e.g. [\"example.com\"]; compared lower-cased and exactly (subdomains must be listed).",
    default: "[]",
    kind: ParamKind::StringList,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, params: &Params, out: &mut Outcomes) {
    let Some(allowed) = AllowedDomains::new(params.strings("allowed_domains")) else {
        out.indeterminate(
            Subject::organization(&snapshot.org_id),
            vec![NO_ALLOWED_DOMAINS.to_owned()],
        );
        return;
    };
    for_pending_invites(snapshot, out, |invite, out| {
        let label = format!("Pending invite {}", invite.id);
        let subject = Subject::new("invite", &invite.id, None);
        judge_domain(out, subject, &label, invite.email_domain(), &allowed);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::testing::*;
    use serde_json::json;

    #[test]
    fn compares_lower_cased_domains_of_pending_invites() {
        let mut snapshot = snapshot();
        let invites = [
            json!({"id": "internal", "email": "a@Example.COM"}),
            json!({"id": "external", "email": "a@gmail.com"}),
            json!({"id": "subdomain", "email": "a@eu.example.com"}),
            // Hashed at ingest: the domain kept beside the hash decides.
            json!({"id": "hashed-internal", "email": null, "email_domain": "example.com"}),
            json!({"id": "hashed-external", "email_domain": "Other.org"}),
            json!({"id": "no-email"}),
        ];
        for mut invite in invites {
            invite["role"] = json!("reader");
            invite["status"] = json!("pending");
            invite["created_at"] = json!(0);
            snapshot.inventory.invites.push(obj(invite));
        }
        snapshot.inventory.invites.push(obj(json!({
            "id": "accepted-external", "email": "a@gmail.com", "role": "reader",
            "status": "accepted", "created_at": 0,
        })));
        let outcomes = run(
            &CHECK,
            &snapshot,
            AS_OF,
            json!({"allowed_domains": ["example.com"]}),
        );
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 6);
        assert_eq!(verdict(&outcomes, "internal"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "external"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "subdomain"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "hashed-internal"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "hashed-external"), Verdict::Fail);
        assert!(missing(outcome(&outcomes, "no-email")).contains("email"));
    }

    #[test]
    fn empty_allow_list_is_indeterminate() {
        let mut snapshot = snapshot();
        snapshot.inventory.invites.push(obj(json!({
            "id": "i", "email": "a@gmail.com", "role": "reader", "status": "pending", "created_at": 0,
        })));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_eq!(outcomes.len(), 1);
        assert!(missing(outcome(&outcomes, ORG)).contains("allowed_domains"));
    }
}
