//! Policies over a stored scan: the snapshot read back, the configured settings applied, every
//! enabled policy (built-in and custom) evaluated at `as_of`, and the findings' lifecycle moved.

use anyhow::bail;
use custos_config::{Config, PolicyOverride};
use custos_policy::{
    Keep, Outcome, PolicySettings, Registry, ResolvedPolicy, SettingsMap, Snapshot, Verdict,
    evaluate_all,
};
use custos_store::{FindingChanges, FindingObservation, ScanRun, ScanStatus, Store};

/// History read for evaluation: the longest default window (90 days of inactivity, 14 + 7
/// days of spikes) with room for larger configured ones.
const LOOKBACK_DAYS: u32 = 400;

/// The built-in policies and the custom ones of the config's `custom_policies` folder. A custom
/// policy that does not load is reported on stderr and left out: the others still run.
pub fn registry(config: &Config) -> anyhow::Result<Registry> {
    let builtin = Registry::builtin();
    let Some(dir) = &config.custom_policies else {
        return Ok(builtin);
    };
    let (policies, errors) = custos_policy::custom::load_dir(dir);
    for error in &errors {
        eprintln!("warning: custom policy not loaded: {error}");
    }
    Ok(builtin.with_custom(policies)?)
}

/// The outcomes of every enabled policy on scan `run` at `as_of`, in a stable order; the passes
/// only when `keep` asks for them.
pub async fn evaluate_scan(
    store: &dyn Store,
    registry: &Registry,
    config: &Config,
    run: &ScanRun,
    as_of: i64,
    keep: Keep,
) -> anyhow::Result<Vec<Outcome>> {
    let resolved = resolved_policies(registry, config, &run.org_id)?;
    let snapshot = load(store, run).await?;
    Ok(evaluate_all(&resolved, &snapshot, as_of, keep))
}

/// Evaluates scan `run` at its own time and records what fired: new findings open, those that
/// stopped firing in a complete scan resolve, suppressions that expired reopen.
pub async fn record_scan_findings(
    store: &dyn Store,
    config: &Config,
    run: &ScanRun,
) -> anyhow::Result<FindingChanges> {
    let registry = registry(config)?;
    let outcomes = evaluate_scan(
        store,
        &registry,
        config,
        run,
        run.started_at,
        Keep::Findings,
    )
    .await?;
    let observed = outcomes
        .into_iter()
        .map(|o| {
            Ok(FindingObservation {
                title: registry
                    .get(o.policy_id)
                    .map_or_else(String::new, |c| c.meta().title.to_owned()),
                policy_id: o.policy_id.to_owned(),
                resource_id: o.resource_id,
                resource_kind: o.resource_kind.to_owned(),
                project_id: o.project_id,
                severity: o.severity.to_string(),
                result: verdict_name(o.result).to_owned(),
                message: o.message,
                evidence: o.evidence.into_raw()?,
            })
        })
        .collect::<Result<Vec<FindingObservation>, serde_json::Error>>()?;
    let complete = run.status == ScanStatus::Complete;
    // Observed as of the snapshot's time (what the policies were evaluated at), not when the
    // scan happened to finish: the same scenario and clock give the same findings.
    Ok(store
        .record_findings(&run.org_id, run.id, run.started_at, complete, &observed)
        .await?)
}

pub fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Indeterminate => "indeterminate",
    }
}

/// Scan `run` read back with the history policies need.
pub async fn load(store: &dyn Store, run: &ScanRun) -> anyhow::Result<Snapshot> {
    Ok(custos_scan::snapshot::load_snapshot(store, run, LOOKBACK_DAYS).await?)
}

/// Every policy of `registry` with the config's global settings and the organization's on top.
pub fn resolved_policies(
    registry: &Registry,
    config: &Config,
    org_id: &str,
) -> anyhow::Result<Vec<ResolvedPolicy>> {
    let org_overrides = config
        .organizations
        .iter()
        .find(|o| o.id == org_id)
        .map(|o| settings(&o.policies))
        .unwrap_or_default();
    match registry.resolve(&settings(&config.policies), &org_overrides) {
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
