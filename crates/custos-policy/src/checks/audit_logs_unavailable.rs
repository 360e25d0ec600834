//! `openai-audit-logs-unavailable`: without audit logs nothing that happened can be shown.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::{endpoint_gap, endpoints};
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-audit-logs-unavailable",
    title: "Audit logging is off",
    severity: Severity::High,
    category: "logging",
    resource_kind: "organization",
    needs: &[Need::Audit],
    params: &[],
    description: "The audit-log endpoint refused access with HTTP 403 (audit logging is off). Other failures are indeterminate.",
    remediation: "Turn on audit logging in the organization's data controls settings.",
    controls: controls::LOGGING,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

/// The status the API answers when audit logging is off.
const REFUSED: u16 = 403;

fn evaluate(snapshot: &Snapshot, _as_of: i64, _params: &Params, out: &mut Outcomes) {
    let subject = Subject::organization(&snapshot.org_id);
    let org = &snapshot.org_id;
    let refused = snapshot
        .failures_of(endpoints::AUDIT_LOGS)
        .find(|f| f.status == Some(REFUSED));
    if let Some(failure) = refused {
        out.fail(
            subject,
            format!("Organization {org} refused to list audit logs (HTTP 403): audit logging is off"),
            json!({ "endpoint": failure.endpoint, "status": failure.status, "message": failure.message }),
        );
    } else if let Some(gap) = endpoint_gap(snapshot, endpoints::AUDIT_LOGS, None) {
        out.indeterminate(subject, vec![gap]);
    } else if snapshot.coverage.audit_from.is_none() {
        out.indeterminate(subject, vec!["audit events were not collected".to_owned()]);
    } else {
        let events = snapshot.inventory.audit_logs.len();
        out.pass(subject, || {
            format!("Organization {org} has audit logging on ({events} events collected)")
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::testing::*;

    #[test]
    fn refused_failed_missing_or_available() {
        let mut refused = snapshot();
        refused
            .failures
            .push(failure(endpoints::AUDIT_LOGS, None, 403));
        let mut broken = snapshot();
        broken
            .failures
            .push(failure(endpoints::AUDIT_LOGS, None, 503));
        let mut not_collected = snapshot();
        not_collected.coverage.audit_from = None;
        // A 403 elsewhere says nothing about audit logging.
        let mut other_403 = snapshot();
        other_403
            .failures
            .push(failure(endpoints::USERS, None, 403));
        for (snapshot, expected) in [
            (refused, Verdict::Fail),
            (broken, Verdict::Indeterminate),
            (not_collected, Verdict::Indeterminate),
            (other_403, Verdict::Pass),
            (snapshot(), Verdict::Pass),
        ] {
            let outcomes = run_default(&CHECK, &snapshot, AS_OF);
            assert_well_formed(&META, &outcomes);
            assert_eq!(verdict(&outcomes, ORG), expected);
        }
    }
}
