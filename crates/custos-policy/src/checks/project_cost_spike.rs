//! `openai-project-cost-spike`: a day costing far more than usual is worth a look (a leaked key,
//! a runaway loop).

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::cost_gaps;
use crate::shared::money::{currency_code, format_amount};
use crate::shared::records::costs_in;
use crate::shared::scope::{for_active_projects, project_label};
use crate::shared::series::{DailySeries, SpikeDays, spikes};
use crate::shared::time::date;
use custos_model::inventory::Snapshot;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-project-cost-spike",
    title: "Project cost spike",
    severity: Severity::Medium,
    category: "cost",
    resource_kind: "project",
    needs: &[Need::Costs],
    params: &[
        ParamSpec {
            name: "factor",
            doc: "How many times the baseline median a day must exceed.",
            default: "3",
            kind: ParamKind::Number { min: 0.0 },
        },
        ParamSpec {
            name: "min_amount",
            doc: "The least daily cost that counts as a spike, in the records' currency.",
            default: "50",
            kind: ParamKind::Number { min: 0.0 },
        },
        ParamSpec {
            name: "lookback_days",
            doc: "How many of the last full days are examined (at most a year).",
            default: "7",
            kind: ParamKind::Integer { min: 1, max: 366 },
        },
    ],
    description: "On any of the last `lookback_days` full UTC days, an active project's daily cost is above `factor` x the median of the 14 days before that day (days without records count 0) and above `min_amount`.",
    remediation: "Find the keys and models behind the day's cost; revoke leaked keys and set a project spend limit.",
    controls: controls::MONITORING,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

/// A project's daily costs and the currencies they came in.
#[derive(Debug, Default)]
struct ProjectSeries<'a> {
    daily: DailySeries,
    currencies: BTreeSet<&'a str>,
}

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let factor = params.number("factor");
    let min_amount = params.number("min_amount");
    let days = SpikeDays::new(as_of, params.integer("lookback_days"));
    let gaps = cost_gaps(snapshot, days.history_start());
    if !gaps.is_empty() {
        out.indeterminate(Subject::organization(&snapshot.org_id), gaps);
        return;
    }
    let mut series: HashMap<&str, ProjectSeries<'_>> = HashMap::new();
    for (t, record) in costs_in(snapshot, days.history()) {
        if let Some(project_id) = record.project_id.as_deref() {
            let entry = series.entry(project_id).or_insert_with(|| ProjectSeries {
                daily: days.empty_series(),
                currencies: BTreeSet::new(),
            });
            entry.daily.add(t, record.amount.value);
            entry.currencies.insert(record.amount.currency.as_str());
        }
    }
    let empty = ProjectSeries::default();
    for_active_projects(snapshot, out, &[], |project, out| {
        let subject = Subject::project(&project.project.id);
        let project_series = series.get(project.project.id.as_str()).unwrap_or(&empty);
        let currencies: BTreeSet<String> = project_series
            .currencies
            .iter()
            .map(|c| currency_code(c))
            .collect();
        if currencies.len() > 1 {
            let listed: Vec<String> = currencies.into_iter().collect();
            out.indeterminate(
                subject,
                vec![format!(
                    "daily costs mix currencies ({}) that this policy does not convert",
                    listed.join(", ")
                )],
            );
            return;
        }
        let currency = currencies
            .into_iter()
            .next()
            .unwrap_or_else(|| "USD".to_owned());
        let found = spikes(&project_series.daily, days, factor, min_amount);
        let label = project_label(project);
        let evidence = || {
            json!({
                "spikes": found.iter().map(|s| json!({
                    "day": date(s.day_start),
                    "cost": s.total,
                    "baseline_median": s.baseline_median,
                })).collect::<Vec<_>>(),
                "factor": factor,
                "min_amount": min_amount,
                "lookback_days": days.lookback,
                "currency": currency,
            })
        };
        let first = found.first().copied();
        out.judge(
            subject,
            first.is_some(),
            |_| match first {
                Some(spike) => format!(
                    "{label} cost {} on {}, more than {factor} x the 14-day median of {}",
                    format_amount(spike.total, &currency),
                    date(spike.day_start),
                    format_amount(spike.baseline_median, &currency)
                ),
                None => format!(
                    "{label} had no cost spike in the last {} full days",
                    days.lookback
                ),
            },
            evidence,
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::time::{DAY, day_index, days};
    use crate::testing::*;

    /// Start of the last full day before `AS_OF`.
    fn last_full_day() -> i64 {
        (day_index(AS_OF) - 1) * DAY
    }

    /// A project whose 14 baseline days before `spike_day` cost 10 each, and `spike_day` `cost`.
    fn with_series(snapshot: &mut Snapshot, id: &str, spike_day: i64, cost: f64) {
        snapshot.inventory.projects.push(project(id));
        for d in 1..=14 {
            add_cost(snapshot, spike_day - days(d), id, 10.0, "usd");
        }
        add_cost(snapshot, spike_day, id, cost, "usd");
    }

    #[test]
    fn factor_and_minimum_are_strict() {
        let mut snapshot = snapshot();
        let day = last_full_day();
        with_series(&mut snapshot, "at-factor", day, 30.0);
        with_series(&mut snapshot, "above-factor", day, 30.01);
        with_series(&mut snapshot, "above-factor-below-min", day, 30.01);
        with_series(&mut snapshot, "oldest-examined-day", day - days(6), 31.0);
        with_series(&mut snapshot, "before-lookback", day - days(7), 31.0);
        let params = json!({"factor": 3, "min_amount": 30});
        let outcomes = run(&CHECK, &snapshot, AS_OF, params);
        assert_well_formed(&META, &outcomes);
        for (id, expected) in [
            ("at-factor", Verdict::Pass),
            ("above-factor", Verdict::Fail),
            ("oldest-examined-day", Verdict::Fail),
            ("before-lookback", Verdict::Pass),
        ] {
            assert_eq!(verdict(&outcomes, id), expected, "{id}");
        }
        let outcomes = run(
            &CHECK,
            &snapshot,
            AS_OF,
            json!({"factor": 3, "min_amount": 30.01}),
        );
        assert_eq!(verdict(&outcomes, "above-factor-below-min"), Verdict::Pass);
    }

    #[test]
    fn today_is_not_a_full_day_and_empty_days_count_zero() {
        let mut snapshot = snapshot();
        // A spike today (not yet a full day) is ignored.
        with_series(&mut snapshot, "today", day_index(AS_OF) * DAY, 1000.0);
        // A project with no history at all: any cost above the minimum is a spike over 0.
        snapshot.inventory.projects.push(project("new"));
        add_cost(&mut snapshot, last_full_day(), "new", 51.0, "usd");
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_eq!(verdict(&outcomes, "today"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "new"), Verdict::Fail);
        assert_eq!(
            outcome(&outcomes, "new").evidence.to_value()["spikes"][0]["baseline_median"],
            0.0
        );
    }

    #[test]
    fn short_history_or_mixed_currencies_are_indeterminate() {
        let mut snapshot = snapshot();
        with_series(&mut snapshot, "p", last_full_day(), 10.0);
        let needed = last_full_day() - days(6 + 14);
        snapshot.coverage.costs_from = Some(needed);
        assert_eq!(
            verdict(&run_default(&CHECK, &snapshot, AS_OF), "p"),
            Verdict::Pass
        );
        snapshot.coverage.costs_from = Some(needed + 1);
        assert_eq!(
            verdict(&run_default(&CHECK, &snapshot, AS_OF), ORG),
            Verdict::Indeterminate
        );

        let mut mixed = crate::testing::snapshot();
        with_series(&mut mixed, "p", last_full_day(), 10.0);
        add_cost(&mut mixed, last_full_day(), "p", 1.0, "eur");
        assert!(missing(outcome(&run_default(&CHECK, &mixed, AS_OF), "p")).contains("EUR, USD"));
    }
}
