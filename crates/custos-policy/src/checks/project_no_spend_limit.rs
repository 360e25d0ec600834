//! `openai-project-no-spend-limit`: a spending project without its own limit can use up the
//! organization's budget.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::{cost_gaps, endpoints};
use crate::shared::money::format_amount;
use crate::shared::records::costs_by_project;
use crate::shared::scope::{for_active_projects, project_label};
use crate::shared::time::Window;
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-project-no-spend-limit",
    title: "Spending project has no spend limit",
    severity: Severity::Low,
    category: "cost",
    resource_kind: "project",
    needs: &[Need::Admin, Need::Costs],
    params: &[],
    description: "An active project had a cost above 0 in the last 30 days and has no project spend limit.",
    remediation: "Set a project spend limit above the project's expected monthly spend.",
    controls: controls::MONITORING,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

/// The period whose spending makes a limit necessary.
const WINDOW_DAYS: i64 = 30;

fn evaluate(snapshot: &Snapshot, as_of: i64, _params: &Params, out: &mut Outcomes) {
    let window = Window::last_days(as_of, WINDOW_DAYS);
    let costs = costs_by_project(snapshot, window);
    let gaps = cost_gaps(snapshot, window.start);
    for_active_projects(
        snapshot,
        out,
        &[endpoints::PROJECT_SPEND_LIMIT],
        |project, out| {
            let id = project.project.id.as_str();
            let subject = Subject::project(id);
            let label = project_label(project);
            if let Some(limit) = &project.spend_limit {
                let amount = format_amount(limit.threshold_amount as f64 / 100.0, &limit.currency);
                out.pass(subject, || format!("{label} has a spend limit of {amount}"));
                return;
            }
            if !gaps.is_empty() {
                out.indeterminate(subject, gaps.clone());
                return;
            }
            let spent = costs.get(id);
            let evidence = || json!({ "cost_last_30_days": spent.map(|c| &c.by_currency), "spend_limit": null });
            out.judge(
            subject,
            spent.is_some_and(|c| c.is_positive()),
            |fires| {
                if fires {
                    format!("{label} spent money in the last {WINDOW_DAYS} days and has no spend limit")
                } else {
                    format!("{label} has no spend limit but spent nothing in the last {WINDOW_DAYS} days")
                }
            },
            evidence,
        );
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::time::days;
    use crate::testing::*;

    fn base() -> Snapshot {
        let mut snapshot = snapshot();
        let mut limited = project("limited");
        limited.spend_limit = Some(obj(json!({
            "object": "project.spend_limit", "threshold_amount": 5_000, "currency": "USD", "interval": "month",
        })));
        snapshot.inventory.projects = vec![
            limited,
            project("spent-at-window-start"),
            project("spent-before-window"),
            project("spent-at-as-of"),
            project("zero-cost"),
            archived_project("archived"),
        ];
        let start = AS_OF - days(30);
        add_cost(&mut snapshot, start, "limited", 10.0, "usd");
        add_cost(&mut snapshot, start, "spent-at-window-start", 0.01, "usd");
        add_cost(&mut snapshot, start - 1, "spent-before-window", 10.0, "usd");
        add_cost(&mut snapshot, AS_OF, "spent-at-as-of", 10.0, "usd");
        add_cost(&mut snapshot, start, "zero-cost", 0.0, "usd");
        add_cost(&mut snapshot, start, "archived", 10.0, "usd");
        snapshot
    }

    #[test]
    fn window_and_limit_boundaries() {
        let outcomes = run_default(&CHECK, &base(), AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 5);
        for (id, expected) in [
            ("limited", Verdict::Pass),
            ("spent-at-window-start", Verdict::Fail),
            ("spent-before-window", Verdict::Pass),
            ("spent-at-as-of", Verdict::Pass),
            ("zero-cost", Verdict::Pass),
        ] {
            assert_eq!(verdict(&outcomes, id), expected, "{id}");
        }
    }

    #[test]
    fn missing_costs_or_limit_are_indeterminate() {
        let mut snapshot = base();
        snapshot.coverage.costs_from = Some(AS_OF - days(30) + 1);
        snapshot.failures.push(failure(
            endpoints::PROJECT_SPEND_LIMIT,
            Some("zero-cost"),
            500,
        ));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_eq!(verdict(&outcomes, "limited"), Verdict::Pass);
        assert!(missing(outcome(&outcomes, "spent-at-window-start")).contains("cost records"));
        assert!(missing(outcome(&outcomes, "zero-cost")).contains("spend_limit"));
    }
}
