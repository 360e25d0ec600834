//! `custos report`: cost and usage reports from the store.

use super::context;
use super::output;
use crate::cli::{ReportArgs, ReportFormat};
use anyhow::{Context, bail};
use custos_model::api::{Project, SpendLimit};
use custos_report::{OrgData, ReportInput, ReportOptions};
use custos_store::Store;
use std::process::ExitCode;

/// History read for reports: the longest report window (13 ISO weeks, last month) with room.
const LOOKBACK_DAYS: i64 = 400;

pub async fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    if args.name == "list" {
        let rows: Vec<Vec<String>> = custos_report::catalogue()
            .iter()
            .map(|r| vec![r.name.to_owned(), r.description.to_owned()])
            .collect();
        println!("{}", output::table(&["report", "what it shows"], &rows));
        return Ok(ExitCode::SUCCESS);
    }
    let config = context::load_config(&args.config)?;
    let store = context::open_store_read_only(&args.store).await?;
    let mut options = ReportOptions::new(args.as_of.unwrap_or_else(super::now_unix));
    options.currency = args
        .currency
        .clone()
        .unwrap_or(config.reports.currency.clone());
    options.fx_rates = config.reports.fx_rates.clone();
    options.org = args.org.clone();
    let input = report_input(store.as_ref(), options.as_of).await?;
    if input.orgs.is_empty() {
        bail!("the store holds no organization yet: run `custos scan` first");
    }
    if args.name == custos_report::ALL {
        let out = args
            .out
            .as_ref()
            .context("`custos report all` writes files: give the folder with --out DIR")?;
        let reports = custos_report::build_all(&input, &options)?;
        std::fs::create_dir_all(out)
            .with_context(|| format!("creating the report folder {}", out.display()))?;
        let files = custos_report::write_all(out, &reports)?;
        println!(
            "wrote {} reports ({} files) to {}; open {}",
            reports.len(),
            files.len(),
            out.display(),
            out.join("index.html").display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let report = custos_report::build(&args.name, &input, &options)?;
    match args.format {
        ReportFormat::Table => println!("{}", custos_report::to_table(&report)),
        ReportFormat::Json => println!("{}", custos_report::to_json(&report)),
        ReportFormat::Csv => print!("{}", custos_report::to_csv(&report)?),
        ReportFormat::Svg => println!("{}", custos_report::to_svg(&report)),
    }
    Ok(ExitCode::SUCCESS)
}

/// Every organization's projects (latest scan), spend limit, costs and usage of the look-back,
/// and since when the store holds them.
pub async fn report_input(store: &dyn Store, as_of: i64) -> anyhow::Result<ReportInput> {
    let from = as_of - LOOKBACK_DAYS * 86_400;
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
            costs: store.costs(&org_id, from, as_of + 86_400).await?,
            usage: store.usage(&org_id, None, from, as_of + 86_400).await?,
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
    kind: &str,
) -> anyhow::Result<Vec<T>> {
    store
        .objects(scan, Some(kind))
        .await?
        .into_iter()
        .map(|record| {
            serde_json::from_value(record.data).with_context(|| {
                format!(
                    "stored {kind} {} of scan {scan} does not parse; rescan",
                    record.id
                )
            })
        })
        .collect()
}
