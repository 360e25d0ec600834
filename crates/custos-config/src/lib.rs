//! `custos.toml`: which organizations custos governs, where their keys come from, and how scans
//! and policies behave.
//!
//! Every table denies unknown keys, so a typo is an error that names its line instead of a
//! setting silently ignored. Key values never live in the file: a key source names an
//! environment variable, a file, or a credential stored encrypted in the database.

use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// The provider an organization entry is read through when it names none, so that files
/// written before providers existed keep their meaning.
pub const DEFAULT_PROVIDER: &str = "openai";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub privacy: Privacy,
    #[serde(default)]
    pub scan: ScanSettings,
    #[serde(default)]
    pub organizations: Vec<OrganizationConfig>,
    /// Per-policy overrides, keyed by policy id; validated against each policy's declared
    /// parameters by the policy engine.
    #[serde(default)]
    pub policies: BTreeMap<String, PolicyOverride>,
    #[serde(default)]
    pub reports: ReportSettings,
    /// A folder of custom policies (YAML with CEL filters) evaluated beside the built-in ones.
    #[serde(default)]
    pub custom_policies: Option<PathBuf>,
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub scheduler: SchedulerSettings,
}

/// `custos serve`: where it listens and what it answers without a token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// The address to listen on (`--listen` overrides it).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Answer `GET /metrics` without a token (for a scraper inside a trusted network); by
    /// default it needs a viewer's.
    #[serde(default)]
    pub metrics_open: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: default_listen(),
            metrics_open: false,
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:8080".to_owned()
}

/// The scans `custos serve` runs by itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSettings {
    /// Every organization of the file is scanned this often.
    #[serde(default = "default_interval")]
    pub interval: ConfigDuration,
    /// Scan every organization when the server starts.
    #[serde(default = "default_scan_on_start")]
    pub scan_on_start: bool,
    /// Up to this much is added at random to each wait, so that organizations (and servers)
    /// do not all scan at the same moment.
    #[serde(default = "default_jitter")]
    pub jitter: ConfigDuration,
    /// The wait before retrying a failed or partial scan; it doubles with each failure in a
    /// row, up to `interval`.
    #[serde(default = "default_retry_backoff")]
    pub retry_backoff: ConfigDuration,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            interval: default_interval(),
            scan_on_start: default_scan_on_start(),
            jitter: default_jitter(),
            retry_backoff: default_retry_backoff(),
        }
    }
}

fn default_interval() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(3600))
}
fn default_scan_on_start() -> bool {
    true
}
fn default_jitter() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(60))
}
fn default_retry_backoff() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(60))
}

impl SchedulerSettings {
    /// Every `[scheduler]` duration with its allowed range, in whole seconds.
    fn numeric_settings(&self) -> [NumericSetting; 3] {
        [
            NumericSetting::new(
                "scheduler.interval",
                self.interval.0.as_secs(),
                1..=7 * DAY_SECONDS,
                "seconds between scans, at most a week",
            ),
            NumericSetting::new(
                "scheduler.jitter",
                self.jitter.0.as_secs(),
                0..=DAY_SECONDS,
                "seconds, at most a day",
            ),
            NumericSetting::new(
                "scheduler.retry_backoff",
                self.retry_backoff.0.as_secs(),
                1..=DAY_SECONDS,
                "seconds, at most a day",
            ),
        ]
    }
}

/// How reports show money.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    /// The currency reports are shown in (ISO code, any case).
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Conversion rates: `fx_rates.USD.EUR = 0.92` means 1 USD = 0.92 EUR.
    #[serde(default)]
    pub fx_rates: BTreeMap<String, BTreeMap<String, f64>>,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            currency: default_currency(),
            fx_rates: BTreeMap::new(),
        }
    }
}

fn default_currency() -> String {
    "usd".to_owned()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    /// Keep email addresses in the store; by default only their SHA-256 and a 4-character prefix.
    #[serde(default)]
    pub store_emails: bool,
}

/// How a scan paces its requests (`[scan] pacing`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanPacing {
    /// A fixed rate: `requests_per_second`, [`DEFAULT_REQUESTS_PER_SECOND`] when unset.
    #[default]
    Fixed,
    /// A rate learnt from the answers (starting at 20/s, raised while no answer is a 429, cut
    /// on one, per route where one route is throttled alone). Not the default yet: at 100
    /// requests/s and 50 ms it settled far below the limit and let project walks starve into
    /// partial scans (docs/admin-api-notes.md has the figures).
    Adaptive,
}

/// The rate of fixed pacing when `requests_per_second` is not set.
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 20;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSettings {
    /// Most in-flight requests per organization (with adaptive pacing, fewer are kept when the
    /// learnt rate and the latency need fewer).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// How a scan paces its requests: `fixed` (the default) sends at `requests_per_second`;
    /// `adaptive` learns the rate from the answers.
    #[serde(default)]
    pub pacing: ScanPacing,
    /// With `fixed` pacing the rate, 20 when unset: the Admin API publishes no limits, so the
    /// default stays well below what a busy organization sees. With `adaptive` pacing the
    /// ceiling of the learnt rate, none when unset.
    #[serde(default)]
    pub requests_per_second: Option<u32>,
    /// Days of usage and costs re-fetched on every scan, because OpenAI amends recent buckets.
    #[serde(default = "default_refetch_days")]
    pub usage_refetch_days: u32,
    /// Days of usage and costs fetched by the first scan of an organization.
    #[serde(default = "default_history_days")]
    pub history_days: u32,
    /// Audit events are re-read from this long before the newest stored one, so that events
    /// that arrive late are not missed (they are deduplicated by id).
    #[serde(default = "default_audit_overlap_minutes")]
    pub audit_overlap_minutes: u32,
    /// Most items one list may hold; a longer one (a server answering `has_more: true`
    /// forever, say) fails that endpoint instead of filling the memory.
    #[serde(default = "default_max_items_per_list")]
    pub max_items_per_list: u64,
    /// Largest answer read, in bytes; a larger one fails its endpoint and is not retried.
    #[serde(default = "default_max_response_bytes")]
    pub max_response_bytes: u64,
    /// How long reading one organization may take; what is unread then is unknown.
    #[serde(default = "default_deadline")]
    pub deadline: ConfigDuration,
    /// The longest single wait a throttled answer (`Retry-After`) may ask for; a longer one
    /// fails that endpoint at once.
    #[serde(default = "default_max_retry_wait")]
    pub max_retry_wait: ConfigDuration,
    /// Limit of one request, from its first send to its last answer, retries included.
    #[serde(default = "default_max_request_time")]
    pub max_request_time: ConfigDuration,
}

/// A length of time in `custos.toml`: a number of seconds (`3600`) or a string with units
/// (`"1h"`, `"90s"`, `"1h 30m"`, also ISO 8601 `"PT1H"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConfigDuration(pub Duration);

impl<'de> Deserialize<'de> for ConfigDuration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ConfigDuration;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a duration: a number of seconds (3600) or a string with units (\"1h\", \"90s\")",
                )
            }

            fn visit_u64<E: serde::de::Error>(self, seconds: u64) -> Result<Self::Value, E> {
                Ok(ConfigDuration(Duration::from_secs(seconds)))
            }

            fn visit_i64<E: serde::de::Error>(self, seconds: i64) -> Result<Self::Value, E> {
                u64::try_from(seconds)
                    .map(|s| ConfigDuration(Duration::from_secs(s)))
                    .map_err(|_| E::custom(format!("{seconds} s: a duration cannot be negative")))
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
                let not_a_duration = |e: jiff::Error| {
                    E::custom(format!(
                        "{text:?} is not a duration ({e}); write e.g. \"1h\", \"90s\", \"1h 30m\" or a number of seconds"
                    ))
                };
                // A span, so that days are accepted (as 24 hours: a limit is not a calendar).
                let span: jiff::Span = text.trim().parse().map_err(not_a_duration)?;
                let parsed = span
                    .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
                    .map_err(not_a_duration)?;
                Duration::try_from(parsed)
                    .map(ConfigDuration)
                    .map_err(|_| E::custom(format!("{text:?}: a duration cannot be negative")))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A numeric setting with the range it must lie in, checked when the file is loaded so that an
/// absurd value is an error naming its key instead of a panic or an overflow deep in a scan.
struct NumericSetting {
    key: &'static str,
    /// `None`: not set, and no default either (nothing to check).
    value: Option<u64>,
    range: RangeInclusive<u64>,
    /// What the value means, for the error: "in-flight requests".
    unit: &'static str,
}

impl NumericSetting {
    fn new(
        key: &'static str,
        value: impl TryInto<u64>,
        range: RangeInclusive<u64>,
        unit: &'static str,
    ) -> Self {
        Self::optional(key, Some(value), range, unit)
    }

    /// A setting that may be left unset.
    fn optional(
        key: &'static str,
        value: Option<impl TryInto<u64>>,
        range: RangeInclusive<u64>,
        unit: &'static str,
    ) -> Self {
        NumericSetting {
            key,
            // A value that does not even fit in u64 is outside every range below.
            value: value.map(|value| value.try_into().unwrap_or(u64::MAX)),
            range,
            unit,
        }
    }

    fn check(&self) -> Result<(), String> {
        let Some(value) = self.value.filter(|value| !self.range.contains(value)) else {
            return Ok(());
        };
        Err(format!(
            "{} = {} is outside {}..={} ({}): give a value in that range, or remove the key for the default",
            self.key,
            value,
            self.range.start(),
            self.range.end(),
            self.unit
        ))
    }
}

impl ScanSettings {
    /// Every numeric `[scan]` setting with its allowed range: a new setting adds its line here.
    fn numeric_settings(&self) -> [NumericSetting; 10] {
        [
            NumericSetting::new(
                "scan.concurrency",
                self.concurrency,
                1..=256,
                "in-flight requests",
            ),
            NumericSetting::optional(
                "scan.requests_per_second",
                self.requests_per_second,
                1..=10_000,
                "requests per second",
            ),
            NumericSetting::new(
                "scan.usage_refetch_days",
                self.usage_refetch_days,
                0..=MAX_HISTORY_DAYS,
                "days",
            ),
            // The start of the history must stay a time of the Admin API (after 1970, and
            // well after; OpenAI has no usage before 2020): ten years is plenty.
            NumericSetting::new(
                "scan.history_days",
                self.history_days,
                1..=MAX_HISTORY_DAYS,
                "days",
            ),
            NumericSetting::new(
                "scan.audit_overlap_minutes",
                self.audit_overlap_minutes,
                0..=10_080,
                "minutes, at most a week",
            ),
            NumericSetting::new(
                "scan.max_items_per_list",
                self.max_items_per_list,
                1..=1_000_000_000,
                "objects in one list",
            ),
            NumericSetting::new(
                "scan.max_response_bytes",
                self.max_response_bytes,
                1 << 10..=16 << 30,
                "bytes of one answer",
            ),
            // Durations are checked in whole seconds.
            NumericSetting::new(
                "scan.deadline",
                self.deadline.0.as_secs(),
                1..=7 * DAY_SECONDS,
                "seconds of one scan, at most a week",
            ),
            NumericSetting::new(
                "scan.max_retry_wait",
                self.max_retry_wait.0.as_secs(),
                0..=3_600,
                "seconds of one wait, at most an hour",
            ),
            NumericSetting::new(
                "scan.max_request_time",
                self.max_request_time.0.as_secs(),
                1..=DAY_SECONDS,
                "seconds of one request, at most a day",
            ),
        ]
    }
}

const DAY_SECONDS: u64 = 86_400;

/// The longest history a scan fetches or re-fetches.
const MAX_HISTORY_DAYS: u64 = 3_650;

/// The largest currency conversion rate accepted (1 unit buys at most this many of another).
const MAX_FX_RATE: f64 = 1e6;

/// The rule for an organization id, in `custos.toml` and on the command line (`orgs add`):
/// `org-` or `org_` and then 1 to 64 ASCII letters, digits, `-` or `_`. Ids name stored keys
/// (`org/ID/read`) and URL paths, so a `/`, `..`, a space or a newline must never get in.
pub fn check_organization_id(id: &str) -> Result<(), String> {
    let rest = id.strip_prefix("org-").or_else(|| id.strip_prefix("org_"));
    let well_formed = rest.is_some_and(|rest| {
        (1..=64).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if well_formed {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not an organization id (org- or org_ then up to 64 letters, digits, - or _); copy it from the OpenAI settings page",
            id
        ))
    }
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            concurrency: default_concurrency(),
            pacing: ScanPacing::default(),
            requests_per_second: None,
            usage_refetch_days: default_refetch_days(),
            history_days: default_history_days(),
            audit_overlap_minutes: default_audit_overlap_minutes(),
            max_items_per_list: default_max_items_per_list(),
            max_response_bytes: default_max_response_bytes(),
            deadline: default_deadline(),
            max_retry_wait: default_max_retry_wait(),
            max_request_time: default_max_request_time(),
        }
    }
}

fn default_concurrency() -> usize {
    8
}
fn default_refetch_days() -> u32 {
    3
}
fn default_history_days() -> u32 {
    90
}
fn default_audit_overlap_minutes() -> u32 {
    60
}
fn default_max_items_per_list() -> u64 {
    1_000_000
}
fn default_max_response_bytes() -> u64 {
    64 << 20
}
fn default_deadline() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(3600))
}
fn default_max_retry_wait() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(60))
}
fn default_max_request_time() -> ConfigDuration {
    ConfigDuration(Duration::from_secs(120))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationConfig {
    /// The API the organization is read through (`provider = "openai"`, the default). Which
    /// names exist is the application's registry of providers; the span lets its error name the
    /// line.
    #[serde(default)]
    pub provider: Option<toml::Spanned<String>>,
    /// `org-...`, as on the OpenAI settings page.
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// The admin key scans use; read-only is enough and recommended.
    pub read_key: KeySource,
    /// The admin key approved actions use; absent means custos cannot change this organization.
    #[serde(default)]
    pub write_key: Option<KeySource>,
    /// Project keys for the project-scoped endpoints (files, vector stores).
    #[serde(default)]
    pub project_keys: Vec<ProjectKeyConfig>,
    /// Per-organization policy overrides, on top of the global ones.
    #[serde(default)]
    pub policies: BTreeMap<String, PolicyOverride>,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_owned()
}

impl OrganizationConfig {
    /// The provider's name: the entry's `provider`, else [`DEFAULT_PROVIDER`].
    pub fn provider_name(&self) -> &str {
        self.provider
            .as_ref()
            .map_or(DEFAULT_PROVIDER, |name| name.get_ref().as_str())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectKeyConfig {
    pub project_id: String,
    pub key: KeySource,
}

/// Where a key comes from. Exactly one of the three.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum KeySource {
    /// An environment variable holding the key.
    Env(String),
    /// A file holding the key (first line, trimmed).
    File(PathBuf),
    /// A credential stored encrypted in the database (`custos orgs add`), by name.
    Stored(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyOverride {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{0}")]
    Key(String),
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Parses and validates config text; `path` only names the source in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        // toml's message already says "at line L, column C" and quotes the offending line.
        let config: Config = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        config.validate().map_err(invalid)?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        let scan = self.scan.numeric_settings();
        let scheduler = self.scheduler.numeric_settings();
        for setting in scan.iter().chain(&scheduler) {
            setting.check()?;
        }
        for (from, rates) in &self.reports.fx_rates {
            for (to, rate) in rates {
                if !(rate.is_finite() && *rate > 0.0 && *rate <= MAX_FX_RATE) {
                    return Err(format!(
                        "reports.fx_rates.{from}.{to} = {rate} is outside (0, {MAX_FX_RATE}]: \
                         give how many {to} one {from} buys, such as 0.92"
                    ));
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, org) in self.organizations.iter().enumerate() {
            check_organization_id(&org.id).map_err(|e| format!("organizations[{i}].id: {e}"))?;
            if !seen.insert(org.id.as_str()) {
                return Err(format!(
                    "organizations[{i}].id: \"{}\" is listed twice",
                    org.id
                ));
            }
            if !(org.base_url.starts_with("https://") || org.base_url.starts_with("http://")) {
                return Err(format!(
                    "organizations[{i}].base_url: \"{}\" is not an http(s) URL",
                    org.base_url
                ));
            }
        }
        Ok(())
    }

    /// The organization `--org` names, or the only one when `--org` is absent.
    pub fn organization(&self, id: Option<&str>) -> Result<&OrganizationConfig, ConfigError> {
        match id {
            Some(id) => self
                .organizations
                .iter()
                .find(|o| o.id == id)
                .ok_or_else(|| {
                    ConfigError::Key(format!(
                        "organization {id} is not in the config; known: {}",
                        self.organization_ids()
                    ))
                }),
            None => match self.organizations.as_slice() {
                [only] => Ok(only),
                [] => Err(ConfigError::Key(
                    "no organization is configured: add one with `custos orgs add` or pass --org"
                        .into(),
                )),
                _ => Err(ConfigError::Key(format!(
                    "several organizations are configured ({}): choose one with --org",
                    self.organization_ids()
                ))),
            },
        }
    }

    fn organization_ids(&self) -> String {
        self.organizations
            .iter()
            .map(|o| o.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl KeySource {
    /// Reads an environment or file key. Stored keys need the store and the master key, so
    /// the caller resolves those (`None` here).
    pub fn read_plain(&self) -> Result<Option<SecretString>, ConfigError> {
        match self {
            KeySource::Env(var) => match std::env::var(var) {
                Ok(value) if !value.trim().is_empty() => {
                    Ok(Some(SecretString::from(value.trim().to_owned())))
                }
                _ => Err(ConfigError::Key(format!(
                    "the environment variable {var} is not set or empty: export it with the admin key"
                ))),
            },
            KeySource::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError::Key(format!("cannot read the key file {}: {e}", path.display()))
                })?;
                let key = text.lines().next().unwrap_or("").trim();
                if key.is_empty() {
                    return Err(ConfigError::Key(format!(
                        "the key file {} is empty",
                        path.display()
                    )));
                }
                Ok(Some(SecretString::from(key.to_owned())))
            }
            KeySource::Stored(_) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("custos.toml"), text)
    }

    #[test]
    fn a_full_config_parses() {
        let config = parse(
            r#"
[privacy]
store_emails = false

[scan]
concurrency = 4

[[organizations]]
id = "org-acme"
name = "Acme"
read_key = { env = "OPENAI_ADMIN_KEY" }
write_key = { stored = "acme-rw" }
project_keys = [{ project_id = "proj_ml", key = { file = "/run/secrets/ml" } }]

[policies.openai-org-too-many-owners]
severity = "critical"
params = { max_owners = 3 }

[reports]
currency = "EUR"
fx_rates = { USD = { EUR = 0.92 } }
"#,
        )
        .unwrap();
        let org = config.organization(None).unwrap();
        assert_eq!(org.base_url, DEFAULT_BASE_URL);
        assert_eq!(org.provider_name(), DEFAULT_PROVIDER);
        assert_eq!(org.write_key, Some(KeySource::Stored("acme-rw".into())));
        assert_eq!(config.scan.concurrency, 4);
        assert_eq!(config.scan.usage_refetch_days, 3);
        assert_eq!(
            config.policies["openai-org-too-many-owners"].params["max_owners"],
            3
        );
        assert_eq!(config.reports.currency, "EUR");
        assert_eq!(config.reports.fx_rates["USD"]["EUR"], 0.92);
    }

    #[test]
    fn a_named_provider_keeps_its_place_in_the_file() {
        let text = "[[organizations]]\nid = \"org-a\"\nprovider = \"openai\"\nread_key = { env = \"A\" }\n";
        let config = parse(text).unwrap();
        let org = &config.organizations[0];
        assert_eq!(org.provider_name(), "openai");
        let span = org.provider.as_ref().unwrap().span();
        assert_eq!(&text[span], "\"openai\"");
    }

    #[test]
    fn an_unknown_key_names_its_line() {
        let err = parse("[scan]\nconcurrency = 4\nconcurency = 5\n").unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("custos.toml: "), "{message}");
        assert!(message.contains("line 3"), "{message}");
        assert!(message.contains("concurency"), "{message}");
    }

    #[test]
    fn a_bad_value_names_its_line() {
        let err = parse("[scan]\n\nconcurrency = \"four\"\n").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("line 3"), "{message}");
    }

    #[test]
    fn semantic_errors_name_the_field() {
        let err =
            parse("[[organizations]]\nid = \"acme\"\nread_key = { env = \"K\" }\n").unwrap_err();
        assert!(err.to_string().contains("organizations[0].id"), "{err}");
        let err = parse("[scan]\nconcurrency = 0\n").unwrap_err();
        assert!(err.to_string().contains("scan.concurrency"), "{err}");
    }

    #[test]
    fn pacing_is_fixed_by_default_and_a_bad_value_names_its_line() {
        assert_eq!(parse("").unwrap().scan.pacing, ScanPacing::Fixed);
        let config = parse("[scan]\npacing = \"adaptive\"\n").unwrap();
        assert_eq!(config.scan.pacing, ScanPacing::Adaptive);
        let err = parse("[scan]\n\npacing = \"fast\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("fixed"), "{err}");
    }

    #[test]
    fn requests_per_second_is_unset_by_default_and_a_ceiling_when_given() {
        assert_eq!(parse("").unwrap().scan.requests_per_second, None);
        // A file written when it was a fixed rate still loads, the rate now the ceiling.
        let config = parse("[scan]\nrequests_per_second = 20\n").unwrap();
        assert_eq!(config.scan.requests_per_second, Some(20));
        let err = parse("[scan]\nrequests_per_second = 0\n").unwrap_err();
        assert!(
            err.to_string().contains("scan.requests_per_second = 0"),
            "{err}"
        );
    }

    #[test]
    fn every_numeric_setting_is_held_to_its_range() {
        for (key, value, range) in [
            ("concurrency", "2305843009213693952", "1..=256"),
            ("concurrency", "0", "1..=256"),
            ("requests_per_second", "4294967295", "1..=10000"),
            ("usage_refetch_days", "100000", "0..=3650"),
            ("history_days", "100000", "1..=3650"),
            ("audit_overlap_minutes", "4000000000", "0..=10080"),
        ] {
            let message = parse(&format!("[scan]\n{key} = {value}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                message.starts_with(&format!(
                    "custos.toml: scan.{key} = {value} is outside {range}"
                )),
                "{message}"
            );
            assert!(
                message.contains("remove the key for the default"),
                "{message}"
            );
        }
        let within =
            parse("[scan]\nconcurrency = 256\nhistory_days = 3650\nusage_refetch_days = 0\n");
        assert!(within.is_ok());
        for rate in ["0.0", "-1.0", "nan", "inf", "1e7"] {
            let message = parse(&format!(
                "[reports]\nfx_rates = {{ USD = {{ EUR = {rate} }} }}\n"
            ))
            .unwrap_err()
            .to_string();
            assert!(message.contains("reports.fx_rates.USD.EUR"), "{message}");
        }
    }

    #[test]
    fn organization_ids_cannot_hold_paths_or_lines() {
        for good in ["org-acme", "org_ABC123", "org-a-b_c"] {
            assert_eq!(check_organization_id(good), Ok(()), "{good}");
        }
        let long = format!("org-{}", "a".repeat(65));
        for bad in [
            "org-",
            "acme",
            "org-a/b",
            "org-..",
            "org-../../x",
            "org-a\nb",
            "org-a b",
            "org-é",
            "../org-a",
            long.as_str(),
        ] {
            assert!(check_organization_id(bad).is_err(), "{bad:?}");
        }
        let err = parse("[[organizations]]\nid = \"org-a/../b\"\nread_key = { env = \"K\" }\n")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("organizations[0].id: \"org-a/../b\""),
            "{err}"
        );
    }

    #[test]
    fn choosing_an_organization() {
        let config = parse(
            "[[organizations]]\nid = \"org-a\"\nread_key = { env = \"A\" }\n[[organizations]]\nid = \"org-b\"\nread_key = { env = \"B\" }\n",
        )
        .unwrap();
        assert!(
            config
                .organization(None)
                .unwrap_err()
                .to_string()
                .contains("--org")
        );
        assert_eq!(config.organization(Some("org-b")).unwrap().id, "org-b");
        assert!(config.organization(Some("org-c")).is_err());
    }

    #[test]
    fn key_sources_read_files_and_report_missing_env() {
        let dir = std::env::temp_dir().join(format!("custos-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        std::fs::write(&file, "sk-admin-filekey\n").unwrap();
        let key = KeySource::File(file).read_plain().unwrap().unwrap();
        assert_eq!(
            secrecy::ExposeSecret::expose_secret(&key),
            "sk-admin-filekey"
        );
        let err = KeySource::Env("CUSTOS_TEST_SURELY_UNSET_VAR".into())
            .read_plain()
            .unwrap_err();
        assert!(err.to_string().contains("CUSTOS_TEST_SURELY_UNSET_VAR"));
        assert!(
            KeySource::Stored("x".into())
                .read_plain()
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn server_and_scheduler_settings_have_defaults_ranges_and_name_unknown_keys() {
        let defaults = parse("").unwrap();
        assert_eq!(defaults.scheduler.interval.0, Duration::from_secs(3600));
        assert!(defaults.scheduler.scan_on_start);
        assert_eq!(defaults.server.listen, "127.0.0.1:8080");
        assert!(!defaults.server.metrics_open);

        let config = parse(
            "[server]\nlisten = \"0.0.0.0:9000\"\nmetrics_open = true\n\
             [scheduler]\ninterval = \"15m\"\nscan_on_start = false\njitter = 0\nretry_backoff = \"30s\"\n",
        )
        .unwrap();
        assert_eq!(config.scheduler.interval.0, Duration::from_secs(900));
        assert_eq!(config.scheduler.jitter.0, Duration::ZERO);
        assert_eq!(config.scheduler.retry_backoff.0, Duration::from_secs(30));
        assert!(config.server.metrics_open);

        for (text, names) in [
            (
                "[scheduler]\ninterval = \"8 days\"\n",
                ["scheduler.interval", "604800"],
            ),
            (
                "[scheduler]\ninterval = 0\n",
                ["scheduler.interval", "1..="],
            ),
            (
                "[scheduler]\njitter = \"2 days\"\n",
                ["scheduler.jitter", "86400"],
            ),
            ("[scheduler]\n\nintervall = 5\n", ["line 3", "intervall"]),
            (
                "[server]\nlisten = \"x\"\nmetric_open = true\n",
                ["line 3", "metric_open"],
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            for name in names {
                assert!(err.contains(name), "{name:?} missing from {err:?}");
            }
        }
    }

    #[test]
    fn hostile_server_limits_have_defaults_durations_with_units_and_ranges() {
        let defaults = parse("").unwrap().scan;
        assert_eq!(defaults.max_items_per_list, 1_000_000);
        assert_eq!(defaults.max_response_bytes, 64 << 20);
        assert_eq!(defaults.deadline, ConfigDuration(Duration::from_secs(3600)));
        assert_eq!(
            defaults.max_retry_wait,
            ConfigDuration(Duration::from_secs(60))
        );
        assert_eq!(
            defaults.max_request_time,
            ConfigDuration(Duration::from_secs(120))
        );

        let scan = parse(
            "[scan]\ndeadline = \"1h 30m\"\nmax_retry_wait = 15\nmax_request_time = \"PT2M\"\n\
             max_items_per_list = 5000\nmax_response_bytes = 1048576\n",
        )
        .unwrap()
        .scan;
        assert_eq!(scan.deadline.0, Duration::from_secs(5400));
        assert_eq!(scan.max_retry_wait.0, Duration::from_secs(15));
        assert_eq!(scan.max_request_time.0, Duration::from_secs(120));
        assert_eq!(scan.max_items_per_list, 5000);

        for (text, names) in [
            (
                "[scan]\ndeadline = \"soon\"\n",
                ["\"soon\" is not a duration", "line 2"],
            ),
            ("[scan]\ndeadline = -5\n", ["cannot be negative", "line 2"]),
            (
                "[scan]\ndeadline = \"30 days\"\n",
                ["scan.deadline", "604800"],
            ),
            (
                "[scan]\nmax_retry_wait = \"2h\"\n",
                ["scan.max_retry_wait", "3600"],
            ),
            (
                "[scan]\nmax_request_time = 0\n",
                ["scan.max_request_time", "1..="],
            ),
            (
                "[scan]\nmax_items_per_list = 0\n",
                ["scan.max_items_per_list", "1..="],
            ),
            (
                "[scan]\nmax_response_bytes = 10\n",
                ["scan.max_response_bytes", "1024"],
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            for name in names {
                assert!(err.contains(name), "{name:?} missing from {err:?}");
            }
            assert!(err.contains("custos.toml"), "{err}");
        }
    }
}
