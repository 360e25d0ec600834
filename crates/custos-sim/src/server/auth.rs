//! Who is calling: the bearer secret matched against the scenario's credentials.
//!
//! Handlers state what they need by taking an extractor: [`Admin`] for the admin endpoints
//! (a read-only admin secret is refused on every POST and DELETE) or [`ProjectKey`] for the
//! project endpoints (`/v1/files`, `/v1/vector_stores`), which admin keys may not use.

use super::Simulator;
use super::error::ApiError;
use super::state::Principal;
use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

/// A caller holding an admin key of organization `org`.
#[derive(Debug, Clone)]
pub(crate) struct Admin {
    pub(crate) org: usize,
    pub(crate) key_id: String,
}

/// A caller holding a project key.
#[derive(Debug, Clone)]
pub(crate) struct ProjectKey {
    pub(crate) org: usize,
    pub(crate) project_id: String,
}

fn principal(parts: &Parts, sim: &Simulator) -> Result<Principal, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let secret = match header.and_then(|h| h.strip_prefix("Bearer ")) {
        Some(secret) if !secret.trim().is_empty() => secret.trim(),
        _ => {
            return Err(ApiError::unauthorized(
                "You didn't provide an API key. You need to provide your API key in an \
                 Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            ));
        }
    };
    let incorrect = || ApiError::unauthorized("Incorrect API key provided.");
    let world = sim.read_world();
    let principal = world
        .credentials
        .get(secret)
        .cloned()
        .ok_or_else(incorrect)?;
    // A deleted admin key stops working at once.
    if let Principal::Admin { org, key_id, .. } = &principal {
        let exists = world
            .orgs
            .get(*org)
            .is_some_and(|o| o.admin_keys.contains(key_id));
        if !exists {
            return Err(incorrect());
        }
    }
    Ok(principal)
}

impl FromRequestParts<Simulator> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, sim: &Simulator) -> Result<Self, ApiError> {
        match principal(parts, sim)? {
            Principal::Admin {
                org,
                key_id,
                read_only,
            } => {
                let writes = parts.method == Method::POST || parts.method == Method::DELETE;
                if read_only && writes {
                    return Err(ApiError::forbidden(
                        "You have insufficient permissions for this operation: this admin API \
                         key is read-only.",
                    ));
                }
                Ok(Admin { org, key_id })
            }
            Principal::Project { .. } => Err(ApiError::forbidden(
                "You have insufficient permissions for this operation: administration endpoints \
                 require an admin API key.",
            )),
        }
    }
}

impl FromRequestParts<Simulator> for ProjectKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, sim: &Simulator) -> Result<Self, ApiError> {
        match principal(parts, sim)? {
            Principal::Project { org, project_id } => Ok(ProjectKey { org, project_id }),
            Principal::Admin { .. } => Err(ApiError::forbidden(
                "Admin API keys cannot be used for non-administration endpoints.",
            )),
        }
    }
}
