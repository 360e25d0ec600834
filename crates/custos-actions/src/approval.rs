//! Who may approve a plan: pure rules over the plan, the principals and the snapshot.

use crate::plan::{Plan, SnapshotView, field};
use custos_store::{PrincipalRecord, PrincipalRole};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Whose approval a kind of plan needs, besides the approver role and not being the requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalRule {
    /// An owner in OpenAI of what the plan touches: an organization owner for
    /// organization-level objects; for project objects an owner of each project (organization
    /// owners own every project). Matched through the email hash.
    OwnerOfTarget,
    /// The requester's manager.
    RequesterManager,
    /// Any other principal with the approver role.
    AnyApprover,
}

/// The rules in force (configurable; [`Default`] is the documented behaviour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalPolicy {
    pub remediation: ApprovalRule,
    pub provisioning: ApprovalRule,
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        ApprovalPolicy {
            remediation: ApprovalRule::OwnerOfTarget,
            provisioning: ApprovalRule::RequesterManager,
        }
    }
}

/// Why `approver` may not approve `plan` requested by `requester`; `None` when it may.
pub fn refusal(
    policy: &ApprovalPolicy,
    plan: &Plan,
    requester: Option<&PrincipalRecord>,
    approver: &PrincipalRecord,
    snapshot: &SnapshotView,
) -> Option<String> {
    if approver.name == plan.requested_by {
        return Some("the requester cannot approve its own request: another approver must".into());
    }
    if approver.disabled {
        return Some("the approver is disabled".into());
    }
    if !approver.role.includes(PrincipalRole::Approver) {
        return Some(format!(
            "the role {} cannot approve: an approver or admin must",
            approver.role
        ));
    }
    let rule = if plan.provisioning {
        policy.provisioning
    } else {
        policy.remediation
    };
    match rule {
        ApprovalRule::AnyApprover => None,
        ApprovalRule::RequesterManager => {
            let manager = requester.and_then(|r| r.manager.as_deref());
            match manager {
                Some(m) if m == approver.name => None,
                Some(m) => Some(format!(
                    "provisioning needs the requester's manager ({m}) to approve"
                )),
                None => Some(format!(
                    "provisioning needs the requester's manager, and {} has none: set one with `custos users add --manager`",
                    plan.requested_by
                )),
            }
        }
        ApprovalRule::OwnerOfTarget => {
            let hash = &approver.email_sha256;
            let org_owner = is_owner(snapshot, "user", |_| true, hash);
            if plan.touches_organization() && !org_owner {
                return Some(format!(
                    "{} is not an owner of organization {} in scan {} (matched by email)",
                    approver.name, plan.org_id, snapshot.scan_id
                ));
            }
            let not_owned: Vec<&str> = plan
                .projects()
                .into_iter()
                .filter(|p| {
                    !org_owner
                        && !is_owner(
                            snapshot,
                            "project_user",
                            |o| o.project_id.as_deref() == Some(*p),
                            hash,
                        )
                })
                .collect();
            (!not_owned.is_empty()).then(|| {
                format!(
                    "{} is not an owner of project(s) {} in scan {} (matched by email)",
                    approver.name,
                    not_owned.join(", "),
                    snapshot.scan_id
                )
            })
        }
    }
}

/// Whether an object of `kind` accepted by `scope` is an owner with email hash `hash`.
fn is_owner(
    snapshot: &SnapshotView,
    kind: &str,
    scope: impl Fn(&custos_store::ObjectRecord) -> bool,
    hash: &str,
) -> bool {
    snapshot.of_kind(kind).filter(|o| scope(o)).any(|o| {
        field(&o.data, "role") == json!("owner")
            && (field(&o.data, "email_sha256") == json!(hash)
                || field(&o.data, "email")
                    .as_str()
                    .is_some_and(|e| custos_store::email_hash(e).0 == hash))
    })
}
