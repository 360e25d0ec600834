//! The findings contract (`docs/cli.md` "Findings as JSON"): what a finding is, the order every
//! format lists findings in, and the query behind `custos findings`: the recorded lifecycle, or
//! the latest scans evaluated afresh at another time.

use crate::config::ValidConfig;
use crate::evaluate::evaluate_scan;
use crate::{Error, Result, rfc3339};
use custos_policy::{Keep, Outcome, PolicyMeta, Registry, Severity};
use custos_store::{FindingRecord, ScanStatus, Store};
use serde::Serialize;
use std::collections::HashMap;

/// A control a finding maps to.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ControlRef {
    pub framework: String,
    pub id: String,
}

/// One finding or indeterminate result, as the JSON contract has it. The field order is the
/// contract's: the demo's findings JSON is compared byte for byte.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    pub policy_id: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub result: String,
    pub org_id: String,
    pub resource_kind: String,
    pub resource_id: String,
    pub project_id: Option<String>,
    pub message: String,
    /// What the policy looked at (per policy).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub evidence: serde_json::Value,
    pub first_seen: String,
    pub last_seen: String,
    pub controls: Vec<ControlRef>,
    pub remediation: String,
    #[serde(skip)]
    pub first_seen_unix: i64,
    #[serde(skip)]
    pub last_seen_unix: i64,
    #[serde(skip)]
    pub severity_rank: Severity,
}

impl Finding {
    /// A recorded finding.
    pub fn from_record(registry: &Registry, r: &FindingRecord) -> Finding {
        let meta = registry.get(&r.policy_id).map(|c| c.meta());
        Finding {
            policy_id: r.policy_id.clone(),
            title: r.title.clone(),
            severity: r.severity.clone(),
            status: r.status.to_string(),
            result: r.result.clone(),
            org_id: r.org_id.clone(),
            resource_kind: r.resource_kind.clone(),
            resource_id: r.resource_id.clone(),
            project_id: r.project_id.clone(),
            message: r.message.clone(),
            evidence: r.evidence.clone(),
            first_seen: rfc3339(Some(r.first_seen)),
            last_seen: rfc3339(Some(r.last_seen)),
            controls: controls(meta),
            remediation: meta.map_or_else(String::new, |m| m.remediation.to_owned()),
            first_seen_unix: r.first_seen,
            last_seen_unix: r.last_seen,
            severity_rank: r.severity.parse().unwrap_or(Severity::Info),
        }
    }

    /// A finding from an outcome that did not pass, with its lifecycle times.
    pub fn from_outcome(
        registry: &Registry,
        org_id: &str,
        outcome: &Outcome,
        status: &str,
        first_seen: i64,
        last_seen: i64,
    ) -> Finding {
        let meta = registry.get(outcome.policy_id).map(|c| c.meta());
        Finding {
            policy_id: outcome.policy_id.to_string(),
            title: meta.map_or_else(String::new, |m| m.title.to_owned()),
            severity: outcome.severity.to_string(),
            status: status.to_owned(),
            result: outcome.result.as_str().to_owned(),
            org_id: org_id.to_owned(),
            resource_kind: outcome.resource_kind.to_string(),
            resource_id: outcome.resource_id.clone(),
            project_id: outcome.project_id.clone(),
            message: outcome.message.clone(),
            evidence: outcome.evidence.to_value(),
            first_seen: rfc3339(Some(first_seen)),
            last_seen: rfc3339(Some(last_seen)),
            controls: controls(meta),
            remediation: meta.map_or_else(String::new, |m| m.remediation.to_owned()),
            first_seen_unix: first_seen,
            last_seen_unix: last_seen,
            severity_rank: outcome.severity,
        }
    }
}

fn controls(meta: Option<&PolicyMeta>) -> Vec<ControlRef> {
    meta.map(|m| {
        m.controls
            .iter()
            .map(|c| ControlRef {
                framework: c.framework.to_owned(),
                id: c.id.to_owned(),
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Most severe first, then by policy, organization and resource: the order every format uses.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.severity_rank, &a.policy_id, &a.org_id, &a.resource_id).cmp(&(
            b.severity_rank,
            &b.policy_id,
            &b.org_id,
            &b.resource_id,
        ))
    });
}

/// Which lifecycle states a query lists; its names (`open`, `resolved`, `suppressed`, `all`)
/// are the values of `custos findings --status`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum StatusFilter {
    Open,
    Resolved,
    Suppressed,
    All,
}

impl StatusFilter {
    fn admits(self, status: &str) -> bool {
        match self {
            StatusFilter::Open => status == "open",
            StatusFilter::Resolved => status == "resolved",
            StatusFilter::Suppressed => status == "suppressed",
            StatusFilter::All => true,
        }
    }
}

/// Which findings to list.
#[derive(Debug, Clone)]
pub struct FindingsQuery {
    /// The organizations; empty: every organization of the store.
    pub orgs: Vec<String>,
    /// `None`: the recorded lifecycle, as the scans left it. `Some`: the latest scan of each
    /// organization evaluated afresh at that time, with lifecycle times from the records.
    pub as_of: Option<i64>,
    /// At least this severe.
    pub min_severity: Option<Severity>,
    /// Only these policies; empty: all.
    pub policies: Vec<String>,
    pub project: Option<String>,
    pub status: StatusFilter,
}

/// The findings of a query, sorted, and what it could not see.
#[derive(Debug)]
pub struct FindingsList {
    pub findings: Vec<Finding>,
    /// The organizations looked at.
    pub orgs: Vec<String>,
    /// Those of them without a complete scan: what was not read may hold findings.
    pub incomplete: Vec<String>,
}

impl FindingsList {
    /// Whether an open failure is at or above `level`.
    pub fn open_failure_at_or_above(&self, level: Severity) -> bool {
        self.findings
            .iter()
            .any(|f| f.status == "open" && f.result == "fail" && f.severity_rank <= level)
    }

    /// Why the list cannot be the whole picture, if it cannot.
    pub fn unread(&self) -> Option<String> {
        if self.orgs.is_empty() {
            Some("no organization has been scanned".to_owned())
        } else if !self.incomplete.is_empty() {
            Some(format!(
                "no complete scan of {}",
                self.incomplete.join(", ")
            ))
        } else {
            None
        }
    }
}

/// The findings `query` asks for.
pub async fn list_findings(
    config: &ValidConfig,
    store: &dyn Store,
    query: &FindingsQuery,
) -> Result<FindingsList> {
    let registry = config.registry();
    let orgs = if query.orgs.is_empty() {
        crate::context::orgs_or_all(store, None).await?
    } else {
        query.orgs.clone()
    };
    let mut findings = Vec::new();
    let mut incomplete = Vec::new();
    for org in &orgs {
        let scans = store.scans(Some(org)).await?;
        if !scans.iter().any(|s| s.status == ScanStatus::Complete) {
            incomplete.push(org.clone());
        }
        let stored = store.findings(Some(org)).await?;
        let Some(as_of) = query.as_of else {
            findings.extend(stored.iter().map(|r| Finding::from_record(registry, r)));
            continue;
        };
        let Some(run) = store.latest_scan(org).await? else {
            continue;
        };
        let by_identity: HashMap<(&str, &str), &FindingRecord> = stored
            .iter()
            .map(|r| ((r.policy_id.as_str(), r.resource_id.as_str()), r))
            .collect();
        for outcome in evaluate_scan(config, store, &run, as_of, Keep::Findings).await? {
            let known = by_identity
                .get(&(outcome.policy_id, outcome.resource_id.as_str()))
                .copied();
            let (first, last) = known.map_or((as_of, as_of), |r| (r.first_seen, as_of));
            let status = known
                .filter(|r| r.suppression.as_ref().is_some_and(|s| s.applies_at(as_of)))
                .map_or("open", |_| "suppressed");
            findings.push(Finding::from_outcome(
                registry, org, &outcome, status, first, last,
            ));
        }
    }
    findings.retain(|f| {
        query.min_severity.is_none_or(|min| f.severity_rank <= min)
            && (query.policies.is_empty() || query.policies.contains(&f.policy_id))
            && query
                .project
                .as_ref()
                .is_none_or(|p| f.project_id.as_ref() == Some(p))
            && query.status.admits(&f.status)
    });
    sort(&mut findings);
    Ok(FindingsList {
        findings,
        orgs,
        incomplete,
    })
}

/// The longest a suppression may last: a finding accepted for good is re-examined at least
/// once a year.
pub const MAX_SUPPRESSION_DAYS: i64 = 365;
/// How long a suppression lasts when no end is given.
pub const DEFAULT_SUPPRESSION_DAYS: i64 = 90;

/// When a suppression asked at `now` ends: `until` if it is after `now` and at most
/// [`MAX_SUPPRESSION_DAYS`] ahead, else [`DEFAULT_SUPPRESSION_DAYS`] from now. `parameter`
/// names `until` in the error (`--until`, or the API's field).
pub fn suppression_end(until: Option<i64>, now: i64, parameter: &str) -> Result<i64> {
    let day = custos_model::unix::DAY;
    let Some(end) = until else {
        return Ok(now.saturating_add(DEFAULT_SUPPRESSION_DAYS * day));
    };
    let shown = rfc3339(Some(end));
    if end <= now {
        return Err(Error::Invalid(format!(
            "{parameter} {shown} is in the past: give a date after now, at most {MAX_SUPPRESSION_DAYS} days ahead"
        )));
    }
    if end - now > MAX_SUPPRESSION_DAYS * day {
        return Err(Error::Invalid(format!(
            "{parameter} {shown} is more than {MAX_SUPPRESSION_DAYS} days ahead: suppress for at most {MAX_SUPPRESSION_DAYS} days, and again then if the finding is still accepted"
        )));
    }
    Ok(end)
}
