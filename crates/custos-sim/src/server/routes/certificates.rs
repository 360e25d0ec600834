//! Mutual-TLS certificates of the organization and their activation, at organization level or
//! per project. A certificate is one object; "active" is a property of the scope, so lists
//! render it per request (`organization.certificate` or `organization.project.certificate`),
//! while the single-certificate endpoints answer `object: certificate` without `active`.

use super::Ids;
use crate::server::Simulator;
use crate::server::audit::Event;
use crate::server::auth::Admin;
use crate::server::body::Body;
use crate::server::error::ApiError;
use crate::server::paging::{Cursor, ListSpec, Order, id_list};
use crate::server::query::Params;
use crate::server::reply::{Reply, json, write_json};
use crate::server::state::{Doc, OrgState, Scope};
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

/// At most this many certificates per organization.
const MAX_CERTIFICATES: usize = 50;
/// At most this many ids per activation request.
const MAX_TOGGLE: usize = 10;
/// Validity of an uploaded certificate (the simulator does not parse the PEM).
const VALIDITY: i64 = 365 * custos_model::unix::DAY;

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    router
        .route("/v1/organization/certificates", get(list).post(upload))
        .route("/v1/organization/certificates/activate", post(activate))
        .route("/v1/organization/certificates/deactivate", post(deactivate))
        .route(
            "/v1/organization/certificates/{certificate_id}",
            get(retrieve).post(rename).delete(remove),
        )
        .route(
            "/v1/organization/projects/{project_id}/certificates",
            get(list),
        )
        .route(
            "/v1/organization/projects/{project_id}/certificates/activate",
            post(activate),
        )
        .route(
            "/v1/organization/projects/{project_id}/certificates/deactivate",
            post(deactivate),
        )
}

const LIST: ListSpec = ListSpec::ID.ordered(Order::Desc);

fn is_active(org: &OrgState, scope: Scope, id: &str) -> bool {
    match scope {
        Scope::Org => org.active_certificates.contains(id),
        Scope::Project(project) => org
            .projects
            .get(project)
            .is_some_and(|p| p.certificate_ids.iter().any(|c| c == id)),
    }
}

/// `organization.certificate…` or `organization.project.certificate…`: certificates are
/// organization objects at both levels, unlike the `project.*` tags of other settings.
fn tag(scope: Scope, suffix: &str) -> String {
    match scope {
        Scope::Org => format!("organization.certificate{suffix}"),
        Scope::Project(_) => format!("organization.project.certificate{suffix}"),
    }
}

/// The certificate as lists show it in `scope`.
fn listed(org: &OrgState, scope: Scope, certificate: &Doc) -> Value {
    let mut fields = certificate.fields().clone();
    fields.insert("object".into(), tag(scope, "").into());
    fields.insert(
        "active".into(),
        is_active(org, scope, certificate.key()).into(),
    );
    Value::Object(fields)
}

async fn list(State(sim): State<Simulator>, admin: Admin, ids: Ids, params: Params) -> Reply {
    let scope = ids.scope();
    let cursor = Cursor::parse(&params, LIST)?;
    sim.read(admin.org, |org| {
        if let Scope::Project(id) = scope {
            org.project(id)?;
        }
        let page = org.certificates.page(&cursor, |_| true)?;
        Ok(id_list(&page, |out, c| {
            write_json(out, &listed(org, scope, c))
        }))
    })
}

fn certificate<'a>(org: &'a OrgState, id: &str) -> Result<&'a Doc, ApiError> {
    org.certificates
        .get(id)
        .ok_or_else(|| ApiError::not_found("certificate", id))
}

/// Activates or deactivates `certificate_ids` in `scope`, all or none.
fn toggle(sim: &Simulator, admin: &Admin, body: &Body, scope: Scope, on: bool) -> Reply {
    let ids = body.required_strings("certificate_ids")?;
    if ids.is_empty() || ids.len() > MAX_TOGGLE {
        return Err(ApiError::invalid(
            "certificate_ids",
            format!("Invalid 'certificate_ids': give between 1 and {MAX_TOGGLE} ids."),
        ));
    }
    sim.write(admin, |org, ctx| {
        if let Scope::Project(project) = scope {
            org.project(project)?;
        }
        for id in &ids {
            certificate(org, id)?;
        }
        for id in &ids {
            match scope {
                Scope::Org if on => {
                    org.active_certificates.insert(id.clone());
                }
                Scope::Org => {
                    org.active_certificates.remove(id);
                }
                Scope::Project(project) => {
                    let active = &mut org.project_mut(project)?.certificate_ids;
                    active.retain(|c| c != id);
                    if on {
                        active.push(id.clone());
                    }
                }
            }
        }
        let data: Vec<Value> = ids
            .iter()
            .filter_map(|id| org.certificates.get(id))
            .map(|c| listed(org, scope, c))
            .collect();
        let named: Vec<Value> = data
            .iter()
            .map(|c| json!({"id": c["id"], "name": c["name"]}))
            .collect();
        let (kind, suffix) = if on {
            ("certificates.activated", ".activation")
        } else {
            ("certificates.deactivated", ".deactivation")
        };
        let event = Event::new(kind, json!({"certificates": named}));
        ctx.log(match scope {
            Scope::Org => event,
            Scope::Project(project) => event.in_project(project),
        });
        json(&json!({"object": tag(scope, suffix), "data": data}))
    })
}

async fn activate(State(sim): State<Simulator>, admin: Admin, ids: Ids, body: Body) -> Reply {
    toggle(&sim, &admin, &body, ids.scope(), true)
}

async fn deactivate(State(sim): State<Simulator>, admin: Admin, ids: Ids, body: Body) -> Reply {
    toggle(&sim, &admin, &body, ids.scope(), false)
}

async fn retrieve(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(certificate_id): Path<String>,
    params: Params,
) -> Reply {
    let with_content = params.list("include").contains(&"content");
    sim.read(admin.org, |org| {
        let found = certificate(org, &certificate_id)?;
        let content = org.certificate_contents.get(&certificate_id);
        match content.filter(|_| with_content) {
            None => super::doc(found),
            Some(content) => {
                let mut fields = found.fields().clone();
                if let Some(Value::Object(details)) = fields.get_mut("certificate_details") {
                    details.insert("content".into(), content.clone().into());
                }
                json(&fields)
            }
        }
    })
}

async fn upload(State(sim): State<Simulator>, admin: Admin, body: Body) -> Reply {
    let pem = body.required_str("certificate")?.to_owned();
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(ApiError::invalid(
            "certificate",
            "Invalid 'certificate': expected a PEM-encoded certificate.",
        ));
    }
    let name = body.str("name")?.map(str::to_owned);
    sim.write(&admin, |org, ctx| {
        if org.certificates.len() >= MAX_CERTIFICATES {
            return Err(ApiError::bad_request(format!(
                "An organization can hold at most {MAX_CERTIFICATES} certificates."
            )));
        }
        let id = ctx.ids.id("cert_");
        let mut fields = Map::new();
        fields.insert("object".into(), "certificate".into());
        fields.insert("id".into(), id.clone().into());
        fields.insert("name".into(), name.clone().into());
        fields.insert("created_at".into(), ctx.now.into());
        fields.insert(
            "certificate_details".into(),
            json!({"valid_at": ctx.now, "expires_at": ctx.now + VALIDITY}),
        );
        let uploaded = Doc::new(id.clone(), fields);
        let answer = super::doc(&uploaded);
        org.certificates.upsert(uploaded);
        org.certificate_contents.insert(id.clone(), pem.clone());
        ctx.log(Event::new(
            "certificate.created",
            json!({"id": id, "name": name}),
        ));
        answer
    })
}

async fn rename(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(certificate_id): Path<String>,
    body: Body,
) -> Reply {
    let name = body.str("name")?.map(str::to_owned);
    sim.write(&admin, |org, ctx| {
        let found = org
            .certificates
            .get_mut(&certificate_id)
            .ok_or_else(|| ApiError::not_found("certificate", &certificate_id))?;
        if let Some(name) = &name {
            found.set("name", name.clone());
        }
        let answer = super::doc(found);
        ctx.log(Event::new(
            "certificate.updated",
            json!({"id": certificate_id, "name": found.get("name")}),
        ));
        answer
    })
}

async fn remove(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(certificate_id): Path<String>,
) -> Reply {
    sim.write(&admin, |org, ctx| {
        let name = certificate(org, &certificate_id)?.get("name").cloned();
        let in_use = org.active_certificates.contains(&certificate_id)
            || org
                .projects
                .items()
                .iter()
                .any(|p| p.certificate_ids.contains(&certificate_id));
        if in_use {
            return Err(ApiError::bad_request(format!(
                "Certificate '{certificate_id}' is active; deactivate it in the organization \
                 and in every project first."
            )));
        }
        org.certificates.remove(&certificate_id);
        org.certificate_contents.remove(&certificate_id);
        ctx.log(Event::new(
            "certificate.deleted",
            json!({"id": certificate_id, "name": name}),
        ));
        json(&json!({"object": "certificate.deleted", "id": certificate_id}))
    })
}
