//! The findings lifecycle, decided once for both backends. A backend reads the lifecycle
//! columns of the findings concerned, asks this module what to write (rows, state changes,
//! events) and writes it in the same transaction; so that SQLite and PostgreSQL cannot differ
//! in when a finding opens, resolves, or comes out of a suppression.

use crate::{
    Error, FindingChanges, FindingEventKind, FindingObservation, FindingStatus, Result, ScanId,
    ScanStatus, Suppression,
};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// The results a finding can have: a pass is no finding.
const RESULTS: [&str; 2] = ["fail", "indeterminate"];

/// Which finding: its identity.
#[derive(Debug, Clone)]
pub(crate) struct FindingKey {
    pub org_id: String,
    pub policy_id: String,
    pub resource_id: String,
}

impl FindingKey {
    pub(crate) fn new(org_id: &str, policy_id: &str, resource_id: &str) -> Self {
        FindingKey {
            org_id: org_id.to_owned(),
            policy_id: policy_id.to_owned(),
            resource_id: resource_id.to_owned(),
        }
    }
}

/// The lifecycle columns of a stored finding.
#[derive(Debug)]
pub(crate) struct FindingState {
    pub policy_id: String,
    pub resource_id: String,
    pub status: FindingStatus,
    pub last_seen: i64,
    pub resolved_at: Option<i64>,
    pub suppression: Option<Suppression>,
}

/// An observation to upsert (every column), with the lifecycle it leaves the finding in.
#[derive(Debug)]
pub(crate) struct ObservedFinding<'a> {
    pub observation: &'a FindingObservation,
    /// Not stored yet: an insert, where the others update.
    pub new: bool,
    pub status: FindingStatus,
    pub suppression: Option<Suppression>,
}

/// New lifecycle columns for one finding that no observation rewrites.
#[derive(Debug, PartialEq)]
pub(crate) struct StateChange {
    pub policy_id: String,
    pub resource_id: String,
    pub status: FindingStatus,
    pub resolved_at: Option<i64>,
    pub suppression: Option<Suppression>,
}

/// A `finding_events` row to append.
#[derive(Debug)]
pub(crate) struct NewEvent {
    pub policy_id: String,
    pub resource_id: String,
    pub at: i64,
    pub event: FindingEventKind,
    pub scan_id: Option<ScanId>,
    pub detail: Value,
}

/// Everything one `record_findings` writes.
#[derive(Debug, Default)]
pub(crate) struct Plan<'a> {
    /// Every observation, to upsert.
    pub observed: Vec<ObservedFinding<'a>>,
    /// Findings not observed whose lifecycle changes (resolved, or out of a suppression).
    pub unobserved: Vec<StateChange>,
    /// In order of finding, then of occurrence.
    pub events: Vec<NewEvent>,
    pub changes: FindingChanges,
}

/// Refuses observations that cannot be recorded, before anything is read or written.
pub(crate) fn check_observations(observed: &[FindingObservation]) -> Result<()> {
    if let Some(o) = observed
        .iter()
        .find(|o| !RESULTS.contains(&o.result.as_str()))
    {
        return Err(Error::InvalidInput(format!(
            "the finding of policy {} on {} has result {:?}: a finding is \"fail\" or \"indeterminate\" (a pass is no finding)",
            o.policy_id, o.resource_id, o.result
        )));
    }
    let mut seen = HashSet::with_capacity(observed.len());
    match observed
        .iter()
        .find(|o| !seen.insert((o.policy_id.as_str(), o.resource_id.as_str())))
    {
        Some(o) => Err(Error::InvalidInput(format!(
            "policy {} observed {} twice in one evaluation: each (policy, resource) is recorded once",
            o.policy_id, o.resource_id
        ))),
        None => Ok(()),
    }
}

/// Checks the scan findings are recorded for: `owner` is its organization and status (None:
/// no such scan), `latest_recorded` the newest scan whose findings the organization has.
pub(crate) fn check_scan(
    org_id: &str,
    scan: ScanId,
    owner: Option<(String, ScanStatus)>,
    latest_recorded: Option<ScanId>,
    complete: bool,
) -> Result<()> {
    let (scan_org, status) = owner.ok_or(Error::ScanNotFound(scan))?;
    if scan_org != org_id {
        return Err(Error::InvalidInput(format!(
            "scan {scan} is of organization {scan_org}, not {org_id}: record an organization's findings with its own scans"
        )));
    }
    if !status.is_visible() {
        return Err(Error::ScanNotVisible { id: scan, status });
    }
    if complete && status == ScanStatus::Partial {
        return Err(Error::InvalidInput(format!(
            "scan {scan} is partial: its findings cannot resolve anything, record them as not complete"
        )));
    }
    match latest_recorded {
        Some(latest) if latest > scan => Err(Error::InvalidInput(format!(
            "organization {org_id} already has findings of scan {latest}, newer than scan {scan}: record findings in scan order"
        ))),
        _ => Ok(()),
    }
}

/// Collects the events of one `record_findings`: all at its time, of its scan.
struct Events {
    at: i64,
    scan: ScanId,
    list: Vec<NewEvent>,
}

impl Events {
    fn push(&mut self, policy_id: &str, resource_id: &str, event: FindingEventKind, detail: Value) {
        self.list.push(NewEvent {
            policy_id: policy_id.to_owned(),
            resource_id: resource_id.to_owned(),
            at: self.at,
            event,
            scan_id: Some(self.scan),
            detail,
        });
    }

    /// Clears a suppression that no longer applies, recording that it expired.
    fn expire(&mut self, finding: &FindingState) -> Option<Suppression> {
        match &finding.suppression {
            Some(s) if !s.applies_at(self.at) => {
                self.push(
                    &finding.policy_id,
                    &finding.resource_id,
                    FindingEventKind::SuppressionExpired,
                    object([("expired", suppression_detail(s))]),
                );
                None
            }
            other => other.clone(),
        }
    }
}

/// Decides what recording `observed` (already checked) at `at` does to the organization's
/// `existing` findings. See [`crate::Store::record_findings`] for the rules.
pub(crate) fn plan_scan<'a>(
    existing: &[FindingState],
    observed: &'a [FindingObservation],
    scan: ScanId,
    at: i64,
    complete: bool,
) -> Plan<'a> {
    let mut existing: HashMap<(&str, &str), &FindingState> = existing
        .iter()
        .map(|f| ((f.policy_id.as_str(), f.resource_id.as_str()), f))
        .collect();
    let mut events = Events {
        at,
        scan,
        list: Vec::new(),
    };
    let mut changes = FindingChanges::default();
    let mut rows = Vec::with_capacity(observed.len());

    for o in observed {
        let before = existing.remove(&(o.policy_id.as_str(), o.resource_id.as_str()));
        let first_seen = before.is_none();
        let (status, suppression) = match before {
            None => {
                changes.opened += 1;
                events.push(
                    &o.policy_id,
                    &o.resource_id,
                    FindingEventKind::Opened,
                    observation_detail(o, None),
                );
                (FindingStatus::Open, None)
            }
            Some(before) => {
                let suppression = events.expire(before);
                let status = if suppression.is_some() {
                    FindingStatus::Suppressed
                } else {
                    FindingStatus::Open
                };
                if before.status == FindingStatus::Resolved {
                    events.push(
                        &o.policy_id,
                        &o.resource_id,
                        FindingEventKind::Reopened,
                        observation_detail(o, Some(status)),
                    );
                }
                if status == FindingStatus::Suppressed {
                    changes.suppressed += 1;
                } else if before.status == FindingStatus::Open {
                    changes.still_open += 1;
                } else {
                    changes.reopened += 1;
                }
                (status, suppression)
            }
        };
        rows.push(ObservedFinding {
            observation: o,
            new: first_seen,
            status,
            suppression,
        });
    }

    let mut unobserved = Vec::new();
    for before in existing.into_values() {
        let suppression = events.expire(before);
        let firing = before.status != FindingStatus::Resolved;
        let (status, resolved_at) = if firing && complete {
            changes.resolved += 1;
            events.push(
                &before.policy_id,
                &before.resource_id,
                FindingEventKind::Resolved,
                object([("last_seen", before.last_seen.into())]),
            );
            (FindingStatus::Resolved, Some(at))
        } else if before.status == FindingStatus::Suppressed && suppression.is_none() {
            // Still firing as far as a partial scan can tell, and no longer accepted.
            changes.reopened += 1;
            (FindingStatus::Open, None)
        } else {
            (before.status, before.resolved_at)
        };
        if status != before.status || suppression != before.suppression {
            unobserved.push(StateChange {
                policy_id: before.policy_id.clone(),
                resource_id: before.resource_id.clone(),
                status,
                resolved_at,
                suppression,
            });
        }
    }

    // A readable history: grouped by finding, each finding's events in the order they happened
    // (the sort is stable).
    events
        .list
        .sort_by(|a, b| (&a.policy_id, &a.resource_id).cmp(&(&b.policy_id, &b.resource_id)));
    Plan {
        observed: rows,
        unobserved,
        events: events.list,
        changes,
    }
}

/// Suppresses `finding` (None: `key` names no finding) as `suppression` says.
pub(crate) fn plan_suppress(
    key: &FindingKey,
    finding: Option<FindingState>,
    suppression: &Suppression,
) -> Result<(StateChange, NewEvent)> {
    if suppression.reason.trim().is_empty() || suppression.author.trim().is_empty() {
        return Err(Error::InvalidInput(
            "a suppression needs a reason and an author".into(),
        ));
    }
    if let Some(until) = suppression.until.filter(|&until| until <= suppression.at) {
        return Err(Error::InvalidInput(format!(
            "a suppression made at {} cannot end at {until}: it would never apply",
            suppression.at
        )));
    }
    let before = found(key, finding)?;
    let status = match before.status {
        FindingStatus::Resolved => FindingStatus::Resolved,
        FindingStatus::Open | FindingStatus::Suppressed => FindingStatus::Suppressed,
    };
    let event = manual_event(
        &before,
        suppression.at,
        FindingEventKind::Suppressed,
        suppression_detail(suppression),
    );
    let change = StateChange {
        status,
        resolved_at: before.resolved_at,
        suppression: Some(suppression.clone()),
        policy_id: before.policy_id,
        resource_id: before.resource_id,
    };
    Ok((change, event))
}

/// Lifts the suppression of `finding` (None: `key` names no finding) at `at`.
pub(crate) fn plan_unsuppress(
    key: &FindingKey,
    finding: Option<FindingState>,
    at: i64,
    author: &str,
) -> Result<(StateChange, NewEvent)> {
    if author.trim().is_empty() {
        return Err(Error::InvalidInput(
            "lifting a suppression needs an author".into(),
        ));
    }
    let before = found(key, finding)?;
    let Some(lifted) = &before.suppression else {
        return Err(Error::InvalidInput(format!(
            "the finding of policy {} on {} in organization {} is not suppressed: there is nothing to lift",
            key.policy_id, key.resource_id, key.org_id
        )));
    };
    let detail = object([
        ("author", author.into()),
        ("lifted", suppression_detail(lifted)),
    ]);
    let event = manual_event(&before, at, FindingEventKind::Unsuppressed, detail);
    let status = match before.status {
        FindingStatus::Resolved => FindingStatus::Resolved,
        FindingStatus::Open | FindingStatus::Suppressed => FindingStatus::Open,
    };
    let change = StateChange {
        status,
        resolved_at: before.resolved_at,
        suppression: None,
        policy_id: before.policy_id,
        resource_id: before.resource_id,
    };
    Ok((change, event))
}

fn found(key: &FindingKey, finding: Option<FindingState>) -> Result<FindingState> {
    finding.ok_or_else(|| Error::FindingNotFound {
        org_id: key.org_id.clone(),
        policy_id: key.policy_id.clone(),
        resource_id: key.resource_id.clone(),
    })
}

/// An event made by hand (no scan).
fn manual_event(
    finding: &FindingState,
    at: i64,
    event: FindingEventKind,
    detail: Value,
) -> NewEvent {
    NewEvent {
        policy_id: finding.policy_id.clone(),
        resource_id: finding.resource_id.clone(),
        at,
        event,
        scan_id: None,
        detail,
    }
}

/// A JSON object of the given fields, in order.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// The detail of `opened` and `reopened` (which adds the status it reopened into).
fn observation_detail(o: &FindingObservation, status: Option<FindingStatus>) -> Value {
    let mut detail = object([
        ("severity", o.severity.as_str().into()),
        ("result", o.result.as_str().into()),
        ("title", o.title.as_str().into()),
        ("message", o.message.as_str().into()),
    ]);
    if let (Some(status), Value::Object(fields)) = (status, &mut detail) {
        fields.insert("status".into(), status.as_str().into());
    }
    detail
}

fn suppression_detail(s: &Suppression) -> Value {
    object([
        ("reason", s.reason.as_str().into()),
        ("author", s.author.as_str().into()),
        ("at", s.at.into()),
        ("until", s.until.into()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observation(policy: &str, resource: &str) -> FindingObservation {
        FindingObservation {
            policy_id: policy.into(),
            resource_id: resource.into(),
            resource_kind: "user".into(),
            project_id: None,
            severity: "high".into(),
            result: "fail".into(),
            title: "t".into(),
            message: "m".into(),
            evidence: serde_json::value::to_raw_value(&Value::Null).unwrap(),
        }
    }

    fn state(resource: &str, status: FindingStatus, until: Option<Option<i64>>) -> FindingState {
        FindingState {
            policy_id: "p".into(),
            resource_id: resource.into(),
            status,
            last_seen: 5,
            resolved_at: (status == FindingStatus::Resolved).then_some(6),
            suppression: until.map(|until| Suppression {
                reason: "r".into(),
                author: "a".into(),
                at: 1,
                until,
            }),
        }
    }

    #[test]
    fn every_observation_counts_once_and_events_group_by_finding() {
        let existing = vec![
            state("open", FindingStatus::Open, None),
            state("resolved", FindingStatus::Resolved, None),
            state("quiet", FindingStatus::Suppressed, Some(None)),
            state("expired", FindingStatus::Suppressed, Some(Some(10))),
            state("gone", FindingStatus::Open, None),
            state("gone-expired", FindingStatus::Suppressed, Some(Some(10))),
        ];
        let observed: Vec<_> = ["new", "open", "resolved", "quiet", "expired"]
            .map(|r| observation("p", r))
            .into();
        let plan = plan_scan(&existing, &observed, 7, 10, true);
        assert_eq!(
            plan.changes,
            FindingChanges {
                opened: 1,
                reopened: 2,
                resolved: 2,
                still_open: 1,
                suppressed: 1
            }
        );
        let events: Vec<_> = plan
            .events
            .iter()
            .map(|e| format!("{} {}", e.resource_id, e.event))
            .collect();
        assert_eq!(
            events,
            [
                "expired suppression_expired",
                "gone resolved",
                "gone-expired suppression_expired",
                "gone-expired resolved",
                "new opened",
                "resolved reopened"
            ]
        );
        let statuses: Vec<_> = plan
            .observed
            .iter()
            .map(|o| (o.observation.resource_id.as_str(), o.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("new", FindingStatus::Open),
                ("open", FindingStatus::Open),
                ("resolved", FindingStatus::Open),
                ("quiet", FindingStatus::Suppressed),
                ("expired", FindingStatus::Open)
            ]
        );
        assert_eq!(plan.unobserved.len(), 2);
        assert!(
            plan.unobserved
                .iter()
                .all(|c| c.status == FindingStatus::Resolved && c.resolved_at == Some(10))
        );
    }

    #[test]
    fn a_partial_evaluation_resolves_nothing_but_expires_suppressions() {
        let existing = vec![
            state("gone", FindingStatus::Open, None),
            state("gone-expired", FindingStatus::Suppressed, Some(Some(10))),
            state("resolved-expired", FindingStatus::Resolved, Some(Some(10))),
        ];
        let plan = plan_scan(&existing, &[], 7, 10, false);
        assert_eq!(plan.changes.resolved, 0);
        assert_eq!(plan.changes.reopened, 1);
        let mut changes: Vec<_> = plan
            .unobserved
            .iter()
            .map(|c| (c.resource_id.as_str(), c.status, c.resolved_at))
            .collect();
        changes.sort_by_key(|c| c.0);
        assert_eq!(
            changes,
            [
                ("gone-expired", FindingStatus::Open, None),
                ("resolved-expired", FindingStatus::Resolved, Some(6))
            ]
        );
    }
}
