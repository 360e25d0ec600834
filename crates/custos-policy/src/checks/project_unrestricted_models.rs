//! `openai-project-unrestricted-models`: without model permissions every model is allowed.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::endpoints;
use crate::shared::scope::{for_active_projects, project_label};
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-project-unrestricted-models",
    title: "Project allows every model",
    severity: Severity::Low,
    category: "usage",
    resource_kind: "project",
    needs: &[Need::Admin],
    params: &[],
    description: "An active project has no `project.model_permissions` object (an allow list or a deny list both count as set).",
    remediation: "Set an allow list of the models the project needs.",
    controls: controls::LEAST_FUNCTIONALITY,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, _params: &Params, out: &mut Outcomes) {
    let listings = [endpoints::PROJECT_MODEL_PERMISSIONS];
    for_active_projects(snapshot, out, &listings, |project, out| {
        let label = project_label(project);
        let permissions = project.model_permissions.as_ref();
        out.judge(
            Subject::project(&project.project.id),
            permissions.is_none(),
            |fires| {
                if fires {
                    format!("{label} has no model permissions: every model is allowed")
                } else {
                    format!("{label} has model permissions")
                }
            },
            || {
                json!({
                    "mode": permissions.map(|p| &p.mode),
                    "model_ids": permissions.map(|p| &p.model_ids),
                })
            },
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::testing::*;

    #[test]
    fn any_permissions_object_counts_as_set() {
        let mut allow = project("allow");
        allow.model_permissions = Some(obj(json!({"mode": "allow_list", "model_ids": ["gpt-4o"]})));
        let mut deny = project("deny-empty");
        deny.model_permissions = Some(obj(json!({"mode": "deny_list"})));
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![
            allow,
            deny,
            project("none"),
            archived_project("old"),
            project("failed"),
        ];
        snapshot.failures.push(failure(
            endpoints::PROJECT_MODEL_PERMISSIONS,
            Some("failed"),
            500,
        ));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 4);
        assert_eq!(verdict(&outcomes, "allow"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "deny-empty"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "none"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "failed"), Verdict::Indeterminate);
    }
}
