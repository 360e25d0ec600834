//! Policies over a stored scan: the snapshot read back, the configured settings applied, every
//! enabled policy evaluated at `as_of`.

use anyhow::bail;
use custos_config::{Config, PolicyOverride};
use custos_policy::{
    Outcome, PolicySettings, Registry, ResolvedPolicy, SettingsMap, Snapshot, evaluate_all,
};
use custos_store::{ScanRun, Store};

/// History read for evaluation: the longest default window (90 days of inactivity, 14 + 7
/// days of spikes) with room for larger configured ones.
const LOOKBACK_DAYS: u32 = 400;

/// The outcomes of every enabled policy on scan `run` at `as_of`, in a stable order.
pub async fn evaluate_scan(
    store: &dyn Store,
    config: &Config,
    run: &ScanRun,
    as_of: i64,
) -> anyhow::Result<Vec<Outcome>> {
    let resolved = resolved_policies(config, &run.org_id)?;
    let snapshot = load(store, run).await?;
    Ok(evaluate_all(&resolved, &snapshot, as_of))
}

/// Scan `run` read back with the history policies need.
pub async fn load(store: &dyn Store, run: &ScanRun) -> anyhow::Result<Snapshot> {
    Ok(custos_scan::snapshot::load_snapshot(store, run, LOOKBACK_DAYS).await?)
}

/// The built-in policies with the config's global settings and the organization's on top.
pub fn resolved_policies(config: &Config, org_id: &str) -> anyhow::Result<Vec<ResolvedPolicy>> {
    let org_overrides = config
        .organizations
        .iter()
        .find(|o| o.id == org_id)
        .map(|o| settings(&o.policies))
        .unwrap_or_default();
    match Registry::builtin().resolve(&settings(&config.policies), &org_overrides) {
        Ok(resolved) => Ok(resolved),
        Err(errors) => {
            let list: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
            bail!(
                "the policy settings in the config are invalid:\n{}",
                list.join("\n")
            );
        }
    }
}

fn settings(overrides: &std::collections::BTreeMap<String, PolicyOverride>) -> SettingsMap {
    overrides
        .iter()
        .map(|(id, o)| {
            (
                id.clone(),
                PolicySettings {
                    enabled: o.enabled,
                    severity: o.severity.clone(),
                    params: o.params.clone(),
                },
            )
        })
        .collect()
}
