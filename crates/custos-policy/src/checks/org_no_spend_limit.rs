//! `openai-org-no-spend-limit`: without a limit, a leaked key can spend without bound.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::{endpoint_gap, endpoints};
use crate::shared::money::format_amount;
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-org-no-spend-limit",
    title: "Organization has no spend limit",
    severity: Severity::Medium,
    category: "cost",
    resource_kind: "organization",
    needs: &[Need::Admin],
    params: &[],
    description: "No organization spend limit is set.",
    remediation: "Set an organization spend limit above the expected monthly spend.",
    controls: controls::MONITORING,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, _params: &Params, out: &mut Outcomes) {
    let subject = Subject::organization(&snapshot.org_id);
    let org = &snapshot.org_id;
    if let Some(gap) = endpoint_gap(snapshot, endpoints::SPEND_LIMIT, None) {
        out.indeterminate(subject, vec![gap]);
    } else if let Some(limit) = &snapshot.inventory.spend_limit {
        let amount = format_amount(limit.threshold_amount as f64 / 100.0, &limit.currency);
        out.pass(subject, || {
            format!(
                "Organization {org} has a spend limit of {amount} per {}",
                limit.interval
            )
        });
    } else {
        out.fail(
            subject,
            format!("Organization {org} has no spend limit"),
            json!({ "spend_limit": null }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::testing::*;

    #[test]
    fn set_absent_or_unknown() {
        let mut snapshot = snapshot();
        assert_eq!(
            verdict(&run_default(&CHECK, &snapshot, AS_OF), ORG),
            Verdict::Fail
        );
        snapshot.inventory.spend_limit = Some(obj(json!({
            "object": "organization.spend_limit", "threshold_amount": 100_000,
            "currency": "USD", "interval": "month",
        })));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(verdict(&outcomes, ORG), Verdict::Pass);
        snapshot.inventory.spend_limit = None;
        snapshot
            .failures
            .push(failure(endpoints::SPEND_LIMIT, None, 500));
        assert_eq!(
            verdict(&run_default(&CHECK, &snapshot, AS_OF), ORG),
            Verdict::Indeterminate
        );
    }
}
