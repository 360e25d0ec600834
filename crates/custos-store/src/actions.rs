//! What approved actions keep: principals, actions with their plans, approvals and per-call
//! results, and the hash-chained journal. The records, the SQL both backends share and the
//! chain's hashing and verification live here, so that the backends only move rows.

use crate::{Error, Result};
use custos_records::stored_name_enum;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Identifies an action; increases with every [`Store::create_action`](crate::Store::create_action).
pub type ActionId = i64;

stored_name_enum! {
    /// What a principal may do. Each role includes the ones before it.
    pub enum PrincipalRole ("principal role") {
        /// Reads plans, actions and the journal.
        Viewer = "viewer",
        /// May also request actions.
        Operator = "operator",
        /// May also approve or reject other people's requests, and execute approved ones.
        Approver = "approver",
        /// May also manage principals.
        Admin = "admin",
    }
}

impl PrincipalRole {
    fn rank(self) -> u8 {
        match self {
            PrincipalRole::Viewer => 0,
            PrincipalRole::Operator => 1,
            PrincipalRole::Approver => 2,
            PrincipalRole::Admin => 3,
        }
    }

    /// Whether this role includes `other`'s rights.
    pub fn includes(self, other: PrincipalRole) -> bool {
        self.rank() >= other.rank()
    }
}

/// A custos user (not an OpenAI user): who may request, approve and execute actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalRecord {
    /// Unique, e.g. `alice`.
    pub name: String,
    pub role: PrincipalRole,
    /// SHA-256 of the trimmed, lower-cased email ([`crate::email_hash`]), matched against the
    /// owners in the snapshot.
    pub email_sha256: String,
    /// Another principal's name: who approves this one's provisioning requests by default.
    pub manager: Option<String>,
    /// The argon2 PHC string of the principal's API token; never the token.
    pub token_hash: String,
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
}

stored_name_enum! {
    /// Where an action is in its life.
    pub enum ActionStatus ("action status") {
        /// Requested, waiting for an approval.
        Pending = "pending",
        /// Approved for its plan hash; may be executed until it expires.
        Approved = "approved",
        /// Rejected by an approver; final.
        Rejected = "rejected",
        /// Not executed before its expiry; final.
        Expired = "expired",
        /// A target changed between the plan and the execution; final (request it again).
        Stale = "stale",
        /// Calls are being sent (or a run was interrupted: executing again resumes it).
        Executing = "executing",
        /// Every call done and the result read back as planned.
        Verified = "verified",
        /// A call failed or the result did not read back as planned; executing again resumes.
        Failed = "failed",
    }
}

/// An action to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAction {
    pub org_id: String,
    /// The template's name, e.g. `delete-project-key`.
    pub template: String,
    pub requested_by: String,
    pub reason: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds: after this, the plan can neither be approved nor executed.
    pub expires_at: i64,
    /// SHA-256 (hex) of the plan, which approvals are bound to.
    pub plan_hash: String,
    /// The plan, kept exactly.
    pub plan: Value,
}

/// An action as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    pub id: ActionId,
    pub org_id: String,
    pub template: String,
    pub requested_by: String,
    pub reason: String,
    pub status: ActionStatus,
    pub created_at: i64,
    pub expires_at: i64,
    /// Unix seconds of the last status change.
    pub updated_at: i64,
    pub plan_hash: String,
    pub plan: Value,
}

stored_name_enum! {
    /// An approver's answer.
    pub enum Decision ("approval decision") {
        Approve = "approve",
        Reject = "reject",
    }
}

/// One approval or rejection of an action's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub action_id: ActionId,
    /// The approver's principal name.
    pub principal: String,
    pub decision: Decision,
    /// The hash of the plan that was approved.
    pub plan_hash: String,
    /// Unix seconds.
    pub at: i64,
    pub comment: String,
}

stored_name_enum! {
    /// Where one planned API call is.
    pub enum CallStatus ("call status") {
        /// Sent (or about to be) without a recorded answer: after a crash, it may or may not
        /// have been applied.
        Started = "started",
        /// The API applied it.
        Done = "done",
        /// A delete answered 404: the object was already gone, which is the desired state.
        AlreadyGone = "already_gone",
        /// The API refused it or did not answer; executing again retries it.
        Failed = "failed",
    }
}

impl CallStatus {
    /// Whether the call needs no further attempt.
    pub fn is_settled(self) -> bool {
        matches!(self, CallStatus::Done | CallStatus::AlreadyGone)
    }
}

/// The latest state of one planned call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub action_id: ActionId,
    /// The call's position in the plan.
    pub call_index: i64,
    pub status: CallStatus,
    /// The HTTP status the API answered, if it answered.
    pub http_status: Option<u16>,
    /// What happened (the error message, the created object's id); never a secret.
    pub detail: Value,
    /// Unix seconds.
    pub at: i64,
}

/// A journal entry to append (the store numbers and chains it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalNote {
    /// Unix seconds.
    pub at: i64,
    /// The principal who caused it, if any.
    pub actor: Option<String>,
    /// The action it is about; [`Store::create_action`](crate::Store::create_action) fills in
    /// the new action's id.
    pub action_id: Option<ActionId>,
    /// `request`, `approve`, `reject`, `execute`, `call`, `verify`, `principal_added`, ...
    pub kind: String,
    /// What happened; never a secret.
    pub detail: Value,
}

impl JournalNote {
    pub fn new(at: i64, actor: Option<&str>, kind: &str, detail: Value) -> Self {
        JournalNote {
            at,
            actor: actor.map(str::to_owned),
            action_id: None,
            kind: kind.to_owned(),
            detail,
        }
    }

    /// The same note about action `id`.
    pub fn about(mut self, id: ActionId) -> Self {
        self.action_id = Some(id);
        self
    }
}

/// One entry of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// 1, 2, 3, ... without gaps.
    pub seq: i64,
    pub at: i64,
    pub actor: Option<String>,
    pub action_id: Option<ActionId>,
    pub kind: String,
    pub detail: Value,
    /// The previous entry's hash; [`GENESIS_HASH`] for the first.
    pub prev_hash: String,
    /// [`entry_hash`] of this entry.
    pub hash: String,
}

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The SHA-256 (hex) that chains an entry: of the previous hash and every field, as one JSON
/// array (so that no field can bleed into the next).
pub fn entry_hash(prev_hash: &str, seq: i64, note: &JournalNote) -> String {
    let canonical = serde_json::json!([
        prev_hash,
        seq,
        note.at,
        note.actor,
        note.action_id,
        note.kind,
        note.detail
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

impl JournalEntry {
    /// Numbers and chains `note` after an entry with `prev` = `(seq, hash)`.
    pub(crate) fn chain(prev: Option<(i64, String)>, note: &JournalNote) -> JournalEntry {
        let (prev_seq, prev_hash) = prev.unwrap_or_else(|| (0, GENESIS_HASH.to_owned()));
        let seq = prev_seq + 1;
        JournalEntry {
            seq,
            at: note.at,
            actor: note.actor.clone(),
            action_id: note.action_id,
            kind: note.kind.clone(),
            detail: note.detail.clone(),
            hash: entry_hash(&prev_hash, seq, note),
            prev_hash,
        }
    }

    fn note(&self) -> JournalNote {
        JournalNote {
            at: self.at,
            actor: self.actor.clone(),
            action_id: self.action_id,
            kind: self.kind.clone(),
            detail: self.detail.clone(),
        }
    }
}

/// Where the journal's chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalBreak {
    /// An entry is missing or out of place.
    #[error(
        "journal entry at position {position} has number {found}, expected {expected}: an entry was deleted, inserted or moved"
    )]
    Sequence {
        position: usize,
        expected: i64,
        found: i64,
    },
    /// An entry does not point at its predecessor.
    #[error(
        "journal entry {seq} does not follow entry {}: the entries were reordered or one was removed",
        seq - 1
    )]
    Link { seq: i64 },
    /// An entry's fields no longer give its hash.
    #[error("journal entry {seq} was edited after it was written (its hash does not match)")]
    Edited { seq: i64 },
    /// An entry recorded outside the store (an anchor) is gone: the journal lost its tail.
    #[error(
        "journal entry {seq} is missing: the journal has {entries} entries, so it was truncated after {seq} had been written"
    )]
    Truncated { seq: i64, entries: u64 },
    /// An entry recorded outside the store has another hash now: the chain was rewritten.
    #[error(
        "journal entry {seq} has hash {found}, not the {expected} recorded: the journal was rewritten"
    )]
    Rewritten {
        seq: i64,
        expected: String,
        found: String,
    },
}

/// An entry's number and hash, kept outside the store (in a ticket, a SIEM, a signed evidence
/// pack) so that a journal rewritten or cut short by someone with write access to the store is
/// still found out. Written `SEQ:HASH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalAnchor {
    pub seq: i64,
    pub hash: String,
}

impl JournalAnchor {
    /// The last entry of `entries`, if any.
    pub fn head(entries: &[JournalEntry]) -> Option<JournalAnchor> {
        entries.last().map(|entry| JournalAnchor {
            seq: entry.seq,
            hash: entry.hash.clone(),
        })
    }
}

impl std::fmt::Display for JournalAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for JournalAnchor {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        let shape = || {
            format!(
                "journal anchor {text:?}: write SEQ:HASH as `custos actions journal verify` prints it"
            )
        };
        let (seq, hash) = text.split_once(':').ok_or_else(shape)?;
        let seq: i64 = seq.parse().map_err(|_| shape())?;
        let hex_digits = hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit());
        if seq < 1 || !hex_digits {
            return Err(shape());
        }
        Ok(JournalAnchor {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// Checks the chain, then that every anchor is still in it, unchanged; returns how many
/// entries it checked.
pub fn verify_journal_against(
    entries: &[JournalEntry],
    anchors: &[JournalAnchor],
) -> std::result::Result<u64, JournalBreak> {
    let checked = verify_journal(entries)?;
    for anchor in anchors {
        // Verified above: entry `seq` sits at position `seq - 1`.
        let entry = usize::try_from(anchor.seq - 1)
            .ok()
            .and_then(|position| entries.get(position));
        match entry {
            None => {
                return Err(JournalBreak::Truncated {
                    seq: anchor.seq,
                    entries: checked,
                });
            }
            Some(entry) if entry.hash != anchor.hash => {
                return Err(JournalBreak::Rewritten {
                    seq: anchor.seq,
                    expected: anchor.hash.clone(),
                    found: entry.hash.clone(),
                });
            }
            Some(_) => {}
        }
    }
    Ok(checked)
}

/// Checks the whole chain, in the order given (the store's order, by `seq`); returns how many
/// entries it checked.
pub fn verify_journal(entries: &[JournalEntry]) -> std::result::Result<u64, JournalBreak> {
    let mut prev_hash = GENESIS_HASH;
    for (position, entry) in entries.iter().enumerate() {
        let expected = i64::try_from(position)
            .unwrap_or(i64::MAX)
            .saturating_add(1);
        if entry.seq != expected {
            return Err(JournalBreak::Sequence {
                position: position + 1,
                expected,
                found: entry.seq,
            });
        }
        if entry.prev_hash != prev_hash {
            return Err(JournalBreak::Link { seq: entry.seq });
        }
        if entry_hash(&entry.prev_hash, entry.seq, &entry.note()) != entry.hash {
            return Err(JournalBreak::Edited { seq: entry.seq });
        }
        prev_hash = &entry.hash;
    }
    Ok(entries.len() as u64)
}

/// Checks a principal before it is stored.
pub(crate) fn check_principal(principal: &PrincipalRecord) -> Result<()> {
    let name = &principal.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(Error::InvalidInput(format!(
            "principal name {name:?}: use letters, digits, '-', '_' or '.'"
        )));
    }
    if principal.email_sha256.len() != 64 {
        return Err(Error::InvalidInput(format!(
            "principal {name}: email_sha256 must be 64 hex digits"
        )));
    }
    check_token_hash(name, &principal.token_hash)
}

/// Checks a token hash before it is stored.
pub(crate) fn check_token_hash(name: &str, token_hash: &str) -> Result<()> {
    if !token_hash.starts_with("$argon2") {
        return Err(Error::InvalidInput(format!(
            "principal {name}: the token hash must be an argon2 PHC string"
        )));
    }
    Ok(())
}

/// Statements of the action tables, in both dialects (`$N` placeholders).
pub(crate) mod sql {
    pub(crate) const INSERT_PRINCIPAL: &str = "INSERT INTO principals \
         (name, role, email_sha256, manager, token_hash, disabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING";

    pub(crate) const PRINCIPALS: &str = "SELECT name, role, email_sha256, manager, token_hash, \
         disabled, created_at FROM principals ORDER BY name";

    pub(crate) const SET_PRINCIPAL_DISABLED: &str =
        "UPDATE principals SET disabled = $2 WHERE name = $1";

    pub(crate) const SET_PRINCIPAL_TOKEN: &str =
        "UPDATE principals SET token_hash = $2 WHERE name = $1";

    pub(crate) const INSERT_ACTION: &str = "INSERT INTO actions (org_id, template, \
         requested_by, reason, status, created_at, expires_at, updated_at, plan_hash, plan) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $5, $7, $8) RETURNING id";

    macro_rules! action_columns {
        () => {
            "SELECT id, org_id, template, requested_by, reason, status, created_at, expires_at, \
             updated_at, plan_hash, CAST(plan AS TEXT) FROM actions"
        };
    }

    pub(crate) const ACTIONS: &str = concat!(action_columns!(), " ORDER BY id");
    pub(crate) const ACTIONS_OF_ORG: &str =
        concat!(action_columns!(), " WHERE org_id = $1 ORDER BY id");
    pub(crate) const ACTION: &str = concat!(action_columns!(), " WHERE id = $1");

    /// A status change, only from the expected statuses (the caller passes them as `$3`..).
    pub(crate) const SET_ACTION_STATUS: &str =
        "UPDATE actions SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4";

    pub(crate) const INSERT_APPROVAL: &str = "INSERT INTO approvals \
         (action_id, principal, decision, plan_hash, at, comment) VALUES ($1, $2, $3, $4, $5, $6)";

    pub(crate) const APPROVALS: &str = "SELECT action_id, principal, decision, plan_hash, at, \
         comment FROM approvals WHERE action_id = $1 ORDER BY id";

    pub(crate) const UPSERT_CALL: &str = "INSERT INTO action_calls \
         (action_id, call_index, status, http_status, detail, at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (action_id, call_index) DO UPDATE SET status = excluded.status, \
         http_status = excluded.http_status, detail = excluded.detail, at = excluded.at";

    pub(crate) const CALLS: &str = "SELECT action_id, call_index, status, http_status, \
         CAST(detail AS TEXT), at FROM action_calls WHERE action_id = $1 ORDER BY call_index";

    pub(crate) const JOURNAL_HEAD: &str = "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1";

    pub(crate) const INSERT_JOURNAL: &str = "INSERT INTO journal \
         (seq, at, actor, action_id, kind, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

    pub(crate) const JOURNAL: &str = "SELECT seq, at, actor, action_id, kind, \
         CAST(detail AS TEXT), prev_hash, hash FROM journal ORDER BY seq";
}

#[cfg(test)]
mod tests {

    #[test]
    fn anchors_read_as_printed_and_refuse_anything_else() {
        let hash = "ab".repeat(32);
        let anchor: JournalAnchor = format!("12:{}", hash.to_uppercase()).parse().unwrap();
        assert_eq!(
            anchor,
            JournalAnchor {
                seq: 12,
                hash: hash.clone()
            }
        );
        assert_eq!(anchor.to_string(), format!("12:{hash}"));
        for bad in [
            "12",
            "x:ab",
            "0:abab",
            &format!("-1:{hash}"),
            "3:nothex",
            &format!("3:{hash}ff"),
        ] {
            let error = bad.parse::<JournalAnchor>().unwrap_err();
            assert!(error.contains("SEQ:HASH"), "{bad}: {error}");
        }
    }

    use super::*;
    use serde_json::json;

    fn chain(n: usize) -> Vec<JournalEntry> {
        let mut entries: Vec<JournalEntry> = Vec::new();
        for i in 0..n {
            let note = JournalNote::new(100 + i as i64, Some("alice"), "call", json!({"i": i}));
            let prev = entries.last().map(|e| (e.seq, e.hash.clone()));
            entries.push(JournalEntry::chain(prev, &note));
        }
        entries
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify_journal(&chain(5)), Ok(5));
        assert_eq!(verify_journal(&[]), Ok(0));
    }

    #[test]
    fn edits_deletions_and_reorderings_are_found() {
        let mut edited = chain(5);
        edited[2].detail = json!({"i": 99});
        assert_eq!(
            verify_journal(&edited),
            Err(JournalBreak::Edited { seq: 3 })
        );

        let mut deleted = chain(5);
        deleted.remove(1);
        assert!(matches!(
            verify_journal(&deleted),
            Err(JournalBreak::Sequence { position: 2, .. })
        ));

        let mut swapped = chain(5);
        swapped.swap(1, 2);
        assert!(verify_journal(&swapped).is_err());

        // Renumbered after a deletion: the links give it away.
        let mut renumbered = chain(5);
        renumbered.remove(1);
        for (i, e) in renumbered.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
        }
        assert!(verify_journal(&renumbered).is_err());
    }

    #[test]
    fn roles_include_the_lesser_ones() {
        assert!(PrincipalRole::Admin.includes(PrincipalRole::Approver));
        assert!(PrincipalRole::Approver.includes(PrincipalRole::Operator));
        assert!(!PrincipalRole::Operator.includes(PrincipalRole::Approver));
        assert!(!PrincipalRole::Viewer.includes(PrincipalRole::Operator));
    }
}
