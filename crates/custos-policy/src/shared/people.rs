//! Users and invites: pending invites, and email domains against an allow list.

use crate::outcome::{Outcomes, Subject};
use crate::shared::data::{endpoint_gap, endpoints};
use custos_model::api::Invite;
use custos_model::inventory::Snapshot;
use serde_json::json;
use std::collections::BTreeSet;

/// Calls `visit` for every invite with `status == "pending"`; the organization is indeterminate
/// when the invite list failed.
pub fn for_pending_invites<'s>(
    snapshot: &'s Snapshot,
    out: &mut Outcomes,
    mut visit: impl FnMut(&'s Invite, &mut Outcomes),
) {
    if let Some(gap) = endpoint_gap(snapshot, endpoints::INVITES, None) {
        out.indeterminate(Subject::organization(&snapshot.org_id), vec![gap]);
        return;
    }
    for invite in snapshot
        .inventory
        .invites
        .iter()
        .filter(|i| i.status == "pending")
    {
        visit(invite, out);
    }
}

/// The `allowed_domains` parameter, normalized (lower-case, no `@`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedDomains(BTreeSet<String>);

impl AllowedDomains {
    /// `None` when the list is empty: the policy then cannot tell internal from external.
    pub fn new<'a>(domains: impl IntoIterator<Item = &'a str>) -> Option<AllowedDomains> {
        let set: BTreeSet<String> = domains
            .into_iter()
            .map(|d| d.trim().trim_start_matches('@').to_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        (!set.is_empty()).then_some(AllowedDomains(set))
    }

    pub fn allows(&self, domain: &str) -> bool {
        self.0.contains(domain)
    }
}

/// What an indeterminate result says when `allowed_domains` is empty.
pub const NO_ALLOWED_DOMAINS: &str =
    "parameter allowed_domains is empty: set the organization's email domains";

/// Fails `subject` when its email domain is not allowed; indeterminate when the domain is
/// unknown (no address and no `email_domain` kept at ingest).
pub fn judge_domain(
    out: &mut Outcomes,
    subject: Subject<'_>,
    label: &str,
    domain: Option<String>,
    allowed: &AllowedDomains,
) {
    let Some(domain) = domain else {
        out.indeterminate(
            subject,
            vec![format!("{label} has no email address or email domain")],
        );
        return;
    };
    out.judge(
        subject,
        !allowed.allows(&domain),
        |fires| {
            if fires {
                format!("{label} has an email address at {domain}, which is not an allowed domain")
            } else {
                format!("{label} has an email address at the allowed domain {domain}")
            }
        },
        || json!({ "email_domain": domain }),
    );
}
