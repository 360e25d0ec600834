//! Project-key endpoints: the project's files and vector stores. Only a key of the project
//! reaches them; admin keys are refused (they "cannot be used for non-administration
//! endpoints").

use super::deleted;
use crate::server::Simulator;
use crate::server::auth::ProjectKey;
use crate::server::error::ApiError;
use crate::server::paging::{Cursor, ListSpec, Order, id_list, write_doc};
use crate::server::query::Params;
use crate::server::reply::{Json, Reply};
use crate::server::state::ProjectState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const FILES: ListSpec = ListSpec::ID.limit(10_000, 1, 10_000).ordered(Order::Desc);
const VECTOR_STORES: ListSpec = ListSpec::ID.limit(20, 1, 100).ordered(Order::Desc);

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    router
        .route("/v1/files", get(list_files))
        .route(
            "/v1/files/{file_id}",
            get(retrieve_file).delete(remove_file),
        )
        .route("/v1/files/{file_id}/content", get(file_content))
        .route("/v1/vector_stores", get(list_vector_stores))
}

/// Runs `read` on the caller's project.
fn with_project<T>(
    sim: &Simulator,
    key: &ProjectKey,
    read: impl FnOnce(&ProjectState) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    sim.read(key.org, |org| read(org.project(&key.project_id)?))
}

async fn list_files(State(sim): State<Simulator>, key: ProjectKey, params: Params) -> Reply {
    let cursor = Cursor::parse(&params, FILES)?;
    let purpose = params.get("purpose");
    with_project(&sim, &key, |project| {
        let page = project.files.page(&cursor, |file| {
            purpose.is_none_or(|p| file.str("purpose") == Some(p))
        })?;
        Ok(id_list(&page, write_doc))
    })
}

async fn retrieve_file(
    State(sim): State<Simulator>,
    key: ProjectKey,
    Path(file_id): Path<String>,
) -> Reply {
    with_project(&sim, &key, |project| {
        let file = project
            .files
            .get(&file_id)
            .ok_or_else(|| ApiError::not_found("file", &file_id))?;
        Ok(Json(file.json().to_vec()))
    })
}

async fn file_content(
    State(sim): State<Simulator>,
    key: ProjectKey,
    Path(file_id): Path<String>,
) -> Result<Response, ApiError> {
    let content = with_project(&sim, &key, |project| {
        if !project.files.contains(&file_id) {
            return Err(ApiError::not_found("file", &file_id));
        }
        Ok(project
            .file_contents
            .get(&file_id)
            .cloned()
            .unwrap_or_default())
    })?;
    let mut response = content.into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    Ok(response)
}

async fn remove_file(
    State(sim): State<Simulator>,
    key: ProjectKey,
    Path(file_id): Path<String>,
) -> Reply {
    let mut world = sim.write_world();
    let project = world
        .orgs
        .get_mut(key.org)
        .ok_or_else(|| ApiError::not_found("project", &key.project_id))?
        .project_mut(&key.project_id)?;
    project
        .files
        .remove(&file_id)
        .ok_or_else(|| ApiError::not_found("file", &file_id))?;
    project.file_contents.remove(&file_id);
    deleted("file", Some(&file_id))
}

async fn list_vector_stores(
    State(sim): State<Simulator>,
    key: ProjectKey,
    params: Params,
) -> Reply {
    let cursor = Cursor::parse(&params, VECTOR_STORES)?;
    with_project(&sim, &key, |project| {
        Ok(id_list(
            &project.vector_stores.page(&cursor, |_| true)?,
            write_doc,
        ))
    })
}
