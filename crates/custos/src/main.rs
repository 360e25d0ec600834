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
    quiet_on_closed_stdout();
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
        Err(e) if closed_stdout(&e) => ExitCode::from(CLOSED_STDOUT),
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

/// The exit status of a command killed by SIGPIPE (128 + 13), which a command whose reader
/// closed standard output early (`custos inventory kinds | head`) ends with: the reader has
/// what it wanted, so nothing is printed.
const CLOSED_STDOUT: u8 = 141;

/// Whether a command failed only because its standard output was closed: a bare I/O error of
/// a write to stdout. Failures of sockets or files reach here wrapped in what they were doing,
/// so they are never mistaken for it and silenced.
fn closed_stdout(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// `println!` panics with "failed printing to stdout" when its reader has gone; end as
/// [`CLOSED_STDOUT`] instead of printing a panic.
/// Resetting SIGPIPE to its default instead would also kill the process on a socket a peer
/// closed (vectored socket writes raise it), which a scan or `custos serve` must survive.
fn quiet_on_closed_stdout() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") {
            std::process::exit(CLOSED_STDOUT.into());
        }
        default_hook(info);
    }));
}
