//! `openai-project-key-unused`: a key nobody uses is risk without benefit.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::keys::{for_project_keys, judge_unused};
use custos_model::inventory::Snapshot;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-project-key-unused",
    title: "Project key unused",
    severity: Severity::Medium,
    category: "credentials",
    resource_kind: "project_api_key",
    needs: &[Need::Admin],
    params: &[super::admin_key_unused::UNUSED_DAYS],
    description: "A key of an active project: `last_used_at` is null and the key was created at least `unused_days` days ago, or `last_used_at` is at least `unused_days` days ago.",
    remediation: "Delete the project key.",
    controls: controls::CREDENTIAL_LIFECYCLE,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let unused_days = params.integer("unused_days");
    for_project_keys(snapshot, out, |key, out| {
        judge_unused(out, key, as_of, unused_days);
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
    fn never_used_and_last_used_boundaries_in_active_projects() {
        let cutoff = AS_OF - days(7);
        let mut active = project("p");
        for key in [
            json!({"id": "never-used-old", "created_at": cutoff}),
            json!({"id": "never-used-young", "created_at": cutoff + 1, "last_used_at": null}),
            json!({"id": "used-at-cutoff", "created_at": 0, "last_used_at": cutoff}),
            json!({"id": "used-after-cutoff", "created_at": 0, "last_used_at": cutoff + 1}),
        ] {
            active.api_keys.push(obj(key));
        }
        let mut archived = archived_project("old");
        archived
            .api_keys
            .push(obj(json!({"id": "archived-key", "created_at": 0})));
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![active, archived];
        let outcomes = run(&CHECK, &snapshot, AS_OF, json!({"unused_days": 7}));
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 4);
        for (id, expected) in [
            ("never-used-old", Verdict::Fail),
            ("never-used-young", Verdict::Pass),
            ("used-at-cutoff", Verdict::Fail),
            ("used-after-cutoff", Verdict::Pass),
        ] {
            assert_eq!(verdict(&outcomes, id), expected, "{id}");
        }
    }

    #[test]
    fn failed_key_list_is_indeterminate() {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![project("p")];
        snapshot
            .failures
            .push(failure(endpoints::PROJECT_API_KEYS, Some("p"), 500));
        assert_eq!(
            verdict(&run_default(&CHECK, &snapshot, AS_OF), "p"),
            Verdict::Indeterminate
        );
    }
}
