//! `custos report list|all|show`: cost and usage reports from the store.

use super::context;
use super::output;
use crate::cli::{
    ReportAllArgs, ReportArgs, ReportCommand, ReportFormat, ReportInputArgs, ReportShowArgs,
};
use anyhow::{Context, bail};
use custos_app::report::{report_input, report_options};
use custos_report::{ReportInput, ReportOptions};
use std::process::ExitCode;

pub async fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let command = super::subcommand("report", args, |name, view| {
        ReportCommand::Show(ReportShowArgs { name, view })
    })?;
    match command {
        ReportCommand::List => list(),
        ReportCommand::All(args) => all(args).await,
        ReportCommand::Show(args) => show(args).await,
    }
}

fn list() -> anyhow::Result<ExitCode> {
    let rows: Vec<Vec<String>> = custos_report::catalogue()
        .iter()
        .map(|r| vec![r.name.to_owned(), r.description.to_owned()])
        .collect();
    println!("{}", output::table(&["report", "what it shows"], &rows));
    Ok(ExitCode::SUCCESS)
}

/// The store's data and the options of `--org`, `--as-of` and `--currency`.
async fn load(args: &ReportInputArgs) -> anyhow::Result<(ReportInput, ReportOptions)> {
    let config = context::load_config(&args.evaluation.config)?;
    let store = context::open_store_read_only(&args.evaluation.store).await?;
    let options = report_options(
        &config,
        args.evaluation.as_of.time.unwrap_or_else(super::now_unix),
        args.currency.as_deref(),
        args.evaluation.org.id.as_deref(),
    );
    let input = report_input(store.as_ref(), options.as_of).await?;
    if input.orgs.is_empty() {
        bail!("the store holds no organization yet: run `custos scan` first");
    }
    Ok((input, options))
}

async fn all(args: ReportAllArgs) -> anyhow::Result<ExitCode> {
    let (input, options) = load(&args.input).await?;
    let out = &args.out;
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
    Ok(ExitCode::SUCCESS)
}

async fn show(args: ReportShowArgs) -> anyhow::Result<ExitCode> {
    let (input, options) = load(&args.view.input).await?;
    let report = custos_report::build(&args.name, &input, &options)?;
    match args.view.format {
        ReportFormat::Table => println!("{}", custos_report::to_table(&report)),
        ReportFormat::Json => println!("{}", custos_report::to_json(&report)),
        ReportFormat::Csv => print!("{}", custos_report::to_csv(&report)?),
        ReportFormat::Svg => println!("{}", custos_report::to_svg(&report)),
    }
    Ok(ExitCode::SUCCESS)
}
