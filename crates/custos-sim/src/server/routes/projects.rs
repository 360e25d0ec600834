//! `/organization/projects`: list (archived hidden unless `include_archived=true`), create,
//! retrieve, modify (refused once archived) and archive (one-way).

use super::doc;
use crate::server::Simulator;
use crate::server::audit::Event;
use crate::server::auth::Admin;
use crate::server::body::Body;
use crate::server::paging::{Cursor, ListSpec, id_list};
use crate::server::query::Params;
use crate::server::reply::Reply;
use crate::server::state::normalize::data_retention_default;
use crate::server::state::{Doc, ProjectState};
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

/// `PublicProjectResidency`.
const RESIDENCIES: &[&str] = &[
    "GLOBAL",
    "US_STORAGE_PROCESSING",
    "EU_STORAGE_PROCESSING",
    "JP_STORAGE",
    "KR_STORAGE",
    "CA_STORAGE",
    "SG_STORAGE",
    "IN_STORAGE",
    "AU_STORAGE",
    "GB_STORAGE",
    "AE_STORAGE",
    "AE_STORAGE_PROCESSING",
];

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    router
        .route("/v1/organization/projects", get(list).post(create))
        .route(
            "/v1/organization/projects/{project_id}",
            get(retrieve).post(modify),
        )
        .route(
            "/v1/organization/projects/{project_id}/archive",
            post(archive),
        )
}

async fn list(State(sim): State<Simulator>, admin: Admin, params: Params) -> Reply {
    let cursor = Cursor::parse(&params, ListSpec::ID)?;
    let include_archived = params.bool("include_archived")?.unwrap_or(false);
    sim.read(admin.org, |org| {
        let page = org
            .projects
            .page(&cursor, |p| include_archived || !p.is_archived())?;
        Ok(id_list(&page, |out, p| out.extend_from_slice(p.doc.json())))
    })
}

async fn create(State(sim): State<Simulator>, admin: Admin, body: Body) -> Reply {
    let name = body.required_str("name")?.to_owned();
    let residency = body.choice("residency", RESIDENCIES)?;
    let external_key_id = body.str("external_key_id")?.map(str::to_owned);
    sim.write(&admin, |org, ctx| {
        let id = ctx.ids.id("proj_");
        let mut fields = Map::new();
        fields.insert("id".into(), id.clone().into());
        fields.insert("object".into(), "organization.project".into());
        fields.insert("name".into(), name.clone().into());
        fields.insert("created_at".into(), ctx.now.into());
        fields.insert("archived_at".into(), Value::Null);
        fields.insert("status".into(), "active".into());
        fields.insert("external_key_id".into(), external_key_id.into());
        if let Some(residency) = residency {
            fields.insert("residency".into(), residency.into());
        }
        let mut project = ProjectState::new(Doc::new(id.clone(), fields));
        project.controls.data_retention = Some(data_retention_default());
        let answer = doc(&project.doc);
        org.projects.upsert(project);
        ctx.log(
            Event::new(
                "project.created",
                json!({"id": id, "data": {"name": name, "title": name}}),
            )
            .in_project(&id),
        );
        answer
    })
}

async fn retrieve(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
) -> Reply {
    sim.read(admin.org, |org| doc(&org.project(&project_id)?.doc))
}

async fn modify(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
    body: Body,
) -> Reply {
    let mut changes = Map::new();
    for field in ["name", "external_key_id"] {
        if let Some(value) = body.str(field)? {
            changes.insert(field.into(), value.into());
        }
    }
    sim.write(&admin, |org, ctx| {
        let project = org.project_mut(&project_id)?;
        project.ensure_active()?;
        project.doc.update(|fields| fields.extend(changes.clone()));
        let answer = doc(&project.doc);
        let mut requested = Map::new();
        if let Some(name) = changes.get("name") {
            requested.insert("title".into(), name.clone());
        }
        ctx.log(
            Event::new(
                "project.updated",
                json!({"id": project_id, "changes_requested": requested}),
            )
            .in_project(&project_id),
        );
        answer
    })
}

async fn archive(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
) -> Reply {
    sim.write(&admin, |org, ctx| {
        let project = org.project_mut(&project_id)?;
        // Archiving is one-way and idempotent: a second call changes and logs nothing.
        if project.is_archived() {
            return doc(&project.doc);
        }
        project.doc.update(|fields| {
            fields.insert("archived_at".into(), ctx.now.into());
            fields.insert("status".into(), "archived".into());
        });
        let answer = doc(&project.doc);
        ctx.log(Event::new("project.archived", json!({"id": project_id})).in_project(&project_id));
        answer
    })
}
