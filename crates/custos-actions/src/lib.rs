//! Remediation and provisioning with two-person approval, executed through the Admin API,
//! verified and journaled.
//!
//! - [`template`]: the sixteen templates (`docs/conventions.md` "Automation templates"), their
//!   parameters and risk.
//! - [`plan`]: planning, a pure function of a snapshot, a template, targets, parameters and
//!   the time; a [`Plan`] holds the exact calls and is bound to approvals by its hash.
//! - [`approval`]: who may approve (pure rules).
//! - [`principal`]: custos's own users, their argon2-hashed tokens and the signing keys the
//!   tokens give.
//! - [`trust`]: signed statements in the journal, the trust anchor, and the [`trust::Ledger`]
//!   that replays them: the only source of authority for an execution.
//! - [`execute`]: re-reading targets, sending the calls, verifying.
//! - [`Actions`]: the flow over a store: request, approve, reject, execute, with every step in
//!   the hash-chained journal.
//!
//! Invariants: nothing is sent for a plan that is not approved by another principal (a
//! signature, over the action and the hash of the plan that was signed as requested, by an
//! enabled approver registered under the trust anchor), expired, altered in the store, or whose
//! targets changed since the plan; a call is recorded before it
//! is sent and after it is answered, so executing again resumes exactly (a 404 on a delete is
//! done); a created secret is returned once and never stored, journaled or logged.

pub mod approval;
mod error;
pub mod execute;
pub mod plan;
pub mod principal;
mod read;
pub mod template;
pub mod trust;

pub use approval::{ApprovalPolicy, ApprovalRule};
pub use error::{ActionError, Result};
pub use execute::{Clients, Created, ExecutionKeys, ExecutionReport, TargetOutcome, TargetStatus};
pub use plan::{Plan, PlanRequest, PlannedCall, SnapshotView, Source, build_plan};
pub use template::{Risk, TargetKind, Template};
pub use trust::{Inconsistency, Ledger, TrustAnchor};

use custos_store::{
    ActionId, ActionRecord, ActionStatus, ApprovalRecord, Decision, JournalNote, NewAction,
    PrincipalRole, Store,
};
use principal::SignedIn;
use serde_json::json;
use trust::Statement;

/// The action flow over a store.
#[derive(Debug, Clone, Copy)]
pub struct Actions<'a> {
    pub store: &'a dyn Store,
    pub policy: ApprovalPolicy,
    /// The bootstrap admin's public key, read from outside the store.
    pub anchor: TrustAnchor,
}

/// A verified journal: how many entries, its last entry as an anchor to keep elsewhere, and
/// everything the signed statements contradict (none when the store is consistent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalHead {
    pub entries: u64,
    pub head: Option<custos_store::JournalAnchor>,
    pub inconsistencies: Vec<Inconsistency>,
    /// Actions requested before the store had signed statements (never executable).
    pub legacy_actions: u64,
}

/// An action and its plan, checked against the hash it was requested with.
pub async fn load(store: &dyn Store, id: ActionId) -> Result<(ActionRecord, Plan)> {
    let action = store.action(id).await?.ok_or(ActionError::NotFound(id))?;
    let plan: Plan =
        serde_json::from_value(action.plan.clone()).map_err(|e| ActionError::CorruptPlan {
            action: id,
            reason: e.to_string(),
        })?;
    if plan.hash() != action.plan_hash {
        return Err(ActionError::PlanAltered {
            action: id,
            approved: action.plan_hash.clone(),
        });
    }
    Ok((action, plan))
}

impl<'a> Actions<'a> {
    pub fn new(store: &'a dyn Store, anchor: TrustAnchor) -> Self {
        Actions {
            store,
            policy: ApprovalPolicy::default(),
            anchor,
        }
    }

    /// The journal's chain checked, then its signed statements replayed under the anchor.
    pub async fn ledger(&self) -> Result<Ledger> {
        let entries = self.store.journal().await?;
        custos_store::verify_journal(&entries).map_err(ActionError::JournalBroken)?;
        Ok(Ledger::replay(&entries, &self.anchor))
    }

    /// Plans `request` against `snapshot` and stores it `pending`. The requester needs the
    /// operator role.
    pub async fn request(
        &self,
        requester: &SignedIn,
        snapshot: &SnapshotView,
        request: &PlanRequest,
    ) -> Result<(ActionId, Plan)> {
        principal::require(requester, PrincipalRole::Operator, "request actions")?;
        self.ledger()
            .await?
            .check_signer(requester, &requester.key.public())?;
        let mut request = request.clone();
        request.requested_by = requester.name.clone();
        let plan = build_plan(snapshot, &request)?;
        let hash = plan.hash();
        let new = NewAction {
            org_id: plan.org_id.clone(),
            template: plan.template.name().to_owned(),
            requested_by: requester.name.clone(),
            reason: plan.reason.clone(),
            created_at: plan.created_at,
            expires_at: plan.expires_at,
            plan_hash: hash.clone(),
            plan: serde_json::to_value(&plan).map_err(|e| ActionError::CorruptPlan {
                action: 0,
                reason: e.to_string(),
            })?,
        };
        let signed = requester.sign(Statement::Request {
            plan_hash: hash.clone(),
            org_id: plan.org_id.clone(),
            at: plan.created_at,
        });
        let note = signed.attach(JournalNote::new(
            plan.created_at,
            Some(&requester.name),
            "request",
            json!({"template": plan.template, "org_id": plan.org_id, "plan_hash": hash,
                "targets": plan.targets.len(), "calls": plan.calls.len(), "reason": plan.reason,
                "expires_at": plan.expires_at}),
        ));
        let id = self.store.create_action(&new, &note).await?;
        Ok((id, plan))
    }

    /// An action and its plan, checked against the hash it was requested with.
    pub async fn load(&self, id: ActionId) -> Result<(ActionRecord, Plan)> {
        load(self.store, id).await
    }

    /// Approves a pending action for its plan hash, if the rules allow this approver.
    pub async fn approve(
        &self,
        approver: &SignedIn,
        id: ActionId,
        snapshot: &SnapshotView,
        now: i64,
        comment: &str,
    ) -> Result<()> {
        self.decide(
            approver,
            id,
            Some(snapshot),
            now,
            comment,
            Decision::Approve,
        )
        .await
    }

    /// Rejects a pending action (any approver but the requester may).
    pub async fn reject(
        &self,
        approver: &SignedIn,
        id: ActionId,
        now: i64,
        comment: &str,
    ) -> Result<()> {
        self.decide(approver, id, None, now, comment, Decision::Reject)
            .await
    }

    async fn decide(
        &self,
        approver: &SignedIn,
        id: ActionId,
        snapshot: Option<&SnapshotView>,
        now: i64,
        comment: &str,
        decision: Decision,
    ) -> Result<()> {
        let (action, plan) = self.load(id).await?;
        if action.status != ActionStatus::Pending {
            return Err(ActionError::WrongStatus {
                action: id,
                status: action.status,
                hint: "only a pending action can be approved or rejected".into(),
            });
        }
        if now >= action.expires_at {
            self.expire(id, now).await?;
            return Err(ActionError::Expired {
                action: id,
                expires_at: action.expires_at,
                step: "approved",
            });
        }
        // The approver signs with the key of its registration, and approves only a request
        // that its requester signed for this very plan and is still allowed to make.
        let ledger = self.ledger().await?;
        ledger.check_signer(approver, &approver.key.public())?;
        let requester = self.store.principal(&action.requested_by).await?;
        let refused_requester = match &requester {
            None => Some(format!(
                "its requester {} is no principal",
                action.requested_by
            )),
            Some(requester) if requester.disabled => Some(format!(
                "its requester {} is disabled: its requests cannot be approved",
                requester.name
            )),
            Some(requester) => ledger
                .check_record(requester)
                .err()
                .map(|e| e.to_string())
                .or_else(|| ledger.signed_request(id, &action.plan_hash).err()),
        };
        if let Some(reason) = refused_requester {
            return Err(ActionError::ApprovalRefused {
                action: id,
                approver: approver.name.clone(),
                reason,
            });
        }
        let refused = match snapshot {
            Some(snapshot) => {
                approval::refusal(&self.policy, &plan, requester.as_ref(), approver, snapshot)
            }
            None => approval::refusal(
                &ApprovalPolicy {
                    remediation: ApprovalRule::AnyApprover,
                    provisioning: ApprovalRule::AnyApprover,
                },
                &plan,
                requester.as_ref(),
                approver,
                &SnapshotView::default(),
            ),
        };
        if let Some(reason) = refused {
            return Err(ActionError::ApprovalRefused {
                action: id,
                approver: approver.name.clone(),
                reason,
            });
        }
        let (kind, to) = match decision {
            Decision::Approve => ("approve", ActionStatus::Approved),
            Decision::Reject => ("reject", ActionStatus::Rejected),
        };
        let record = ApprovalRecord {
            action_id: id,
            principal: approver.name.clone(),
            decision,
            plan_hash: action.plan_hash.clone(),
            at: now,
            comment: comment.to_owned(),
        };
        let signed = approver.sign(Statement::Decide {
            action_id: id,
            plan_hash: action.plan_hash.clone(),
            decision,
            at: now,
        });
        let note = signed
            .attach(JournalNote::new(
                now,
                Some(&approver.name),
                kind,
                json!({"plan_hash": action.plan_hash, "comment": comment}),
            ))
            .about(id);
        if !self.store.decide_action(&record, to, &note).await? {
            return Err(ActionError::WrongStatus {
                action: id,
                status: self
                    .store
                    .action(id)
                    .await?
                    .map_or(action.status, |a| a.status),
                hint: "someone else decided first".into(),
            });
        }
        Ok(())
    }

    async fn expire(&self, id: ActionId, now: i64) -> Result<()> {
        let note = JournalNote::new(now, None, "expire", json!({})).about(id);
        self.store
            .transition_action(
                id,
                &[ActionStatus::Pending, ActionStatus::Approved],
                ActionStatus::Expired,
                now,
                &note,
            )
            .await?;
        Ok(())
    }

    /// The calls an execution would send now (those not yet done), without sending anything.
    pub async fn dry_run(&self, id: ActionId) -> Result<Vec<PlannedCall>> {
        let (_, plan) = self.load(id).await?;
        let done: Vec<i64> = self
            .store
            .calls(id)
            .await?
            .into_iter()
            .filter(|c| c.status.is_settled())
            .map(|c| c.call_index)
            .collect();
        Ok(plan
            .calls
            .into_iter()
            .filter(|c| !done.contains(&i64::try_from(c.index).unwrap_or(i64::MAX)))
            .collect())
    }

    /// Executes (or resumes) an approved action with `clients`. The executor is the
    /// requester or an approver; an action that returns a secret is executed by its requester,
    /// the only one who sees the secret.
    pub async fn execute(
        &self,
        executor: &SignedIn,
        id: ActionId,
        clients: &Clients,
        now: i64,
    ) -> Result<ExecutionReport> {
        let (action, plan) = self.load(id).await?;
        if executor.name != action.requested_by {
            principal::require(executor, PrincipalRole::Approver, "execute others' actions")?;
        } else {
            principal::require(executor, PrincipalRole::Operator, "execute actions")?;
        }
        if plan.template.returns_secret() && executor.name != action.requested_by {
            return Err(ActionError::Forbidden {
                principal: executor.name.clone(),
                role: executor.role.to_string(),
                what: "execute an action that returns a secret",
                hint: "only the requester executes it, and sees the secret once",
            });
        }
        match action.status {
            ActionStatus::Approved | ActionStatus::Executing | ActionStatus::Failed => {}
            status => {
                return Err(ActionError::WrongStatus {
                    action: id,
                    status,
                    hint: match status {
                        ActionStatus::Pending => "it needs an approval first".into(),
                        ActionStatus::Verified => "it is done: nothing to execute".into(),
                        _ => "request a new action".into(),
                    },
                });
            }
        }
        // Authority comes from the signed journal, never from the status or approval rows:
        // a database writer can set those, but cannot sign as another principal.
        let ledger = self.ledger().await?;
        ledger.check_signer(executor, &executor.key.public())?;
        let authorized = ledger
            .authorization(id, &action.plan_hash)
            .and_then(|found| match ledger.actions.get(&id).and_then(|e| e.verified) {
                // Only the rows could say otherwise, and those a database writer can reset.
                Some(seq) => Err(format!(
                    "it was executed and verified already (journal entry {seq}): request it again"
                )),
                None => Ok(found),
            })
            .and_then(|(request, _)| {
                let by_requester = request.principal == action.requested_by
                    && plan.requested_by == action.requested_by;
                by_requester.then_some(()).ok_or_else(|| {
                    format!(
                        "the store says {} requested it, the signed request is by {}",
                        action.requested_by, request.principal
                    )
                })
            });
        if let Err(reason) = authorized {
            let note = JournalNote::new(
                now,
                Some(&executor.name),
                "execute_unauthorized",
                json!({"plan_hash": action.plan_hash, "reason": reason}),
            )
            .about(id);
            self.store.append_journal(&note).await?;
            return Err(ActionError::NotAuthorized { action: id, reason });
        }
        // An expired plan is not started; one already under way may finish (its targets are
        // read again before any call). "Under way" is what the journal holds a signed start
        // of, not what the status row says.
        let started = ledger
            .actions
            .get(&id)
            .is_some_and(|e| !e.executions.is_empty());
        if (action.status == ActionStatus::Approved || !started) && now >= action.expires_at {
            self.expire(id, now).await?;
            return Err(ActionError::Expired {
                action: id,
                expires_at: action.expires_at,
                step: "executed",
            });
        }
        for call in &plan.calls {
            if let Some(project) = &call.project_key
                && !clients.projects.contains_key(project)
            {
                return Err(ActionError::NoProjectKey {
                    action: id,
                    project_id: project.clone(),
                });
            }
        }
        let signed = executor.sign(Statement::Execute {
            action_id: id,
            plan_hash: action.plan_hash.clone(),
            at: now,
        });
        let start = signed
            .attach(JournalNote::new(
                now,
                Some(&executor.name),
                "execute",
                json!({"plan_hash": action.plan_hash, "resumed_from": action.status}),
            ))
            .about(id);
        self.store
            .transition_action(
                id,
                &[
                    ActionStatus::Approved,
                    ActionStatus::Executing,
                    ActionStatus::Failed,
                ],
                ActionStatus::Executing,
                now,
                &start,
            )
            .await?;
        let outcome = execute::run(self.store, clients, id, &executor.name, &plan).await;
        let (targets, created, calls_sent, verified) = match outcome {
            Ok(done) => done,
            Err(ActionError::TargetsChanged { action, changes }) => {
                let note = JournalNote::new(
                    execute::unix_now(),
                    Some(&executor.name),
                    "execute_refused",
                    json!({"changes": changes}),
                )
                .about(id);
                self.store
                    .transition_action(
                        id,
                        &[ActionStatus::Executing],
                        ActionStatus::Stale,
                        now,
                        &note,
                    )
                    .await?;
                return Err(ActionError::TargetsChanged { action, changes });
            }
            Err(other) => {
                let note = JournalNote::new(
                    execute::unix_now(),
                    Some(&executor.name),
                    "execute_failed",
                    json!({"error": other.to_string()}),
                )
                .about(id);
                self.store
                    .transition_action(
                        id,
                        &[ActionStatus::Executing],
                        ActionStatus::Failed,
                        now,
                        &note,
                    )
                    .await?;
                return Err(other);
            }
        };
        let status = if verified {
            ActionStatus::Verified
        } else {
            ActionStatus::Failed
        };
        let note = JournalNote::new(
            execute::unix_now(),
            Some(&executor.name),
            status.as_str(),
            json!({"calls_sent": calls_sent}),
        )
        .about(id);
        self.store
            .transition_action(id, &[ActionStatus::Executing], status, now, &note)
            .await?;
        Ok(ExecutionReport {
            action_id: id,
            status,
            calls_sent,
            targets,
            created,
        })
    }

    /// Checks the whole journal's chain and that every anchor recorded earlier is still in it,
    /// then replays its signed statements under the trust anchor and checks every principal,
    /// action and approval row against them: the journal's head (the anchor to record now) and
    /// every inconsistency found, when the chain holds.
    pub async fn verify_journal(
        &self,
        anchors: &[custos_store::JournalAnchor],
    ) -> Result<std::result::Result<JournalHead, custos_store::JournalBreak>> {
        let entries = self.store.journal().await?;
        let checked = match custos_store::verify_journal_against(&entries, anchors) {
            Ok(checked) => checked,
            Err(broken) => return Ok(Err(broken)),
        };
        let mut ledger = Ledger::replay(&entries, &self.anchor);
        ledger.check_records(&self.store.principals().await?);
        let mut legacy_actions = 0;
        for action in self.store.actions(None).await? {
            let approvals = self.store.approvals(action.id).await?;
            if ledger.check_action(&action, &approvals) {
                legacy_actions += 1;
            }
        }
        Ok(Ok(JournalHead {
            entries: checked,
            head: custos_store::JournalAnchor::head(&entries),
            inconsistencies: ledger.inconsistencies,
            legacy_actions,
        }))
    }
}
