//! Walks over usage and cost records inside a window. A record's time is its bucket's
//! `start_time` (`docs/conventions.md` "A record's period"), whatever the record itself says.

use crate::shared::time::Window;
use custos_model::api::{CostResult, UsageResult};
use custos_model::inventory::Snapshot;

/// Every usage record, of every kind, whose bucket starts inside `window`, with that start.
pub fn usage_in(snapshot: &Snapshot, window: Window) -> impl Iterator<Item = (i64, &UsageResult)> {
    snapshot
        .inventory
        .usage
        .values()
        .flatten()
        .filter(move |bucket| window.contains(bucket.start_time))
        .flat_map(|bucket| bucket.results.iter().map(|r| (bucket.start_time, r)))
}

/// Every cost record whose bucket starts inside `window`, with that start.
pub fn costs_in(snapshot: &Snapshot, window: Window) -> impl Iterator<Item = (i64, &CostResult)> {
    snapshot
        .inventory
        .costs
        .iter()
        .filter(move |bucket| window.contains(bucket.start_time))
        .flat_map(|bucket| bucket.results.iter().map(|r| (bucket.start_time, r)))
}

/// A project's cost inside a window, per currency as the records spell it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostTotals<'a> {
    pub by_currency: std::collections::BTreeMap<&'a str, f64>,
}

impl<'a> CostTotals<'a> {
    /// The amounts, for [`crate::shared::money::convert_sum`].
    pub fn amounts(&self) -> impl Iterator<Item = (f64, &'a str)> + '_ {
        self.by_currency.iter().map(|(c, v)| (*v, *c))
    }

    /// Whether anything was spent, whatever the currency.
    pub fn is_positive(&self) -> bool {
        self.by_currency.values().sum::<f64>() > 0.0
    }
}

/// Cost per project id inside `window`; records without a project are left out.
pub fn costs_by_project(
    snapshot: &Snapshot,
    window: Window,
) -> std::collections::HashMap<&str, CostTotals<'_>> {
    let mut totals: std::collections::HashMap<&str, CostTotals<'_>> =
        std::collections::HashMap::new();
    for (_, record) in costs_in(snapshot, window) {
        if let Some(project_id) = record.project_id.as_deref() {
            *totals
                .entry(project_id)
                .or_default()
                .by_currency
                .entry(record.amount.currency.as_str())
                .or_insert(0.0) += record.amount.value;
        }
    }
    totals
}
