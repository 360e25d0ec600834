//! Why an action could not be requested, approved or executed. Every message names the
//! object and says what to do; none holds a secret (tokens and created keys never reach one).

use custos_store::{ActionId, ActionStatus};

/// Everything that can go wrong with actions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    #[error(transparent)]
    Store(#[from] custos_store::Error),

    /// The template name is not one of [`crate::Template::ALL`].
    #[error("unknown template {0:?}: `custos actions templates` lists them")]
    UnknownTemplate(String),

    /// A parameter is missing, unknown or invalid; nothing was planned.
    #[error("template {template}: parameter {param}: {reason}")]
    InvalidParam {
        template: &'static str,
        param: String,
        reason: String,
    },

    /// The target is not in the latest snapshot, or is of another kind than the template acts on.
    #[error("template {template}: {reason}")]
    InvalidTarget {
        template: &'static str,
        reason: String,
    },

    /// The principal is unknown, disabled, or its token does not match.
    #[error(
        "authentication failed: {0}; pass a valid token with CUSTOS_TOKEN or --token-file (an admin issues them with `custos users add`)"
    )]
    Unauthenticated(String),

    /// No trust anchor could be read: nothing signed can be checked, so nothing is done.
    #[error(
        "no trust anchor (the bootstrap admin's public key) at {}: {reason}; copy the anchor file written by the first `custos users add` (or `custos users anchor` for a store made before signed approvals), or set CUSTOS_TRUST_ANCHOR to the key it holds",
        path.display()
    )]
    NoTrustAnchor {
        path: std::path::PathBuf,
        reason: String,
    },

    /// The principal's signed registration is missing or contradicts its token or its row.
    #[error("{principal} cannot act: {reason}")]
    Unregistered { principal: String, reason: String },

    /// The journal does not prove a two-person approval of this plan; nothing was sent.
    #[error("action {action} is not executable, nothing was sent: {reason}")]
    NotAuthorized { action: ActionId, reason: String },

    /// The journal's chain is broken, so its signed statements prove nothing.
    #[error(
        "the journal is broken ({0}): nothing can be authorized; run `custos actions journal verify`"
    )]
    JournalBroken(custos_store::JournalBreak),

    /// The principal's role does not allow this.
    #[error("{principal} has the role {role}, which cannot {what}: {hint}")]
    Forbidden {
        principal: String,
        role: String,
        what: &'static str,
        hint: &'static str,
    },

    /// The approval rules refuse this approver; nothing was recorded.
    #[error("action {action} cannot be approved by {approver}: {reason}")]
    ApprovalRefused {
        action: ActionId,
        approver: String,
        reason: String,
    },

    /// No action has this id.
    #[error("there is no action {0}: `custos actions list` lists them")]
    NotFound(ActionId),

    /// The action is not in a status that allows this step.
    #[error("action {action} is {status}: {hint}")]
    WrongStatus {
        action: ActionId,
        status: ActionStatus,
        hint: String,
    },

    /// The plan expired before it was approved or executed.
    #[error(
        "action {action} expired at {expires_at} (Unix seconds) before it was {step}: request it again"
    )]
    Expired {
        action: ActionId,
        expires_at: i64,
        step: &'static str,
    },

    /// The stored plan does not match the hash that was requested and approved.
    #[error(
        "action {action}: the stored plan no longer matches the hash that was approved ({approved}); it was altered: request it again"
    )]
    PlanAltered { action: ActionId, approved: String },

    /// Targets changed between the plan and the execution; nothing was sent.
    #[error(
        "action {action}: {} target(s) changed since the plan, nothing was sent: {}; request it again on a fresh scan",
        changes.len(),
        changes.join("; ")
    )]
    TargetsChanged {
        action: ActionId,
        changes: Vec<String>,
    },

    /// No read-write key is configured for the organization; nothing was sent.
    #[error(
        "organization {org_id} has no read-write admin key for actions ({reason}): configure `write_key` in custos.toml or store one as org/{org_id}/write"
    )]
    NoWriteKey { org_id: String, reason: String },

    /// A call needs a project key that is not configured; nothing was sent.
    #[error(
        "action {action} deletes files of project {project_id}, which needs that project's key: add it to `project_keys` in custos.toml"
    )]
    NoProjectKey {
        action: ActionId,
        project_id: String,
    },

    /// Re-reading a target failed (not a 404); nothing was sent.
    #[error("action {action}: cannot re-read {what} (retry when the API answers)")]
    ReadFailed {
        action: ActionId,
        what: String,
        #[source]
        source: custos_openai::Error,
    },

    /// The API client could not be built.
    #[error(transparent)]
    Client(#[from] custos_openai::Error),

    /// A stored plan does not parse.
    #[error("action {action}: the stored plan does not parse ({reason}): request it again")]
    CorruptPlan { action: ActionId, reason: String },
}

/// `Result` with [`ActionError`].
pub type Result<T, E = ActionError> = std::result::Result<T, E>;
