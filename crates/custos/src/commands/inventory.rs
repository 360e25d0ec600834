//! `custos scans`, `custos inventory kinds|show KIND` and `custos diff`: reading snapshots back.

use super::context;
use super::output::{self, print};
use crate::cli::{DiffArgs, Format, InventoryArgs, InventoryCommand, InventoryShowArgs, ScansArgs};
use anyhow::bail;
use custos_model::kind::Kind;
use custos_scan::diff::{Change, diff};
use custos_store::ObjectRecord;
use serde_json::Value;
use std::process::ExitCode;

/// Table columns per kind beyond the id: the top-level fields most objects of a kind carry.
const MAX_TABLE_COLUMNS: usize = 7;

pub async fn scans(args: ScansArgs) -> anyhow::Result<ExitCode> {
    let store = context::open_store_read_only(&args.store).await?;
    let runs = store.scans(args.org.id.as_deref()).await?;
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|run| {
            let failed: Vec<&str> = run
                .endpoints
                .iter()
                .filter(|e| !e.ok)
                .map(|e| e.endpoint.as_str())
                .collect();
            vec![
                run.id.to_string(),
                run.org_id.clone(),
                output::time(Some(run.started_at)),
                output::time(run.finished_at),
                run.status.to_string(),
                run.endpoints
                    .iter()
                    .map(|e| e.requests)
                    .sum::<u64>()
                    .to_string(),
                failed.join(" "),
                run.error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print(
        args.output.format,
        &[
            "scan",
            "org",
            "started",
            "finished",
            "status",
            "requests",
            "failed endpoints",
            "why it ended",
        ],
        &rows,
        &runs,
    )?;
    Ok(ExitCode::SUCCESS)
}

pub async fn inventory(args: InventoryArgs) -> anyhow::Result<ExitCode> {
    let command = super::subcommand("inventory", args, |kind, view| {
        InventoryCommand::Show(InventoryShowArgs { kind, view })
    })?;
    match command {
        InventoryCommand::Kinds { output } => kinds(output.format),
        InventoryCommand::Show(args) => show(args).await,
    }
}

fn kinds(format: Format) -> anyhow::Result<ExitCode> {
    let rows: Vec<Vec<String>> = Kind::ALL
        .iter()
        .map(|kind| vec![kind.name().to_owned(), kind.info().endpoint()])
        .chain(
            [
                ("audit_event", "GET /organization/audit_logs"),
                ("usage", "GET /organization/usage/*"),
                ("cost", "GET /organization/costs"),
            ]
            .map(|(k, p)| vec![k.to_owned(), p.to_owned()]),
        )
        .collect();
    print(format, &["kind", "endpoint"], &rows, &rows)?;
    Ok(ExitCode::SUCCESS)
}

async fn show(
    InventoryShowArgs { kind, view: args }: InventoryShowArgs,
) -> anyhow::Result<ExitCode> {
    let store = context::open_store_read_only(&args.store).await?;
    let org = context::org_of_store(store.as_ref(), args.org.id.as_deref()).await?;
    let records: Vec<ObjectRecord> = match kind.as_str() {
        "audit_event" => store
            .audit_events(&org, None, None)
            .await?
            .into_iter()
            .map(|e| ObjectRecord {
                kind: "audit_event".into(),
                id: e.id,
                project_id: None,
                data: e.data,
            })
            .collect(),
        "usage" => store
            .usage(&org, None, i64::MIN, i64::MAX)
            .await?
            .into_iter()
            .map(|u| ObjectRecord {
                kind: format!("usage/{}", u.kind),
                id: format!("{}@{}", u.group_key, u.bucket_start),
                project_id: u
                    .data
                    .get("project_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                data: with_field(u.data, "bucket_start", u.bucket_start),
            })
            .collect(),
        "cost" => store
            .costs(&org, i64::MIN, i64::MAX)
            .await?
            .into_iter()
            .enumerate()
            .map(|(n, c)| ObjectRecord {
                kind: "cost".into(),
                id: n.to_string(),
                project_id: c.project_id,
                data: with_field(c.data, "bucket_start", c.bucket_start),
            })
            .collect(),
        kind => {
            if kind.parse::<Kind>().is_err() {
                bail!(
                    "unknown kind {kind:?}; `custos inventory kinds` lists them: {}",
                    Kind::ALL
                        .iter()
                        .map(|k| k.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let read = context::kind_objects(store.as_ref(), &org, kind, args.scan).await?;
            if read.incomplete {
                eprintln!(
                    "warning: scan {} could not read every {kind}: the list below is incomplete",
                    read.run.id
                );
            }
            read.objects
        }
    };
    let records: Vec<ObjectRecord> = records
        .into_iter()
        .filter(|r| args.project.is_none() || r.project_id == args.project)
        .collect();
    let columns = columns(&records, args.output.format);
    let mut header = vec!["id", "project"];
    header.extend(columns.iter().map(String::as_str));
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let mut row = vec![r.id.clone(), r.project_id.clone().unwrap_or_default()];
            row.extend(columns.iter().map(|c| cell(r.data.get(c))));
            row
        })
        .collect();
    print(args.output.format, &header, &rows, &records)?;
    Ok(ExitCode::SUCCESS)
}

fn with_field(mut data: Value, name: &str, value: i64) -> Value {
    if let Value::Object(map) = &mut data {
        map.insert(name.to_owned(), Value::from(value));
    }
    data
}

/// The top-level fields to show, in first-seen order: every one for CSV, the most common
/// scalar ones for a table.
fn columns(records: &[ObjectRecord], format: Format) -> Vec<String> {
    let mut seen: Vec<(String, usize)> = Vec::new();
    for record in records {
        let Value::Object(map) = &record.data else {
            continue;
        };
        for (key, value) in map {
            if key == "object" || key == "id" || (format == Format::Table && value.is_object()) {
                continue;
            }
            match seen.iter_mut().find(|(k, _)| k == key) {
                Some((_, n)) => *n += 1,
                None => seen.push((key.clone(), 1)),
            }
        }
    }
    if format == Format::Table {
        let mut ranked = seen.clone();
        ranked.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        ranked.truncate(MAX_TABLE_COLUMNS);
        seen.retain(|(k, _)| ranked.iter().any(|(r, _)| r == k));
    }
    seen.into_iter().map(|(k, _)| k).collect()
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

pub async fn drift(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let store = context::open_store_read_only(&args.store).await?;
    let org = context::org_of_store(store.as_ref(), args.org.id.as_deref()).await?;
    let to = context::scan_or_latest(store.as_ref(), &org, args.to).await?;
    let from = match args.from {
        Some(id) => context::scan_or_latest(store.as_ref(), &org, Some(id)).await?,
        None => store
            .scans(Some(&org))
            .await?
            .into_iter()
            .rfind(|r| r.status.is_visible() && r.id < to.id)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "scan {} is the first of {org}: there is nothing to compare it with yet",
                    to.id
                )
            })?,
    };
    if from.id >= to.id {
        bail!("--from ({}) must be older than --to ({})", from.id, to.id);
    }
    let before = store.objects(from.id, None).await?;
    let after = store.objects(to.id, None).await?;
    let mut result = diff(&from, &before, &to, &after);
    if !args.kind.is_empty() {
        result.drift.retain(|d| args.kind.contains(&d.kind));
    }
    let mut rows = Vec::new();
    for d in &result.drift {
        let project = d.project_id.clone().unwrap_or_default();
        match &d.change {
            Change::Added | Change::Removed => {
                let change = if d.change == Change::Added {
                    "added"
                } else {
                    "removed"
                };
                rows.push(vec![
                    change.into(),
                    d.kind.clone(),
                    d.id.clone(),
                    project,
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
            Change::Changed { fields } => {
                for f in fields {
                    rows.push(vec![
                        "changed".into(),
                        d.kind.clone(),
                        d.id.clone(),
                        project.clone(),
                        f.field.clone(),
                        cell(Some(&f.before)),
                        cell(Some(&f.after)),
                    ]);
                }
            }
        }
    }
    if args.output.format == Format::Table {
        println!(
            "drift of {org} from scan {} ({}) to scan {} ({}): {} object(s)",
            from.id,
            output::time(Some(from.started_at)),
            to.id,
            output::time(Some(to.started_at)),
            result.drift.len()
        );
    }
    print(
        args.output.format,
        &[
            "change", "kind", "id", "project", "field", "before", "after",
        ],
        &rows,
        &result,
    )?;
    if args.output.format == Format::Table && !result.unknown.is_empty() {
        println!(
            "not compared (a scan could not read them): {}",
            result.unknown.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
