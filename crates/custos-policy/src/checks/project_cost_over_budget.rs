//! `openai-project-cost-over-budget`: a project spent more than its budget over the window.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::cost_gaps;
use crate::shared::money::{convert_sum, format_amount, missing_rate_reasons};
use crate::shared::records::costs_by_project;
use crate::shared::scope::{for_active_projects, project_label};
use crate::shared::time::Window;
use custos_model::inventory::Snapshot;
use serde_json::json;

/// Exchange rates, shared by every policy that converts money.
pub(crate) const FX_RATES: ParamSpec = ParamSpec {
    name: "fx_rates",
    doc: "Exchange rates: {\"USD\": {\"EUR\": 0.92}} means 1 USD = 0.92 EUR; the inverse rate is used for the opposite direction.",
    default: r#"{"USD": {"EUR": 0.92}}"#,
    kind: ParamKind::FxRates,
};

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-project-cost-over-budget",
    title: "Project cost over budget",
    severity: Severity::High,
    category: "cost",
    resource_kind: "project",
    needs: &[Need::Costs],
    params: &[
        ParamSpec {
            name: "budget",
            doc: "The most a project may cost over the window, in `currency`.",
            default: "500",
            kind: ParamKind::Number { min: 0.0 },
        },
        ParamSpec {
            name: "currency",
            doc: "The currency of `budget`.",
            default: "\"EUR\"",
            kind: ParamKind::String,
        },
        ParamSpec {
            name: "window_days",
            doc: "The window in days: buckets with `start_time` in `[as_of - window_days, as_of)`.",
            default: "30",
            kind: ParamKind::Integer {
                min: 1,
                max: i64::MAX,
            },
        },
        FX_RATES,
    ],
    description: "An active project's cost over the last `window_days` days (cost buckets with `start_time` in `[as_of - window_days, as_of)`), converted into `currency` with `fx_rates`, exceeds `budget`.",
    remediation: "Review the project's usage with its owner; lower its spend limit or raise its budget.",
    controls: controls::MONITORING,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let budget = params.number("budget");
    let currency = params.string("currency");
    let window_days = params.integer("window_days");
    let rates = params.fx_rates("fx_rates");
    let window = Window::last_days(as_of, window_days);
    let gaps = cost_gaps(snapshot, window.start);
    if !gaps.is_empty() {
        out.indeterminate(Subject::organization(&snapshot.org_id), gaps);
        return;
    }
    let costs = costs_by_project(snapshot, window);
    for_active_projects(snapshot, out, &[], |project, out| {
        let subject = Subject::project(&project.project.id);
        let totals = costs.get(project.project.id.as_str());
        let converted = convert_sum(
            totals.into_iter().flat_map(|t| t.amounts()),
            currency,
            &rates,
        );
        if !converted.missing_rates.is_empty() {
            out.indeterminate(subject, missing_rate_reasons(&converted.missing_rates));
            return;
        }
        let label = project_label(project);
        let cost = converted.total;
        out.judge(
            subject,
            cost > budget,
            |fires| {
                let relation = if fires { "over" } else { "within" };
                format!(
                    "{label} cost {} in the last {window_days} days, {relation} the budget of {}",
                    format_amount(cost, currency),
                    format_amount(budget, currency)
                )
            },
            || {
                json!({
                    "cost": cost,
                    "currency": currency,
                    "budget": budget,
                    "window_days": window_days,
                    "cost_by_currency": totals.map(|t| &t.by_currency),
                })
            },
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::data::endpoints;
    use crate::shared::time::days;
    use crate::testing::*;

    fn base() -> Snapshot {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = ["at-budget", "over", "outside-window", "none", "in-eur"]
            .into_iter()
            .map(project)
            .chain([archived_project("archived")])
            .collect();
        let start = AS_OF - days(30);
        // 100 USD = 50 EUR at the test's rate.
        add_cost(&mut snapshot, start, "at-budget", 60.0, "usd");
        add_cost(&mut snapshot, AS_OF - 1, "at-budget", 40.0, "usd");
        add_cost(&mut snapshot, start, "over", 100.02, "usd");
        add_cost(&mut snapshot, start - 1, "outside-window", 1000.0, "usd");
        add_cost(&mut snapshot, AS_OF, "outside-window", 1000.0, "usd");
        add_cost(&mut snapshot, start, "in-eur", 50.5, "EUR");
        add_cost(&mut snapshot, start, "archived", 1000.0, "usd");
        snapshot
    }

    fn params() -> serde_json::Value {
        json!({"budget": 50, "currency": "eur", "fx_rates": {"USD": {"EUR": 0.5}}})
    }

    #[test]
    fn sums_the_window_and_converts() {
        let outcomes = run(&CHECK, &base(), AS_OF, params());
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 5);
        for (id, expected) in [
            ("at-budget", Verdict::Pass),
            ("over", Verdict::Fail),
            ("outside-window", Verdict::Pass),
            ("none", Verdict::Pass),
            ("in-eur", Verdict::Fail),
        ] {
            assert_eq!(verdict(&outcomes, id), expected, "{id}");
        }
        assert!(
            outcome(&outcomes, "at-budget")
                .message
                .contains("cost 50.00 EUR")
        );
        assert_eq!(
            outcome(&outcomes, "in-eur").evidence.to_value()["cost"],
            50.5
        );
    }

    #[test]
    fn inverse_rates_convert_the_other_way() {
        let mut snapshot = base();
        snapshot.inventory.projects = vec![project("in-eur")];
        let params = json!({"budget": 100, "currency": "USD", "fx_rates": {"USD": {"EUR": 0.5}}});
        let outcomes = run(&CHECK, &snapshot, AS_OF, params);
        assert_eq!(
            outcome(&outcomes, "in-eur").evidence.to_value()["cost"],
            101.0
        );
        assert_eq!(verdict(&outcomes, "in-eur"), Verdict::Fail);
    }

    #[test]
    fn missing_rate_or_history_is_indeterminate() {
        let mut snapshot = base();
        add_cost(&mut snapshot, AS_OF - 5, "none", 1.0, "gbp");
        let outcomes = run(&CHECK, &snapshot, AS_OF, params());
        assert!(missing(outcome(&outcomes, "none")).contains("GBP->EUR"));

        let mut snapshot = base();
        snapshot.coverage.costs_from = Some(AS_OF - days(30) + 1);
        let outcomes = run(&CHECK, &snapshot, AS_OF, params());
        assert_eq!(outcomes.len(), 1);
        assert!(missing(outcome(&outcomes, ORG)).contains("cost records cover only"));

        let mut snapshot = base();
        snapshot.failures.push(failure(endpoints::COSTS, None, 500));
        let outcomes = run(&CHECK, &snapshot, AS_OF, params());
        assert!(missing(outcome(&outcomes, ORG)).contains("/organization/costs"));
    }
}
