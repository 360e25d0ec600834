//! One module per top-level command.

pub mod actions;
mod bench;
mod context;
mod demo;
mod evidence;
mod findings;
mod inventory;
mod orgs;
mod output;
mod report;
mod scan;
mod segment;
pub mod serve;
mod sim;
pub mod users;

use crate::cli::{Cli, Command, WithShow};
use anyhow::Context;
use clap::CommandFactory;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Demo(args) => demo::run(args).await,
        Command::Sim(command) => sim::run(command).await,
        Command::Bench(command) => bench::run(command).await,
        Command::Scan(args) => scan::run(args).await,
        Command::Scans(args) => inventory::scans(args).await,
        Command::Inventory(args) => inventory::inventory(args).await,
        Command::Diff(args) => inventory::drift(args).await,
        Command::Orgs(command) => orgs::run(command).await,
        Command::Report(args) => report::run(args).await,
        Command::Segment(args) => segment::run(args).await,
        Command::Evidence(command) => evidence::run(command).await,
        Command::Actions(command) => actions::run(command).await,
        Command::Users(command) => users::run(command).await,
        Command::Findings(args) => findings::run(args).await,
        Command::Policies(command) => findings::policies(command).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics on a failed write (a closed pipe), while
            // a write here returns the error main turns into a quiet exit.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "custos", &mut script);
            std::io::stdout().write_all(&script)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { out } => man(out.as_deref()),
    }
}

/// `custos man`: the top page on stdout, or with `--out` a page for every command and
/// subcommand (`custos-report-show.1`), as packagers install them.
fn man(out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let command = Cli::command();
    match out {
        None => clap_mangen::Man::new(command).render(&mut std::io::stdout())?,
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the folder {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("writing the manual pages into {}", dir.display()))?;
            println!("wrote the manual pages to {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The subcommand given, or for `custos COMMAND NAME`, the spelling before `custos COMMAND show
/// NAME` (kept for one release), a note on stderr and the `show` it stands for. Clap requires
/// the name when no subcommand is given; the error is for a caller that bypassed it.
fn subcommand<C: clap::Subcommand, V: clap::Args>(
    command: &str,
    args: WithShow<C, V>,
    show: impl FnOnce(String, V) -> C,
) -> anyhow::Result<C> {
    if let Some(subcommand) = args.command {
        return Ok(subcommand);
    }
    let name = args
        .name
        .with_context(|| format!("name one: `custos {command} show NAME`"))?;
    let shown = output::safe(&name);
    eprintln!(
        "note: 'custos {command} {shown}' is deprecated; use 'custos {command} show {shown}'"
    );
    Ok(show(name, args.view))
}

/// The wall clock, for commands that default to "now"; evaluation never reads it.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
