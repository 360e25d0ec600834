//! `openai-key-orphaned`: a key whose owner left keeps working for whoever holds it.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::{endpoint_gap, endpoints};
use crate::shared::keys::{KeyRef, for_admin_keys, for_project_keys};
use custos_model::inventory::Snapshot;
use serde_json::json;
use std::collections::HashSet;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-key-orphaned",
    title: "Key owner has left",
    severity: Severity::High,
    category: "credentials",
    resource_kind: "admin_api_key, project_api_key",
    needs: &[Need::Admin],
    params: &[],
    description: "The user who owns an admin key or a key of an active project is no longer an organization user, or a project key has `owner_project_access == \"inactive\"`.",
    remediation: "Delete the key, or replace it with one owned by a current member or a service account.",
    controls: controls::CREDENTIAL_LIFECYCLE,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

/// Who owns a key, as far as the payload says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner<'a> {
    User(&'a str),
    ServiceAccount(&'a str),
    /// An id without a type: a user if the organization lists it, otherwise unknown.
    Untyped(&'a str),
    Unknown,
}

fn owner_of<'a>(key: &KeyRef<'a>) -> Owner<'a> {
    match *key {
        KeyRef::Admin(key) => match (key.owner.kind.as_deref(), key.owner.id.as_deref()) {
            (_, None) => Owner::Unknown,
            (Some("user"), Some(id)) => Owner::User(id),
            (Some("service_account"), Some(id)) => Owner::ServiceAccount(id),
            (_, Some(id)) => Owner::Untyped(id),
        },
        KeyRef::Project { key, .. } => {
            match (key.owner.kind.as_deref(), key.owner.principal_id()) {
                (_, None) => Owner::Unknown,
                (Some("user"), Some(id)) => Owner::User(id),
                (Some("service_account"), Some(id)) => Owner::ServiceAccount(id),
                (_, Some(id)) => Owner::Untyped(id),
            }
        }
    }
}

fn evaluate(snapshot: &Snapshot, _as_of: i64, _params: &Params, out: &mut Outcomes) {
    let users_gap = endpoint_gap(snapshot, endpoints::USERS, None);
    let users: HashSet<&str> = snapshot
        .inventory
        .users
        .iter()
        .map(|u| u.id.as_str())
        .collect();
    let mut judge = |key: KeyRef<'_>, out: &mut Outcomes| {
        let access = match key {
            KeyRef::Project { key, .. } => key.owner_project_access.as_deref(),
            KeyRef::Admin(_) => None,
        };
        let lost_project_access = access == Some("inactive");
        let owner = owner_of(&key);
        // `None`: membership cannot be decided from the data.
        let owner_left: Option<bool> = match owner {
            Owner::User(id) if users_gap.is_none() => Some(!users.contains(id)),
            Owner::Untyped(id) if users.contains(id) => Some(false),
            Owner::ServiceAccount(_) => Some(false),
            Owner::User(_) | Owner::Untyped(_) | Owner::Unknown => None,
        };
        let owner_id = match owner {
            Owner::User(id) | Owner::ServiceAccount(id) | Owner::Untyped(id) => Some(id),
            Owner::Unknown => None,
        };
        let evidence = || {
            json!({
                "owner_id": owner_id,
                "owner_type": match owner {
                    Owner::User(_) => Some("user"),
                    Owner::ServiceAccount(_) => Some("service_account"),
                    Owner::Untyped(_) | Owner::Unknown => None,
                },
                "owner_in_organization": owner_left.map(|left| !left),
                "owner_project_access": access,
            })
        };
        let reasons: Vec<String> = [
            (owner_left == Some(true)).then(|| {
                format!(
                    "its owner {} is no longer an organization user",
                    owner_id.unwrap_or("?")
                )
            }),
            lost_project_access.then(|| "its owner no longer has access to the project".to_owned()),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !reasons.is_empty() {
            out.fail(
                key.subject(),
                format!("{} is orphaned: {}", key.label(), reasons.join(" and ")),
                evidence(),
            );
        } else if owner_left.is_some() {
            out.pass(key.subject(), || {
                format!("{} is owned by a current member", key.label())
            });
        } else {
            let label = key.label();
            let missing = match (owner, &users_gap) {
                (Owner::Unknown, _) => format!("{label} names no owner"),
                (_, Some(gap)) => gap.clone(),
                (_, None) => format!(
                    "{label} names owner {} without saying whether it is a user or a service account",
                    owner_id.unwrap_or("?")
                ),
            };
            out.indeterminate(key.subject(), vec![missing]);
        }
    };
    for_admin_keys(snapshot, out, &mut judge);
    for_project_keys(snapshot, out, &mut judge);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::testing::*;

    fn project_key(
        id: &str,
        owner: serde_json::Value,
        access: serde_json::Value,
    ) -> custos_model::api::ProjectApiKey {
        obj(json!({"id": id, "created_at": 0, "owner": owner, "owner_project_access": access}))
    }

    fn base() -> Snapshot {
        let mut snapshot = snapshot();
        snapshot.inventory.users = vec![user("present", "reader", 0)];
        snapshot.inventory.admin_api_keys = vec![
            obj(
                json!({"id": "admin-present", "created_at": 0, "owner": {"type": "user", "id": "present"}}),
            ),
            obj(
                json!({"id": "admin-left", "created_at": 0, "owner": {"type": "user", "id": "gone"}}),
            ),
            obj(
                json!({"id": "admin-sa", "created_at": 0, "owner": {"type": "service_account", "id": "sa-1"}}),
            ),
            obj(json!({"id": "admin-no-owner", "created_at": 0})),
            obj(
                json!({"id": "admin-untyped-present", "created_at": 0, "owner": {"id": "present"}}),
            ),
            obj(json!({"id": "admin-untyped-absent", "created_at": 0, "owner": {"id": "who"}})),
        ];
        let mut active = project("p");
        active.api_keys = vec![
            project_key(
                "pk-present",
                json!({"type": "user", "user": {"id": "present"}}),
                json!("active"),
            ),
            project_key(
                "pk-left",
                json!({"type": "user", "user": {"id": "gone"}}),
                json!("active"),
            ),
            project_key(
                "pk-inactive",
                json!({"type": "user", "user": {"id": "present"}}),
                json!("inactive"),
            ),
            project_key(
                "pk-sa",
                json!({"type": "service_account", "service_account": {"id": "sa"}}),
                json!(null),
            ),
            project_key(
                "pk-sa-inactive",
                json!({"type": "service_account", "service_account": {"id": "sa"}}),
                json!("inactive"),
            ),
        ];
        let mut archived = archived_project("old");
        archived.api_keys = vec![project_key(
            "pk-archived",
            json!({"type": "user", "user": {"id": "gone"}}),
            json!(null),
        )];
        snapshot.inventory.projects = vec![active, archived];
        snapshot
    }

    #[test]
    fn owners_who_left_or_lost_access() {
        let outcomes = run_default(&CHECK, &base(), AS_OF);
        assert_well_formed(&META, &outcomes);
        for (id, expected) in [
            ("admin-present", Verdict::Pass),
            ("admin-left", Verdict::Fail),
            ("admin-sa", Verdict::Pass),
            ("admin-no-owner", Verdict::Indeterminate),
            ("admin-untyped-present", Verdict::Pass),
            ("admin-untyped-absent", Verdict::Indeterminate),
            ("pk-present", Verdict::Pass),
            ("pk-left", Verdict::Fail),
            ("pk-inactive", Verdict::Fail),
            ("pk-sa", Verdict::Pass),
            ("pk-sa-inactive", Verdict::Fail),
        ] {
            assert_eq!(verdict(&outcomes, id), expected, "{id}");
        }
        assert!(outcomes.iter().all(|o| o.resource_id != "pk-archived"));
        assert_eq!(
            outcome(&outcomes, "pk-left").resource_kind,
            "project_api_key"
        );
        assert_eq!(
            outcome(&outcomes, "admin-left").resource_kind,
            "admin_api_key"
        );
    }

    #[test]
    fn failed_user_list_leaves_only_certain_verdicts() {
        let mut snapshot = base();
        snapshot.failures.push(failure(endpoints::USERS, None, 500));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, "admin-left")).contains("/organization/users"));
        assert_eq!(verdict(&outcomes, "admin-sa"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "pk-inactive"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "pk-present"), Verdict::Indeterminate);
    }
}
