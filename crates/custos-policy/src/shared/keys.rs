//! Admin keys and project keys seen through one lens, so that "not rotated" and "unused" are
//! written once for both.

use crate::outcome::{Outcomes, Subject};
use crate::shared::data::{endpoint_gap, endpoints};
use crate::shared::scope::for_active_projects;
use crate::shared::time::{age_in_days, date, older_than};
use custos_model::api::{AdminApiKey, ProjectApiKey};
use custos_model::inventory::Snapshot;
use serde_json::json;

pub const ADMIN_KEY: &str = "admin_api_key";
pub const PROJECT_KEY: &str = "project_api_key";

/// An admin key or a project key with its project.
#[derive(Debug, Clone, Copy)]
pub enum KeyRef<'a> {
    Admin(&'a AdminApiKey),
    Project {
        project_id: &'a str,
        key: &'a ProjectApiKey,
    },
}

impl<'a> KeyRef<'a> {
    pub fn subject(&self) -> Subject<'a> {
        match *self {
            KeyRef::Admin(key) => Subject::new(ADMIN_KEY, &key.id, None),
            KeyRef::Project { project_id, key } => {
                Subject::new(PROJECT_KEY, &key.id, Some(project_id))
            }
        }
    }

    pub fn created_at(&self) -> i64 {
        match self {
            KeyRef::Admin(key) => key.created_at,
            KeyRef::Project { key, .. } => key.created_at,
        }
    }

    pub fn last_used_at(&self) -> Option<i64> {
        match self {
            KeyRef::Admin(key) => key.last_used_at,
            KeyRef::Project { key, .. } => key.last_used_at,
        }
    }

    /// `Admin key key_1 ("ci")` or `Project key key_2 ("app") of project proj_1`.
    pub fn label(&self) -> String {
        let (kind, id, name) = match self {
            KeyRef::Admin(key) => ("Admin key", &key.id, key.name.as_deref()),
            KeyRef::Project { key, .. } => ("Project key", &key.id, key.name.as_deref()),
        };
        let name = name.map(|n| format!(" (\"{n}\")")).unwrap_or_default();
        match self {
            KeyRef::Admin(_) => format!("{kind} {id}{name}"),
            KeyRef::Project { project_id, .. } => {
                format!("{kind} {id}{name} of project {project_id}")
            }
        }
    }
}

/// Calls `visit` for every admin key, or reports the organization indeterminate when the list
/// failed.
pub fn for_admin_keys<'s>(
    snapshot: &'s Snapshot,
    out: &mut Outcomes,
    mut visit: impl FnMut(KeyRef<'s>, &mut Outcomes),
) {
    if let Some(gap) = endpoint_gap(snapshot, endpoints::ADMIN_API_KEYS, None) {
        out.indeterminate(Subject::organization(&snapshot.org_id), vec![gap]);
        return;
    }
    for key in &snapshot.inventory.admin_api_keys {
        visit(KeyRef::Admin(key), out);
    }
}

/// Calls `visit` for every key of every active project whose key list answered.
pub fn for_project_keys<'s>(
    snapshot: &'s Snapshot,
    out: &mut Outcomes,
    mut visit: impl FnMut(KeyRef<'s>, &mut Outcomes),
) {
    for_active_projects(
        snapshot,
        out,
        &[endpoints::PROJECT_API_KEYS],
        |project, out| {
            for key in &project.api_keys {
                visit(
                    KeyRef::Project {
                        project_id: &project.project.id,
                        key,
                    },
                    out,
                );
            }
        },
    );
}

/// Fires when the key was created at least `rotation_days` ago.
pub fn judge_rotation(out: &mut Outcomes, key: KeyRef<'_>, as_of: i64, rotation_days: i64) {
    let created_at = key.created_at();
    let age = age_in_days(created_at, as_of);
    out.judge(
        key.subject(),
        older_than(created_at, as_of, rotation_days),
        |fires| {
            let label = key.label();
            if fires {
                format!(
                    "{label} was created on {} ({age} days ago) and has not been rotated within {rotation_days} days",
                    date(created_at)
                )
            } else {
                format!("{label} is {age} days old, within the {rotation_days}-day rotation period")
            }
        },
        || json!({ "created_at": created_at, "age_days": age, "rotation_days": rotation_days }),
    );
}

/// Fires when the key was last used at least `unused_days` ago, or never used and created at
/// least `unused_days` ago.
pub fn judge_unused(out: &mut Outcomes, key: KeyRef<'_>, as_of: i64, unused_days: i64) {
    let created_at = key.created_at();
    let last_used_at = key.last_used_at();
    let fires = match last_used_at {
        Some(used) => older_than(used, as_of, unused_days),
        None => older_than(created_at, as_of, unused_days),
    };
    out.judge(
        key.subject(),
        fires,
        |fires| {
            let label = key.label();
            match (fires, last_used_at) {
                (true, Some(used)) => format!(
                    "{label} was last used on {}, more than {unused_days} days ago",
                    date(used)
                ),
                (true, None) => format!(
                    "{label} has never been used since it was created on {}, more than {unused_days} days ago",
                    date(created_at)
                ),
                (false, Some(used)) => format!(
                    "{label} was last used on {}, within {unused_days} days",
                    date(used)
                ),
                (false, None) => format!(
                    "{label} has not been used yet but was created within {unused_days} days"
                ),
            }
        },
        || json!({ "created_at": created_at, "last_used_at": last_used_at, "unused_days": unused_days }),
    );
}
