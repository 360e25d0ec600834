//! RBAC: custom roles of the organization and of each project, and the roles assigned to users
//! and groups at either level. Each operation is one handler for all its routes: the path's
//! `{project_id}` selects the scope and `{user_id}` or `{group_id}` the principal ([`Target`]).

use super::{Ids, deleted, doc};
use crate::server::Simulator;
use crate::server::audit::Event;
use crate::server::auth::Admin;
use crate::server::body::Body;
use crate::server::error::ApiError;
use crate::server::paging::{Cursor, ListSpec, Order, next_list, page_of, write_doc};
use crate::server::query::Params;
use crate::server::reply::{Reply, json, write_json};
use crate::server::state::{Doc, OrgState, Scope};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Map, Value, json};

const ROLES: ListSpec = ListSpec::ID.limit(1000, 0, 1000).ordered(Order::Asc);
/// The spec gives no default for assignment lists; 1000 (as for roles) returns them all.
const ASSIGNMENTS: ListSpec = ListSpec::ID.limit(1000, 0, 1000).ordered(Order::Asc);

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    const PROJECT: &str = "/v1/projects/{project_id}";
    let roles = || get(list_roles).post(create_role);
    let role = || get(retrieve_role).post(update_role).delete(remove_role);
    let assignments = || get(list_assigned).post(assign);
    let assignment = || get(retrieve_assigned).delete(unassign);
    router
        .route("/v1/organization/roles", roles())
        .route("/v1/organization/roles/{role_id}", role())
        .route(&format!("{PROJECT}/roles"), roles())
        .route(&format!("{PROJECT}/roles/{{role_id}}"), role())
        .route("/v1/organization/users/{user_id}/roles", assignments())
        .route(
            "/v1/organization/users/{user_id}/roles/{role_id}",
            assignment(),
        )
        .route("/v1/organization/groups/{group_id}/roles", assignments())
        .route(
            "/v1/organization/groups/{group_id}/roles/{role_id}",
            assignment(),
        )
        .route(&format!("{PROJECT}/users/{{user_id}}/roles"), assignments())
        .route(
            &format!("{PROJECT}/users/{{user_id}}/roles/{{role_id}}"),
            assignment(),
        )
        .route(
            &format!("{PROJECT}/groups/{{group_id}}/roles"),
            assignments(),
        )
        .route(
            &format!("{PROJECT}/groups/{{group_id}}/roles/{{role_id}}"),
            assignment(),
        )
}

fn role<'a>(org: &'a OrgState, scope: Scope, role_id: &str) -> Result<&'a Doc, ApiError> {
    org.controls(scope)?
        .roles
        .get(role_id)
        .ok_or_else(|| ApiError::not_found("role", role_id))
}

// ---- roles -------------------------------------------------------------------------------

async fn list_roles(State(sim): State<Simulator>, admin: Admin, ids: Ids, params: Params) -> Reply {
    let scope = ids.scope();
    let cursor = Cursor::parse(&params, ROLES)?;
    sim.read(admin.org, |org| {
        let page = org.controls(scope)?.roles.page(&cursor, |_| true)?;
        Ok(next_list(&page, &cursor, write_doc))
    })
}

async fn create_role(State(sim): State<Simulator>, admin: Admin, ids: Ids, body: Body) -> Reply {
    let scope = ids.scope();
    let name = body.required_str("role_name")?.to_owned();
    let permissions = body.required_strings("permissions")?;
    let description = body.str("description")?.map(str::to_owned);
    sim.write(&admin, |org, ctx| {
        let resource = org.scope_id(scope).to_owned();
        let roles = &mut org.controls_mut(scope)?.roles;
        if roles.items().iter().any(|r| r.str("name") == Some(&name)) {
            return Err(ApiError::invalid(
                "role_name",
                format!("A role named '{name}' already exists."),
            ));
        }
        let id = ctx.ids.id("role_");
        let mut fields = Map::new();
        fields.insert("object".into(), "role".into());
        fields.insert("id".into(), id.clone().into());
        fields.insert("name".into(), name.clone().into());
        fields.insert("description".into(), description.clone().into());
        fields.insert("permissions".into(), permissions.clone().into());
        fields.insert("resource_type".into(), scope.resource_type().into());
        fields.insert("predefined_role".into(), false.into());
        let created = Doc::new(id.clone(), fields);
        let answer = doc(&created);
        roles.upsert(created);
        ctx.log(
            Event::new(
                "role.created",
                json!({
                    "id": id,
                    "role_name": name,
                    "permissions": permissions,
                    "resource_type": scope.resource_type(),
                    "resource_id": resource,
                }),
            )
            .at(scope),
        );
        answer
    })
}

/// Predefined roles are managed by OpenAI.
fn ensure_custom(found: &Doc) -> Result<(), ApiError> {
    if found.get("predefined_role") == Some(&Value::Bool(true)) {
        return Err(ApiError::bad_request(format!(
            "Role '{}' is predefined and cannot be changed.",
            found.key()
        )));
    }
    Ok(())
}

async fn retrieve_role(State(sim): State<Simulator>, admin: Admin, ids: Ids) -> Reply {
    sim.read(admin.org, |org| {
        doc(role(org, ids.scope(), ids.get("role_id"))?)
    })
}

async fn update_role(State(sim): State<Simulator>, admin: Admin, ids: Ids, body: Body) -> Reply {
    let (scope, id) = (ids.scope(), ids.get("role_id"));
    let name = body.str("role_name")?.map(str::to_owned);
    let permissions = body.strings("permissions")?;
    let description = body.str("description")?.map(str::to_owned);
    sim.write(&admin, |org, ctx| {
        ensure_custom(role(org, scope, id)?)?;
        let found = org
            .controls_mut(scope)?
            .roles
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("role", id))?;
        let before: Vec<String> = found
            .get("permissions")
            .and_then(Value::as_array)
            .map(|p| {
                p.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let mut requested = Map::new();
        found.update(|fields| {
            if let Some(name) = &name {
                fields.insert("name".into(), name.clone().into());
                requested.insert("role_name".into(), name.clone().into());
            }
            if let Some(description) = &description {
                fields.insert("description".into(), description.clone().into());
                requested.insert("description".into(), description.clone().into());
            }
            if let Some(permissions) = &permissions {
                fields.insert("permissions".into(), permissions.clone().into());
                let added: Vec<&String> =
                    permissions.iter().filter(|p| !before.contains(p)).collect();
                let removed: Vec<&String> =
                    before.iter().filter(|p| !permissions.contains(p)).collect();
                requested.insert("permissions_added".into(), json!(added));
                requested.insert("permissions_removed".into(), json!(removed));
            }
        });
        let answer = doc(found);
        ctx.log(
            Event::new(
                "role.updated",
                json!({"id": id, "changes_requested": requested}),
            )
            .at(scope),
        );
        answer
    })
}

async fn remove_role(State(sim): State<Simulator>, admin: Admin, ids: Ids) -> Reply {
    let (scope, id) = (ids.scope(), ids.get("role_id"));
    sim.write(&admin, |org, ctx| {
        ensure_custom(role(org, scope, id)?)?;
        let controls = org.controls_mut(scope)?;
        controls.roles.remove(id);
        controls.assignments.forget_role(id);
        ctx.log(Event::new("role.deleted", json!({"id": id})).at(scope));
        deleted("role.deleted", Some(id))
    })
}

// ---- role assignments ----------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Principal {
    User,
    Group,
}

/// Whose roles, at which level.
#[derive(Debug, Clone, Copy)]
struct Target<'a> {
    scope: Scope<'a>,
    principal: Principal,
    id: &'a str,
}

impl<'a> Target<'a> {
    /// The principal is the route's `{user_id}` or `{group_id}`; the scope its `{project_id}`.
    fn of(ids: &'a Ids) -> Target<'a> {
        let (principal, id) = if ids.has("user_id") {
            (Principal::User, ids.get("user_id"))
        } else {
            (Principal::Group, ids.get("group_id"))
        };
        Target {
            scope: ids.scope(),
            principal,
            id,
        }
    }

    fn kind(self) -> &'static str {
        match self.principal {
            Principal::User => "user",
            Principal::Group => "group",
        }
    }

    /// The principal's role ids, after checking that the scope and the principal exist.
    fn roles(self, org: &OrgState) -> Result<&[String], ApiError> {
        match self.principal {
            Principal::User => org.user(self.id).map(|_| ()),
            Principal::Group => org.group(self.id).map(|_| ()),
        }?;
        let assignments = &org.controls(self.scope)?.assignments;
        let map = match self.principal {
            Principal::User => &assignments.users,
            Principal::Group => &assignments.groups,
        };
        Ok(map.get(self.id).map(Vec::as_slice).unwrap_or_default())
    }

    fn roles_mut(self, org: &mut OrgState) -> Result<&mut Vec<String>, ApiError> {
        self.roles(org)?;
        let assignments = &mut org.controls_mut(self.scope)?.assignments;
        let map = match self.principal {
            Principal::User => &mut assignments.users,
            Principal::Group => &mut assignments.groups,
        };
        Ok(map.entry(self.id.to_owned()).or_default())
    }

    fn event(self, org: &OrgState, kind: &'static str, role_id: &str) -> Event {
        Event::new(
            kind,
            json!({
                "id": role_id,
                "principal_id": self.id,
                "principal_type": self.kind(),
                "resource_id": org.scope_id(self.scope),
                "resource_type": self.scope.resource_type(),
            }),
        )
        .at(self.scope)
    }
}

/// `AssignedRoleDetails` of a role.
fn assigned(role: &Doc) -> Value {
    let field = |name: &str| role.get(name).cloned().unwrap_or(Value::Null);
    json!({
        "id": role.key(),
        "name": field("name"),
        "permissions": role.get("permissions").cloned().unwrap_or(json!([])),
        "resource_type": field("resource_type"),
        "predefined_role": role.get("predefined_role").cloned().unwrap_or(false.into()),
        "description": field("description"),
        "created_at": field("created_at"),
        "updated_at": field("updated_at"),
        "created_by": field("created_by"),
        "created_by_user_obj": field("created_by_user_obj"),
        "metadata": field("metadata"),
        "assignment_sources": field("assignment_sources"),
    })
}

async fn list_assigned(
    State(sim): State<Simulator>,
    admin: Admin,
    ids: Ids,
    params: Params,
) -> Reply {
    let target = Target::of(&ids);
    let cursor = Cursor::parse(&params, ASSIGNMENTS)?;
    sim.read(admin.org, |org| {
        let roles = &org.controls(target.scope)?.roles;
        // Assignments of roles that no longer exist are not listed.
        let page = page_of(target.roles(org)?, &cursor, |id| roles.contains(id))?;
        Ok(next_list(&page, &cursor, |out, id| {
            if let Some(found) = roles.get(id) {
                write_json(out, &assigned(found));
            }
        }))
    })
}

async fn retrieve_assigned(State(sim): State<Simulator>, admin: Admin, ids: Ids) -> Reply {
    let (target, role_id) = (Target::of(&ids), ids.get("role_id"));
    sim.read(admin.org, |org| {
        if !target.roles(org)?.iter().any(|r| r == role_id) {
            return Err(ApiError::not_found("role assignment", role_id));
        }
        json(&assigned(role(org, target.scope, role_id)?))
    })
}

async fn assign(State(sim): State<Simulator>, admin: Admin, ids: Ids, body: Body) -> Reply {
    let target = Target::of(&ids);
    let role_id = body.required_str("role_id")?.to_owned();
    sim.write(&admin, |org, ctx| {
        let granted = role(org, target.scope, &role_id)?.fields().clone();
        let principal = match target.principal {
            Principal::User => org.user(target.id)?.fields().clone(),
            Principal::Group => {
                let group = org.group(target.id)?;
                let mut summary = Map::new();
                summary.insert("object".into(), "group".into());
                summary.insert("id".into(), group.key().into());
                summary.insert(
                    "name".into(),
                    group.get("name").cloned().unwrap_or_default(),
                );
                summary.insert(
                    "created_at".into(),
                    group.get("created_at").cloned().unwrap_or_default(),
                );
                summary.insert(
                    "scim_managed".into(),
                    group
                        .get("is_scim_managed")
                        .cloned()
                        .unwrap_or(false.into()),
                );
                summary
            }
        };
        let roles = target.roles_mut(org)?;
        if !roles.contains(&role_id) {
            roles.push(role_id.clone());
        }
        ctx.log(target.event(org, "role.assignment.created", &role_id));
        let kind = target.kind();
        json(&json!({"object": format!("{kind}.role"), kind: principal, "role": granted}))
    })
}

async fn unassign(State(sim): State<Simulator>, admin: Admin, ids: Ids) -> Reply {
    let (target, role_id) = (Target::of(&ids), ids.get("role_id"));
    sim.write(&admin, |org, ctx| {
        let roles = target.roles_mut(org)?;
        let before = roles.len();
        roles.retain(|r| r != role_id);
        if roles.len() == before {
            return Err(ApiError::not_found("role assignment", role_id));
        }
        ctx.log(target.event(org, "role.assignment.deleted", role_id));
        deleted(&format!("{}.role.deleted", target.kind()), None)
    })
}
