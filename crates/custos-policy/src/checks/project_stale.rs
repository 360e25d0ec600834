//! `openai-project-stale`: an old project nobody uses still holds keys, members and files.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::{cost_gaps, usage_gaps};
use crate::shared::records::{costs_by_project, usage_in};
use crate::shared::scope::{for_active_projects, project_label};
use crate::shared::time::{Window, age_in_days, older_than};
use custos_model::inventory::Snapshot;
use serde_json::json;
use std::collections::HashSet;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-project-stale",
    title: "Project is stale",
    severity: Severity::Low,
    category: "usage",
    resource_kind: "project",
    needs: &[Need::Admin, Need::Usage, Need::Costs],
    params: &[ParamSpec {
        name: "stale_days",
        doc: "Days without usage or cost after which a project is stale.",
        default: "90",
        kind: ParamKind::Integer {
            min: 1,
            max: i64::MAX,
        },
    }],
    description: "An active project was created at least `stale_days` days ago and has no usage record and no cost above 0 in the last `stale_days` days.",
    remediation: "Archive the project after checking with its owner.",
    controls: controls::ACCOUNT_LIFECYCLE,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let stale_days = params.integer("stale_days");
    let window = Window::last_days(as_of, stale_days);
    let used: HashSet<&str> = usage_in(snapshot, window)
        .filter_map(|(_, r)| r.project_id.as_deref())
        .collect();
    let costs = costs_by_project(snapshot, window);
    let mut gaps = usage_gaps(snapshot, window.start);
    gaps.extend(cost_gaps(snapshot, window.start));
    for_active_projects(snapshot, out, &[], |project, out| {
        let id = project.project.id.as_str();
        let subject = Subject::project(id);
        let created_at = project.project.created_at;
        let has_usage = used.contains(id);
        let has_cost = costs.get(id).is_some_and(|c| c.is_positive());
        let evidence = || {
            json!({
                "created_at": created_at,
                "usage_in_window": has_usage,
                "cost_in_window": has_cost,
                "stale_days": stale_days,
            })
        };
        let label = project_label(project);
        if !older_than(created_at, as_of, stale_days) {
            let age = age_in_days(created_at, as_of);
            out.pass(subject, || {
                format!("{label} was created {age} days ago, less than {stale_days} days")
            });
        } else if has_usage || has_cost {
            out.pass(subject, || {
                format!("{label} was used in the last {stale_days} days")
            });
        } else if !gaps.is_empty() {
            // Activity found would be certain; its absence needs the whole window.
            out.indeterminate(subject, gaps.clone());
        } else {
            out.fail(
                subject,
                format!("{label} has had no usage and no cost in the last {stale_days} days"),
                evidence(),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::time::days;
    use crate::testing::*;
    use custos_model::api::UsageKind;
    use custos_model::inventory::ProjectInventory;

    fn created(id: &str, at: i64) -> ProjectInventory {
        let mut project = project(id);
        project.project.created_at = at;
        project
    }

    fn base() -> Snapshot {
        let start = AS_OF - days(90);
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![
            created("young", start + 1),
            created("old-idle", start),
            created("usage-at-start", 0),
            created("usage-before-start", 0),
            created("cost-only", 0),
            created("zero-cost", 0),
            archived_project("archived"),
        ];
        let usage = |p: &str| json!({"object": "x", "project_id": p});
        add_usage(
            &mut snapshot,
            UsageKind::Completions,
            start,
            usage("usage-at-start"),
        );
        add_usage(
            &mut snapshot,
            UsageKind::Completions,
            start - 1,
            usage("usage-before-start"),
        );
        add_cost(&mut snapshot, AS_OF - 1, "cost-only", 0.5, "usd");
        add_cost(&mut snapshot, AS_OF - 1, "zero-cost", 0.0, "usd");
        snapshot
    }

    #[test]
    fn age_usage_and_cost_boundaries() {
        let outcomes = run_default(&CHECK, &base(), AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 6);
        for (id, expected) in [
            ("young", Verdict::Pass),
            ("old-idle", Verdict::Fail),
            ("usage-at-start", Verdict::Pass),
            ("usage-before-start", Verdict::Fail),
            ("cost-only", Verdict::Pass),
            ("zero-cost", Verdict::Fail),
        ] {
            assert_eq!(verdict(&outcomes, id), expected, "{id}");
        }
    }

    #[test]
    fn missing_history_makes_idle_projects_indeterminate() {
        let mut snapshot = base();
        snapshot.coverage.costs_from = None;
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(
            missing(outcome(&outcomes, "old-idle")).contains("cost records were not collected")
        );
        assert_eq!(verdict(&outcomes, "usage-at-start"), Verdict::Pass);
    }
}
