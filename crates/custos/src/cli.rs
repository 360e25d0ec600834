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
    /// Scan an organization through the Admin API into the store (a new snapshot).
    Scan(ScanArgs),
    /// The recorded scans, with their status and failed endpoints.
    Scans(ScansArgs),
    /// Objects of one kind in a snapshot (`custos inventory kinds` lists the kinds).
    Inventory(InventoryArgs),
    /// Drift between two snapshots: objects added, removed and changed, with the fields.
    Diff(DiffArgs),
    /// Organizations and their stored (encrypted) keys.
    #[command(subcommand)]
    Orgs(OrgsCommand),
    /// Findings of the policies: open ones and indeterminate results of the latest scans.
    Findings(FindingsArgs),
    /// The policy catalogue.
    #[command(subcommand)]
    Policies(PoliciesCommand),
    /// Segments: named, saved filters (`custos segment list` names them).
    Segment(SegmentArgs),
    /// Approved remediation and provisioning: request, approve, execute, journal.
    #[command(subcommand)]
    Actions(crate::commands::actions::ActionsCommand),
    /// custos's own principals (who may request, approve and execute actions).
    #[command(subcommand)]
    Users(crate::commands::users::UsersCommand),
    /// Signed evidence packs for auditors: keygen, export, verify.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Cost and usage reports (`custos report list` names them; `all --out DIR` writes them all).
    Report(ReportArgs),
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

/// Where the store and the configuration are.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// The store: a path or a URL (`sqlite://...`, `postgres://...`).
    #[arg(long, env = "CUSTOS_DB", default_value = "custos.db")]
    pub db: String,
    /// The configuration file (default: ./custos.toml when it exists).
    #[arg(long, env = "CUSTOS_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The organization id (`org-...`); required unless the config names exactly one.
    #[arg(long)]
    pub org: Option<String>,
    /// The API root (default: the config's, else https://api.openai.com/v1).
    #[arg(long)]
    pub base_url: Option<String>,
    /// The master key file that unlocks stored keys (CUSTOS_MASTER_KEY takes precedence).
    #[arg(long, env = "CUSTOS_MASTER_KEY_FILE", default_value = "custos.key")]
    pub master_key_file: PathBuf,
    /// The scan's clock as Unix seconds (default: now); for reproducible scans of a scenario.
    #[arg(long, hide = true)]
    pub now: Option<i64>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ScansArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub org: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// The object kind (`user`, `project_api_key`, ...), `audit_event`, `cost`, `usage`, or
    /// `kinds` to list them.
    pub kind: String,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub org: Option<String>,
    /// The scan to read (default: the organization's latest).
    #[arg(long)]
    pub scan: Option<i64>,
    /// Only objects of this project.
    #[arg(long)]
    pub project: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub org: Option<String>,
    /// The older scan (default: the one before --to).
    #[arg(long)]
    pub from: Option<i64>,
    /// The newer scan (default: the latest).
    #[arg(long)]
    pub to: Option<i64>,
    /// Only these kinds (repeatable).
    #[arg(long)]
    pub kind: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingFormat {
    Table,
    Json,
    Csv,
    /// OCSF 1.x Compliance Finding (class 2003), a JSON array.
    Ocsf,
    /// SARIF 2.1.0.
    Sarif,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct FindingsArgs {
    #[command(subcommand)]
    pub action: Option<FindingsAction>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Only this organization.
    #[arg(long)]
    pub org: Option<String>,
    /// Evaluate at this time (RFC 3339 or a date) instead of the scan's.
    #[arg(long)]
    pub as_of: Option<String>,
    #[arg(long, value_enum, default_value_t = FindingFormat::Table)]
    pub format: FindingFormat,
    /// Only findings at or above this severity (critical, high, medium, low, info).
    #[arg(long)]
    pub severity: Option<String>,
    /// Only these policies (repeatable).
    #[arg(long)]
    pub policy: Vec<String>,
    /// Only findings in this project.
    #[arg(long)]
    pub project: Option<String>,
    /// Only findings with this status: open (default), resolved, suppressed, or all.
    #[arg(long)]
    pub status: Option<String>,
    /// Exit with 3 when an open finding is at or above this severity.
    #[arg(long)]
    pub fail_on: Option<String>,
}

/// Which finding: its identity.
#[derive(Debug, Args)]
pub struct FindingId {
    /// The organization (`org-...`); optional when the store holds one.
    #[arg(long)]
    pub org: Option<String>,
    #[arg(long)]
    pub policy: String,
    /// The resource id the finding is about.
    #[arg(long)]
    pub resource: String,
}

#[derive(Debug, Subcommand)]
pub enum FindingsAction {
    /// Accept a finding for a while: it stays recorded but is not listed as open.
    Suppress {
        #[command(flatten)]
        id: FindingId,
        /// Why (kept in the finding's history).
        #[arg(long)]
        reason: String,
        /// When the suppression ends (RFC 3339 or a date, at most 365 days ahead; default 90
        /// days); the finding reopens then.
        #[arg(long)]
        until: Option<String>,
        /// You, an operator or above (CUSTOS_TOKEN or --token-file): the suppression's author.
        #[command(flatten)]
        auth: crate::commands::users::AuthArgs,
    },
    /// Lift a suppression.
    Unsuppress {
        #[command(flatten)]
        id: FindingId,
        #[command(flatten)]
        auth: crate::commands::users::AuthArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum PoliciesCommand {
    /// Every policy: built-in, and custom ones of the config's folder.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// One policy: its rule, parameters, remediation and controls.
    Show {
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Check a folder of custom policies; errors as file:line:column.
    Validate { dir: PathBuf },
    /// Run the fixtures kept beside each custom policy of a folder.
    Test { dir: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Create an Ed25519 key pair in minisign's format (the secret key encrypted with
    /// $CUSTOS_EVIDENCE_PASSPHRASE when set, and always mode 0600).
    Keygen {
        #[arg(long, default_value = "custos-evidence.pub")]
        public: PathBuf,
        #[arg(long, default_value = "custos-evidence.key")]
        secret: PathBuf,
    },
    /// Write the pack of a period: snapshot, audit events, findings, scans, signed manifest.
    Export(ExportArgs),
    /// Check a pack: signature, every hash, no missing or extra file, the chain link.
    Verify {
        file: PathBuf,
        /// The public key (a minisign .pub file or its `RW...` line).
        #[arg(long)]
        pubkey: PathBuf,
        /// The previous pack of the chain.
        #[arg(long)]
        previous: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub org: Option<String>,
    /// First day (or RFC 3339 time) of the period.
    #[arg(long)]
    pub from: Option<String>,
    /// End of the period, excluded.
    #[arg(long)]
    pub to: Option<String>,
    /// A calendar month instead: 2026-10.
    #[arg(long)]
    pub month: Option<String>,
    /// The pack to write (never overwritten).
    #[arg(long)]
    pub out: PathBuf,
    /// The secret key from `custos evidence keygen`.
    #[arg(long, default_value = "custos-evidence.key")]
    pub key: PathBuf,
    /// The previous pack, to chain this one to it.
    #[arg(long)]
    pub previous: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SegmentArgs {
    /// A segment name, or `list`.
    pub name: String,
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub org: Option<String>,
    /// Evaluate at this time (RFC 3339 or a date) instead of the scan's.
    #[arg(long)]
    pub as_of: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
    Svg,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A report name, `list`, or `all` (with --out).
    pub name: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// One organization (id or name); all of them by default.
    #[arg(long)]
    pub org: Option<String>,
    /// The report's time: RFC 3339 (`2026-11-20T12:00:00Z`) or a date (midnight UTC); default now.
    #[arg(long)]
    pub as_of: Option<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Show money in this currency (default: the config's `reports.currency`, else USD).
    #[arg(long)]
    pub currency: Option<String>,
    /// With `all`: the folder to write every report's SVG and CSV and an index.html into.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum OrgsCommand {
    /// Register an organization and store its admin key encrypted (AES-256-GCM).
    Add(OrgsAddArgs),
    /// Organizations of the config and the store, with where their keys come from.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete an organization's stored keys (its history stays).
    Remove {
        /// The organization id.
        org: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Re-encrypt every stored key under a new master key.
    RotateMasterKey(RotateArgs),
}

#[derive(Debug, Args)]
pub struct OrgsAddArgs {
    /// The organization id (`org-...`).
    pub org: String,
    #[arg(long)]
    pub name: Option<String>,
    /// Read the read-only admin key from this environment variable...
    #[arg(long, group = "read_source")]
    pub key_env: Option<String>,
    /// ...or from the first line of this file...
    #[arg(long, group = "read_source")]
    pub key_file: Option<PathBuf>,
    /// ...or from the first line of standard input.
    #[arg(long, group = "read_source")]
    pub key_stdin: bool,
    /// An optional read-write admin key for approved actions, from this environment variable.
    #[arg(long)]
    pub write_key_env: Option<String>,
    /// The master key file; created (mode 0600) when neither it nor CUSTOS_MASTER_KEY exists.
    #[arg(long, env = "CUSTOS_MASTER_KEY_FILE", default_value = "custos.key")]
    pub master_key_file: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The current master key file (CUSTOS_MASTER_KEY takes precedence).
    #[arg(long, env = "CUSTOS_MASTER_KEY_FILE", default_value = "custos.key")]
    pub master_key_file: PathBuf,
    /// The new master key file; created (mode 0600) when it does not exist.
    #[arg(long)]
    pub new_key_file: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
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
    /// Scan wall time through a simulator with latency and a rate limit, against the lower
    /// bound (requests / rate limit).
    Scan {
        #[arg(long, default_value_t = 2_000)]
        users: usize,
        #[arg(long, default_value_t = 300)]
        projects: usize,
        #[arg(long, default_value_t = 50)]
        latency_ms: u64,
        #[arg(long, default_value_t = 100)]
        rate_limit: u32,
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
