//! `openai-project-too-many-owners`: project owners manage members and keys of the project.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::endpoints;
use crate::shared::owners::{OwnerBound, judge_owner_count, project_owner_ids};
use crate::shared::scope::{for_active_projects, project_label};
use custos_model::inventory::Snapshot;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-project-too-many-owners",
    title: "Project has too many owners",
    severity: Severity::High,
    category: "identity",
    resource_kind: "project",
    needs: &[Need::Admin],
    params: &[ParamSpec {
        name: "max_owners",
        doc: "The most project owners allowed per project.",
        default: "10",
        kind: ParamKind::Integer {
            min: 0,
            max: i64::MAX,
        },
    }],
    description: "An active project has more project users with `role == \"owner\"` than `max_owners`.",
    remediation: "Change project owners who do not manage the project to member.",
    controls: controls::PRIVILEGED_ACCESS,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, params: &Params, out: &mut Outcomes) {
    let bound = OwnerBound::AtMost(params.integer("max_owners"));
    for_active_projects(
        snapshot,
        out,
        &[endpoints::PROJECT_USERS],
        |project, out| {
            judge_owner_count(
                out,
                Subject::project(&project.project.id),
                &project_label(project),
                project_owner_ids(project),
                bound,
                "max_owners",
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
    use serde_json::json;

    fn with_owners(mut project: ProjectInventory, owners: usize) -> ProjectInventory {
        for i in 0..owners {
            project.users.push(obj(
                json!({"id": format!("u{i}"), "role": "owner", "added_at": 0}),
            ));
        }
        project
            .users
            .push(obj(json!({"id": "m", "role": "member", "added_at": 0})));
        project
    }

    #[test]
    fn fires_above_the_maximum_in_active_projects() {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![
            with_owners(project("at"), 3),
            with_owners(project("above"), 4),
            with_owners(project("below"), 2),
            with_owners(archived_project("archived"), 9),
        ];
        let outcomes = run(&CHECK, &snapshot, AS_OF, json!({"max_owners": 3}));
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 3, "archived projects are out of scope");
        assert_eq!(verdict(&outcomes, "at"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "above"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "below"), Verdict::Pass);
        assert_eq!(
            outcome(&outcomes, "above").evidence.to_value()["owners"],
            json!(4)
        );
    }

    #[test]
    fn failed_listings_are_indeterminate() {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![project("p1"), project("p2")];
        snapshot
            .failures
            .push(failure(endpoints::PROJECT_USERS, Some("p1"), 503));
        snapshot
            .failures
            .push(failure(endpoints::PROJECTS, None, 500));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, "p1")).contains("p1"));
        assert_eq!(verdict(&outcomes, "p2"), Verdict::Pass);
        assert!(missing(outcome(&outcomes, ORG)).contains("/organization/projects"));
    }
}
