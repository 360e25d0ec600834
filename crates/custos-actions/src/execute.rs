//! Executing an approved plan: re-read the targets and refuse what changed, send the calls
//! with the read-write key (each recorded before and after, so a crash leaves an exact state
//! to resume from), then read the targets back and mark the action verified or failed.

use crate::plan::{Creates, Expectation, Plan, PlannedCall, PlannedTarget, field};
use crate::read::{Current, read_item, read_targets};
use crate::template::TargetKind;
use crate::{ActionError, Result};
use custos_model::kind::Kind;
use custos_openai::{ClientConfig, ReadClient, WriteClient, WriteOutcome};
use custos_store::{ActionId, CallRecord, CallStatus, JournalNote, Store};
use futures::stream::{self, StreamExt};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// Targets worked on at once (calls of one target run in order).
pub const EXECUTE_CONCURRENCY: usize = 8;

/// The keys an execution may use. Scans use the read key; only actions use the write key.
#[derive(Debug, Clone)]
pub struct ExecutionKeys {
    pub org_id: String,
    pub base_url: String,
    /// The organization's read-only key (to refuse a write key that is the same one).
    pub read_key: Option<SecretString>,
    /// The organization's read-write admin key.
    pub write_key: Option<SecretString>,
    /// Project keys, for the calls that need them (files).
    pub project_keys: BTreeMap<String, SecretString>,
}

/// API clients for an execution: the read-write admin client and project clients. The only
/// place custos builds a [`WriteClient`].
#[derive(Debug, Clone)]
pub struct Clients {
    pub write: WriteClient,
    pub projects: BTreeMap<String, WriteClient>,
}

impl Clients {
    /// Builds the clients; refuses, before any request, a missing write key or one that is the
    /// read-only key. `tune` adjusts each client's configuration (rate, concurrency, retries).
    pub fn build(keys: &ExecutionKeys, tune: impl Fn(&mut ClientConfig)) -> Result<Clients> {
        use secrecy::ExposeSecret;
        let no_key = |reason: &str| ActionError::NoWriteKey {
            org_id: keys.org_id.clone(),
            reason: reason.to_owned(),
        };
        let write_key = keys
            .write_key
            .as_ref()
            .ok_or_else(|| no_key("none is configured; the scan's key is read-only"))?;
        if keys
            .read_key
            .as_ref()
            .is_some_and(|read| read.expose_secret() == write_key.expose_secret())
        {
            return Err(no_key(
                "the write key is the read-only scan key; use a separate read-write key",
            ));
        }
        let client = |key: &SecretString| {
            let mut config = ClientConfig::new(keys.base_url.clone(), key.clone());
            tune(&mut config);
            WriteClient::new(config)
        };
        Ok(Clients {
            write: client(write_key)?,
            projects: keys
                .project_keys
                .iter()
                .map(|(p, key)| Ok((p.clone(), client(key)?)))
                .collect::<Result<_>>()?,
        })
    }

    /// The client that reads objects of `kind` with the key that writes them (files need
    /// their project's key).
    pub(crate) fn for_kind(&self, kind: Kind, project: Option<&str>) -> &ReadClient {
        let client = match (kind, project) {
            (Kind::File, Some(p)) => self.projects.get(p).unwrap_or(&self.write),
            _ => &self.write,
        };
        client.reader()
    }

    fn for_call(&self, call: &PlannedCall) -> &WriteClient {
        call.project_key
            .as_deref()
            .and_then(|p| self.projects.get(p))
            .unwrap_or(&self.write)
    }
}

/// What happened to one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// Every call done and the result read back as planned.
    Verified,
    /// It was already in the planned state (e.g. already gone): nothing was sent.
    AlreadyDone,
    /// A call failed; executing again retries it.
    Failed,
    /// The calls were done but the object does not read back as planned.
    NotVerified,
}

/// One target's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct TargetOutcome {
    pub kind: Kind,
    pub id: String,
    pub status: TargetStatus,
    pub message: Option<String>,
}

/// What provisioning created. The secret (an admin key's value) is here only, once.
#[derive(Debug, Serialize)]
pub struct Created {
    pub creates: Creates,
    pub id: String,
    #[serde(skip)]
    pub secret: Option<SecretString>,
}

/// The result of one execution.
#[derive(Debug, Serialize)]
pub struct ExecutionReport {
    pub action_id: ActionId,
    pub status: custos_store::ActionStatus,
    /// Calls sent in this run.
    pub calls_sent: usize,
    pub targets: Vec<TargetOutcome>,
    pub created: Vec<Created>,
}

/// The result of one call.
struct CallResult {
    status: CallStatus,
    http_status: Option<u16>,
    detail: Value,
    created: Option<Created>,
}

/// Wall-clock Unix seconds, for the records of calls as they happen.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Sends one planned call. The answer's body is never kept: only a created object's id, and
/// an admin key's secret in [`Created::secret`].
async fn send(client: &WriteClient, call: &PlannedCall) -> CallResult {
    match client.send(&call.request).await {
        Ok(WriteOutcome::Applied(mut answer)) => {
            let created = call.creates.map(|creates| Created {
                creates,
                id: field(&answer, "id").as_str().unwrap_or_default().to_owned(),
                secret: take_secret(&mut answer),
            });
            CallResult {
                status: CallStatus::Done,
                http_status: Some(200),
                detail: created
                    .as_ref()
                    .map_or_else(|| json!({}), |c| json!({"created_id": c.id})),
                created,
            }
        }
        Ok(WriteOutcome::AlreadyGone) => CallResult {
            status: CallStatus::AlreadyGone,
            http_status: Some(404),
            detail: json!({"note": "already gone"}),
            created: None,
        },
        Err(e) => CallResult {
            status: CallStatus::Failed,
            http_status: e.status(),
            detail: json!({"error": e.to_string()}),
            created: None,
        },
    }
}

/// Removes an admin key's `value` from an answer, as a secret.
fn take_secret(answer: &mut Value) -> Option<SecretString> {
    let value = answer.as_object_mut()?.remove("value")?;
    value.as_str().map(|s| SecretString::from(s.to_owned()))
}

/// How a target reads now compared with the plan.
enum Reading {
    /// Already in the planned state.
    Done,
    /// As planned against: the calls may go.
    Unchanged,
    /// Something guarded changed (the description says what).
    Changed(String),
}

fn compare(target: &PlannedTarget, current: &Current) -> Reading {
    let expectation_met = match (&target.expect, current) {
        (Expectation::Absent, None) => true,
        (Expectation::Field { field: f, value }, Some(now)) => field(now, f) == *value,
        _ => false,
    };
    if expectation_met {
        return Reading::Done;
    }
    // An unset spend limit reads as a 404 and was planned against nothing.
    let now = match (current, target.kind) {
        (Some(now), _) => now.clone(),
        (None, Kind::ProjectSpendLimit) => Value::Null,
        (None, _) => {
            return Reading::Changed(format!(
                "{} {} no longer exists",
                target.kind.snapshot_kind(),
                target.id
            ));
        }
    };
    let differences: Vec<String> = target
        .guarded
        .iter()
        .filter_map(|(name, planned)| {
            let found = field(&now, name);
            (found != *planned).then(|| format!("{name} was {planned}, is now {found}"))
        })
        .collect();
    if differences.is_empty() {
        Reading::Unchanged
    } else {
        Reading::Changed(format!(
            "{} {}: {}",
            target.kind.snapshot_kind(),
            target.id,
            differences.join(", ")
        ))
    }
}

/// Runs the calls of `plan` not yet settled, recording each; then verifies. The action is
/// already `executing`. Returns the report (the caller sets the final status).
pub(crate) async fn run(
    store: &dyn Store,
    clients: &Clients,
    action: ActionId,
    actor: &str,
    plan: &Plan,
) -> Result<(Vec<TargetOutcome>, Vec<Created>, usize, bool)> {
    let previous: BTreeMap<usize, CallRecord> = store
        .calls(action)
        .await?
        .into_iter()
        .map(|c| (usize::try_from(c.call_index).unwrap_or(usize::MAX), c))
        .collect();
    let settled = |call: &PlannedCall| {
        previous
            .get(&call.index)
            .is_some_and(|c| c.status.is_settled())
    };

    // A create whose outcome is unknown (the process died after sending it) is not repeated:
    // repeating it could create a second object.
    if let Some(call) = plan.calls.iter().find(|c| {
        c.creates.is_some()
            && previous
                .get(&c.index)
                .is_some_and(|r| r.status == CallStatus::Started)
    }) {
        return Err(ActionError::WrongStatus {
            action,
            status: custos_store::ActionStatus::Executing,
            hint: format!(
                "call {} ({} {}) was sent before an interruption and may have been applied: check the organization, then request a new action if nothing was created",
                call.index,
                call.request.method(),
                call.request.path()
            ),
        });
    }

    // Targets with calls still to send, read again.
    let open_targets: Vec<(usize, &PlannedTarget)> = plan
        .targets
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            plan.calls
                .iter()
                .any(|c| c.target == Some(*i) && !settled(c))
        })
        .collect();
    let current = read_targets(clients, &open_targets)
        .await
        .map_err(|(what, source)| ActionError::ReadFailed {
            action,
            what,
            source,
        })?;
    let mut already_done = Vec::new();
    let mut changes = Vec::new();
    for (index, target) in &open_targets {
        match compare(target, current.get(index).unwrap_or(&None)) {
            Reading::Done => already_done.push(*index),
            Reading::Unchanged => {}
            Reading::Changed(what) => changes.push(what),
        }
    }
    if !changes.is_empty() {
        return Err(ActionError::TargetsChanged { action, changes });
    }

    // Targets already in the planned state are recorded as such without a call.
    for call in plan.calls.iter().filter(|c| !settled(c)) {
        if call.target.is_some_and(|t| already_done.contains(&t)) {
            let detail = json!({"index": call.index, "method": call.request.method(), "path": call.request.path(),
                "status": "already_gone", "note": "already in the planned state: not sent"});
            record(
                store,
                action,
                actor,
                call,
                CallStatus::AlreadyGone,
                None,
                detail,
            )
            .await?;
        }
    }

    // The calls to send, grouped per target (in order within a target).
    let mut batches: Vec<Vec<&PlannedCall>> = Vec::new();
    let mut by_target: BTreeMap<Option<usize>, usize> = BTreeMap::new();
    for call in plan.calls.iter().filter(|c| !settled(c)) {
        if call.target.is_some_and(|t| already_done.contains(&t)) {
            continue;
        }
        let slot = *by_target.entry(call.target).or_insert_with(|| {
            batches.push(Vec::new());
            batches.len() - 1
        });
        batches[slot].push(call);
    }
    let sent = batches.iter().map(Vec::len).sum::<usize>();
    let forbidden = AtomicBool::new(false);
    let results: Vec<Result<Vec<Created>>> = stream::iter(batches.into_iter().map(|calls| {
        let forbidden = &forbidden;
        async move {
            let mut created = Vec::new();
            for call in calls {
                // After a 403 the key cannot write: the remaining calls stay unsent.
                if forbidden.load(Ordering::SeqCst) {
                    break;
                }
                let start = json!({"index": call.index, "method": call.request.method(), "path": call.request.path(), "status": "started"});
                record(store, action, actor, call, CallStatus::Started, None, start).await?;
                tracing::info!(action, call = call.index, method = call.request.method(), path = call.request.path(), "sending");
                let result = send(clients.for_call(call), call).await;
                if result.http_status == Some(403) {
                    forbidden.store(true, Ordering::SeqCst);
                }
                let mut detail = json!({"index": call.index, "method": call.request.method(), "path": call.request.path(),
                    "status": result.status.as_str()});
                if let (Some(d), Some(extra)) = (detail.as_object_mut(), result.detail.as_object()) {
                    d.extend(extra.clone());
                }
                tracing::info!(action, call = call.index, status = result.status.as_str(), "answered");
                record(store, action, actor, call, result.status, result.http_status, detail).await?;
                let failed = result.status == CallStatus::Failed;
                created.extend(result.created);
                if failed {
                    break;
                }
            }
            Ok(created)
        }
    }))
    .buffer_unordered(EXECUTE_CONCURRENCY)
    .collect()
    .await;
    let mut created = Vec::new();
    for result in results {
        created.extend(result?);
    }
    let forbidden = forbidden.load(Ordering::SeqCst);

    let (outcomes, all_verified) = verify(store, clients, action, plan, &already_done).await?;
    Ok((outcomes, created, sent, all_verified && !forbidden))
}

async fn record(
    store: &dyn Store,
    action: ActionId,
    actor: &str,
    call: &PlannedCall,
    status: CallStatus,
    http_status: Option<u16>,
    detail: Value,
) -> Result<()> {
    let at = unix_now();
    let record = CallRecord {
        action_id: action,
        call_index: i64::try_from(call.index).unwrap_or(i64::MAX),
        status,
        http_status,
        detail: detail.clone(),
        at,
    };
    let note = JournalNote::new(at, Some(actor), "call", detail).about(action);
    store.record_call(&record, &note).await?;
    Ok(())
}

/// Reads every target (and created object) back and compares with the plan.
async fn verify(
    store: &dyn Store,
    clients: &Clients,
    action: ActionId,
    plan: &Plan,
    already_done: &[usize],
) -> Result<(Vec<TargetOutcome>, bool)> {
    let calls: BTreeMap<usize, CallRecord> = store
        .calls(action)
        .await?
        .into_iter()
        .map(|c| (usize::try_from(c.call_index).unwrap_or(usize::MAX), c))
        .collect();
    let call_failure = |target: Option<usize>| {
        plan.calls
            .iter()
            .filter(|c| c.target == target)
            .find_map(|c| match calls.get(&c.index) {
                Some(r) if r.status.is_settled() => None,
                Some(r) => Some(field(&r.detail, "error").as_str().map_or_else(
                    || format!("call {} is {}", c.index, r.status),
                    str::to_owned,
                )),
                None => Some(format!("call {} was not sent", c.index)),
            })
    };
    let all: Vec<(usize, &PlannedTarget)> = plan.targets.iter().enumerate().collect();
    let current = read_targets(clients, &all)
        .await
        .map_err(|(what, source)| ActionError::ReadFailed {
            action,
            what,
            source,
        })?;
    let mut outcomes = Vec::new();
    for (index, target) in all {
        let (status, message) = if let Some(error) = call_failure(Some(index)) {
            (TargetStatus::Failed, Some(error))
        } else {
            match compare(target, current.get(&index).unwrap_or(&None)) {
                Reading::Done if already_done.contains(&index) => (TargetStatus::AlreadyDone, None),
                Reading::Done => (TargetStatus::Verified, None),
                _ => (
                    TargetStatus::NotVerified,
                    Some(
                        "the calls were answered but the object does not read back as planned"
                            .into(),
                    ),
                ),
            }
        };
        outcomes.push(TargetOutcome {
            kind: target.kind,
            id: target.id.clone(),
            status,
            message,
        });
    }
    // Provisioning: the created object must read back.
    for call in plan.calls.iter().filter(|c| c.target.is_none()) {
        let (status, id, message) = match (call_failure(None), call.creates, calls.get(&call.index))
        {
            (Some(error), _, _) => (TargetStatus::Failed, String::new(), Some(error)),
            (None, Some(creates), Some(record)) => {
                let id = field(&record.detail, "created_id")
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let found = match creates.read_path(&id) {
                    Ok(path) => read_item(clients.write.reader(), &path).await,
                    Err(invalid) => Err(invalid),
                };
                let found = found.map_err(|source| ActionError::ReadFailed {
                    action,
                    what: format!("created object {id}"),
                    source,
                })?;
                match found {
                    Some(_) => (TargetStatus::Verified, id, None),
                    None => (
                        TargetStatus::NotVerified,
                        id,
                        Some("the created object cannot be read back".into()),
                    ),
                }
            }
            _ => (
                TargetStatus::Failed,
                String::new(),
                Some("the call was not sent".into()),
            ),
        };
        outcomes.push(TargetOutcome {
            kind: Kind::Project,
            id,
            status,
            message,
        });
        if let Some(last) = outcomes.last_mut()
            && let Some(creates) = call.creates
        {
            last.kind = match creates {
                Creates::Project => Kind::Project,
                Creates::AdminApiKey => Kind::AdminApiKey,
                Creates::Certificate => Kind::Certificate,
                Creates::Invite => Kind::Invite,
            };
        }
    }
    let all_verified = outcomes
        .iter()
        .all(|o| matches!(o.status, TargetStatus::Verified | TargetStatus::AlreadyDone));
    let detail = json!({
        "verified": all_verified,
        "targets": outcomes.iter().map(|o| json!({"kind": o.kind, "id": o.id, "status": o.status, "message": o.message})).collect::<Vec<_>>(),
    });
    store
        .append_journal(&JournalNote::new(unix_now(), None, "verify", detail).about(action))
        .await?;
    Ok((outcomes, all_verified))
}
