//! The building blocks every report shares: which organizations are in scope, which records a
//! period selects, converted cost amounts, usage counters, daily tallies, rankings and the notes
//! on incomplete data.

use std::collections::{BTreeMap, BTreeSet};

use custos_records::{CostRecord, UsageRecord};
use serde_json::Value;

use crate::calendar::{self, Months, day_start};
use crate::format;
use crate::model::{OrgData, Period, ReportError, ReportInput, ReportOptions};
use crate::money::Converter;

/// The label of the rows that sum every organization.
pub const ALL: &str = "all";

/// What a report is computed with: the organizations in scope (sorted by id), the time and the
/// currency converter.
#[derive(Debug)]
pub struct Context<'a> {
    pub orgs: Vec<&'a OrgData>,
    pub as_of: i64,
    pub months: Months,
    pub money: Converter,
}

impl<'a> Context<'a> {
    pub fn new(input: &'a ReportInput, options: &'a ReportOptions) -> Result<Self, ReportError> {
        let months = Months::of(options.as_of)?;
        let mut orgs: Vec<&OrgData> = match &options.org {
            None => input.orgs.iter().collect(),
            Some(wanted) => {
                let chosen: Vec<&OrgData> = input
                    .orgs
                    .iter()
                    .filter(|org| {
                        org.org_id == *wanted
                            || org
                                .name
                                .as_deref()
                                .is_some_and(|name| name.eq_ignore_ascii_case(wanted))
                    })
                    .collect();
                if chosen.is_empty() {
                    let known: Vec<String> = input
                        .orgs
                        .iter()
                        .map(|org| match &org.name {
                            Some(name) => format!("{} ({name})", org.org_id),
                            None => org.org_id.clone(),
                        })
                        .collect();
                    return Err(ReportError::UnknownOrganization {
                        org: wanted.clone(),
                        known: if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        },
                    });
                }
                chosen
            }
        };
        orgs.sort_by(|a, b| a.org_id.cmp(&b.org_id));
        Ok(Context {
            orgs,
            as_of: options.as_of,
            months,
            money: Converter::new(&options.currency, &options.fx_rates),
        })
    }

    /// `[as_of - days * 86400, as_of)`.
    pub fn last_days(&self, days: i64) -> Period {
        Period::new(self.as_of.saturating_sub(days * calendar::DAY), self.as_of)
    }

    /// Month to date: `[first of as_of's month, as_of)`.
    pub fn month_to_date(&self) -> Period {
        Period::new(self.months.this_month.from, self.as_of)
    }

    /// Computes `per_org` for each organization, then merges them into the "all" scope:
    /// `(label, value)` pairs with "all" last.
    pub fn per_scope<T: Merge + Default>(
        &self,
        mut per_org: impl FnMut(&'a OrgData) -> Result<T, ReportError>,
    ) -> Result<Vec<(String, T)>, ReportError> {
        let mut scopes = Vec::with_capacity(self.orgs.len() + 1);
        let mut all = T::default();
        for org in &self.orgs {
            let value = per_org(org)?;
            all.merge(value.clone());
            scopes.push((org.label().to_owned(), value));
        }
        scopes.push((ALL.to_owned(), all));
        Ok(scopes)
    }

    /// Calls `each` with every cost record of `org` whose bucket starts in `period`, and its
    /// amount in the report's currency. Non-finite amounts (a corrupt record) are skipped.
    pub fn for_each_cost(
        &self,
        org: &'a OrgData,
        period: Period,
        mut each: impl FnMut(&'a CostRecord, f64),
    ) -> Result<(), ReportError> {
        for record in org.costs.iter().filter(|r| period.contains(r.bucket_start)) {
            if record.amount.is_finite() {
                each(record, self.money.convert(record.amount, &record.currency)?);
            }
        }
        Ok(())
    }

    /// The total cost of `org` in `period`, in the report's currency.
    pub fn total_cost(&self, org: &'a OrgData, period: Period) -> Result<f64, ReportError> {
        let mut total = 0.0;
        self.for_each_cost(org, period, |_, amount| total += amount)?;
        Ok(total)
    }

    /// The spend limit of `org` in the report's currency (the API gives it in cents).
    pub fn spend_limit(&self, org: &OrgData) -> Result<Option<f64>, ReportError> {
        org.spend_limit
            .as_ref()
            .filter(|(cents, _)| cents.is_finite())
            .map(|(cents, currency)| self.money.convert(cents / 100.0, currency))
            .transpose()
    }

    /// Notes for each organization whose `source` data does not cover `period`.
    pub fn coverage_notes(&self, source: Source, period: Period) -> Vec<String> {
        if period.from >= period.to {
            return Vec::new();
        }
        let what = source.name();
        self.orgs
            .iter()
            .filter_map(|org| match source.complete_from(org) {
                None => Some(format!(
                    "{}: {what} were not collected: the period is incomplete",
                    org.label()
                )),
                Some(from) if from > period.from => Some(format!(
                    "{}: {what} before {} were not collected: the period is incomplete",
                    org.label(),
                    calendar::time_label(from)
                )),
                Some(_) => None,
            })
            .collect()
    }
}

/// Which records a report reads, for the notes on missing data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Costs,
    Usage,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Costs => "costs",
            Source::Usage => "usage records",
        }
    }

    fn complete_from(self, org: &OrgData) -> Option<i64> {
        match self {
            Source::Costs => org.costs_from,
            Source::Usage => org.usage_from,
        }
    }
}

/// The usage records of `org` whose bucket starts in `period`.
pub fn usage_in(org: &OrgData, period: Period) -> impl Iterator<Item = &UsageRecord> {
    org.usage
        .iter()
        .filter(move |r| period.contains(r.bucket_start))
}

/// Values that combine when scopes are summed: per-organization figures into "all".
pub trait Merge: Clone {
    fn merge(&mut self, other: Self);
}

impl Merge for f64 {
    fn merge(&mut self, other: f64) {
        *self += other;
    }
}

impl Merge for i64 {
    fn merge(&mut self, other: i64) {
        *self = self.saturating_add(other);
    }
}

impl<T: Ord + Clone> Merge for BTreeSet<T> {
    fn merge(&mut self, other: Self) {
        self.extend(other);
    }
}

impl<K: Ord + Clone, V: Merge + Default> Merge for BTreeMap<K, V> {
    fn merge(&mut self, other: Self) {
        for (key, value) in other {
            self.entry(key).or_default().merge(value);
        }
    }
}

/// The counters of usage records that reports sum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageCounts {
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// `num_model_requests`, or `num_requests` for kinds that only count calls (file search).
    pub requests: i64,
}

impl UsageCounts {
    pub fn of(record: &UsageRecord) -> Self {
        let data = &record.data;
        UsageCounts {
            input_tokens: counter(data, "input_tokens"),
            output_tokens: counter(data, "output_tokens"),
            requests: if data.get("num_model_requests").is_some() {
                counter(data, "num_model_requests")
            } else {
                counter(data, "num_requests")
            },
        }
    }

    pub fn tokens(&self) -> i64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

impl Merge for UsageCounts {
    fn merge(&mut self, other: Self) {
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.requests = self.requests.saturating_add(other.requests);
    }
}

/// A non-negative counter of a usage result; absent, null, negative or non-numeric counts as 0.
fn counter(data: &Value, field: &str) -> i64 {
    match data.get(field) {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|_| i64::MAX))
            .or_else(|| n.as_f64().filter(|v| v.is_finite()).map(|v| v as i64))
            .unwrap_or(0)
            .max(0),
        _ => 0,
    }
}

/// A grouping field of a usage result (`project_id`, `api_key_id`, `model`, `user_id`).
pub fn field<'v>(record: &'v UsageRecord, name: &str) -> Option<&'v str> {
    record
        .data
        .get(name)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
}

/// A tally per day with every day of `period` present, so that a day without records reads 0.
pub fn empty_days<V: Default>(period: Period) -> BTreeMap<i64, V> {
    calendar::days_in(period)
        .into_iter()
        .map(|day| (day, V::default()))
        .collect()
}

/// Adds `value` to the day holding `t`.
pub fn add_to_day<V: Merge + Default>(days: &mut BTreeMap<i64, V>, t: i64, value: V) {
    days.entry(day_start(t)).or_default().merge(value);
}

/// The `limit` largest entries by `size`, largest first, ties in key order.
pub fn top<K: Clone, V: Clone>(
    tally: &BTreeMap<K, V>,
    size: impl Fn(&V) -> f64,
    limit: usize,
) -> Vec<(K, V)> {
    let mut entries: Vec<(K, V)> = tally.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    // A stable sort keeps the map's key order among equal sizes.
    entries.sort_by(|a, b| size(&b.1).total_cmp(&size(&a.1)));
    entries.truncate(limit);
    entries
}

/// `part` as a percentage of `whole`; 0 when the whole is 0.
pub fn share(part: f64, whole: f64) -> f64 {
    if whole == 0.0 {
        0.0
    } else {
        part / whole * 100.0
    }
}

/// Money rounded to a millionth of a unit: removes binary noise (0.1 + 0.2) from JSON and CSV
/// while keeping the fractions of a cent that the costs API reports.
pub fn round_money(value: f64) -> f64 {
    let rounded = (value * 1e6).round() / 1e6;
    if rounded == 0.0 { 0.0 } else { rounded }
}

/// `Org A 12.00 USD, all 12.00 USD`: the totals of the scopes, for a note.
pub fn totals_note(scopes: &[(String, f64)], currency: &str) -> String {
    let parts: Vec<String> = scopes
        .iter()
        .map(|(label, total)| format!("{label} {}", format::money(*total, currency)))
        .collect();
    format!("Total for the period: {}.", parts.join(", "))
}
