//! `openai-user-external`: a member whose address is outside the company's domains.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::{endpoint_gap, endpoints};
use crate::shared::people::{AllowedDomains, NO_ALLOWED_DOMAINS, judge_domain};
use custos_model::inventory::Snapshot;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-user-external",
    title: "User with an external email domain",
    severity: Severity::Medium,
    category: "identity",
    resource_kind: "user",
    needs: &[Need::Admin],
    params: &[super::invite_external_domain::ALLOWED_DOMAINS],
    description: "An organization user's email domain (lower-cased) is not in `allowed_domains`. Indeterminate when `allowed_domains` is empty.",
    remediation: "Remove the user unless the external access is approved; add approved partner domains to `allowed_domains`.",
    controls: controls::ACCOUNT_LIFECYCLE,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, params: &Params, out: &mut Outcomes) {
    let organization = Subject::organization(&snapshot.org_id);
    let Some(allowed) = AllowedDomains::new(params.strings("allowed_domains")) else {
        out.indeterminate(organization, vec![NO_ALLOWED_DOMAINS.to_owned()]);
        return;
    };
    if let Some(gap) = endpoint_gap(snapshot, endpoints::USERS, None) {
        out.indeterminate(organization, vec![gap]);
        return;
    }
    for user in &snapshot.inventory.users {
        let label = format!("User {}", user.id);
        let subject = Subject::new("user", &user.id, None);
        judge_domain(out, subject, &label, user.email_domain(), &allowed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::testing::*;
    use serde_json::json;

    #[test]
    fn compares_the_domain_of_each_user() {
        let mut snapshot = snapshot();
        snapshot.inventory.users = vec![
            obj(json!({"id": "internal", "email": "x@EXAMPLE.com", "added_at": 0})),
            obj(json!({"id": "external", "email": "x@gmail.com", "added_at": 0})),
            obj(json!({"id": "hashed", "email_domain": "example.com", "added_at": 0})),
            obj(json!({"id": "unknown", "email": null, "added_at": 0})),
        ];
        let params = json!({"allowed_domains": ["@Example.com", "partner.io"]});
        let outcomes = run(&CHECK, &snapshot, AS_OF, params);
        assert_well_formed(&META, &outcomes);
        assert_eq!(verdict(&outcomes, "internal"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "external"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "hashed"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "unknown"), Verdict::Indeterminate);
        assert_eq!(
            outcome(&outcomes, "external").evidence.to_value()["email_domain"],
            "gmail.com"
        );
    }

    #[test]
    fn empty_allow_list_or_failed_users_are_indeterminate() {
        let mut snapshot = snapshot();
        snapshot.inventory.users = vec![user("u", "reader", 0)];
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, ORG)).contains("allowed_domains"));
        snapshot.failures.push(failure(endpoints::USERS, None, 503));
        let outcomes = run(
            &CHECK,
            &snapshot,
            AS_OF,
            json!({"allowed_domains": ["example.com"]}),
        );
        assert!(missing(outcome(&outcomes, ORG)).contains("/organization/users"));
    }
}
