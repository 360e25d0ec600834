//! Policies over a stored scan: the snapshot read back through its provider, the configured
//! settings applied, every enabled policy (built-in and custom) evaluated at `as_of`, and the
//! findings' lifecycle moved.

use crate::Result;
use crate::config::ValidConfig;
use custos_policy::custom::PolicyError;
use custos_policy::{Keep, Outcome, Snapshot, Verdict, evaluate_all};
use custos_store::{
    FindingChanges, FindingObservation, FindingRecord, FindingStatus, ScanRun, ScanStatus, Store,
};

/// History read for evaluation and reports: the longest default window (90 days of inactivity,
/// 14 + 7 days of spikes, 13 ISO weeks, last month) with room for larger configured ones.
pub const LOOKBACK_DAYS: u32 = 400;

/// Scan `run` read back, through its organization's provider, with the history policies need.
pub async fn load_snapshot(
    config: &ValidConfig,
    store: &dyn Store,
    run: &ScanRun,
) -> Result<Snapshot> {
    config
        .source_for(&run.org_id)
        .snapshot(store, run, LOOKBACK_DAYS)
        .await
}

/// The outcomes of every enabled policy on scan `run` at `as_of`, in a stable order; the passes
/// only when `keep` asks for them.
pub async fn evaluate_scan(
    config: &ValidConfig,
    store: &dyn Store,
    run: &ScanRun,
    as_of: i64,
    keep: Keep,
) -> Result<Vec<Outcome>> {
    let snapshot = load_snapshot(config, store, run).await?;
    Ok(evaluate_all(
        config.policies_for(&run.org_id),
        &snapshot,
        as_of,
        keep,
    ))
}

/// What recording a scan's findings did.
#[derive(Debug)]
pub struct Recorded {
    pub changes: FindingChanges,
    /// The custom policy files that did not load (their findings were kept, indeterminate).
    pub policy_errors: Vec<PolicyError>,
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
    config: &ValidConfig,
    store: &dyn Store,
    run: &ScanRun,
) -> Result<Recorded> {
    let registry = config.registry();
    let errors = config.policy_errors();
    let outcomes = evaluate_scan(config, store, run, run.started_at, Keep::Findings).await?;
    let mut observed = outcomes
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
                result: o.result.as_str().to_owned(),
                message: o.message,
                evidence: o.evidence.into_raw()?,
            })
        })
        .collect::<Result<Vec<FindingObservation>, serde_json::Error>>()?;
    if !errors.is_empty() {
        let stored = store.findings(Some(&run.org_id)).await?;
        for finding in stored
            .iter()
            .filter(|f| f.status != FindingStatus::Resolved && registry.get(&f.policy_id).is_none())
        {
            observed.push(not_evaluated(finding, errors)?);
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
        policy_errors: errors.to_vec(),
    })
}

/// A finding of a policy that did not load, observed again as indeterminate: what it was
/// about is kept, the message and evidence say why it could not be re-evaluated.
fn not_evaluated(finding: &FindingRecord, errors: &[PolicyError]) -> Result<FindingObservation> {
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
        result: Verdict::Indeterminate.as_str().to_owned(),
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
