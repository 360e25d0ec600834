//! `openai-key-usage-spike`: a key suddenly sending many more requests than usual may have leaked.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::usage_gaps;
use crate::shared::keys::PROJECT_KEY;
use crate::shared::records::usage_in;
use crate::shared::scope::archived_project_ids;
use crate::shared::series::{DailySeries, SpikeDays, spikes};
use crate::shared::time::date;
use custos_model::inventory::Snapshot;
use serde_json::json;
use std::collections::HashMap;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-key-usage-spike",
    title: "Key request spike",
    severity: Severity::Medium,
    category: "usage",
    resource_kind: "project_api_key",
    needs: &[Need::Usage],
    params: &[
        ParamSpec {
            name: "factor",
            doc: "How many times the baseline median the day must exceed.",
            default: "5",
            kind: ParamKind::Number { min: 0.0 },
        },
        ParamSpec {
            name: "min_requests",
            doc: "The fewest requests in a day that count as a spike.",
            default: "1000",
            kind: ParamKind::Integer {
                min: 0,
                max: i64::MAX,
            },
        },
    ],
    description: "On the last full UTC day, a project key's `num_model_requests` (all usage kinds) is above `factor` x the median of the 14 days before (days without records count 0) and above `min_requests`. Keys of archived projects are out of scope.",
    remediation: "Check who uses the key and from where; rotate it if the traffic is not expected.",
    controls: controls::MONITORING,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

/// A key's daily requests and the project the records name.
#[derive(Debug)]
struct KeySeries<'a> {
    project_id: Option<&'a str>,
    daily: DailySeries,
}

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let factor = params.number("factor");
    let min_requests = params.integer("min_requests");
    let days = SpikeDays::new(as_of, 1);
    let gaps = usage_gaps(snapshot, days.history_start());
    if !gaps.is_empty() {
        out.indeterminate(Subject::organization(&snapshot.org_id), gaps);
        return;
    }
    let archived = archived_project_ids(snapshot);
    let mut keys: HashMap<&str, KeySeries<'_>> = HashMap::new();
    for (t, record) in usage_in(snapshot, days.history()) {
        let (Some(key), Some(requests)) = (record.api_key_id.as_deref(), record.num_model_requests)
        else {
            continue;
        };
        let project_id = record.project_id.as_deref();
        if project_id.is_some_and(|p| archived.contains(p)) {
            continue;
        }
        let entry = keys.entry(key).or_insert_with(|| KeySeries {
            project_id,
            daily: days.empty_series(),
        });
        entry.project_id = entry.project_id.or(project_id);
        entry.daily.add(t, requests as f64);
    }
    for (key, series) in &keys {
        let found = spikes(&series.daily, days, factor, min_requests as f64);
        let requests = series.daily.on_day(days.last);
        let spike = found.first().copied();
        let median = spike.map(|s| s.baseline_median);
        let day = date(days.last.saturating_mul(crate::shared::time::DAY));
        out.judge(
            Subject::new(PROJECT_KEY, key, series.project_id),
            spike.is_some(),
            |fires| {
                if fires {
                    format!(
                        "Project key {key} made {requests} requests on {day}, more than {factor} x its 14-day median of {}",
                        median.unwrap_or(0.0)
                    )
                } else {
                    format!("Project key {key} made {requests} requests on {day}, no spike")
                }
            },
            || json!({
                "day": day,
                "requests": requests,
                "baseline_median": median,
                "factor": factor,
                "min_requests": min_requests,
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::time::{DAY, day_index, days};
    use crate::testing::*;
    use custos_model::api::UsageKind;

    fn last_full_day() -> i64 {
        (day_index(AS_OF) - 1) * DAY
    }

    /// 14 baseline days of 100 requests, then `requests` on `day`.
    fn key_series(snapshot: &mut Snapshot, key: &str, project: &str, day: i64, requests: i64) {
        for d in 1..=14 {
            add_usage(
                snapshot,
                UsageKind::Completions,
                day - days(d),
                json!({
                    "object": "x", "api_key_id": key, "project_id": project, "num_model_requests": 100,
                }),
            );
        }
        // Split across kinds: they add up.
        add_usage(
            snapshot,
            UsageKind::Completions,
            day,
            json!({
                "object": "x", "api_key_id": key, "project_id": project, "num_model_requests": requests - 1,
            }),
        );
        add_usage(
            snapshot,
            UsageKind::Embeddings,
            day,
            json!({
                "object": "x", "api_key_id": key, "project_id": project, "num_model_requests": 1,
            }),
        );
    }

    #[test]
    fn factor_minimum_and_day_boundaries() {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![project("p"), archived_project("old")];
        let day = last_full_day();
        key_series(&mut snapshot, "at-factor", "p", day, 500);
        key_series(&mut snapshot, "above-factor", "p", day, 501);
        key_series(&mut snapshot, "yesterday-but-one", "p", day - DAY, 5000);
        key_series(&mut snapshot, "today", "p", day + DAY, 5000);
        key_series(&mut snapshot, "archived-key", "old", day, 5000);
        let outcomes = run(&CHECK, &snapshot, AS_OF, json!({"min_requests": 100}));
        assert_well_formed(&META, &outcomes);
        assert_eq!(verdict(&outcomes, "at-factor"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "above-factor"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "yesterday-but-one"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "today"), Verdict::Pass);
        assert!(outcomes.iter().all(|o| o.resource_id != "archived-key"));
        assert_eq!(
            outcome(&outcomes, "above-factor").project_id.as_deref(),
            Some("p")
        );
        let outcomes = run(&CHECK, &snapshot, AS_OF, json!({"min_requests": 501}));
        assert_eq!(verdict(&outcomes, "above-factor"), Verdict::Pass);
    }

    #[test]
    fn missing_requests_field_is_ignored_and_short_history_indeterminate() {
        let mut snapshot = snapshot();
        add_usage(
            &mut snapshot,
            UsageKind::VectorStores,
            last_full_day(),
            json!({"object": "x", "project_id": "p"}),
        );
        assert!(run_default(&CHECK, &snapshot, AS_OF).is_empty());
        snapshot.coverage.usage_from = Some(last_full_day() - days(14) + 1);
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, ORG)).contains("usage records cover only"));
    }
}
