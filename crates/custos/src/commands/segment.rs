//! `custos segment list|show`: named, saved filters over the latest scan of each organization.

use super::{context, output};
use crate::cli::{SegmentArgs, SegmentCommand, SegmentShowArgs};
use anyhow::bail;
use custos_report::segments::{SEGMENTS, segment};
use std::process::ExitCode;

pub async fn run(args: SegmentArgs) -> anyhow::Result<ExitCode> {
    let command = super::subcommand("segment", args, |name, view| {
        SegmentCommand::Show(SegmentShowArgs { name, view })
    })?;
    match command {
        SegmentCommand::List => list(),
        SegmentCommand::Show(args) => show(args).await,
    }
}

fn list() -> anyhow::Result<ExitCode> {
    let rows: Vec<Vec<String>> = SEGMENTS
        .iter()
        .map(|s| vec![s.name.to_owned(), s.description.to_owned()])
        .collect();
    println!("{}", output::table(&["segment", "members"], &rows));
    Ok(ExitCode::SUCCESS)
}

async fn show(SegmentShowArgs { name, view: args }: SegmentShowArgs) -> anyhow::Result<ExitCode> {
    let Some(segment) = segment(&name) else {
        bail!(
            "unknown segment {:?}; `custos segment list` names them: {}",
            name,
            SEGMENTS
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let config = context::load_config(&args.evaluation.config)?;
    let store = context::open_store_read_only(&args.evaluation.store).await?;
    let orgs = context::orgs_or_all(store.as_ref(), args.evaluation.org.id.as_deref()).await?;
    context::warn_policy_errors(&config);
    let results = custos_app::report::evaluate_segment(
        &config,
        store.as_ref(),
        segment,
        &orgs,
        args.evaluation.as_of.time,
    )
    .await?;
    let rows: Vec<Vec<String>> = results
        .iter()
        .flat_map(|r| {
            r.members.iter().map(|m| {
                vec![
                    r.org_id.clone(),
                    m.kind.clone(),
                    m.id.clone(),
                    m.project_id.clone().unwrap_or_default(),
                    m.name.clone().unwrap_or_default(),
                    m.detail.clone(),
                ]
            })
        })
        .collect();
    output::print(
        args.output.format,
        &["org", "kind", "id", "project", "name", "why"],
        &rows,
        &results,
    )?;
    if args.output.format == crate::cli::Format::Table {
        for unknown in results.iter().flat_map(|r| &r.unknown) {
            println!("membership unknown: {unknown}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
