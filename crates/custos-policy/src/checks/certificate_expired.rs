//! `openai-certificate-expired`: an expired certificate that is still active breaks clients.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::certificates::for_active_certificates;
use crate::shared::time::date;
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-certificate-expired",
    title: "Certificate expired",
    severity: Severity::High,
    category: "credentials",
    resource_kind: "certificate",
    needs: &[Need::Admin],
    params: &[],
    description: "An active certificate's `certificate_details.expires_at` is at or before the evaluation time.",
    remediation: "Upload and activate a valid certificate, then deactivate and delete the expired one.",
    controls: controls::CREDENTIALS,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, as_of: i64, _params: &Params, out: &mut Outcomes) {
    for_active_certificates(snapshot, out, |subject, certificate, expires_at, out| {
        out.judge(
            subject,
            expires_at <= as_of,
            |fires| {
                let verb = if fires { "expired" } else { "expires" };
                format!(
                    "Certificate {} {verb} on {}",
                    certificate.id,
                    date(expires_at)
                )
            },
            || json!({ "expires_at": expires_at }),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::data::endpoints;
    use crate::testing::*;

    #[test]
    fn fires_at_and_before_as_of() {
        let mut snapshot = snapshot();
        for (id, expires) in [("at", AS_OF), ("before", AS_OF - 1), ("after", AS_OF + 1)] {
            snapshot.inventory.certificates.push(obj(json!({
                "id": id, "created_at": 0, "active": true, "certificate_details": {"expires_at": expires},
            })));
        }
        snapshot.inventory.certificates.push(obj(json!({
            "id": "no-details", "created_at": 0, "active": true,
        })));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(verdict(&outcomes, "at"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "before"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "after"), Verdict::Pass);
        assert!(missing(outcome(&outcomes, "no-details")).contains("expires_at"));
    }

    #[test]
    fn failed_project_listing_is_indeterminate_for_the_project() {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![project("p")];
        snapshot
            .failures
            .push(failure(endpoints::PROJECT_CERTIFICATES, Some("p"), 500));
        assert_eq!(
            verdict(&run_default(&CHECK, &snapshot, AS_OF), "p"),
            Verdict::Indeterminate
        );
    }
}
