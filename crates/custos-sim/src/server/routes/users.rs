//! `/organization/users`: list (with `emails`), retrieve, modify, delete.

use super::{deleted, doc};
use crate::server::Simulator;
use crate::server::audit::Event;
use crate::server::auth::Admin;
use crate::server::body::Body;
use crate::server::error::ApiError;
use crate::server::paging::{Cursor, ListSpec, id_list, write_doc};
use crate::server::query::Params;
use crate::server::reply::Reply;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use serde_json::{Map, Value, json};

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    router.route("/v1/organization/users", get(list)).route(
        "/v1/organization/users/{user_id}",
        get(retrieve).post(modify).delete(remove),
    )
}

async fn list(State(sim): State<Simulator>, admin: Admin, params: Params) -> Reply {
    let cursor = Cursor::parse(&params, ListSpec::ID)?;
    let emails = params.list("emails");
    sim.read(admin.org, |org| {
        let page = org.users.page(&cursor, |user| {
            emails.is_empty() || user.str("email").is_some_and(|e| emails.contains(&e))
        })?;
        Ok(id_list(&page, write_doc))
    })
}

async fn retrieve(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(user_id): Path<String>,
) -> Reply {
    sim.read(admin.org, |org| doc(org.user(&user_id)?))
}

async fn modify(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(user_id): Path<String>,
    body: Body,
) -> Reply {
    let role = body.choice("role", &["owner", "reader"])?;
    let role_id = body.str("role_id")?;
    let mut changes = Map::new();
    if let Some(role) = role {
        changes.insert("role".into(), role.into());
    }
    for field in ["technical_level", "developer_persona"] {
        if let Some(value) = body.str(field)? {
            changes.insert(field.into(), value.into());
        }
    }
    sim.write(&admin, |org, ctx| {
        if let Some(role_id) = role_id
            && !org.controls.roles.contains(role_id)
        {
            return Err(ApiError::not_found("role", role_id));
        }
        let user = org
            .users
            .get_mut(&user_id)
            .ok_or_else(|| ApiError::not_found("user", &user_id))?;
        user.update(|fields| fields.extend(changes.clone()));
        let answer = doc(user);
        if let Some(role_id) = role_id {
            let roles = org
                .controls
                .assignments
                .users
                .entry(user_id.clone())
                .or_default();
            if !roles.iter().any(|r| r == role_id) {
                roles.push(role_id.to_owned());
            }
            changes.insert("role_id".into(), role_id.into());
        }
        ctx.log(Event::new(
            "user.updated",
            json!({"id": user_id, "changes_requested": Value::Object(changes)}),
        ));
        answer
    })
}

async fn remove(State(sim): State<Simulator>, admin: Admin, Path(user_id): Path<String>) -> Reply {
    sim.write(&admin, |org, ctx| {
        org.users
            .remove(&user_id)
            .ok_or_else(|| ApiError::not_found("user", &user_id))?;
        // Leaving the organization ends every membership; the user's keys lose access.
        for project in org.projects.iter_mut() {
            if project.users.remove(&user_id).is_some() {
                project.set_owner_access(&user_id, "inactive");
            }
            project.controls.assignments.users.remove(&user_id);
        }
        for members in org.group_members.values_mut() {
            members.retain(|member| *member != user_id);
        }
        org.controls.assignments.users.remove(&user_id);
        ctx.log(Event::new("user.deleted", json!({"id": user_id})));
        deleted("organization.user.deleted", Some(&user_id))
    })
}
