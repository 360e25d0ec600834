//! `custos report`: cost and usage reports from the store.

use super::context;
use super::output;
use crate::cli::{ReportArgs, ReportFormat};
use anyhow::{Context, bail};
use custos_app::report::{report_input, report_options};
use std::process::ExitCode;

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
    let options = report_options(
        &config,
        args.as_of.unwrap_or_else(super::now_unix),
        args.currency.as_deref(),
        args.org.as_deref(),
    );
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
