//! Groups granted access to a project: `/organization/projects/{project_id}/groups`.

use super::ListProjectGroups;
use super::operations::{Fill, LIST_PROJECT_GROUPS, RETRIEVE_PROJECT_GROUP};
use crate::{Query, ReadClient, Result};
use custos_model::api::ProjectGroup;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// `InviteProjectGroupBody`: body of POST `/organization/projects/{project_id}/groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteProjectGroupBody {
    pub group_id: String,
    /// The id of the project role to grant.
    pub role: String,
}

/// `group_type` of GET `.../groups/{group_id}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GroupType {
    #[default]
    Group,
    TenantGroup,
}

impl GroupType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupType::Group => "group",
            GroupType::TenantGroup => "tenant_group",
        }
    }
}

impl ReadClient {
    /// GET `/organization/projects/{project_id}/groups` — list the groups with access to a
    /// project (every page).
    pub fn list_project_groups(
        &self,
        project_id: &str,
        params: &ListProjectGroups,
    ) -> BoxStream<'static, Result<ProjectGroup>> {
        let query = params.query(&LIST_PROJECT_GROUPS, true);
        self.walk_next(&LIST_PROJECT_GROUPS, &[project_id], query)
    }

    /// GET `/organization/projects/{project_id}/groups/{group_id}` — retrieve a project group;
    /// `group_type` is sent when given (the API's default is `group`).
    pub async fn retrieve_project_group(
        &self,
        project_id: &str,
        group_id: &str,
        group_type: Option<GroupType>,
    ) -> Result<ProjectGroup> {
        let mut query = Query::new();
        query.push_opt("group_type", group_type.map(GroupType::as_str));
        let path = RETRIEVE_PROJECT_GROUP.fill(&[project_id, group_id])?;
        self.get(&path, &query).await
    }
}
