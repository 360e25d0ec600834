//! The command-line contract (DESIGN.md "Command line"): scripts and tests rely on it.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "custos",
    version,
    about = "Governance for OpenAI organizations"
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More log output (-v info, -vv debug, -vvv trace); CUSTOS_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the simulator on the built-in demo organization and show what custos finds there.
    Demo(DemoArgs),
    /// The OpenAI Admin API simulator: serve, generate and validate scenario files.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Rerunnable benchmarks of the performance targets (run with --release).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Port for the dashboard (used once the dashboard lands).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Do not keep serving after printing the results.
    #[arg(long)]
    pub no_serve: bool,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve a scenario over HTTP as the Admin API would; prints its URL as the first stdout line.
    Serve(ServeArgs),
    /// Write a generated scenario (JSON) to stdout or --out.
    Generate(GenerateArgs),
    /// Check a scenario file and report every problem with its JSON path.
    Validate {
        /// The scenario file.
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct FaultArgs {
    /// Added latency per request, in milliseconds (with jitter of a fifth of it).
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Requests per second before answering 429 with Retry-After.
    #[arg(long)]
    pub rate_limit: Option<u32>,
    /// Share of requests (0 to 1) answered with 500, 502, 503 or a truncated body.
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub fault_rate: f64,
    /// Seed of the fault sequence.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Scenario file (custos-scenario/1); the built-in demo when absent.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
    #[command(flatten)]
    pub faults: FaultArgs,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 200)]
    pub users: usize,
    #[arg(long, default_value_t = 20)]
    pub projects: usize,
    #[arg(long, default_value_t = 5)]
    pub keys_per_project: usize,
    /// Days of usage and costs.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of organizations.
    #[arg(long, default_value_t = 1)]
    pub orgs: usize,
    /// Audit events per organization (default: about five per user).
    #[arg(long)]
    pub audit_events: Option<usize>,
    /// The scenario's clock, Unix seconds (default: a fixed date, for reproducible files).
    #[arg(long)]
    pub now: Option<i64>,
    /// Output file (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Simulator throughput: 100-item list pages per second.
    Sim {
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
    /// Client paging throughput: objects per second over the simulator's user list.
    Client {
        #[arg(long, default_value_t = 100_000)]
        users: usize,
    },
    /// Generator time and peak memory.
    Generate {
        #[arg(long, default_value_t = 100_000)]
        users: usize,
        #[arg(long, default_value_t = 10_000)]
        projects: usize,
        #[arg(long, default_value_t = 20)]
        keys_per_project: usize,
        #[arg(long, default_value_t = 90)]
        days: u32,
    },
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    let value: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number; give a fraction such as 0.05"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value} is outside 0..=1; give a fraction such as 0.05"
        ))
    }
}
