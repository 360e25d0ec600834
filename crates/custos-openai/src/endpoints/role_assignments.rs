//! Role assignments of users and groups, in the organization and in projects.

use super::ListRoleAssignments;
use super::operations::{
    LIST_GROUP_ROLE_ASSIGNMENTS, LIST_PROJECT_GROUP_ROLE_ASSIGNMENTS,
    LIST_PROJECT_USER_ROLE_ASSIGNMENTS, LIST_USER_ROLE_ASSIGNMENTS, RETRIEVE_GROUP_ROLE,
    RETRIEVE_PROJECT_GROUP_ROLE, RETRIEVE_PROJECT_USER_ROLE, RETRIEVE_USER_ROLE,
};
use crate::{ReadClient, Result};
use custos_model::api::AssignedRole;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// `PublicAssignOrganizationGroupRoleBody`: body of the four assign operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAssignOrganizationGroupRoleBody {
    pub role_id: String,
}

impl ReadClient {
    /// GET `/organization/users/{user_id}/roles` — list a user's organization roles (every
    /// page).
    pub fn list_user_role_assignments(
        &self,
        user_id: &str,
        params: &ListRoleAssignments,
    ) -> BoxStream<'static, Result<AssignedRole>> {
        let op = &LIST_USER_ROLE_ASSIGNMENTS;
        self.walk_next(op, &[user_id], params.query(op, true))
    }

    /// GET `/organization/users/{user_id}/roles/{role_id}` — retrieve a user's organization
    /// role.
    pub async fn retrieve_user_role(&self, user_id: &str, role_id: &str) -> Result<AssignedRole> {
        self.read(&RETRIEVE_USER_ROLE, &[user_id, role_id]).await
    }

    /// GET `/organization/groups/{group_id}/roles` — list a group's organization roles (every
    /// page).
    pub fn list_group_role_assignments(
        &self,
        group_id: &str,
        params: &ListRoleAssignments,
    ) -> BoxStream<'static, Result<AssignedRole>> {
        let op = &LIST_GROUP_ROLE_ASSIGNMENTS;
        self.walk_next(op, &[group_id], params.query(op, true))
    }

    /// GET `/organization/groups/{group_id}/roles/{role_id}` — retrieve a group's organization
    /// role.
    pub async fn retrieve_group_role(&self, group_id: &str, role_id: &str) -> Result<AssignedRole> {
        self.read(&RETRIEVE_GROUP_ROLE, &[group_id, role_id]).await
    }

    /// GET `/projects/{project_id}/users/{user_id}/roles` — list a user's roles in a project
    /// (every page).
    pub fn list_project_user_role_assignments(
        &self,
        project_id: &str,
        user_id: &str,
        params: &ListRoleAssignments,
    ) -> BoxStream<'static, Result<AssignedRole>> {
        let op = &LIST_PROJECT_USER_ROLE_ASSIGNMENTS;
        self.walk_next(op, &[project_id, user_id], params.query(op, true))
    }

    /// GET `/projects/{project_id}/users/{user_id}/roles/{role_id}` — retrieve a user's role
    /// in a project.
    pub async fn retrieve_project_user_role(
        &self,
        project_id: &str,
        user_id: &str,
        role_id: &str,
    ) -> Result<AssignedRole> {
        let args = [project_id, user_id, role_id];
        self.read(&RETRIEVE_PROJECT_USER_ROLE, &args).await
    }

    /// GET `/projects/{project_id}/groups/{group_id}/roles` — list a group's roles in a
    /// project (every page).
    pub fn list_project_group_role_assignments(
        &self,
        project_id: &str,
        group_id: &str,
        params: &ListRoleAssignments,
    ) -> BoxStream<'static, Result<AssignedRole>> {
        let op = &LIST_PROJECT_GROUP_ROLE_ASSIGNMENTS;
        self.walk_next(op, &[project_id, group_id], params.query(op, true))
    }

    /// GET `/projects/{project_id}/groups/{group_id}/roles/{role_id}` — retrieve a group's
    /// role in a project.
    pub async fn retrieve_project_group_role(
        &self,
        project_id: &str,
        group_id: &str,
        role_id: &str,
    ) -> Result<AssignedRole> {
        let args = [project_id, group_id, role_id];
        self.read(&RETRIEVE_PROJECT_GROUP_ROLE, &args).await
    }
}
