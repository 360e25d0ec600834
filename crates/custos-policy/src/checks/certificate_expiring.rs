//! `openai-certificate-expiring`: renew before mutual TLS starts failing.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::certificates::for_active_certificates;
use crate::shared::time::{date, days};
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-certificate-expiring",
    title: "Certificate expiring soon",
    severity: Severity::Medium,
    category: "credentials",
    resource_kind: "certificate",
    needs: &[Need::Admin],
    params: &[ParamSpec {
        name: "days",
        doc: "How many days ahead an expiry is reported.",
        default: "30",
        kind: ParamKind::Integer {
            min: 0,
            max: i64::MAX,
        },
    }],
    description: "An active certificate expires after the evaluation time and at most `days` days after it (`as_of < certificate_details.expires_at <= as_of + days`).",
    remediation: "Upload a renewed certificate, activate it, then deactivate the old one.",
    controls: controls::CREDENTIALS,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let horizon_days = params.integer("days");
    let horizon = as_of.saturating_add(days(horizon_days));
    for_active_certificates(snapshot, out, |subject, certificate, expires_at, out| {
        out.judge(
            subject,
            as_of < expires_at && expires_at <= horizon,
            |fires| {
                let when = if fires { "within" } else { "not within" };
                format!(
                    "Certificate {} expires on {}, {when} the next {horizon_days} days",
                    certificate.id,
                    date(expires_at)
                )
            },
            || json!({ "expires_at": expires_at, "days": horizon_days }),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::data::endpoints;
    use crate::testing::*;

    fn certificate(
        id: &str,
        active: serde_json::Value,
        expires_at: serde_json::Value,
    ) -> custos_model::api::Certificate {
        obj(
            json!({"id": id, "created_at": 0, "active": active, "certificate_details": {"expires_at": expires_at}}),
        )
    }

    #[test]
    fn expiry_window_is_open_at_as_of_and_closed_at_the_horizon() {
        let horizon = AS_OF + days(30);
        let mut snapshot = snapshot();
        snapshot.inventory.certificates = vec![
            certificate("at-as-of", json!(true), json!(AS_OF)),
            certificate("just-after-as-of", json!(true), json!(AS_OF + 1)),
            certificate("at-horizon", json!(true), json!(horizon)),
            certificate("after-horizon", json!(true), json!(horizon + 1)),
            certificate("inactive", json!(false), json!(AS_OF + 1)),
            certificate("active-null", json!(null), json!(AS_OF + 1)),
            certificate("no-expiry", json!(true), json!(null)),
        ];
        let mut project = project("p");
        project.certificates = vec![
            certificate("at-horizon", json!(true), json!(horizon)),
            certificate("project-only", json!(true), json!(AS_OF + 5)),
        ];
        snapshot.inventory.projects = vec![project];
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(
            outcomes.len(),
            6,
            "inactive certificates are out of scope, duplicates once"
        );
        assert_eq!(verdict(&outcomes, "at-as-of"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "just-after-as-of"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "at-horizon"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "after-horizon"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "no-expiry"), Verdict::Indeterminate);
        assert_eq!(
            outcome(&outcomes, "project-only").project_id.as_deref(),
            Some("p")
        );
    }

    #[test]
    fn no_certificates_no_results_and_failures_are_indeterminate() {
        assert!(run_default(&CHECK, &snapshot(), AS_OF).is_empty());
        let mut snapshot = snapshot();
        snapshot
            .failures
            .push(failure(endpoints::CERTIFICATES, None, 500));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, ORG)).contains("certificates"));
    }
}
