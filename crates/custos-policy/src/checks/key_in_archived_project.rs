//! `openai-key-in-archived-project`: archiving a project does not make its keys go away.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::endpoints;
use crate::shared::keys::KeyRef;
use crate::shared::scope::{ProjectState, for_projects};
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-key-in-archived-project",
    title: "Key left in an archived project",
    severity: Severity::Medium,
    category: "credentials",
    resource_kind: "project_api_key",
    needs: &[Need::Admin],
    params: &[],
    description: "A key is still listed under an archived project.",
    remediation: "Delete the keys of archived projects.",
    controls: controls::CREDENTIAL_LIFECYCLE,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, _params: &Params, out: &mut Outcomes) {
    let listings = [endpoints::PROJECT_API_KEYS];
    // Archived projects are this policy's scope, by exception to the convention.
    for_projects(
        snapshot,
        out,
        ProjectState::Archived,
        &listings,
        |project, out| {
            let project_id = project.project.id.as_str();
            for key in &project.api_keys {
                let key_ref = KeyRef::Project { project_id, key };
                out.fail(
                key_ref.subject(),
                format!("{} is still listed although the project is archived", key_ref.label()),
                json!({ "project_archived_at": project.project.archived_at, "last_used_at": key.last_used_at }),
            );
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::testing::*;

    #[test]
    fn fires_for_every_key_of_archived_projects_only() {
        let mut archived = archived_project("old");
        archived
            .api_keys
            .push(obj(json!({"id": "k1", "created_at": 0})));
        archived.api_keys.push(obj(
            json!({"id": "k2", "created_at": 0, "last_used_at": null}),
        ));
        // Archived by status only, without an `archived_at`.
        let mut status_only = project("status-only");
        status_only.project.status = Some("archived".to_owned());
        status_only
            .api_keys
            .push(obj(json!({"id": "k3", "created_at": 0})));
        let mut active = project("p");
        active
            .api_keys
            .push(obj(json!({"id": "k-active", "created_at": 0})));
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![archived, status_only, active];
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 3);
        for id in ["k1", "k2", "k3"] {
            assert_eq!(verdict(&outcomes, id), Verdict::Fail);
        }
    }

    #[test]
    fn failed_key_list_of_an_archived_project_is_indeterminate() {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![archived_project("old")];
        snapshot
            .failures
            .push(failure(endpoints::PROJECT_API_KEYS, Some("old"), 500));
        assert_eq!(
            verdict(&run_default(&CHECK, &snapshot, AS_OF), "old"),
            Verdict::Indeterminate
        );
    }
}
