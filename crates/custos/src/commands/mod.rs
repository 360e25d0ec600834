//! One module per top-level command.

mod bench;
mod demo;
mod sim;

use crate::cli::Command;
use std::process::ExitCode;

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Demo(args) => demo::run(args).await,
        Command::Sim(command) => sim::run(command).await,
        Command::Bench(command) => bench::run(command).await,
    }
}
