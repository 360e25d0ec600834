//! `openai-org-cost-forecast-over-limit`: at this pace the organization hits its spend limit
//! before the month ends, and requests start failing.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::{cost_gaps, endpoint_gap, endpoints};
use crate::shared::money::{convert_sum, format_amount, missing_rate_reasons};
use crate::shared::records::costs_in;
use crate::shared::time::{Window, month_to_date};
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-org-cost-forecast-over-limit",
    title: "Month-end cost forecast exceeds the spend limit",
    severity: Severity::Medium,
    category: "cost",
    resource_kind: "organization",
    needs: &[Need::Admin, Need::Costs],
    params: &[super::project_cost_over_budget::FX_RATES],
    description: "Month-to-date cost (records with `start_time` in `[first day of the month 00:00 UTC, as_of)`) x (days in the month / whole days elapsed) exceeds the organization spend limit (`threshold_amount` in cents), converted with `fx_rates`. No result without a spend limit or before a whole day has elapsed.",
    remediation: "Find what drives this month's cost; raise the spend limit deliberately or reduce usage before requests are refused.",
    controls: controls::MONITORING,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let subject = Subject::organization(&snapshot.org_id);
    if let Some(gap) = endpoint_gap(snapshot, endpoints::SPEND_LIMIT, None) {
        out.indeterminate(subject, vec![gap]);
        return;
    }
    // Without a limit or a whole elapsed day there is nothing to forecast against or from.
    let Some(limit) = &snapshot.inventory.spend_limit else {
        return;
    };
    let Some(month) = month_to_date(as_of).filter(|m| m.days_elapsed > 0) else {
        return;
    };
    let gaps = cost_gaps(snapshot, month.start);
    if !gaps.is_empty() {
        out.indeterminate(subject, gaps);
        return;
    }
    let window = Window {
        start: month.start,
        end: as_of,
    };
    let amounts =
        costs_in(snapshot, window).map(|(_, r)| (r.amount.value, r.amount.currency.as_str()));
    let converted = convert_sum(amounts, &limit.currency, &params.fx_rates("fx_rates"));
    if !converted.missing_rates.is_empty() {
        out.indeterminate(subject, missing_rate_reasons(&converted.missing_rates));
        return;
    }
    // Integer days; the division cannot be by zero (checked above).
    let forecast = converted.total * month.days_in_month as f64 / month.days_elapsed as f64;
    let limit_amount = limit.threshold_amount as f64 / 100.0;
    let org = &snapshot.org_id;
    let currency = limit.currency.as_str();
    out.judge(
        subject,
        forecast > limit_amount,
        |fires| {
            let relation = if fires { "exceeds" } else { "is within" };
            format!(
                "Organization {org}'s month-end cost forecast of {} {relation} its spend limit of {}",
                format_amount(forecast, currency),
                format_amount(limit_amount, currency)
            )
        },
        || json!({
            "month_to_date_cost": converted.total,
            "days_elapsed": month.days_elapsed,
            "days_in_month": month.days_in_month,
            "forecast": forecast,
            "spend_limit": limit_amount,
            "currency": currency,
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::time::{DAY, days};
    use crate::testing::*;

    /// 2025-06-01T00:00:00Z; June has 30 days.
    const JUNE_1: i64 = 1_748_736_000;

    fn with_limit(cents: i64, currency: &str) -> Snapshot {
        let mut snapshot = snapshot();
        snapshot.inventory.spend_limit = Some(obj(json!({
            "object": "organization.spend_limit", "threshold_amount": cents,
            "currency": currency, "interval": "month",
        })));
        snapshot
    }

    #[test]
    fn forecast_boundaries() {
        // 10 days elapsed, 100 USD spent: forecast 300 USD.
        let as_of = JUNE_1 + days(10) + 3600;
        for (cents, expected) in [(30_000, Verdict::Pass), (29_999, Verdict::Fail)] {
            let mut snapshot = with_limit(cents, "USD");
            add_cost(&mut snapshot, JUNE_1, "p", 60.0, "usd");
            add_cost(
                &mut snapshot,
                JUNE_1 + days(9),
                "archived-or-not",
                40.0,
                "usd",
            );
            add_cost(&mut snapshot, JUNE_1 - DAY, "p", 1_000.0, "usd");
            add_cost(&mut snapshot, as_of, "p", 1_000.0, "usd");
            let outcomes = run_default(&CHECK, &snapshot, as_of);
            assert_well_formed(&META, &outcomes);
            assert_eq!(verdict(&outcomes, ORG), expected, "{cents}");
            assert!(
                outcomes[0].message.contains("forecast of 300.00 USD"),
                "{outcomes:?}"
            );
        }
    }

    #[test]
    fn nothing_without_limit_or_elapsed_day() {
        let mut snapshot = snapshot();
        add_cost(&mut snapshot, JUNE_1, "p", 1_000.0, "usd");
        assert!(run_default(&CHECK, &snapshot, JUNE_1 + days(5)).is_empty());
        let snapshot = with_limit(100, "USD");
        assert!(run_default(&CHECK, &snapshot, JUNE_1 + DAY - 1).is_empty());
        assert_eq!(run_default(&CHECK, &snapshot, JUNE_1 + DAY).len(), 1);
    }

    #[test]
    fn converts_into_the_limit_currency_or_is_indeterminate() {
        let as_of = JUNE_1 + days(15);
        let mut snapshot = with_limit(10_000, "EUR");
        add_cost(&mut snapshot, JUNE_1, "p", 60.0, "usd");
        // 60 USD * 0.92 * 30 / 15 = 110.4 EUR > 100 EUR.
        assert_eq!(
            verdict(&run_default(&CHECK, &snapshot, as_of), ORG),
            Verdict::Fail
        );
        let outcomes = run(&CHECK, &snapshot, as_of, json!({"fx_rates": {}}));
        assert!(missing(outcome(&outcomes, ORG)).contains("USD->EUR"));
        snapshot.coverage.costs_from = Some(JUNE_1 + 1);
        assert_eq!(
            verdict(&run_default(&CHECK, &snapshot, as_of), ORG),
            Verdict::Indeterminate
        );
    }
}
