//! `openai-project-key-sprawl`: many keys in one project are hard to track and rotate.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::endpoints;
use crate::shared::scope::{for_active_projects, project_label};
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-project-key-sprawl",
    title: "Project has too many keys",
    severity: Severity::Low,
    category: "credentials",
    resource_kind: "project",
    needs: &[Need::Admin],
    params: &[ParamSpec {
        name: "max_keys",
        doc: "The most keys an active project may have.",
        default: "20",
        kind: ParamKind::Integer {
            min: 0,
            max: i64::MAX,
        },
    }],
    description: "An active project has more than `max_keys` keys.",
    remediation: "Delete keys that are unused or duplicated; prefer one key per service.",
    controls: controls::CREDENTIALS,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, params: &Params, out: &mut Outcomes) {
    let max_keys = params.integer("max_keys");
    for_active_projects(
        snapshot,
        out,
        &[endpoints::PROJECT_API_KEYS],
        |project, out| {
            let keys = i64::try_from(project.api_keys.len()).unwrap_or(i64::MAX);
            let label = project_label(project);
            out.judge(
                Subject::project(&project.project.id),
                keys > max_keys,
                |fires| {
                    let relation = if fires { "more than" } else { "within" };
                    format!("{label} has {keys} keys, {relation} the maximum of {max_keys}")
                },
                || json!({ "keys": keys, "max_keys": max_keys }),
            );
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::testing::*;
    use custos_model::inventory::ProjectInventory;

    fn with_keys(mut project: ProjectInventory, keys: usize) -> ProjectInventory {
        for i in 0..keys {
            project.api_keys.push(obj(
                json!({"id": format!("{}-k{i}", project.project.id), "created_at": 0}),
            ));
        }
        project
    }

    #[test]
    fn fires_above_the_maximum() {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![
            with_keys(project("at"), 2),
            with_keys(project("above"), 3),
            with_keys(project("none"), 0),
            with_keys(archived_project("archived"), 9),
        ];
        let outcomes = run(&CHECK, &snapshot, AS_OF, json!({"max_keys": 2}));
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 3);
        assert_eq!(verdict(&outcomes, "at"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "above"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "none"), Verdict::Pass);
    }
}
