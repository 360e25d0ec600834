//! Counting owners, for the organization and for projects, against a lower or upper bound.

use crate::outcome::{Outcomes, Subject};
use crate::shared::data::{endpoint_gap, endpoints};
use custos_model::inventory::{ProjectInventory, Snapshot};
use serde_json::json;

/// The bound a count of owners must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerBound {
    /// Fires when there are fewer than this many owners.
    AtLeast(i64),
    /// Fires when there are more than this many owners.
    AtMost(i64),
}

impl OwnerBound {
    fn violated_by(self, count: i64) -> bool {
        match self {
            OwnerBound::AtLeast(min) => count < min,
            OwnerBound::AtMost(max) => count > max,
        }
    }
}

/// Judges `subject` by its owners' ids; `param` names the parameter for the evidence.
pub fn judge_owner_count(
    out: &mut Outcomes,
    subject: Subject<'_>,
    label: &str,
    owner_ids: Vec<&str>,
    bound: OwnerBound,
    param: &str,
) {
    let count = i64::try_from(owner_ids.len()).unwrap_or(i64::MAX);
    let (limit, relation) = match bound {
        OwnerBound::AtLeast(min) => (min, "fewer than the minimum of"),
        OwnerBound::AtMost(max) => (max, "more than the maximum of"),
    };
    let fires = bound.violated_by(count);
    out.judge(
        subject,
        fires,
        |fires| {
            if fires {
                format!("{label} has {count} owner(s), {relation} {limit}")
            } else {
                format!("{label} has {count} owner(s), within the limit of {limit}")
            }
        },
        || json!({ "owners": count, "owner_ids": owner_ids, param: limit }),
    );
}

/// Both organization owner-count policies: count users with `role == "owner"` (exactly, as the
/// API spells it) against `bound`.
pub fn evaluate_org_owners(
    snapshot: &Snapshot,
    out: &mut Outcomes,
    bound: OwnerBound,
    param: &str,
) {
    let subject = Subject::organization(&snapshot.org_id);
    if let Some(gap) = endpoint_gap(snapshot, endpoints::USERS, None) {
        out.indeterminate(subject, vec![gap]);
        return;
    }
    let owners = snapshot
        .inventory
        .users
        .iter()
        .filter(|u| u.role.as_deref() == Some("owner"))
        .map(|u| u.id.as_str())
        .collect();
    let label = format!("Organization {}", snapshot.org_id);
    judge_owner_count(out, subject, &label, owners, bound, param);
}

/// A project's owners: its project users with `role == "owner"`. Organization owners and service
/// accounts do not count.
pub fn project_owner_ids(project: &ProjectInventory) -> Vec<&str> {
    project
        .users
        .iter()
        .filter(|u| u.role == "owner")
        .map(|u| u.id.as_str())
        .collect()
}
