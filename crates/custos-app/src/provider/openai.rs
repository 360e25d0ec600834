//! The OpenAI Admin API as a [`Source`]: custos-openai's client, custos-scan's walk, records and
//! snapshot.

use super::{ScanRequest, Source, Target};
use crate::{Error, Result};
use async_trait::async_trait;
use custos_config::{DEFAULT_REQUESTS_PER_SECOND, ScanPacing};
use custos_model::kind::Kind;
use custos_openai::{ClientConfig, Pacing, ReadClient};
use custos_policy::{Need, Snapshot};
use custos_scan::scan::{ScanOptions, ScanSummary};
use custos_store::{ScanRun, Store};
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::num::NonZeroU32;

/// An OpenAI organization read through the Admin API with an admin key (and project keys for
/// files and vector stores).
#[derive(Debug, Clone, Copy)]
pub struct OpenAi;

#[async_trait]
impl Source for OpenAi {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn policy_namespace(&self) -> &'static str {
        "openai-"
    }

    fn kinds(&self) -> &'static [Kind] {
        Kind::ALL
    }

    fn provides(&self) -> &'static [Need] {
        &[
            Need::Admin,
            Need::Usage,
            Need::Costs,
            Need::Audit,
            Need::Files,
        ]
    }

    async fn scan(
        &self,
        target: &Target,
        store: &dyn Store,
        request: &ScanRequest,
    ) -> Result<ScanSummary> {
        let settings = &request.settings;
        let client = client_for_key(target, &target.read_key, settings)?;
        let mut project_clients = BTreeMap::new();
        for (project, key) in &target.project_keys {
            project_clients.insert(project.clone(), client_for_key(target, key, settings)?);
        }
        let mut options = ScanOptions::new(request.now);
        options.history_days = settings.history_days;
        options.refetch_days = settings.usage_refetch_days;
        options.audit_overlap_seconds = i64::from(settings.audit_overlap_minutes) * 60;
        options.project_concurrency = settings.concurrency.max(1);
        options.deadline = settings.deadline.0;
        options.keep_emails = request.keep_emails;
        options.project_clients = project_clients;
        options.progress = request.progress.clone();
        options.checkpoint = request.checkpoint.clone();
        Ok(
            custos_scan::scan::scan(&client, store, &target.id, target.name.as_deref(), &options)
                .await?,
        )
    }

    async fn snapshot(
        &self,
        store: &dyn Store,
        run: &ScanRun,
        lookback_days: u32,
    ) -> Result<Snapshot> {
        Ok(custos_scan::snapshot::load_snapshot(store, run, lookback_days).await?)
    }
}

/// A client for `target` holding `key`, with the configured limits of `[scan]`.
fn client_for_key(
    target: &Target,
    key: &SecretString,
    settings: &custos_config::ScanSettings,
) -> Result<ReadClient> {
    let mut config = ClientConfig::new(target.base_url.clone(), key.clone());
    (config.pacing, config.requests_per_second) = match settings.pacing {
        ScanPacing::Fixed => (
            Pacing::Fixed,
            NonZeroU32::new(
                settings
                    .requests_per_second
                    .unwrap_or(DEFAULT_REQUESTS_PER_SECOND),
            ),
        ),
        ScanPacing::Adaptive => (
            Pacing::Adaptive,
            settings.requests_per_second.and_then(NonZeroU32::new),
        ),
    };
    config.max_concurrency = settings.concurrency.max(1);
    config.max_list_items = settings.max_items_per_list;
    config.max_response_bytes = settings.max_response_bytes;
    config.max_request_time = settings.max_request_time.0;
    config.retry.max_retry_after = settings.max_retry_wait.0;
    ReadClient::new(config).map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_policy::Registry;
    use std::collections::BTreeSet;

    /// The source declares every kind of the registry: the kinds its records carry (the scan
    /// of the demo holds its records to the registry, `custos-scan/tests/scan.rs`).
    #[test]
    fn the_kinds_are_those_of_the_records() {
        let declared: BTreeSet<Kind> = OpenAi.kinds().iter().copied().collect();
        let registry: BTreeSet<Kind> = Kind::ALL.iter().map(|k| k.info().kind).collect();
        assert_eq!(declared, registry);
    }

    /// Every built-in policy is in the namespace, and those that need only what this source
    /// provides are about its kinds (or the organization itself).
    #[test]
    fn the_namespace_and_kinds_agree_with_the_policies() {
        let kinds: BTreeSet<&str> = OpenAi.kinds().iter().map(|k| k.name()).collect();
        let mut served = 0;
        for check in Registry::builtin().checks() {
            let meta = check.meta();
            assert!(
                meta.id.starts_with(OpenAi.policy_namespace()),
                "{} is outside {}",
                meta.id,
                OpenAi.policy_namespace()
            );
            if !meta.needs.iter().all(|n| OpenAi.provides().contains(n)) {
                continue;
            }
            served += 1;
            for kind in meta.resource_kind.split(", ") {
                assert!(
                    kind == "organization" || kinds.contains(kind),
                    "{} is about {kind}, which the OpenAI source does not bring",
                    meta.id
                );
            }
        }
        assert!(
            served > 0,
            "no built-in policy is served by the OpenAI source"
        );
    }
}
