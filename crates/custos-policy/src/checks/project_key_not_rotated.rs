//! `openai-project-key-not-rotated`: old project keys have had time to leak.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::keys::{for_project_keys, judge_rotation};
use custos_model::inventory::Snapshot;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-project-key-not-rotated",
    title: "Project key not rotated",
    severity: Severity::High,
    category: "credentials",
    resource_kind: "project_api_key",
    needs: &[Need::Admin],
    params: &[super::admin_key_not_rotated::ROTATION_DAYS],
    description: "A key of an active project was created at least `rotation_days` days ago.",
    remediation: "Create a new key for the project, deploy it, then delete the old one.",
    controls: controls::CREDENTIALS,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let rotation_days = params.integer("rotation_days");
    for_project_keys(snapshot, out, |key, out| {
        judge_rotation(out, key, as_of, rotation_days);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::data::endpoints;
    use crate::shared::time::days;
    use crate::testing::*;
    use serde_json::json;

    #[test]
    fn fires_at_and_beyond_the_rotation_age_in_active_projects() {
        let cutoff = AS_OF - days(30);
        let mut active = project("p");
        for (id, created) in [
            ("at", cutoff),
            ("older", cutoff - 1),
            ("younger", cutoff + 1),
        ] {
            active
                .api_keys
                .push(obj(json!({"id": id, "created_at": created})));
        }
        let mut archived = archived_project("old");
        archived
            .api_keys
            .push(obj(json!({"id": "in-archived", "created_at": 0})));
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![active, archived];
        let outcomes = run(&CHECK, &snapshot, AS_OF, json!({"rotation_days": 30}));
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 3);
        assert_eq!(verdict(&outcomes, "at"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "older"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "younger"), Verdict::Pass);
        assert_eq!(outcome(&outcomes, "at").project_id.as_deref(), Some("p"));
    }

    #[test]
    fn failed_key_list_is_indeterminate_for_the_project() {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![project("p")];
        snapshot
            .failures
            .push(failure(endpoints::PROJECT_API_KEYS, Some("p"), 500));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, "p")).contains("api_keys"));
    }
}
