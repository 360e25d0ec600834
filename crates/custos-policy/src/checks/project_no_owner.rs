//! `openai-project-no-owner`: nobody is accountable for a project without an owner.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::endpoints;
use crate::shared::owners::project_owner_ids;
use crate::shared::scope::{for_active_projects, project_label};
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-project-no-owner",
    title: "Project has no owner",
    severity: Severity::Medium,
    category: "identity",
    resource_kind: "project",
    needs: &[Need::Admin],
    params: &[],
    description: "An active project has no project user with `role == \"owner\"` (organization owners and service accounts do not count).",
    remediation: "Make the person accountable for the project its owner, or archive the project.",
    controls: controls::PRIVILEGED_ACCESS,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, _params: &Params, out: &mut Outcomes) {
    for_active_projects(
        snapshot,
        out,
        &[endpoints::PROJECT_USERS],
        |project, out| {
            let owners = project_owner_ids(project);
            let label = project_label(project);
            out.judge(
                Subject::project(&project.project.id),
                owners.is_empty(),
                |fires| {
                    if fires {
                        format!(
                            "{label} has no owner among its {} user(s)",
                            project.users.len()
                        )
                    } else {
                        format!("{label} has {} owner(s)", owners.len())
                    }
                },
                || json!({ "owner_ids": owners, "project_users": project.users.len() }),
            );
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::testing::*;

    #[test]
    fn fires_for_active_projects_without_a_project_owner() {
        let mut snapshot = snapshot();
        let mut owned = project("owned");
        owned
            .users
            .push(obj(json!({"id": "u1", "role": "owner", "added_at": 0})));
        let mut members_only = project("members-only");
        members_only
            .users
            .push(obj(json!({"id": "u2", "role": "member", "added_at": 0})));
        // A service account with the owner role does not make the project owned.
        members_only
            .service_accounts
            .push(obj(json!({"id": "sa", "role": "owner", "created_at": 0})));
        let empty = project("empty");
        let archived = archived_project("archived");
        snapshot.inventory.projects = vec![owned, members_only, empty, archived];
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 3);
        assert_eq!(verdict(&outcomes, "owned"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "members-only"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "empty"), Verdict::Fail);
    }

    #[test]
    fn failed_user_list_is_indeterminate_not_ownerless() {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![project("p")];
        snapshot
            .failures
            .push(failure(endpoints::PROJECT_USERS, Some("p"), 429));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, "p")).contains("HTTP 429"));
    }
}
