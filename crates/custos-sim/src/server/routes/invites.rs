//! `/organization/invites`: list, create (a pending invite valid for seven days), retrieve,
//! delete (only while not accepted).

use super::{deleted, doc};
use crate::server::Simulator;
use crate::server::audit::Event;
use crate::server::auth::Admin;
use crate::server::body::Body;
use crate::server::error::ApiError;
use crate::server::paging::{Cursor, ListSpec, id_list, write_doc};
use crate::server::query::{Params, one_of};
use crate::server::reply::Reply;
use crate::server::state::Doc;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use serde_json::{Map, Value, json};

/// How long an invite stays pending.
const INVITE_LIFETIME: i64 = 7 * custos_model::unix::DAY;

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    router
        .route("/v1/organization/invites", get(list).post(create))
        .route(
            "/v1/organization/invites/{invite_id}",
            get(retrieve).delete(remove),
        )
}

async fn list(State(sim): State<Simulator>, admin: Admin, params: Params) -> Reply {
    let cursor = Cursor::parse(&params, ListSpec::ID)?;
    sim.read(admin.org, |org| {
        Ok(id_list(&org.invites.page(&cursor, |_| true)?, write_doc))
    })
}

/// `projects: [{id, role: member|owner}]`, validated.
fn invite_projects(body: &Body) -> Result<Vec<Value>, ApiError> {
    let Some(projects) = body.raw("projects") else {
        return Ok(Vec::new());
    };
    let invalid = || ApiError::invalid("projects", "Invalid 'projects': expected [{id, role}].");
    projects
        .as_array()
        .ok_or_else(invalid)?
        .iter()
        .map(|project| {
            let id = project
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(invalid)?;
            let role = project
                .get("role")
                .and_then(Value::as_str)
                .ok_or_else(invalid)?;
            let role = one_of("projects.role", role, &["member", "owner"])?;
            Ok(json!({"id": id, "role": role}))
        })
        .collect()
}

async fn create(State(sim): State<Simulator>, admin: Admin, body: Body) -> Reply {
    let email = body.required_str("email")?.to_owned();
    let role = body.required_choice("role", &["reader", "owner"])?;
    let projects = invite_projects(&body)?;
    sim.write(&admin, |org, ctx| {
        if let Some(project) = projects
            .iter()
            .filter_map(|p| p["id"].as_str())
            .find(|id| !org.projects.contains(id))
        {
            return Err(ApiError::not_found("project", project));
        }
        let id = ctx.ids.id("invite-");
        let mut fields = Map::new();
        fields.insert("object".into(), "organization.invite".into());
        fields.insert("id".into(), id.clone().into());
        fields.insert("email".into(), email.clone().into());
        fields.insert("role".into(), role.into());
        fields.insert("status".into(), "pending".into());
        fields.insert("created_at".into(), ctx.now.into());
        fields.insert("expires_at".into(), (ctx.now + INVITE_LIFETIME).into());
        fields.insert("accepted_at".into(), Value::Null);
        fields.insert("projects".into(), Value::Array(projects));
        let invite = Doc::new(id.clone(), fields);
        let answer = doc(&invite);
        org.invites.upsert(invite);
        ctx.log(Event::new(
            "invite.sent",
            json!({"id": id, "data": {"email": email, "role": role}}),
        ));
        answer
    })
}

async fn retrieve(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(invite_id): Path<String>,
) -> Reply {
    sim.read(admin.org, |org| {
        doc(org
            .invites
            .get(&invite_id)
            .ok_or_else(|| ApiError::not_found("invite", &invite_id))?)
    })
}

async fn remove(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(invite_id): Path<String>,
) -> Reply {
    sim.write(&admin, |org, ctx| {
        let invite = org
            .invites
            .get(&invite_id)
            .ok_or_else(|| ApiError::not_found("invite", &invite_id))?;
        if invite.str("status") == Some("accepted") {
            return Err(ApiError::bad_request(format!(
                "Invite '{invite_id}' was accepted and can no longer be deleted."
            )));
        }
        org.invites.remove(&invite_id);
        ctx.log(Event::new("invite.deleted", json!({"id": invite_id})));
        deleted("organization.invite.deleted", Some(&invite_id))
    })
}
