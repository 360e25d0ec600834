//! The `custos` command-line tool. Exit codes (`docs/cli.md`): 0 success, 1 failure, 2 usage error,
//! 3 when `--fail-on` finds an open finding at or above the level.

mod cli;
mod commands;
mod logging;

use clap::Parser;
use std::process::ExitCode;

/// Policy evaluation and scans allocate millions of small strings and maps from several
/// threads; mimalloc does that in about half the time of the system allocator (measured with
/// `custos-policy`'s `bench_catalogue` example, which uses the same allocator).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(cli.log_format, cli.verbose);
    // reqwest is built without a default TLS provider (no C toolchain needed); pick ring once.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            // Errors quote API answers, file contents and ids: their control characters are
            // neutralised so that a hostile server cannot drive the terminal through them.
            let message = format!("{e:#}");
            eprintln!(
                "error: {}",
                custos_model::text::terminal_safe_lines(&message)
            );
            ExitCode::from(1)
        }
    }
}
