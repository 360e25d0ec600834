//! Project members: `/organization/projects/{project_id}/users`.

use super::ListProjectUsers;
use super::operations::{LIST_PROJECT_USERS, RETRIEVE_PROJECT_USER};
use crate::{NextAfter, ReadClient, Result};
use custos_model::api::ProjectUser;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// `ProjectUserCreateRequest`: body of POST `/organization/projects/{project_id}/users`.
/// Name the user by `user_id` or `email`; they must already be in the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectUserCreateRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `owner` or `member`.
    pub role: String,
}

/// `ProjectUserUpdateRequest`: body of POST `/organization/projects/{project_id}/users/{user_id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectUserUpdateRequest {
    /// `owner` or `member`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

impl ReadClient {
    /// GET `/organization/projects/{project_id}/users` — list a project's users (every page;
    /// 400 for an archived project).
    pub fn list_project_users(
        &self,
        project_id: &str,
        params: &ListProjectUsers,
    ) -> BoxStream<'static, Result<ProjectUser>> {
        let op = &LIST_PROJECT_USERS;
        self.walk_ids(
            op,
            &[project_id],
            params.query(op, false),
            NextAfter::LastId,
        )
    }

    /// GET `/organization/projects/{project_id}/users/{user_id}` — retrieve a project user.
    pub async fn retrieve_project_user(
        &self,
        project_id: &str,
        user_id: &str,
    ) -> Result<ProjectUser> {
        self.read(&RETRIEVE_PROJECT_USER, &[project_id, user_id])
            .await
    }
}
