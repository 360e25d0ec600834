//! Groups, their members, and the groups granted access to a project (style B lists).

use super::{deleted, doc};
use crate::server::Simulator;
use crate::server::audit::Event;
use crate::server::auth::Admin;
use crate::server::body::Body;
use crate::server::error::ApiError;
use crate::server::paging::{Cursor, ListSpec, Order, next_list, page_of, write_doc};
use crate::server::query::Params;
use crate::server::reply::{Reply, json, write_json};
use crate::server::state::{Doc, OrgState};
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use serde_json::{Map, Value, json};

const GROUPS: ListSpec = ListSpec::ID.limit(100, 0, 1000).ordered(Order::Asc);
const MEMBERS: ListSpec = ListSpec::ID.limit(100, 0, 1000).ordered(Order::Desc);
const PROJECT_GROUPS: ListSpec = ListSpec::ID.limit(20, 0, 100).ordered(Order::Asc);

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    router
        .route("/v1/organization/groups", get(list).post(create))
        .route(
            "/v1/organization/groups/{group_id}",
            get(retrieve).post(rename).delete(remove),
        )
        .route(
            "/v1/organization/groups/{group_id}/users",
            get(list_members).post(add_member),
        )
        .route(
            "/v1/organization/groups/{group_id}/users/{user_id}",
            get(retrieve_member).delete(remove_member),
        )
        .route(
            "/v1/organization/projects/{project_id}/groups",
            get(list_project_groups).post(add_project_group),
        )
        .route(
            "/v1/organization/projects/{project_id}/groups/{group_id}",
            get(retrieve_project_group).delete(remove_project_group),
        )
}

async fn list(State(sim): State<Simulator>, admin: Admin, params: Params) -> Reply {
    let cursor = Cursor::parse(&params, GROUPS)?;
    sim.read(admin.org, |org| {
        Ok(next_list(
            &org.groups.page(&cursor, |_| true)?,
            &cursor,
            write_doc,
        ))
    })
}

async fn create(State(sim): State<Simulator>, admin: Admin, body: Body) -> Reply {
    let name = body.required_str("name")?.to_owned();
    sim.write(&admin, |org, ctx| {
        let id = ctx.ids.id("group_");
        let mut fields = Map::new();
        fields.insert("object".into(), "group".into());
        fields.insert("id".into(), id.clone().into());
        fields.insert("name".into(), name.clone().into());
        fields.insert("created_at".into(), ctx.now.into());
        fields.insert("is_scim_managed".into(), false.into());
        fields.insert("group_type".into(), "group".into());
        let group = Doc::new(id.clone(), fields);
        let answer = doc(&group);
        org.groups.upsert(group);
        org.group_members.insert(id.clone(), Vec::new());
        ctx.log(Event::new(
            "group.created",
            json!({"id": id, "data": {"group_name": name}}),
        ));
        answer
    })
}

async fn retrieve(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(group_id): Path<String>,
) -> Reply {
    sim.read(admin.org, |org| doc(org.group(&group_id)?))
}

async fn rename(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(group_id): Path<String>,
    body: Body,
) -> Reply {
    let name = body.required_str("name")?.to_owned();
    sim.write(&admin, |org, ctx| {
        let group = org
            .groups
            .get_mut(&group_id)
            .ok_or_else(|| ApiError::not_found("group", &group_id))?;
        group.set("name", name.clone());
        let answer = json(&json!({
            "id": group.key(),
            "name": name,
            "created_at": group.get("created_at"),
            "is_scim_managed": group.get("is_scim_managed"),
        }));
        for project in org.projects.iter_mut() {
            if let Some(granted) = project.groups.get_mut(&group_id) {
                granted.set("group_name", name.clone());
            }
        }
        ctx.log(Event::new(
            "group.updated",
            json!({"id": group_id, "changes_requested": {"group_name": name}}),
        ));
        answer
    })
}

async fn remove(State(sim): State<Simulator>, admin: Admin, Path(group_id): Path<String>) -> Reply {
    sim.write(&admin, |org, ctx| {
        org.groups
            .remove(&group_id)
            .ok_or_else(|| ApiError::not_found("group", &group_id))?;
        org.group_members.remove(&group_id);
        org.controls.assignments.groups.remove(&group_id);
        for project in org.projects.iter_mut() {
            project.groups.remove(&group_id);
            project.controls.assignments.groups.remove(&group_id);
        }
        ctx.log(Event::new("group.deleted", json!({"id": group_id})));
        deleted("group.deleted", Some(&group_id))
    })
}

fn members<'a>(org: &'a OrgState, group_id: &str) -> Result<&'a [String], ApiError> {
    org.group(group_id)?;
    Ok(org
        .group_members
        .get(group_id)
        .map(Vec::as_slice)
        .unwrap_or_default())
}

/// `name` is required in the member shapes: fall back to the email, then the id.
fn member_name(user: &Doc) -> Value {
    user.str("name")
        .or_else(|| user.str("email"))
        .unwrap_or(user.key())
        .into()
}

async fn list_members(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(group_id): Path<String>,
    params: Params,
) -> Reply {
    let cursor = Cursor::parse(&params, MEMBERS)?;
    sim.read(admin.org, |org| {
        // Members whose user left the organization are not listed.
        let page = page_of(members(org, &group_id)?, &cursor, |id| {
            org.users.contains(id)
        })?;
        Ok(next_list(&page, &cursor, |out, id| {
            if let Some(user) = org.users.get(id) {
                write_json(
                    out,
                    &json!({"id": id, "name": member_name(user), "email": user.get("email")}),
                );
            }
        }))
    })
}

async fn add_member(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(group_id): Path<String>,
    body: Body,
) -> Reply {
    let user_id = body.required_str("user_id")?.to_owned();
    sim.write(&admin, |org, ctx| {
        org.group(&group_id)?;
        org.user(&user_id)?;
        let members = org.group_members.entry(group_id.clone()).or_default();
        if !members.contains(&user_id) {
            members.push(user_id.clone());
            ctx.log(Event::new(
                "group.updated",
                json!({"id": group_id, "changes_requested": {"users_added": [user_id]}}),
            ));
        }
        json(&json!({"object": "group.user", "user_id": user_id, "group_id": group_id}))
    })
}

async fn retrieve_member(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((group_id, user_id)): Path<(String, String)>,
) -> Reply {
    sim.read(admin.org, |org| {
        let user = members(org, &group_id)?
            .contains(&user_id)
            .then(|| org.users.get(&user_id))
            .flatten()
            .ok_or_else(|| ApiError::not_found("group user", &user_id))?;
        json(&json!({
            "id": user_id,
            "name": member_name(user),
            "email": user.get("email"),
            "picture": user.get("picture").cloned().unwrap_or(Value::Null),
            "is_service_account": user.get("is_service_account").cloned().unwrap_or(false.into()),
            "user_type": "user",
        }))
    })
}

async fn remove_member(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((group_id, user_id)): Path<(String, String)>,
) -> Reply {
    sim.write(&admin, |org, ctx| {
        org.group(&group_id)?;
        let members = org.group_members.entry(group_id.clone()).or_default();
        let before = members.len();
        members.retain(|m| *m != user_id);
        if members.len() == before {
            return Err(ApiError::not_found("group user", &user_id));
        }
        ctx.log(Event::new(
            "group.updated",
            json!({"id": group_id, "changes_requested": {"users_removed": [user_id]}}),
        ));
        deleted("group.user.deleted", None)
    })
}

async fn list_project_groups(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
    params: Params,
) -> Reply {
    let cursor = Cursor::parse(&params, PROJECT_GROUPS)?;
    sim.read(admin.org, |org| {
        let page = org.project(&project_id)?.groups.page(&cursor, |_| true)?;
        Ok(next_list(&page, &cursor, write_doc))
    })
}

/// The `role.assignment.*` payload for a group's role in a project.
fn project_assignment(group_id: &str, role: &str, project_id: &str) -> Value {
    json!({
        "id": role,
        "principal_id": group_id,
        "principal_type": "group",
        "resource_id": project_id,
        "resource_type": "api.project",
    })
}

async fn add_project_group(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
    body: Body,
) -> Reply {
    let group_id = body.required_str("group_id")?.to_owned();
    let role = body.required_str("role")?.to_owned();
    sim.write(&admin, |org, ctx| {
        let group = org.group(&group_id)?;
        let mut fields = Map::new();
        fields.insert("object".into(), "project.group".into());
        fields.insert("project_id".into(), project_id.clone().into());
        fields.insert("group_id".into(), group_id.clone().into());
        fields.insert(
            "group_name".into(),
            group.get("name").cloned().unwrap_or_default(),
        );
        fields.insert(
            "group_type".into(),
            group.get("group_type").cloned().unwrap_or("group".into()),
        );
        fields.insert("created_at".into(), ctx.now.into());
        let project = org.project_mut(&project_id)?;
        project.ensure_active()?;
        let granted = Doc::new(group_id.clone(), fields);
        let answer = doc(&granted);
        project.groups.upsert(granted);
        let roles = project
            .controls
            .assignments
            .groups
            .entry(group_id.clone())
            .or_default();
        if !roles.contains(&role) {
            roles.push(role.clone());
        }
        ctx.log(
            Event::new(
                "role.assignment.created",
                project_assignment(&group_id, &role, &project_id),
            )
            .in_project(&project_id),
        );
        answer
    })
}

async fn retrieve_project_group(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((project_id, group_id)): Path<(String, String)>,
    params: Params,
) -> Reply {
    let group_type = params.choice("group_type", &["group", "tenant_group"])?;
    sim.read(admin.org, |org| {
        let granted = org
            .project(&project_id)?
            .groups
            .get(&group_id)
            .filter(|g| group_type.is_none_or(|t| g.str("group_type") == Some(t)))
            .ok_or_else(|| ApiError::not_found("project group", &group_id))?;
        doc(granted)
    })
}

async fn remove_project_group(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((project_id, group_id)): Path<(String, String)>,
) -> Reply {
    sim.write(&admin, |org, ctx| {
        let project = org.project_mut(&project_id)?;
        project
            .groups
            .remove(&group_id)
            .ok_or_else(|| ApiError::not_found("project group", &group_id))?;
        let roles = project
            .controls
            .assignments
            .groups
            .remove(&group_id)
            .unwrap_or_default();
        let role = roles.first().map_or("", String::as_str);
        ctx.log(
            Event::new(
                "role.assignment.deleted",
                project_assignment(&group_id, role, &project_id),
            )
            .in_project(&project_id),
        );
        deleted("project.group.deleted", None)
    })
}
