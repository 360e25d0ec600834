//! Custom and predefined RBAC roles: `/organization/roles` and `/projects/{project_id}/roles`.

use super::ListRoles;
use super::operations::{
    CREATE_ORGANIZATION_ROLE, CREATE_PROJECT_ROLE, DELETE_ORGANIZATION_ROLE, DELETE_PROJECT_ROLE,
    LIST_ORGANIZATION_ROLES, LIST_PROJECT_ROLES, RETRIEVE_ORGANIZATION_ROLE, RETRIEVE_PROJECT_ROLE,
    UPDATE_ORGANIZATION_ROLE, UPDATE_PROJECT_ROLE,
};
use crate::{Client, DeleteOutcome, Result};
use custos_model::api::{Deleted, Role};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// `PublicCreateOrganizationRoleBody`: body of POST `/organization/roles` and
/// `/projects/{project_id}/roles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicCreateOrganizationRoleBody {
    pub role_name: String,
    /// Permission strings such as `api.groups.read`.
    pub permissions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `PublicUpdateOrganizationRoleBody`: body of POST `/organization/roles/{role_id}` and
/// `/projects/{project_id}/roles/{role_id}`; only the fields that are set change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicUpdateOrganizationRoleBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
}

impl Client {
    /// GET `/organization/roles` — list organization roles (every page).
    pub fn list_organization_roles(&self, params: &ListRoles) -> BoxStream<'static, Result<Role>> {
        let op = &LIST_ORGANIZATION_ROLES;
        self.walk_next(op, &[], params.query(op, true))
    }

    /// POST `/organization/roles` — create a custom organization role.
    pub async fn create_organization_role(
        &self,
        body: &PublicCreateOrganizationRoleBody,
    ) -> Result<Role> {
        self.write(&CREATE_ORGANIZATION_ROLE, &[], body).await
    }

    /// GET `/organization/roles/{role_id}` — retrieve an organization role.
    pub async fn retrieve_organization_role(&self, role_id: &str) -> Result<Role> {
        self.read(&RETRIEVE_ORGANIZATION_ROLE, &[role_id]).await
    }

    /// POST `/organization/roles/{role_id}` — update a custom organization role.
    pub async fn update_organization_role(
        &self,
        role_id: &str,
        body: &PublicUpdateOrganizationRoleBody,
    ) -> Result<Role> {
        self.write(&UPDATE_ORGANIZATION_ROLE, &[role_id], body)
            .await
    }

    /// DELETE `/organization/roles/{role_id}` — delete a custom organization role.
    pub async fn delete_organization_role(&self, role_id: &str) -> Result<DeleteOutcome<Deleted>> {
        self.remove(&DELETE_ORGANIZATION_ROLE, &[role_id]).await
    }

    /// GET `/projects/{project_id}/roles` — list a project's roles (every page).
    pub fn list_project_roles(
        &self,
        project_id: &str,
        params: &ListRoles,
    ) -> BoxStream<'static, Result<Role>> {
        let op = &LIST_PROJECT_ROLES;
        self.walk_next(op, &[project_id], params.query(op, true))
    }

    /// POST `/projects/{project_id}/roles` — create a custom project role.
    pub async fn create_project_role(
        &self,
        project_id: &str,
        body: &PublicCreateOrganizationRoleBody,
    ) -> Result<Role> {
        self.write(&CREATE_PROJECT_ROLE, &[project_id], body).await
    }

    /// GET `/projects/{project_id}/roles/{role_id}` — retrieve a project role.
    pub async fn retrieve_project_role(&self, project_id: &str, role_id: &str) -> Result<Role> {
        self.read(&RETRIEVE_PROJECT_ROLE, &[project_id, role_id])
            .await
    }

    /// POST `/projects/{project_id}/roles/{role_id}` — update a custom project role.
    pub async fn update_project_role(
        &self,
        project_id: &str,
        role_id: &str,
        body: &PublicUpdateOrganizationRoleBody,
    ) -> Result<Role> {
        self.write(&UPDATE_PROJECT_ROLE, &[project_id, role_id], body)
            .await
    }

    /// DELETE `/projects/{project_id}/roles/{role_id}` — delete a custom project role.
    pub async fn delete_project_role(
        &self,
        project_id: &str,
        role_id: &str,
    ) -> Result<DeleteOutcome<Deleted>> {
        self.remove(&DELETE_PROJECT_ROLE, &[project_id, role_id])
            .await
    }
}
