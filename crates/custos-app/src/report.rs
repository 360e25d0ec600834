//! What reports and segments read from the store: every organization's latest scan with its
//! costs and usage, and segments evaluated over the latest snapshots.

use crate::config::ValidConfig;
use crate::evaluate::{LOOKBACK_DAYS, load_snapshot};
use crate::{Error, Result};
use custos_model::api::{Project, SpendLimit};
use custos_model::unix::DAY;
use custos_report::segments::{Segment, SegmentResult};
use custos_report::{OrgData, ReportInput, ReportOptions};
use custos_store::Store;

/// The report options at `as_of`: the config's currency (or `currency`) and rates, and the one
/// organization `org` when given.
pub fn report_options(
    config: &ValidConfig,
    as_of: i64,
    currency: Option<&str>,
    org: Option<&str>,
) -> ReportOptions {
    let reports = &config.config().reports;
    let mut options = ReportOptions::new(as_of);
    options.currency = currency.map_or_else(|| reports.currency.clone(), str::to_owned);
    options.fx_rates = reports.fx_rates.clone();
    options.org = org.map(str::to_owned);
    options
}

/// Every organization's projects (latest scan), spend limit, costs and usage of the look-back,
/// and since when the store holds them.
pub async fn report_input(store: &dyn Store, as_of: i64) -> Result<ReportInput> {
    let from = as_of - i64::from(LOOKBACK_DAYS) * DAY;
    let mut orgs = Vec::new();
    for (org_id, name) in store.organizations().await? {
        let Some(run) = store.latest_scan(&org_id).await? else {
            continue;
        };
        let projects: Vec<Project> = decode_all(store, run.id, "project").await?;
        let spend_limit = decode_all::<SpendLimit>(store, run.id, "spend_limit")
            .await?
            .into_iter()
            .next()
            .map(|limit| (limit.threshold_amount as f64, limit.currency));
        let coverage = custos_scan::snapshot::coverage(store, &org_id, i64::MIN).await?;
        orgs.push(OrgData {
            costs: store.costs(&org_id, from, as_of + DAY).await?,
            usage: store.usage(&org_id, None, from, as_of + DAY).await?,
            costs_from: coverage.costs_from,
            usage_from: coverage.usage_from,
            org_id,
            name,
            projects,
            spend_limit,
        });
    }
    Ok(ReportInput { orgs })
}

async fn decode_all<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    scan: i64,
    kind: &'static str,
) -> Result<Vec<T>> {
    store
        .objects(scan, Some(kind))
        .await?
        .into_iter()
        .map(|record| {
            serde_json::from_value(record.data).map_err(|source| Error::StoredObject {
                kind,
                id: record.id,
                scan,
                source,
            })
        })
        .collect()
}

/// `segment` over the latest scan of each of `orgs` (those without one are left out), at
/// `as_of` or else at each scan's own time, with each organization's policy settings.
pub async fn evaluate_segment(
    config: &ValidConfig,
    store: &dyn Store,
    segment: &Segment,
    orgs: &[String],
    as_of: Option<i64>,
) -> Result<Vec<SegmentResult>> {
    let mut results = Vec::new();
    for org in orgs {
        let Some(run) = store.latest_scan(org).await? else {
            continue;
        };
        let snapshot = load_snapshot(config, store, &run).await?;
        results.push(segment.evaluate(
            &snapshot,
            as_of.unwrap_or(run.started_at),
            config.policies_for(org),
        ));
    }
    Ok(results)
}
