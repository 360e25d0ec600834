//! Policies over a stored scan: the snapshot read back, the configured settings applied, every
//! enabled policy (built-in and custom) evaluated at `as_of`, and the findings' lifecycle moved.

use anyhow::bail;
use custos_config::{Config, PolicyOverride};
use custos_policy::custom::PolicyError;
use custos_policy::{
    Keep, Outcome, PolicySettings, Registry, ResolvedPolicy, SettingsMap, Snapshot, Verdict,
    evaluate_all,
};
use custos_store::{
    FindingChanges, FindingObservation, FindingRecord, FindingStatus, ScanRun, ScanStatus, Store,
};

/// History read for evaluation: the longest default window (90 days of inactivity, 14 + 7
/// days of spikes) with room for larger configured ones.
const LOOKBACK_DAYS: u32 = 400;

/// The policies that run, and the problems of the custom policy files that did not load.
pub struct Policies {
    pub registry: Registry,
    pub errors: Vec<PolicyError>,
}

/// The built-in policies and the custom ones of the config's `custom_policies` folder. A custom
/// policy that does not load is reported on stderr and left out: the others still run.
pub fn load_policies(config: &Config) -> anyhow::Result<Policies> {
    let builtin = Registry::builtin();
    let Some(dir) = &config.custom_policies else {
        return Ok(Policies {
            registry: builtin,
            errors: Vec::new(),
        });
    };
    let (policies, errors) = custos_policy::custom::load_dir(dir);
    for error in &errors {
        eprintln!("warning: custom policy not loaded: {error}");
    }
    Ok(Policies {
        registry: builtin.with_custom(policies)?,
        errors,
    })
}

/// [`load_policies`] without the load errors, for commands that only read.
pub fn registry(config: &Config) -> anyhow::Result<Registry> {
    Ok(load_policies(config)?.registry)
}

/// What recording a scan's findings did.
pub struct Recorded {
    pub changes: FindingChanges,
    /// The custom policy files that did not load (their findings were kept, indeterminate).
    pub policy_errors: Vec<PolicyError>,
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
///
/// When a custom policy file does not load, the policy did not run, which says nothing about
/// its findings: every unresolved finding of a policy that is not in the registry is observed
/// again as indeterminate, with the load errors as the reason, so that it stays open instead of
/// resolving. (Which file held which policy cannot always be told: a file that does not parse
/// names no id.)
pub async fn record_scan_findings(
    store: &dyn Store,
    config: &Config,
    run: &ScanRun,
) -> anyhow::Result<Recorded> {
    let Policies { registry, errors } = load_policies(config)?;
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
    let mut observed = observed;
    if !errors.is_empty() {
        let stored = store.findings(Some(&run.org_id)).await?;
        for finding in stored
            .iter()
            .filter(|f| f.status != FindingStatus::Resolved && registry.get(&f.policy_id).is_none())
        {
            observed.push(not_evaluated(finding, &errors)?);
        }
    }
    let complete = run.status == ScanStatus::Complete;
    // Observed as of the snapshot's time (what the policies were evaluated at), not when the
    // scan happened to finish: the same scenario and clock give the same findings.
    let changes = store
        .record_findings(&run.org_id, run.id, run.started_at, complete, &observed)
        .await?;
    Ok(Recorded {
        changes,
        policy_errors: errors,
    })
}

/// A finding of a policy that did not load, observed again as indeterminate: what it was
/// about is kept, the message and evidence say why it could not be re-evaluated.
fn not_evaluated(
    finding: &FindingRecord,
    errors: &[PolicyError],
) -> anyhow::Result<FindingObservation> {
    let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let evidence = serde_json::json!({
        "missing": [format!("policy {} did not load", finding.policy_id)],
        "load_errors": reasons,
    });
    Ok(FindingObservation {
        policy_id: finding.policy_id.clone(),
        resource_id: finding.resource_id.clone(),
        resource_kind: finding.resource_kind.clone(),
        project_id: finding.project_id.clone(),
        severity: finding.severity.clone(),
        result: verdict_name(Verdict::Indeterminate).to_owned(),
        title: finding.title.clone(),
        message: format!(
            "{}: cannot evaluate {} because policy {} did not load: {}",
            finding.title,
            finding.resource_id,
            finding.policy_id,
            reasons.join("; ")
        ),
        evidence: serde_json::value::to_raw_value(&evidence)?,
    })
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
