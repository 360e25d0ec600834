//! Signed statements, so that someone who can write to the store cannot get an action executed.
//!
//! Every principal has an Ed25519 signing key derived from its token (HKDF-SHA256); the store
//! never holds it, only the public half inside signed statements in the journal. Each step that
//! grants or uses authority is such a statement, signed by the principal who takes it:
//! registering a principal's key and role (by an admin), disabling or re-enabling one (by an
//! admin), requesting a plan (by the requester), approving or rejecting an action (by the
//! approver) and starting its execution (by the executor). The chain of registrations starts at
//! the [`TrustAnchor`], the public key of the bootstrap admin, which lives outside the store
//! (a file beside the master key, or `CUSTOS_TRUST_ANCHOR`).
//!
//! A [`Ledger`] replays the journal in order and keeps only what verifies: a registration signed
//! by an enabled admin registered before it, an approval by an enabled approver other than the
//! requester, for the hash of the plan that was requested. Rows of the `principals`, `actions`
//! and `approvals` tables are never trusted for authority: execution asks the ledger.

use crate::Plan;
use crate::{ActionError, Result};
use custos_store::{
    ActionId, ActionRecord, ActionStatus, ApprovalRecord, Decision, JournalEntry, JournalNote,
    PrincipalRecord, PrincipalRole,
};
use ed25519_dalek::Signer as _;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The environment variable that may hold the trust anchor itself (`ed25519:HEX`); it takes
/// precedence over the anchor file.
pub const TRUST_ANCHOR_ENV: &str = "CUSTOS_TRUST_ANCHOR";

/// The journal entry field holding a [`Signed`] statement.
const SIGNED_FIELD: &str = "signed";

/// Prefixed to every signed message, so that a signature made here means nothing elsewhere.
const SIGNATURE_CONTEXT: &[u8] = b"custos signed statement v1\n";

/// A principal's public key, written `ed25519:<64 hex digits>`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ed25519:{}", hex::encode(self.0.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for PublicKey {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let text = text.trim();
        let shape = || format!("{text:?} is not a public key: write ed25519:<64 hex digits>");
        let bytes: [u8; 32] = text
            .strip_prefix("ed25519:")
            .and_then(|h| hex::decode(h).ok())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(shape)?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| shape())
    }
}

impl Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A principal's signing key, derived from its token; it lives only as long as the command.
pub struct PrincipalKey(ed25519_dalek::SigningKey);

impl fmt::Debug for PrincipalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrincipalKey({})", self.public())
    }
}

impl PrincipalKey {
    /// The key of `token`: the token holds 256 random bits, so HKDF (not a slow password hash)
    /// is the right derivation; the salt keeps it apart from any other use of the token.
    pub fn from_token(token: &SecretString) -> Self {
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(
            Some(b"custos principal signing key"),
            token.expose_secret().trim().as_bytes(),
        );
        let mut seed = [0u8; 32];
        hkdf.expand(b"ed25519 seed v1", &mut seed)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        PrincipalKey(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// `statement` signed as `signer`.
    pub fn sign(&self, signer: &str, statement: Statement) -> Signed {
        let signature = self.0.sign(&signed_message(signer, &statement));
        Signed {
            signer: signer.to_owned(),
            statement,
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

/// The public key of the bootstrap admin: the root every registration chains back to. It is
/// kept where a database writer cannot change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustAnchor(pub PublicKey);

impl fmt::Display for TrustAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TrustAnchor {
    /// `CUSTOS_TRUST_ANCHOR` if set, else the anchor file.
    pub fn load(file: &Path) -> Result<Self> {
        let missing = |reason: String| ActionError::NoTrustAnchor {
            path: file.to_owned(),
            reason,
        };
        if let Ok(text) = std::env::var(TRUST_ANCHOR_ENV) {
            return text
                .parse()
                .map(TrustAnchor)
                .map_err(|e| missing(format!("{TRUST_ANCHOR_ENV}: {e}")));
        }
        let text = std::fs::read_to_string(file).map_err(|e| missing(e.to_string()))?;
        text.parse()
            .map(TrustAnchor)
            .map_err(|e| missing(format!("{}: {e}", file.display())))
    }

    /// Writes a new anchor file; never overwrites one (it would re-root the store's trust).
    pub fn write_new(&self, file: &Path) -> Result<()> {
        use std::io::Write as _;
        let failed = |e: std::io::Error| ActionError::NoTrustAnchor {
            path: file.to_owned(),
            reason: format!("cannot create it: {e}"),
        };
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(file)
            .map_err(failed)?;
        writeln!(out, "{self}").map_err(failed)
    }
}

/// What a principal asserts by signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Statement {
    /// An admin registers (or re-keys) a principal with its role and public key; the first
    /// registration is the trust anchor's own.
    Register {
        name: String,
        role: PrincipalRole,
        public_key: PublicKey,
        email_sha256: String,
        manager: Option<String>,
        at: i64,
    },
    /// An admin disables or re-enables a principal.
    SetDisabled {
        name: String,
        disabled: bool,
        at: i64,
    },
    /// The signer requests the plan with this hash.
    Request {
        plan_hash: String,
        org_id: String,
        at: i64,
    },
    /// The signer approves or rejects action `action_id`, bound to its plan hash.
    Decide {
        action_id: ActionId,
        plan_hash: String,
        decision: Decision,
        at: i64,
    },
    /// The signer starts (or resumes) the execution of action `action_id`.
    Execute {
        action_id: ActionId,
        plan_hash: String,
        at: i64,
    },
}

/// A statement with its signer's name and signature (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    pub signer: String,
    pub statement: Statement,
    pub signature: String,
}

impl Signed {
    /// `note` carrying this statement.
    pub fn attach(&self, mut note: JournalNote) -> JournalNote {
        if let Value::Object(detail) = &mut note.detail {
            detail.insert(
                SIGNED_FIELD.to_owned(),
                serde_json::to_value(self).expect("a signed statement serializes"),
            );
        }
        note
    }

    fn verify(&self, key: &PublicKey) -> bool {
        let Some(signature) = hex::decode(&self.signature)
            .ok()
            .and_then(|b| ed25519_dalek::Signature::from_slice(&b).ok())
        else {
            return false;
        };
        key.0
            .verify_strict(&signed_message(&self.signer, &self.statement), &signature)
            .is_ok()
    }
}

/// The bytes a signature covers: the context, then the signer and the statement as JSON (the
/// fields in their declared order, whatever order the store gives them back in).
fn signed_message(signer: &str, statement: &Statement) -> Vec<u8> {
    let mut message = SIGNATURE_CONTEXT.to_vec();
    serde_json::to_writer(&mut message, &(signer, statement)).expect("a statement serializes");
    message
}

/// Whether a journal entry carries a signed statement.
pub fn is_signed(entry: &JournalEntry) -> bool {
    entry.detail.get(SIGNED_FIELD).is_some()
}

/// Journal entry kinds and the statement each must carry.
fn expected_statement(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "principal_added" | "principal_rekeyed" | "trust_anchor" => "register",
        "principal_disabled" | "principal_enabled" => "set_disabled",
        "request" => "request",
        "approve" | "reject" => "decide",
        "execute" => "execute",
        _ => return None,
    })
}

fn statement_type(statement: &Statement) -> &'static str {
    match statement {
        Statement::Register { .. } => "register",
        Statement::SetDisabled { .. } => "set_disabled",
        Statement::Request { .. } => "request",
        Statement::Decide { .. } => "decide",
        Statement::Execute { .. } => "execute",
    }
}

/// A principal as its verified registrations and disablements leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub role: PrincipalRole,
    pub public_key: PublicKey,
    pub email_sha256: String,
    pub manager: Option<String>,
    pub disabled: bool,
}

/// A verified request, approval or execution, with the journal entry that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub principal: String,
    pub plan_hash: String,
    pub seq: i64,
}

/// What the journal proves about one action.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionEvidence {
    /// The request was journaled before the store had signed statements.
    pub legacy: bool,
    pub request: Option<Evidence>,
    pub approvals: Vec<Evidence>,
    pub rejections: Vec<Evidence>,
    pub executions: Vec<Evidence>,
    /// The journal entry that recorded the action verified, if any.
    pub verified: Option<i64>,
}

/// A journal entry that does not hold what it claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconsistency {
    /// The journal entry, or none for a row of another table.
    pub seq: Option<i64>,
    pub action_id: Option<ActionId>,
    pub reason: String,
}

impl fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.seq, self.action_id) {
            (Some(seq), Some(id)) => {
                write!(f, "journal entry {seq} (action {id}): {}", self.reason)
            }
            (Some(seq), None) => write!(f, "journal entry {seq}: {}", self.reason),
            (None, Some(id)) => write!(f, "action {id}: {}", self.reason),
            (None, None) => f.write_str(&self.reason),
        }
    }
}

/// The journal replayed under a trust anchor: who is registered, what each action's signed
/// evidence is, and every entry that did not verify.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub principals: BTreeMap<String, Registered>,
    pub actions: BTreeMap<ActionId, ActionEvidence>,
    pub inconsistencies: Vec<Inconsistency>,
    /// The entry of the anchor's own registration; entries before it are from a store made
    /// before signed statements (unsigned, and trusted for nothing).
    pub root_seq: Option<i64>,
}

impl Ledger {
    /// Replays `entries` (the chain already verified) under `anchor`.
    pub fn replay(entries: &[JournalEntry], anchor: &TrustAnchor) -> Ledger {
        let mut ledger = Ledger::default();
        for entry in entries {
            if let Err(reason) = ledger.apply(entry, anchor) {
                ledger.inconsistencies.push(Inconsistency {
                    seq: Some(entry.seq),
                    action_id: entry.action_id,
                    reason,
                });
            }
        }
        ledger
    }

    fn apply(
        &mut self,
        entry: &JournalEntry,
        anchor: &TrustAnchor,
    ) -> std::result::Result<(), String> {
        let signed = entry.detail.get(SIGNED_FIELD);
        if entry.kind == ActionStatus::Verified.as_str()
            && let Some(id) = entry.action_id
        {
            self.actions.entry(id).or_default().verified = Some(entry.seq);
        }
        let Some(expected) = expected_statement(&entry.kind) else {
            return match signed {
                None => Ok(()),
                Some(_) => Err(format!("a {} entry carries a signed statement", entry.kind)),
            };
        };
        let Some(signed) = signed else {
            if self.root_seq.is_none() {
                // A store from before signed statements: its actions are legacy, trusted for
                // nothing (execution refuses them; `journal verify` counts them).
                if entry.kind == "request"
                    && let Some(id) = entry.action_id
                {
                    self.actions.entry(id).or_default().legacy = true;
                }
                return Ok(());
            }
            return Err(format!("the {} entry is not signed", entry.kind));
        };
        let signed: Signed = serde_json::from_value(signed.clone())
            .map_err(|e| format!("the signed statement does not parse: {e}"))?;
        if statement_type(&signed.statement) != expected {
            return Err(format!(
                "a {} entry carries a {} statement",
                entry.kind,
                statement_type(&signed.statement)
            ));
        }
        let signer = &signed.signer;
        // The first registration is the anchor's own: it is checked against the anchor, not
        // against a principal.
        if self.root_seq.is_none()
            && let Statement::Register {
                name,
                role,
                public_key,
                ..
            } = &signed.statement
        {
            if name != signer || *role != PrincipalRole::Admin || *public_key != anchor.0 {
                return Err(format!(
                    "{signer} registers {name} before the trust anchor's own registration (the anchor is {anchor})"
                ));
            }
            if !signed.verify(&anchor.0) {
                return Err(format!(
                    "the signature of {signer} does not verify with the trust anchor"
                ));
            }
            self.root_seq = Some(entry.seq);
            self.register(&signed.statement);
            return Ok(());
        }
        let key = self.enabled_key(signer)?;
        if !signed.verify(&key) {
            return Err(format!(
                "the signature of {signer} does not verify with {signer}'s registered key"
            ));
        }
        let action = |id: ActionId| -> std::result::Result<(), String> {
            match entry.action_id {
                Some(about) if about == id => Ok(()),
                about => Err(format!(
                    "the statement signed by {signer} is about action {id}, the entry about {}",
                    about.map_or("none".to_owned(), |a| a.to_string())
                )),
            }
        };
        match &signed.statement {
            Statement::Register { name, .. } => {
                self.require_role(signer, PrincipalRole::Admin, "register principals")?;
                if name == signer && self.principals.contains_key(name) {
                    return Err(format!("{signer} cannot re-key itself: another admin must"));
                }
                self.register(&signed.statement);
            }
            Statement::SetDisabled { name, disabled, .. } => {
                self.require_role(signer, PrincipalRole::Admin, "disable principals")?;
                if name == signer {
                    return Err(format!("{signer} cannot disable or enable itself"));
                }
                let target = self
                    .principals
                    .get_mut(name)
                    .ok_or_else(|| format!("{name} is not a registered principal"))?;
                target.disabled = *disabled;
            }
            Statement::Request { plan_hash, .. } => {
                self.require_role(signer, PrincipalRole::Operator, "request actions")?;
                let id = entry.action_id.ok_or("a request entry names no action")?;
                let evidence = self.actions.entry(id).or_default();
                if evidence.request.is_some() || evidence.legacy {
                    return Err(format!("action {id} is requested a second time"));
                }
                evidence.request = Some(Evidence {
                    principal: signer.clone(),
                    plan_hash: plan_hash.clone(),
                    seq: entry.seq,
                });
            }
            Statement::Decide {
                action_id,
                plan_hash,
                decision,
                ..
            } => {
                action(*action_id)?;
                self.require_role(signer, PrincipalRole::Approver, "approve actions")?;
                let request = self.signed_request(*action_id, plan_hash)?;
                if &request.principal == signer {
                    return Err(format!("{signer} decides on its own request"));
                }
                self.enabled_key(&request.principal)
                    .map_err(|e| format!("the requester cannot be approved: {e}"))?;
                let evidence = Evidence {
                    principal: signer.clone(),
                    plan_hash: plan_hash.clone(),
                    seq: entry.seq,
                };
                let record = self.actions.entry(*action_id).or_default();
                match decision {
                    Decision::Approve => record.approvals.push(evidence),
                    Decision::Reject => record.rejections.push(evidence),
                }
            }
            Statement::Execute {
                action_id,
                plan_hash,
                ..
            } => {
                action(*action_id)?;
                let (request, approver) = self.authorization(*action_id, plan_hash)?;
                if signer != &request.principal && signer != &approver.principal {
                    self.require_role(signer, PrincipalRole::Approver, "execute others' actions")?;
                } else {
                    self.require_role(signer, PrincipalRole::Operator, "execute actions")?;
                }
                self.actions
                    .entry(*action_id)
                    .or_default()
                    .executions
                    .push(Evidence {
                        principal: signer.clone(),
                        plan_hash: plan_hash.clone(),
                        seq: entry.seq,
                    });
            }
        }
        Ok(())
    }

    fn register(&mut self, statement: &Statement) {
        if let Statement::Register {
            name,
            role,
            public_key,
            email_sha256,
            manager,
            ..
        } = statement
        {
            let disabled = self.principals.get(name).is_some_and(|p| p.disabled);
            self.principals.insert(
                name.clone(),
                Registered {
                    role: *role,
                    public_key: *public_key,
                    email_sha256: email_sha256.clone(),
                    manager: manager.clone(),
                    disabled,
                },
            );
        }
    }

    /// The registered key of `name`, if it is registered and enabled.
    fn enabled_key(&self, name: &str) -> std::result::Result<PublicKey, String> {
        match self.principals.get(name) {
            None => Err(format!("{name} has no signed registration")),
            Some(p) if p.disabled => Err(format!("{name} is disabled")),
            Some(p) => Ok(p.public_key),
        }
    }

    fn require_role(
        &self,
        name: &str,
        role: PrincipalRole,
        what: &str,
    ) -> std::result::Result<(), String> {
        let registered = self.principals.get(name).map(|p| p.role);
        match registered {
            Some(has) if has.includes(role) => Ok(()),
            Some(has) => Err(format!(
                "{name} is registered as {has}, which cannot {what}"
            )),
            None => Err(format!("{name} has no signed registration")),
        }
    }

    /// The signed request of action `id`, for plan `plan_hash`.
    pub fn signed_request(
        &self,
        id: ActionId,
        plan_hash: &str,
    ) -> std::result::Result<&Evidence, String> {
        let request = self
            .actions
            .get(&id)
            .and_then(|a| a.request.as_ref())
            .ok_or_else(|| format!("action {id} has no signed request"))?;
        if request.plan_hash != plan_hash {
            return Err(format!(
                "the plan hash {plan_hash} is not the {} that {} requested",
                request.plan_hash, request.principal
            ));
        }
        Ok(request)
    }

    /// The approval that lets action `id` with plan `plan_hash` be executed now: a signed
    /// request for that hash by a principal still enabled, and a signed approval of it by
    /// another principal still enabled.
    pub fn authorization(
        &self,
        id: ActionId,
        plan_hash: &str,
    ) -> std::result::Result<(&Evidence, &Evidence), String> {
        let evidence = self.actions.get(&id);
        if evidence.is_some_and(|e| e.legacy) {
            return Err(format!(
                "action {id} was requested before this store had signed approvals: request it again"
            ));
        }
        let request = self.signed_request(id, plan_hash)?;
        self.enabled_key(&request.principal)
            .map_err(|e| format!("the requester cannot have it executed: {e}"))?;
        let approvals = evidence.map_or(&[][..], |e| e.approvals.as_slice());
        let matching: Vec<&Evidence> = approvals
            .iter()
            .filter(|a| a.plan_hash == plan_hash)
            .collect();
        if matching.is_empty() {
            return Err(format!(
                "action {id} has no signed approval of plan {plan_hash}"
            ));
        }
        let approval = matching
            .iter()
            .copied()
            .find(|a| self.enabled_key(&a.principal).is_ok())
            .ok_or_else(|| {
                let names: Vec<&str> = matching.iter().map(|a| a.principal.as_str()).collect();
                format!(
                    "every approver of action {id} ({}) is disabled or no longer registered: another approver must approve a new request",
                    names.join(", ")
                )
            })?;
        Ok((request, approval))
    }

    /// Fails unless `principal` signed in with the key its registration holds, is enabled, and
    /// its row in the store says what its signed registration says.
    pub fn check_signer(&self, principal: &PrincipalRecord, key: &PublicKey) -> Result<()> {
        self.check_record(principal)?;
        let registered =
            self.enabled_key(&principal.name)
                .map_err(|reason| ActionError::Unregistered {
                    principal: principal.name.clone(),
                    reason,
                })?;
        if registered != *key {
            return Err(ActionError::Unregistered {
                principal: principal.name.clone(),
                reason: format!(
                    "its token gives the key {key}, but its signed registration holds {registered}"
                ),
            });
        }
        Ok(())
    }

    /// Fails unless the store's row of a principal matches its signed registration (role,
    /// manager, email hash, disabled), so that rules read from the row read signed facts.
    pub fn check_record(&self, record: &PrincipalRecord) -> Result<()> {
        self.record_mismatch(record).map_or(Ok(()), |reason| {
            Err(ActionError::Unregistered {
                principal: record.name.clone(),
                reason,
            })
        })
    }

    fn record_mismatch(&self, record: &PrincipalRecord) -> Option<String> {
        let Some(signed) = self.principals.get(&record.name) else {
            return Some(match self.root_seq {
                None => "the store has no signed registrations yet (it was made before signed approvals): an admin runs `custos users anchor`, then `custos users rekey NAME` for every other principal".into(),
                Some(_) => format!(
                    "{} has no signed registration: an admin runs `custos users rekey {}`",
                    record.name, record.name
                ),
            });
        };
        let differs = |field: &str, row: String, signed: String| {
            Some(format!(
                "the store's row says {field} {row}, its signed registration {signed}: the row was changed behind custos' back"
            ))
        };
        if signed.role != record.role {
            return differs("role", record.role.to_string(), signed.role.to_string());
        }
        if signed.manager != record.manager {
            return differs(
                "manager",
                format!("{:?}", record.manager),
                format!("{:?}", signed.manager),
            );
        }
        if signed.email_sha256 != record.email_sha256 {
            return differs(
                "email hash",
                record.email_sha256.clone(),
                signed.email_sha256.clone(),
            );
        }
        if signed.disabled != record.disabled {
            let state = |d: bool| if d { "disabled" } else { "enabled" }.to_owned();
            return differs("status", state(record.disabled), state(signed.disabled));
        }
        None
    }

    /// Records what the journal's signed statements contradict in an action's rows: a plan that
    /// does not hash to its `plan_hash` or was not the one requested, a status that needs an
    /// approval without a signed one, an approval row nobody signed. Whether the action is from
    /// before signed statements (then nothing is checked: it can never be executed).
    pub fn check_action(&mut self, action: &ActionRecord, approvals: &[ApprovalRecord]) -> bool {
        let evidence = self.actions.get(&action.id).cloned().unwrap_or_default();
        if evidence.legacy {
            return true;
        }
        let mut found = Vec::new();
        match serde_json::from_value::<Plan>(action.plan.clone()) {
            Err(e) => found.push(format!("its stored plan does not parse ({e})")),
            Ok(plan) if plan.hash() != action.plan_hash => found.push(format!(
                "its stored plan does not hash to its plan_hash {}: the plan was edited",
                action.plan_hash
            )),
            Ok(_) => {}
        }
        match &evidence.request {
            None => found.push("it has no signed request in the journal".to_owned()),
            Some(request) => {
                if request.plan_hash != action.plan_hash {
                    found.push(format!(
                        "its plan hash {} is not the {} that {} signed as requested (entry {}): the plan was rewritten",
                        action.plan_hash, request.plan_hash, request.principal, request.seq
                    ));
                }
                if request.principal != action.requested_by {
                    found.push(format!(
                        "the store says {} requested it, the signed request is by {}",
                        action.requested_by, request.principal
                    ));
                }
            }
        }
        let needs_approval = matches!(
            action.status,
            ActionStatus::Approved
                | ActionStatus::Executing
                | ActionStatus::Verified
                | ActionStatus::Failed
                | ActionStatus::Stale
        );
        let approved = |e: &Evidence| e.plan_hash == action.plan_hash;
        if needs_approval && !evidence.approvals.iter().any(approved) {
            found.push(format!(
                "it is {} without a signed approval of its plan",
                action.status
            ));
        }
        for row in approvals {
            let signed = match row.decision {
                Decision::Approve => &evidence.approvals,
                Decision::Reject => &evidence.rejections,
            };
            if !signed
                .iter()
                .any(|e| e.principal == row.principal && e.plan_hash == row.plan_hash)
            {
                found.push(format!(
                    "its {} row by {} has no signed {} in the journal",
                    row.decision, row.principal, row.decision
                ));
            }
        }
        self.inconsistencies
            .extend(found.into_iter().map(|reason| Inconsistency {
                seq: None,
                action_id: Some(action.id),
                reason,
            }));
        false
    }

    /// Every principal row that its signed registration contradicts.
    pub fn check_records(&mut self, records: &[PrincipalRecord]) {
        for record in records {
            if let Some(reason) = self.record_mismatch(record) {
                self.inconsistencies.push(Inconsistency {
                    seq: None,
                    action_id: None,
                    reason: format!("principal {}: {reason}", record.name),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reversed(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .rev()
                    .map(|(k, v)| (k.clone(), reversed(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    #[test]
    fn a_signature_survives_the_store_reordering_keys_and_nothing_else() {
        let key = PrincipalKey::from_token(&SecretString::from("cst_alice_secret"));
        // The same token gives the same key; another token another key.
        assert_eq!(
            key.public(),
            PrincipalKey::from_token(&SecretString::from(" cst_alice_secret\n")).public()
        );
        let other = PrincipalKey::from_token(&SecretString::from("cst_alice_other"));
        assert_ne!(key.public(), other.public());
        let signed = key.sign(
            "alice",
            Statement::Decide {
                action_id: 7,
                plan_hash: "ab".repeat(32),
                decision: Decision::Approve,
                at: 100,
            },
        );
        // PostgreSQL's jsonb gives keys back in its own order.
        let stored = reversed(&serde_json::to_value(&signed).unwrap());
        let read: Signed = serde_json::from_value(stored.clone()).unwrap();
        assert!(read.verify(&key.public()));
        assert!(!read.verify(&other.public()));
        for (field, forged) in [
            ("action_id", Value::from(8)),
            ("at", Value::from(101)),
            ("decision", Value::from("reject")),
        ] {
            let mut tampered = stored.clone();
            tampered["statement"][field] = forged;
            let read: Signed = serde_json::from_value(tampered).unwrap();
            assert!(!read.verify(&key.public()), "{field}");
        }
        let mut renamed = read.clone();
        renamed.signer = "bob".into();
        assert!(!renamed.verify(&key.public()));
        let mut extra = stored;
        extra["statement"]["note"] = Value::from("x");
        assert!(serde_json::from_value::<Signed>(extra).is_err());
    }

    #[test]
    fn public_keys_and_anchors_read_as_written() {
        let key = PrincipalKey::from_token(&SecretString::from("cst_root_x")).public();
        assert_eq!(key.to_string().parse::<PublicKey>(), Ok(key));
        for bad in [
            "",
            "ed25519:",
            "ed25519:zz",
            "ssh-ed25519 AAAA",
            &"ed25519:ab".repeat(2),
        ] {
            let err = bad.parse::<PublicKey>().unwrap_err();
            assert!(err.contains("ed25519:<64 hex digits>"), "{bad}: {err}");
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("custos.anchor");
        TrustAnchor(key).write_new(&file).unwrap();
        assert!(
            TrustAnchor(key).write_new(&file).is_err(),
            "never overwritten"
        );
        assert_eq!(TrustAnchor::load(&file).unwrap(), TrustAnchor(key));
        let err = TrustAnchor::load(&dir.path().join("missing")).unwrap_err();
        assert!(err.to_string().contains("no trust anchor"), "{err}");
    }
}
