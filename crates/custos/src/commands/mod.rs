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

use crate::cli::Command;
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
    }
}

/// The wall clock, for commands that default to "now"; evaluation never reads it.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
