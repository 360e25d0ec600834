//! `openai-service-account-owner`: a machine identity should not administer a project.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::endpoints;
use crate::shared::scope::for_active_projects;
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-service-account-owner",
    title: "Service account is a project owner",
    severity: Severity::High,
    category: "identity",
    resource_kind: "service_account",
    needs: &[Need::Admin],
    params: &[],
    description: "A service account of an active project has `role == \"owner\"`.",
    remediation: "Give the service account the member role; owners should be people.",
    controls: controls::PRIVILEGED_ACCESS,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, _params: &Params, out: &mut Outcomes) {
    let listings = [endpoints::PROJECT_SERVICE_ACCOUNTS];
    for_active_projects(snapshot, out, &listings, |project, out| {
        let project_id = project.project.id.as_str();
        for account in &project.service_accounts {
            let subject = Subject::new("service_account", &account.id, Some(project_id));
            let role = account.role.as_str();
            out.judge(
                subject,
                role == "owner",
                |fires| {
                    let verb = if fires {
                        "is an owner"
                    } else {
                        "is not an owner"
                    };
                    format!(
                        "Service account {} of project {project_id} {verb} (role {role})",
                        account.id
                    )
                },
                || json!({ "role": role }),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::testing::*;

    #[test]
    fn fires_for_owner_service_accounts_of_active_projects() {
        let mut snapshot = snapshot();
        let mut active = project("p");
        for (id, role) in [
            ("sa-owner", "owner"),
            ("sa-member", "member"),
            ("sa-none", "none"),
        ] {
            active
                .service_accounts
                .push(obj(json!({"id": id, "role": role, "created_at": 0})));
        }
        let mut archived = archived_project("old");
        archived.service_accounts.push(obj(
            json!({"id": "sa-archived", "role": "owner", "created_at": 0}),
        ));
        snapshot.inventory.projects = vec![active, archived];
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 3);
        assert_eq!(verdict(&outcomes, "sa-owner"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "sa-member"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "sa-none"), Verdict::Pass);
        assert_eq!(
            outcome(&outcomes, "sa-owner").project_id.as_deref(),
            Some("p")
        );
    }

    #[test]
    fn failed_listing_is_indeterminate_for_the_project() {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![project("p")];
        snapshot
            .failures
            .push(failure(endpoints::PROJECT_SERVICE_ACCOUNTS, Some("p"), 502));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_eq!(outcomes[0].resource_kind, "project");
        assert!(missing(&outcomes[0]).contains("service_accounts"));
    }
}
