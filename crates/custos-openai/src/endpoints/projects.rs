//! Projects: `/organization/projects`.

use super::operations::{
    ARCHIVE_PROJECT, CREATE_PROJECT, Fill, LIST_PROJECTS, MODIFY_PROJECT, RETRIEVE_PROJECT,
};
use super::{MAX_PAGE, Paging};
use crate::{Client, NextAfter, Result};
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

impl Client {
    /// GET `/organization/projects` — list projects (every page).
    pub fn list_projects(&self, params: &ListProjects) -> BoxStream<'static, Result<Project>> {
        let query = params.paging.query(&LIST_PROJECTS, false).map(|mut query| {
            query.push("include_archived", params.include_archived);
            query
        });
        self.walk_ids(&LIST_PROJECTS, &[], query, NextAfter::LastId)
    }

    /// POST `/organization/projects` — create a project.
    pub async fn create_project(&self, body: &ProjectCreateRequest) -> Result<Project> {
        self.write(&CREATE_PROJECT, &[], body).await
    }

    /// GET `/organization/projects/{project_id}` — retrieve a project.
    pub async fn retrieve_project(&self, project_id: &str) -> Result<Project> {
        self.read(&RETRIEVE_PROJECT, &[project_id]).await
    }

    /// POST `/organization/projects/{project_id}` — modify a project (400 once archived).
    pub async fn modify_project(
        &self,
        project_id: &str,
        body: &ProjectUpdateRequest,
    ) -> Result<Project> {
        self.write(&MODIFY_PROJECT, &[project_id], body).await
    }

    /// POST `/organization/projects/{project_id}/archive` — archive a project. Irreversible:
    /// an archived project can no longer be used or updated.
    pub async fn archive_project(&self, project_id: &str) -> Result<Project> {
        self.post_empty(&ARCHIVE_PROJECT.fill(&[project_id])?).await
    }
}
