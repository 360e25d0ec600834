//! Who can use a project: its users, its service accounts and its API keys.
//!
//! Archived projects have no users or service accounts: listing or changing them answers 400.
//! Keys follow their owners: a user leaving the project makes their keys `inactive`, deleting a
//! service account deletes its keys, and a service account's key cannot be deleted on its own.

use super::{deleted, doc};
use crate::server::audit::Event;
use crate::server::auth::Admin;
use crate::server::body::Body;
use crate::server::error::ApiError;
use crate::server::paging::{Cursor, ListSpec, id_list, write_doc};
use crate::server::query::Params;
use crate::server::reply::{Reply, json};
use crate::server::state::normalize::redacted;
use crate::server::state::{Doc, Principal, ProjectState};
use crate::server::{Ctx, Simulator};
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    const BASE: &str = "/v1/organization/projects/{project_id}";
    router
        .route(&format!("{BASE}/users"), get(list_users).post(add_user))
        .route(
            &format!("{BASE}/users/{{user_id}}"),
            get(retrieve_user).post(modify_user).delete(remove_user),
        )
        .route(
            &format!("{BASE}/service_accounts"),
            get(list_accounts).post(create_account),
        )
        .route(
            &format!("{BASE}/service_accounts/{{service_account_id}}"),
            get(retrieve_account)
                .post(update_account)
                .delete(remove_account),
        )
        .route(
            &format!("{BASE}/service_accounts/{{service_account_id}}/api_keys"),
            post(create_account_key),
        )
        .route(&format!("{BASE}/api_keys"), get(list_keys))
        .route(
            &format!("{BASE}/api_keys/{{api_key_id}}"),
            get(retrieve_key).delete(remove_key),
        )
}

fn member<'a>(project: &'a ProjectState, user_id: &str) -> Result<&'a Doc, ApiError> {
    project
        .users
        .get(user_id)
        .ok_or_else(|| ApiError::not_found("project user", user_id))
}

fn account<'a>(project: &'a ProjectState, id: &str) -> Result<&'a Doc, ApiError> {
    project
        .service_accounts
        .get(id)
        .ok_or_else(|| ApiError::not_found("service account", id))
}

async fn list_users(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
    params: Params,
) -> Reply {
    let cursor = Cursor::parse(&params, ListSpec::ID)?;
    sim.read(admin.org, |org| {
        let project = org.project(&project_id)?;
        project.ensure_active()?;
        Ok(id_list(&project.users.page(&cursor, |_| true)?, write_doc))
    })
}

async fn add_user(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
    body: Body,
) -> Reply {
    let role = body.required_choice("role", &["owner", "member"])?;
    let user_id = body.str("user_id")?.map(str::to_owned);
    let email = body.str("email")?.map(str::to_owned);
    if user_id.is_none() && email.is_none() {
        return Err(crate::server::body::missing("user_id"));
    }
    sim.write(&admin, |org, ctx| {
        // The user must already be in the organization.
        let user = match (&user_id, &email) {
            (Some(id), _) => org.user(id)?,
            (None, Some(email)) => org
                .users
                .items()
                .iter()
                .find(|u| u.str("email") == Some(email.as_str()))
                .ok_or_else(|| ApiError::not_found("user", email))?,
            (None, None) => return Err(crate::server::body::missing("user_id")),
        };
        let mut fields = Map::new();
        fields.insert("object".into(), "organization.project.user".into());
        fields.insert("id".into(), user.key().into());
        fields.insert(
            "name".into(),
            user.get("name").cloned().unwrap_or(Value::Null),
        );
        fields.insert(
            "email".into(),
            user.get("email").cloned().unwrap_or(Value::Null),
        );
        fields.insert("role".into(), role.into());
        fields.insert("added_at".into(), ctx.now.into());
        let id = user.key().to_owned();
        let project = org.project_mut(&project_id)?;
        project.ensure_active()?;
        if project.users.contains(&id) {
            return Err(ApiError::conflict(format!(
                "User '{id}' is already a member of project '{project_id}'."
            )));
        }
        let added = Doc::new(id.clone(), fields);
        let answer = doc(&added);
        project.users.upsert(added);
        project.set_owner_access(&id, "active");
        ctx.log(
            Event::new("user.added", json!({"id": id, "data": {"role": role}}))
                .in_project(&project_id),
        );
        answer
    })
}

async fn retrieve_user(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((project_id, user_id)): Path<(String, String)>,
) -> Reply {
    sim.read(admin.org, |org| {
        doc(member(org.project(&project_id)?, &user_id)?)
    })
}

async fn modify_user(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((project_id, user_id)): Path<(String, String)>,
    body: Body,
) -> Reply {
    let role = body.choice("role", &["owner", "member"])?;
    sim.write(&admin, |org, ctx| {
        let project = org.project_mut(&project_id)?;
        project.ensure_active()?;
        member(project, &user_id)?;
        let user = project
            .users
            .get_mut(&user_id)
            .ok_or_else(|| ApiError::not_found("project user", &user_id))?;
        if let Some(role) = role {
            user.set("role", role);
        }
        let answer = doc(user);
        ctx.log(
            Event::new(
                "user.updated",
                json!({"id": user_id, "changes_requested": {"role": role}}),
            )
            .in_project(&project_id),
        );
        answer
    })
}

async fn remove_user(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((project_id, user_id)): Path<(String, String)>,
) -> Reply {
    sim.write(&admin, |org, ctx| {
        let project = org.project_mut(&project_id)?;
        project.ensure_active()?;
        project
            .users
            .remove(&user_id)
            .ok_or_else(|| ApiError::not_found("project user", &user_id))?;
        project.set_owner_access(&user_id, "inactive");
        ctx.log(Event::new("user.deleted", json!({"id": user_id})).in_project(&project_id));
        deleted("organization.project.user.deleted", Some(&user_id))
    })
}

async fn list_accounts(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
    params: Params,
) -> Reply {
    let cursor = Cursor::parse(&params, ListSpec::ID)?;
    sim.read(admin.org, |org| {
        let project = org.project(&project_id)?;
        project.ensure_active()?;
        let page = project.service_accounts.page(&cursor, |_| true)?;
        Ok(id_list(&page, write_doc))
    })
}

/// A new project key owned by `owner`, registered as a usable project credential. Returns the
/// stored key (redacted) and its secret.
fn new_key(ctx: &mut Ctx, project_id: &str, name: &str, owner: Value) -> (Doc, String) {
    let id = ctx.ids.id("key_");
    let value = ctx.ids.secret("sk-proj-");
    let mut fields = Map::new();
    fields.insert("object".into(), "organization.project.api_key".into());
    fields.insert("redacted_value".into(), redacted("sk-proj", &value).into());
    fields.insert("name".into(), name.into());
    fields.insert("created_at".into(), ctx.now.into());
    fields.insert("last_used_at".into(), Value::Null);
    fields.insert("id".into(), id.clone().into());
    fields.insert("owner_project_access".into(), "active".into());
    fields.insert("owner".into(), owner);
    ctx.credentials.insert(
        value.clone(),
        Principal::Project {
            org: ctx.org,
            project_id: project_id.to_owned(),
        },
    );
    (Doc::new(id, fields), value)
}

/// `organization.project.service_account.api_key`: the one answer that shows a key's secret.
fn key_with_secret(key: &Doc, value: String) -> Value {
    json!({
        "object": "organization.project.service_account.api_key",
        "value": value,
        "name": key.get("name"),
        "created_at": key.get("created_at"),
        "id": key.key(),
    })
}

fn key_owner(account: &Doc) -> Value {
    json!({
        "type": "service_account",
        "service_account": {
            "id": account.key(),
            "name": account.get("name"),
            "created_at": account.get("created_at"),
            "role": account.get("role"),
        }
    })
}

async fn create_account(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
    body: Body,
) -> Reply {
    let name = body.required_str("name")?.to_owned();
    let account_only = body.bool("create_service_account_only")?.unwrap_or(false);
    sim.write(&admin, |org, ctx| {
        org.project(&project_id)?.ensure_active()?;
        let id = ctx.ids.id("svc_acct_");
        let mut fields = Map::new();
        fields.insert(
            "object".into(),
            "organization.project.service_account".into(),
        );
        fields.insert("id".into(), id.clone().into());
        fields.insert("name".into(), name.clone().into());
        let role = if account_only { "none" } else { "member" };
        fields.insert("role".into(), role.into());
        fields.insert("created_at".into(), ctx.now.into());
        let account = Doc::new(id.clone(), fields);
        let key =
            (!account_only).then(|| new_key(ctx, &project_id, "Secret Key", key_owner(&account)));
        let mut answer = account.fields().clone();
        answer.insert(
            "api_key".into(),
            key.as_ref().map_or(Value::Null, |(key, value)| {
                key_with_secret(key, value.clone())
            }),
        );
        let project = org.project_mut(&project_id)?;
        project.service_accounts.upsert(account);
        if let Some((key, _)) = key {
            project.api_keys.upsert(key);
        }
        ctx.log(
            Event::new(
                "service_account.created",
                json!({"id": id, "data": {"role": role}}),
            )
            .in_project(&project_id),
        );
        json(&answer)
    })
}

async fn retrieve_account(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((project_id, account_id)): Path<(String, String)>,
) -> Reply {
    sim.read(admin.org, |org| {
        doc(account(org.project(&project_id)?, &account_id)?)
    })
}

async fn update_account(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((project_id, account_id)): Path<(String, String)>,
    body: Body,
) -> Reply {
    let mut changes = Map::new();
    if let Some(name) = body.str("name")? {
        changes.insert("name".into(), name.into());
    }
    if let Some(role) = body.choice("role", &["member", "owner"])? {
        changes.insert("role".into(), role.into());
    }
    sim.write(&admin, |org, ctx| {
        let project = org.project_mut(&project_id)?;
        project.ensure_active()?;
        account(project, &account_id)?;
        let Some(updated) = project.service_accounts.get_mut(&account_id) else {
            return Err(ApiError::not_found("service account", &account_id));
        };
        updated.update(|fields| fields.extend(changes.clone()));
        let answer = doc(updated);
        let owner = key_owner(updated);
        // The keys show their owner as it is now.
        for key in project.api_keys.iter_mut() {
            let owned = key
                .get("owner")
                .and_then(|o| o.get("service_account"))
                .and_then(|s| s.get("id"))
                .and_then(Value::as_str)
                == Some(account_id.as_str());
            if owned {
                key.set("owner", owner.clone());
            }
        }
        ctx.log(
            Event::new(
                "service_account.updated",
                json!({"id": account_id, "changes_requested": changes}),
            )
            .in_project(&project_id),
        );
        answer
    })
}

fn owned_by_account(key: &Doc) -> Option<&str> {
    let owner = key.get("owner")?;
    if owner.get("type").and_then(Value::as_str) != Some("service_account") {
        return None;
    }
    owner
        .get("service_account")
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str)
}

async fn remove_account(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((project_id, account_id)): Path<(String, String)>,
) -> Reply {
    sim.write(&admin, |org, ctx| {
        let project = org.project_mut(&project_id)?;
        project
            .service_accounts
            .remove(&account_id)
            .ok_or_else(|| ApiError::not_found("service account", &account_id))?;
        project
            .api_keys
            .retain(|key| owned_by_account(key) != Some(account_id.as_str()));
        ctx.log(
            Event::new("service_account.deleted", json!({"id": account_id}))
                .in_project(&project_id),
        );
        deleted(
            "organization.project.service_account.deleted",
            Some(&account_id),
        )
    })
}

async fn create_account_key(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((project_id, account_id)): Path<(String, String)>,
    body: Body,
) -> Reply {
    let name = body.str("name")?.unwrap_or("Secret Key").to_owned();
    let scopes = body.strings("scopes")?.unwrap_or_default();
    sim.write(&admin, |org, ctx| {
        let project = org.project(&project_id)?;
        project.ensure_active()?;
        let owner = key_owner(account(project, &account_id)?);
        let (mut key, value) = new_key(ctx, &project_id, &name, owner);
        if !scopes.is_empty() {
            key.set("scopes", scopes.clone());
        }
        let answer = key_with_secret(&key, value);
        let id = key.key().to_owned();
        org.project_mut(&project_id)?.api_keys.upsert(key);
        ctx.log(
            Event::new(
                "api_key.created",
                json!({"id": id, "data": {"scopes": scopes}}),
            )
            .in_project(&project_id),
        );
        json(&answer)
    })
}

async fn list_keys(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
    params: Params,
) -> Reply {
    let cursor = Cursor::parse(&params, ListSpec::ID)?;
    // Without the parameter, only keys whose owner still has access are listed.
    let access = params
        .choice("owner_project_access", &["active", "inactive", "any"])?
        .unwrap_or("active");
    sim.read(admin.org, |org| {
        let page = org.project(&project_id)?.api_keys.page(&cursor, |key| {
            access == "any" || key.str("owner_project_access") == Some(access)
        })?;
        Ok(id_list(&page, write_doc))
    })
}

async fn retrieve_key(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((project_id, key_id)): Path<(String, String)>,
) -> Reply {
    sim.read(admin.org, |org| {
        doc(org
            .project(&project_id)?
            .api_keys
            .get(&key_id)
            .ok_or_else(|| ApiError::not_found("API key", &key_id))?)
    })
}

async fn remove_key(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((project_id, key_id)): Path<(String, String)>,
) -> Reply {
    sim.write(&admin, |org, ctx| {
        let project = org.project_mut(&project_id)?;
        let key = project
            .api_keys
            .get(&key_id)
            .ok_or_else(|| ApiError::not_found("API key", &key_id))?;
        if let Some(account) = owned_by_account(key) {
            return Err(ApiError::bad_request(format!(
                "API key '{key_id}' belongs to service account '{account}'; delete the service \
                 account instead."
            )));
        }
        project.api_keys.remove(&key_id);
        ctx.log(Event::new("api_key.deleted", json!({"id": key_id})).in_project(&project_id));
        deleted("organization.project.api_key.deleted", Some(&key_id))
    })
}
