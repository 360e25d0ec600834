//! Projects: `/organization/projects`.

use super::operations::{LIST_PROJECTS, RETRIEVE_PROJECT};
use super::{MAX_PAGE, Paging};
use crate::{NextAfter, ReadClient, Result};
use custos_model::api::Project;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// Query of GET `/organization/projects`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListProjects {
    pub paging: Paging<MAX_PAGE>,
    /// Also list archived projects (the API hides them by default).
    pub include_archived: bool,
}

/// `ProjectCreateRequest`: body of POST `/organization/projects`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectCreateRequest {
    pub name: String,
    /// `PublicProjectResidency`, e.g. `GLOBAL` or `EU_STORAGE_PROCESSING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_key_id: Option<String>,
}

/// `ProjectUpdateRequest`: body of POST `/organization/projects/{project_id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectUpdateRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_key_id: Option<String>,
}

impl ReadClient {
    /// GET `/organization/projects` — list projects (every page).
    pub fn list_projects(&self, params: &ListProjects) -> BoxStream<'static, Result<Project>> {
        let query = params.paging.query(&LIST_PROJECTS, false).map(|mut query| {
            query.push("include_archived", params.include_archived);
            query
        });
        self.walk_ids(&LIST_PROJECTS, &[], query, NextAfter::LastId)
    }

    /// GET `/organization/projects/{project_id}` — retrieve a project.
    pub async fn retrieve_project(&self, project_id: &str) -> Result<Project> {
        self.read(&RETRIEVE_PROJECT, &[project_id]).await
    }
}
