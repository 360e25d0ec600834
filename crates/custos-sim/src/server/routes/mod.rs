//! The routes: one module per resource family, each adding its paths (spelled exactly as the
//! spec's templates, so `/_sim/stats` counts them under the spec's names).

mod admin_keys;
mod audit_logs;
mod certificates;
mod files;
mod groups;
mod invites;
mod json_kinds;
mod project_members;
mod projects;
mod roles;
mod settings;
mod spend;
mod usage;
mod users;

use super::Simulator;
use super::auth::Admin;
use super::error::ApiError;
use super::reply::{Json, Reply, json};
use super::state::{Controls, Doc, Scope};
use axum::Router;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{Method, Uri};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub(super) fn router() -> Router<Simulator> {
    let families: [fn(Router<Simulator>) -> Router<Simulator>; 14] = [
        users::routes,
        invites::routes,
        admin_keys::routes,
        projects::routes,
        project_members::routes,
        certificates::routes,
        groups::routes,
        roles::routes,
        settings::routes,
        spend::routes,
        audit_logs::routes,
        usage::routes,
        files::routes,
        json_kinds::routes,
    ];
    families
        .into_iter()
        .fold(Router::new(), |router, add| add(router))
        .fallback(fallback)
        // The API answers a method it does not serve on a known path like an unknown path.
        .method_not_allowed_fallback(fallback)
}

async fn fallback(method: Method, uri: Uri) -> ApiError {
    ApiError::no_route(method.as_str(), uri.path())
}

/// A stored object, as stored.
fn doc(doc: &Doc) -> Reply {
    Ok(Json(doc.json().to_vec()))
}

/// GET of a settings singleton at the route's scope; 404 while it is unset.
fn singleton(
    sim: &Simulator,
    admin: &Admin,
    ids: &Ids,
    what: &str,
    pick: fn(&Controls) -> Option<&Doc>,
) -> Reply {
    let scope = ids.scope();
    sim.read(admin.org, |org| {
        let found = pick(org.controls(scope)?)
            .ok_or_else(|| ApiError::not_found(what, org.scope_id(scope)))?;
        doc(found)
    })
}

/// The answer to a delete: `{"object", "id"?, "deleted": true}`; some deletes carry no id
/// (`docs/admin-api-notes.md` "Deletes").
fn deleted(object: &str, id: Option<&str>) -> Reply {
    let mut fields = Map::new();
    fields.insert("object".into(), object.into());
    if let Some(id) = id {
        fields.insert("id".into(), id.into());
    }
    fields.insert("deleted".into(), true.into());
    json(&Value::Object(fields))
}

/// The path parameters of a request, by name.
///
/// Resources that exist both for the organization and for each project (roles, role
/// assignments, spend controls, data retention, certificate activation) are served by one
/// handler registered on both routes: `{project_id}` in the path selects the scope.
#[derive(Debug)]
struct Ids(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Ids {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Path(ids)| Ids(ids))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

impl Ids {
    /// A parameter of the route (routes always have the ones their handler reads).
    fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    fn scope(&self) -> Scope<'_> {
        match self.0.get("project_id") {
            Some(project) => Scope::Project(project),
            None => Scope::Org,
        }
    }
}
