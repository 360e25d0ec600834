//! The command-line contract (`docs/cli.md`): scripts and tests rely on it.
//!
//! Every number and time a flag takes is checked by clap when the command line is read: numbers
//! against a range ([`within`], or clap's ranged parsers for signed ones), times by
//! [`custos_model::unix::parse_time`]. A value outside is a usage error naming the flag and the
//! range, never a panic or an overflow further in.

use clap::builder::{PossibleValue, PossibleValuesParser, RangedU64ValueParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use custos_app::findings::StatusFilter;
use custos_model::unix::{TIME_RANGE, parse_time};
use custos_policy::Severity;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::str::FromStr;

/// An organization id given on the command line, held to the rule of `custos.toml`
/// ([`custos_config::check_organization_id`]): no `/`, `..` or newline reaches a key name or a URL.
fn organization_id(text: &str) -> Result<String, String> {
    custos_config::check_organization_id(text).map(|()| text.to_owned())
}

/// A whole-number flag that must lie in `range`; clap's error names the flag and the range.
pub fn within<T>(range: RangeInclusive<u64>) -> RangedU64ValueParser<T>
where
    T: TryFrom<u64> + Clone + Send + Sync + 'static,
    <T as TryFrom<u64>>::Error: std::error::Error + Send + Sync + 'static,
{
    RangedU64ValueParser::<T>::new().range(range)
}

/// A flag whose values are the variants of a library's strum enum (`Severity`, `StatusFilter`):
/// clap lists them in `--help` and in the error for any other value, and the enum's own
/// `FromStr` turns the accepted name into the value, so the names are spelled once, in the enum.
fn variant_of<T>() -> impl TypedValueParser<Value = T>
where
    T: strum::VariantArray + Copy + Into<&'static str> + FromStr + Send + Sync + 'static,
    <T as FromStr>::Err: std::error::Error + Send + Sync + 'static,
{
    PossibleValuesParser::new(
        T::VARIANTS
            .iter()
            .map(|variant| PossibleValue::new(Into::<&'static str>::into(*variant))),
    )
    .try_map(|name| name.parse::<T>())
}

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
    /// Objects of one kind in a snapshot: `inventory kinds`, `inventory show KIND`.
    #[command(override_usage = "custos inventory <COMMAND>")]
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
    /// Segments, named and saved filters: `segment list`, `segment show NAME`.
    #[command(override_usage = "custos segment <COMMAND>")]
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
    /// Cost and usage reports: `report list`, `report show NAME`, `report all --out DIR`.
    #[command(override_usage = "custos report <COMMAND>")]
    Report(ReportArgs),
    /// Rerunnable benchmarks of the performance targets (run with --release).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Serve the JSON API and scan every configured organization on a schedule; prints its
    /// URL as the first stdout line.
    Serve(crate::commands::serve::ServerArgs),
    /// A shell completion script on stdout (e.g. `custos completions bash > /etc/bash_completion.d/custos`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Manual pages (roff): the top one on stdout, or one per command into a folder.
    Man {
        /// The folder to write `custos.1`, `custos-report.1`, `custos-report-show.1`, ... into.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Do not keep serving after printing the results.
    #[arg(long)]
    pub no_serve: bool,
}

/// Where the store is.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// The store: a path or a URL (`sqlite://...`, `postgres://...`).
    #[arg(long, env = "CUSTOS_DB", default_value = "custos.db")]
    pub db: String,
}

/// Where the configuration is. Only the commands that read it take `--config`, so that the
/// flag is never accepted and then ignored; a file given explicitly (flag or CUSTOS_CONFIG)
/// must exist.
#[derive(Debug, Args, Clone)]
pub struct ConfigArgs {
    /// The configuration file (default: ./custos.toml when it exists).
    #[arg(long, env = "CUSTOS_CONFIG", value_parser = existing_file)]
    pub config: Option<PathBuf>,
}

fn existing_file(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{text} is not a file: give an existing custos.toml, or leave --config and \
             CUSTOS_CONFIG out to use ./custos.toml when present"
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// How rows are printed.
#[derive(Debug, Args, Clone, Copy)]
pub struct FormatArgs {
    /// The output: a table for people, JSON or CSV for programs.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Whether a command that prints one result prints it for people or for programs.
#[derive(Debug, Args, Clone, Copy)]
pub struct JsonArgs {
    /// Print the result as JSON instead of text.
    #[arg(long = "json")]
    pub enabled: bool,
}

/// The one organization a command acts on or reads.
#[derive(Debug, Args, Clone)]
pub struct OrgArgs {
    /// The organization id (`org-...`); needed only when several are known (to `scan`: in the
    /// configuration; to the others: in the store).
    #[arg(long = "org", value_parser = organization_id)]
    pub id: Option<String>,
}

/// The organization a listing is narrowed to.
#[derive(Debug, Args, Clone)]
pub struct OrgFilterArgs {
    /// Only this organization (its id; reports also take its name); every one by default.
    #[arg(long = "org")]
    pub id: Option<String>,
}

/// The time an evaluation is made at.
#[derive(Debug, Args, Clone, Copy)]
pub struct AsOfArgs {
    /// Evaluate at this time: RFC 3339 (`2026-11-20T12:00:00Z`) or a date (midnight UTC);
    /// default: the latest scan's time (reports: now).
    #[arg(long = "as-of", value_parser = parse_time)]
    pub time: Option<i64>,
}

/// What the policies, reports and segments are evaluated on: the stored scans of the
/// organizations, under a configuration, at a time.
#[derive(Debug, Args, Clone)]
pub struct EvaluationArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub org: OrgFilterArgs,
    #[command(flatten)]
    pub as_of: AsOfArgs,
}

/// The master key that unlocks the stored keys.
#[derive(Debug, Args, Clone)]
pub struct MasterKeyArgs {
    /// The master key file (CUSTOS_MASTER_KEY, the key itself, takes precedence); `orgs add`
    /// creates it (mode 0600) when neither exists.
    #[arg(
        long = "master-key-file",
        env = "CUSTOS_MASTER_KEY_FILE",
        default_value = "custos.key"
    )]
    pub file: PathBuf,
}

/// How a command that talks to the Admin API reaches it.
#[derive(Debug, Args, Clone)]
pub struct ApiArgs {
    /// The API root (default: the config's, else https://api.openai.com/v1).
    #[arg(long)]
    pub base_url: Option<String>,
    #[command(flatten)]
    pub master_key: MasterKeyArgs,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub org: OrgArgs,
    #[command(flatten)]
    pub api: ApiArgs,
    /// The scan's clock as Unix seconds (default: now); for reproducible scans of a scenario.
    #[arg(long, hide = true, value_parser = clap::value_parser!(i64).range(TIME_RANGE))]
    pub now: Option<i64>,
    #[command(flatten)]
    pub json: JsonArgs,
    /// Exit 0 even when a custom policy does not load (its findings are kept open, marked
    /// indeterminate, either way).
    #[arg(long)]
    pub allow_policy_errors: bool,
}

#[derive(Debug, Args)]
pub struct ScansArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub org: OrgFilterArgs,
    #[command(flatten)]
    pub output: FormatArgs,
}

/// A command whose subcommands include `show NAME` (`report`, `segment`, `inventory`), with
/// `custos COMMAND NAME`, its spelling before the subcommands, kept for one release: a hidden
/// positional beside the subcommands, taking the flags of `show`. `--help` shows only the
/// subcommands (the command's `override_usage` says how to call it, `docs/cli.md` what is
/// deprecated).
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    arg_required_else_help = true,
    mut_args = hide_deprecated
)]
pub struct WithShow<C: Subcommand, V: Args> {
    #[command(subcommand)]
    pub command: Option<C>,
    /// Deprecated: `custos COMMAND show NAME`.
    #[arg(required = true)]
    pub name: Option<String>,
    #[command(flatten)]
    pub view: V,
}

fn hide_deprecated(arg: clap::Arg) -> clap::Arg {
    arg.hide(true)
}

pub type InventoryArgs = WithShow<InventoryCommand, InventoryView>;
pub type SegmentArgs = WithShow<SegmentCommand, SegmentView>;
pub type ReportArgs = WithShow<ReportCommand, ReportView>;

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// The kinds a snapshot holds, with the endpoint each is read from.
    Kinds {
        #[command(flatten)]
        output: FormatArgs,
    },
    /// The objects of one kind.
    Show(InventoryShowArgs),
}

#[derive(Debug, Args)]
pub struct InventoryShowArgs {
    /// The kind (`user`, `project_api_key`, ...), `audit_event`, `cost` or `usage`
    /// (`custos inventory kinds` lists them).
    pub kind: String,
    #[command(flatten)]
    pub view: InventoryView,
}

/// Which objects of a kind, and how they are printed.
#[derive(Debug, Args)]
pub struct InventoryView {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub org: OrgArgs,
    /// The scan to read (default: the organization's latest).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
    pub scan: Option<i64>,
    /// Only objects of this project.
    #[arg(long)]
    pub project: Option<String>,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub org: OrgArgs,
    /// The older scan (default: the one before --to).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
    pub from: Option<i64>,
    /// The newer scan (default: the latest).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
    pub to: Option<i64>,
    /// Only these kinds (repeatable).
    #[arg(long)]
    pub kind: Vec<String>,
    #[command(flatten)]
    pub output: FormatArgs,
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
    pub evaluation: EvaluationArgs,
    /// The output: a table for people; JSON (`docs/cli.md`), CSV, OCSF or SARIF for programs.
    #[arg(long, value_enum, default_value_t = FindingFormat::Table)]
    pub format: FindingFormat,
    /// Only findings at or above this severity.
    #[arg(long, ignore_case = true, value_parser = variant_of::<Severity>())]
    pub severity: Option<Severity>,
    /// Only these policies (repeatable).
    #[arg(long)]
    pub policy: Vec<String>,
    /// Only findings in this project.
    #[arg(long)]
    pub project: Option<String>,
    /// Only findings with this status.
    #[arg(long, default_value = "open", value_parser = variant_of::<StatusFilter>())]
    pub status: StatusFilter,
    /// Exit with 3 when an open finding is at or above this severity (4 when an organization
    /// has no complete scan).
    #[arg(long, ignore_case = true, value_parser = variant_of::<Severity>())]
    pub fail_on: Option<Severity>,
}

/// Which finding: its identity.
#[derive(Debug, Args)]
pub struct FindingId {
    #[command(flatten)]
    pub org: OrgArgs,
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
        #[arg(long, value_parser = parse_time)]
        until: Option<i64>,
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
        config: ConfigArgs,
    },
    /// One policy: its rule, parameters, remediation and controls.
    Show {
        id: String,
        #[command(flatten)]
        config: ConfigArgs,
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
    #[command(flatten)]
    pub org: OrgArgs,
    /// First day (or RFC 3339 time) of the period.
    #[arg(long, value_parser = parse_time)]
    pub from: Option<i64>,
    /// End of the period, excluded.
    #[arg(long, value_parser = parse_time)]
    pub to: Option<i64>,
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

#[derive(Debug, Subcommand)]
pub enum SegmentCommand {
    /// The segments, with who belongs to each.
    List,
    /// The members of one segment in the latest scan of each organization.
    Show(SegmentShowArgs),
}

#[derive(Debug, Args)]
pub struct SegmentShowArgs {
    /// The segment (`custos segment list` names them).
    pub name: String,
    #[command(flatten)]
    pub view: SegmentView,
}

/// Where a segment is evaluated, and how its members are printed.
#[derive(Debug, Args)]
pub struct SegmentView {
    #[command(flatten)]
    pub evaluation: EvaluationArgs,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
    Svg,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The reports, with what each shows.
    List,
    /// Every report's SVG and CSV and an index.html, written into a folder.
    All(ReportAllArgs),
    /// One report.
    Show(ReportShowArgs),
}

#[derive(Debug, Args)]
pub struct ReportAllArgs {
    #[command(flatten)]
    pub input: ReportInputArgs,
    /// The folder to write into (created when missing).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ReportShowArgs {
    /// The report (`custos report list` names them).
    pub name: String,
    #[command(flatten)]
    pub view: ReportView,
}

/// One report's inputs and how it is printed.
#[derive(Debug, Args)]
pub struct ReportView {
    #[command(flatten)]
    pub input: ReportInputArgs,
    /// The output: a table, JSON, CSV or an SVG chart.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
}

/// What reports are built from.
#[derive(Debug, Args)]
pub struct ReportInputArgs {
    #[command(flatten)]
    pub evaluation: EvaluationArgs,
    /// Show money in this currency (default: the config's `reports.currency`, else USD).
    #[arg(long)]
    pub currency: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OrgsCommand {
    /// Register an organization and store its admin key encrypted (AES-256-GCM).
    Add(OrgsAddArgs),
    /// Organizations of the config and the store, with where their keys come from.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Delete an organization's stored keys (its history stays).
    Remove {
        /// The organization id.
        #[arg(value_parser = organization_id)]
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
    #[arg(value_parser = organization_id)]
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
    #[command(flatten)]
    pub master_key: MasterKeyArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    // The current master key.
    #[command(flatten)]
    pub master_key: MasterKeyArgs,
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
    /// Added latency per request, in milliseconds (with jitter of a fifth of it), up to a minute.
    #[arg(long, default_value_t = 0, value_parser = within::<u64>(0..=60_000))]
    pub latency_ms: u64,
    /// Requests per second before answering 429 with Retry-After; omit it for no limit.
    #[arg(long, value_parser = within::<u32>(1..=1_000_000))]
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

/// The generator's sizes are bounded so that a typo cannot ask for more than a machine holds;
/// the upper bounds are ten times the largest organization the benchmarks measure.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 200, value_parser = within::<usize>(0..=MAX_USERS))]
    pub users: usize,
    #[arg(long, default_value_t = 20, value_parser = within::<usize>(0..=MAX_PROJECTS))]
    pub projects: usize,
    #[arg(long, default_value_t = 5, value_parser = within::<usize>(0..=MAX_KEYS_PER_PROJECT))]
    pub keys_per_project: usize,
    /// Days of usage and costs.
    #[arg(long, default_value_t = 90, value_parser = within::<u32>(0..=MAX_DAYS))]
    pub days: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of organizations.
    #[arg(long, default_value_t = 1, value_parser = within::<usize>(1..=100))]
    pub orgs: usize,
    /// Audit events per organization (default: about five per user).
    #[arg(long, value_parser = within::<usize>(0..=10_000_000))]
    pub audit_events: Option<usize>,
    /// The scenario's clock, Unix seconds (default: a fixed date, for reproducible files).
    #[arg(long, value_parser = clap::value_parser!(i64).range(TIME_RANGE))]
    pub now: Option<i64>,
    /// Output file (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Largest sizes the generator and the benchmarks take (see [`GenerateArgs`]).
const MAX_USERS: u64 = 1_000_000;
const MAX_PROJECTS: u64 = 100_000;
const MAX_KEYS_PER_PROJECT: u64 = 1_000;
const MAX_DAYS: u64 = 3_650;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Simulator throughput: 100-item list pages per second.
    Sim {
        #[arg(long, default_value_t = 20_000, value_parser = within::<usize>(1..=10_000_000))]
        requests: usize,
        #[arg(long, default_value_t = 32, value_parser = within::<usize>(1..=1_024))]
        concurrency: usize,
    },
    /// Client paging throughput: objects per second over the simulator's user list.
    Client {
        #[arg(long, default_value_t = 100_000, value_parser = within::<usize>(1..=MAX_USERS))]
        users: usize,
    },
    /// Scan wall time with adaptive pacing (`[scan] pacing = "adaptive"`) through a simulator
    /// with latency and a rate limit, against the lower bound (requests / rate limit), with the
    /// rate settled on and the 429s; then the same scan at a fixed rate just under the limit,
    /// whose inventory must be the same.
    Scan {
        #[arg(long, default_value_t = 2_000, value_parser = within::<usize>(1..=MAX_USERS))]
        users: usize,
        #[arg(long, default_value_t = 300, value_parser = within::<usize>(0..=MAX_PROJECTS))]
        projects: usize,
        #[arg(long, default_value_t = 50, value_parser = within::<u64>(0..=60_000))]
        latency_ms: u64,
        #[arg(long, default_value_t = 100, value_parser = within::<u32>(1..=1_000_000))]
        rate_limit: u32,
        /// A route limited on its own, as `/_sim/stats` names it, and its requests per second:
        /// `"GET /v1/organization/projects/{project_id}/service_accounts=10"`; repeatable.
        #[arg(long, value_parser = parse_route_limit)]
        route_limit: Vec<(String, u32)>,
        /// Answers carry `x-ratelimit-*` headers (the Admin API sends none).
        #[arg(long)]
        rate_limit_headers: bool,
    },
    /// Generator time and peak memory.
    Generate {
        #[arg(long, default_value_t = 100_000, value_parser = within::<usize>(0..=MAX_USERS))]
        users: usize,
        #[arg(long, default_value_t = 10_000, value_parser = within::<usize>(0..=MAX_PROJECTS))]
        projects: usize,
        #[arg(long, default_value_t = 20, value_parser = within::<usize>(0..=MAX_KEYS_PER_PROJECT))]
        keys_per_project: usize,
        #[arg(long, default_value_t = 90, value_parser = within::<u32>(0..=MAX_DAYS))]
        days: u32,
    },
}

/// `ROUTE=N`: a route and its own limit in requests per second.
fn parse_route_limit(text: &str) -> Result<(String, u32), String> {
    let (route, rate) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("{text:?} is not ROUTE=REQUESTS_PER_SECOND"))?;
    match rate.trim().parse::<u32>() {
        Ok(rate @ 1..=1_000_000) => Ok((route.trim().to_owned(), rate)),
        _ => Err(format!(
            "{rate:?} is not a rate in 1..=1000000 requests per second"
        )),
    }
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
