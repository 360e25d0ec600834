//! Audit events of the simulator's own writes: every write appends the event the real API would
//! log (`project.archived`, `api_key.deleted`, `invite.sent`, ...), so a re-scan sees it.

use super::state::{Doc, OrgState, Scope};
use serde_json::{Map, Value, json};

/// An event to log: its type (from the spec's `AuditLogEventType`), the project it concerns
/// and the payload stored under the type's key.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    kind: &'static str,
    project: Option<String>,
    payload: Value,
}

impl Event {
    pub(crate) fn new(kind: &'static str, payload: Value) -> Event {
        Event {
            kind,
            project: None,
            payload,
        }
    }

    /// The event happened in a project.
    pub(crate) fn in_project(mut self, project_id: &str) -> Event {
        self.project = Some(project_id.to_owned());
        self
    }

    /// The event happened at `scope`: in the project, if it is one.
    pub(crate) fn at(self, scope: Scope) -> Event {
        match scope {
            Scope::Org => self,
            Scope::Project(id) => self.in_project(id),
        }
    }

    /// A settings change: `organization.updated` or `project.updated` with what was asked.
    pub(crate) fn updated(org_id: &str, scope: Scope, changes: Value) -> Event {
        match scope {
            Scope::Org => Event::new(
                "organization.updated",
                json!({"id": org_id, "changes_requested": changes}),
            ),
            Scope::Project(id) => Event::new(
                "project.updated",
                json!({"id": id, "changes_requested": changes}),
            )
            .in_project(id),
        }
    }
}

/// Appends `event` as the newest audit log, acted by admin key `key_id` at `now`.
pub(crate) fn append(org: &mut OrgState, key_id: &str, now: i64, event: Event) {
    let mut n = org.audit_logs.len() + 1;
    let id = loop {
        let candidate = format!("audit_log-{n}");
        if !org.audit_logs.contains(&candidate) {
            break candidate;
        }
        n += 1;
    };
    let mut fields = Map::new();
    fields.insert("id".into(), id.clone().into());
    fields.insert("type".into(), event.kind.into());
    fields.insert("effective_at".into(), now.into());
    if let Some(project_id) = &event.project {
        let name = org
            .projects
            .get(project_id)
            .and_then(|p| p.doc.str("name"))
            .unwrap_or_default();
        fields.insert("project".into(), json!({"id": project_id, "name": name}));
    }
    fields.insert("actor".into(), actor(org, key_id));
    fields.insert(event.kind.into(), event.payload);
    org.audit_logs.push_front(Doc::new(id, fields));
}

/// `{"type": "api_key", "api_key": {...}}` for the admin key that made the call.
fn actor(org: &OrgState, key_id: &str) -> Value {
    let owner = org.admin_keys.get(key_id).and_then(|k| k.get("owner"));
    let owner_id = owner.and_then(|o| o.get("id")).and_then(Value::as_str);
    let is_service_account =
        owner.and_then(|o| o.get("type")).and_then(Value::as_str) == Some("service_account");
    let mut api_key = Map::new();
    api_key.insert("id".into(), key_id.into());
    match (is_service_account, owner_id) {
        (true, Some(id)) => {
            api_key.insert("type".into(), "service_account".into());
            api_key.insert("service_account".into(), json!({"id": id}));
        }
        (_, owner_id) => {
            api_key.insert("type".into(), "user".into());
            if let Some(id) = owner_id {
                let mut user = Map::new();
                user.insert("id".into(), id.into());
                if let Some(email) = org.users.get(id).and_then(|u| u.str("email")) {
                    user.insert("email".into(), email.into());
                }
                api_key.insert("user".into(), Value::Object(user));
            }
        }
    }
    json!({"type": "api_key", "api_key": api_key})
}
