//! Active certificates of the organization and of its active projects, each listed once.

use crate::outcome::{Outcomes, Subject};
use crate::shared::data::{endpoint_gap, endpoints};
use crate::shared::scope::for_active_projects;
use custos_model::api::Certificate;
use custos_model::inventory::Snapshot;
use std::collections::HashSet;

/// Calls `visit` once per active certificate with a known expiry: organization certificates
/// first, then project certificates not already seen (a certificate activated for a project is
/// listed under it too). An active certificate without `expires_at` is indeterminate.
pub fn for_active_certificates<'s>(
    snapshot: &'s Snapshot,
    out: &mut Outcomes,
    mut visit: impl FnMut(Subject<'s>, &'s Certificate, i64, &mut Outcomes),
) {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut consider =
        |certificate: &'s Certificate, project_id: Option<&'s str>, out: &mut Outcomes| {
            if certificate.active != Some(true) || !seen.insert(certificate.id.as_str()) {
                return;
            }
            let subject = Subject::new("certificate", &certificate.id, project_id);
            match certificate.certificate_details.expires_at {
                Some(expires_at) => visit(subject, certificate, expires_at, out),
                None => out.indeterminate(
                    subject,
                    vec![format!(
                        "certificate {} has no certificate_details.expires_at",
                        certificate.id
                    )],
                ),
            }
        };
    match endpoint_gap(snapshot, endpoints::CERTIFICATES, None) {
        Some(gap) => out.indeterminate(Subject::organization(&snapshot.org_id), vec![gap]),
        None => {
            for certificate in &snapshot.inventory.certificates {
                consider(certificate, None, out);
            }
        }
    }
    for_active_projects(
        snapshot,
        out,
        &[endpoints::PROJECT_CERTIFICATES],
        |project, out| {
            for certificate in &project.certificates {
                consider(certificate, Some(project.project.id.as_str()), out);
            }
        },
    );
}
