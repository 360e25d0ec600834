//! The provider seam: what custos needs from an API it governs, and the registry of the APIs it
//! knows.
//!
//! A provider is a [`Source`]: it scans a [`Target`] into the store (its walk, its records and
//! their crash-safe write order are its own), reads a stored scan back as the [`Snapshot`] the
//! policies evaluate, and says which kinds of object it brings and which policies are its own
//! (their id namespace, and the data they need). `custos.toml` entries name their provider
//! (`provider = "openai"`, the default); [`Providers`] resolves the name.
//!
//! A new provider (the ChatGPT Compliance API, Anthropic's Admin API) is a crate with its
//! client, walk and records, an `impl Source` for it, and one line in [`Providers::builtin`].

mod openai;

pub use openai::OpenAi;

use crate::Result;
use async_trait::async_trait;
use custos_config::ScanSettings;
use custos_model::kind::Kind;
use custos_policy::{Need, Snapshot};
use custos_scan::collect::Progress;
use custos_scan::scan::{Checkpoint, ScanSummary};
use custos_store::{ScanRun, Store};
use secrecy::SecretString;

/// One API custos reads organizations (or workspaces) through.
#[async_trait]
pub trait Source: std::fmt::Debug + Send + Sync {
    /// The name `provider = "..."` gives in `custos.toml`.
    fn name(&self) -> &'static str;

    /// The prefix of the ids of the policies written for this provider's data (`openai-`).
    fn policy_namespace(&self) -> &'static str;

    /// The kinds of object its scans store and its snapshots hold.
    fn kinds(&self) -> &'static [Kind];

    /// The data its scans provide; a policy that needs anything else stays indeterminate on a
    /// snapshot of this provider.
    fn provides(&self) -> &'static [Need];

    /// Walks `target` through the API, flattens what it read into records and writes them into
    /// `store` as one new scan. Collecting and recording are one method because the order in
    /// which a scan writes is what makes it crash-safe, and that order is the provider's.
    async fn scan(
        &self,
        target: &Target,
        store: &dyn Store,
        request: &ScanRequest,
    ) -> Result<ScanSummary>;

    /// Scan `run` read back with `lookback_days` of history before its time.
    async fn snapshot(
        &self,
        store: &dyn Store,
        run: &ScanRun,
        lookback_days: u32,
    ) -> Result<Snapshot>;
}

/// An organization to scan, with its keys read.
pub struct Target {
    /// The provider it is read through.
    pub source: &'static dyn Source,
    pub id: String,
    pub name: Option<String>,
    pub base_url: String,
    pub read_key: SecretString,
    /// Keys of single projects, for what only a project key can read (files, vector stores).
    pub project_keys: Vec<(String, SecretString)>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("source", &self.source.name())
            .field("id", &self.id)
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field(
                "project_keys",
                &self.project_keys.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// How one scan runs: the configured limits, the clock, and the caller's hooks.
#[derive(Clone)]
pub struct ScanRequest {
    pub settings: ScanSettings,
    /// Keep email addresses instead of their hashes (`privacy.store_emails`).
    pub keep_emails: bool,
    /// The scan's clock (Unix seconds): what it reads is as of this time.
    pub now: i64,
    /// Progress of the walk, for a bar or a log line.
    pub progress: Option<Progress>,
    /// Called at every stage of the write (the crash tests abort there).
    pub checkpoint: Option<Checkpoint>,
}

impl std::fmt::Debug for ScanRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanRequest")
            .field("settings", &self.settings)
            .field("keep_emails", &self.keep_emails)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// The providers custos knows, by name.
#[derive(Debug, Clone, Copy)]
pub struct Providers {
    sources: &'static [&'static dyn Source],
}

impl Providers {
    /// Every provider built into custos. A new provider adds its line here.
    pub fn builtin() -> Providers {
        Providers {
            sources: &[&OpenAi],
        }
    }

    /// The provider `provider = "name"` means.
    pub fn get(&self, name: &str) -> Option<&'static dyn Source> {
        self.sources.iter().copied().find(|s| s.name() == name)
    }

    /// The known names, for an error that lists them.
    pub fn names(&self) -> Vec<&'static str> {
        self.sources.iter().map(|s| s.name()).collect()
    }

    /// The provider of entries that name none.
    pub fn default_source(&self) -> &'static dyn Source {
        &OpenAi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_resolves_openai_and_refuses_unknown_names() {
        let providers = Providers::builtin();
        let openai = providers.get("openai").expect("openai is registered");
        assert_eq!(openai.name(), "openai");
        assert_eq!(
            providers
                .get(custos_config::DEFAULT_PROVIDER)
                .map(|s| s.name()),
            Some(providers.default_source().name()),
            "the config's default provider is registered"
        );
        for unknown in ["anthropic", "OpenAI", "", "openai "] {
            assert!(providers.get(unknown).is_none(), "{unknown:?}");
        }
        assert_eq!(providers.names(), ["openai"]);
    }

    #[test]
    fn provider_names_are_unique() {
        let names = Providers::builtin().names();
        let unique: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }
}
