//! `openai-model-not-allowed`: a project used a model outside the approved list.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::usage_gaps;
use crate::shared::records::usage_in;
use crate::shared::scope::archived_project_ids;
use crate::shared::time::Window;
use custos_model::inventory::Snapshot;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-model-not-allowed",
    title: "Project used a model that is not allowed",
    severity: Severity::Medium,
    category: "usage",
    resource_kind: "project",
    needs: &[Need::Usage],
    params: &[ParamSpec {
        name: "allowed_models",
        doc: "Glob patterns of approved model ids, e.g. [\"gpt-4o*\", \"text-embedding-3-*\"] (case-insensitive).",
        default: "[]",
        kind: ParamKind::GlobList,
    }],
    description: "A project has usage in the last 7 days with a model that matches no glob in `allowed_models`. Indeterminate when `allowed_models` is empty.",
    remediation: "Restrict the project's model permissions to approved models, or approve the model.",
    controls: controls::LEAST_FUNCTIONALITY,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

const WINDOW_DAYS: i64 = 7;

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let organization = Subject::organization(&snapshot.org_id);
    let patterns = params.strings("allowed_models");
    let allowed = match build_globs(&patterns) {
        Some(globs) => globs,
        None => {
            out.indeterminate(
                organization,
                vec!["parameter allowed_models is empty: list the approved models".to_owned()],
            );
            return;
        }
    };
    let window = Window::last_days(as_of, WINDOW_DAYS);
    let archived = archived_project_ids(snapshot);
    // Every project in scope, with the models it used that no pattern allows.
    let mut projects: BTreeMap<&str, BTreeSet<&str>> = snapshot
        .inventory
        .projects
        .iter()
        .filter(|p| !p.project.is_archived())
        .map(|p| (p.project.id.as_str(), BTreeSet::new()))
        .collect();
    let mut verdict_by_model: HashMap<&str, bool> = HashMap::new();
    for (_, record) in usage_in(snapshot, window) {
        let Some(project_id) = record.project_id.as_deref() else {
            continue;
        };
        if archived.contains(project_id) {
            continue;
        }
        let disallowed = projects.entry(project_id).or_default();
        if let Some(model) = record.model.as_deref() {
            let is_allowed = *verdict_by_model
                .entry(model)
                .or_insert_with(|| allowed.is_match(model));
            if !is_allowed {
                disallowed.insert(model);
            }
        }
    }
    // A disallowed model found is certain; "none found" needs the whole window.
    let gaps = usage_gaps(snapshot, window.start);
    for (project_id, disallowed) in projects {
        let subject = Subject::project(project_id);
        if disallowed.is_empty() && !gaps.is_empty() {
            out.indeterminate(subject, gaps.clone());
            continue;
        }
        out.judge(
            subject,
            !disallowed.is_empty(),
            |fires| {
                if fires {
                    let models: Vec<&str> = disallowed.iter().copied().collect();
                    format!("Project {project_id} used models that are not allowed in the last {WINDOW_DAYS} days: {}", models.join(", "))
                } else {
                    format!("Project {project_id} used only allowed models in the last {WINDOW_DAYS} days")
                }
            },
            || json!({ "disallowed_models": disallowed, "allowed_models": patterns }),
        );
    }
}

/// The allow list as one matcher; `None` when empty. Patterns were validated with the settings,
/// so one that still fails to compile is skipped rather than trusted.
fn build_globs(patterns: &[&str]) -> Option<GlobSet> {
    if patterns.is_empty() {
        return None;
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        if let Ok(glob) = GlobBuilder::new(pattern).case_insensitive(true).build() {
            builder.add(glob);
        }
    }
    builder.build().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::time::days;
    use crate::testing::*;
    use custos_model::api::UsageKind;

    fn base() -> Snapshot {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![
            project("ok"),
            project("bad"),
            project("idle"),
            archived_project("old"),
        ];
        let start = AS_OF - days(7);
        let record = |project: &str, model: Option<&str>| json!({"object": "x", "project_id": project, "model": model});
        add_usage(
            &mut snapshot,
            UsageKind::Completions,
            start,
            record("ok", Some("GPT-4o-mini")),
        );
        add_usage(
            &mut snapshot,
            UsageKind::Completions,
            start,
            record("ok", None),
        );
        add_usage(
            &mut snapshot,
            UsageKind::Completions,
            start - 1,
            record("ok", Some("o1-pro")),
        );
        add_usage(
            &mut snapshot,
            UsageKind::Completions,
            AS_OF,
            record("ok", Some("o1-pro")),
        );
        add_usage(
            &mut snapshot,
            UsageKind::Images,
            AS_OF - 1,
            record("bad", Some("dall-e-3")),
        );
        add_usage(
            &mut snapshot,
            UsageKind::Completions,
            start,
            record("old", Some("dall-e-3")),
        );
        add_usage(
            &mut snapshot,
            UsageKind::Completions,
            start,
            record("usage-only", Some("gpt-4o")),
        );
        snapshot
    }

    #[test]
    fn matches_models_in_the_window_against_globs() {
        let outcomes = run(
            &CHECK,
            &base(),
            AS_OF,
            json!({"allowed_models": ["gpt-4o*"]}),
        );
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 4, "archived projects are out of scope");
        assert_eq!(verdict(&outcomes, "ok"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "bad"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "idle"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "usage-only"), Verdict::Pass);
        assert_eq!(
            outcome(&outcomes, "bad").evidence.to_value()["disallowed_models"],
            json!(["dall-e-3"])
        );
    }

    #[test]
    fn empty_list_or_missing_usage_is_indeterminate_except_certain_failures() {
        let outcomes = run_default(&CHECK, &base(), AS_OF);
        assert_eq!(outcomes.len(), 1);
        assert!(missing(outcome(&outcomes, ORG)).contains("allowed_models"));

        let mut snapshot = base();
        snapshot.coverage.usage_from = None;
        let outcomes = run(
            &CHECK,
            &snapshot,
            AS_OF,
            json!({"allowed_models": ["gpt-4o*"]}),
        );
        assert_eq!(verdict(&outcomes, "bad"), Verdict::Fail);
        assert!(missing(outcome(&outcomes, "ok")).contains("usage records were not collected"));
    }
}
