//! Custom and predefined RBAC roles: `/organization/roles` and `/projects/{project_id}/roles`.

use super::ListRoles;
use super::operations::{
    LIST_ORGANIZATION_ROLES, LIST_PROJECT_ROLES, RETRIEVE_ORGANIZATION_ROLE, RETRIEVE_PROJECT_ROLE,
};
use crate::{ReadClient, Result};
use custos_model::api::Role;
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

impl ReadClient {
    /// GET `/organization/roles` — list organization roles (every page).
    pub fn list_organization_roles(&self, params: &ListRoles) -> BoxStream<'static, Result<Role>> {
        let op = &LIST_ORGANIZATION_ROLES;
        self.walk_next(op, &[], params.query(op, true))
    }

    /// GET `/organization/roles/{role_id}` — retrieve an organization role.
    pub async fn retrieve_organization_role(&self, role_id: &str) -> Result<Role> {
        self.read(&RETRIEVE_ORGANIZATION_ROLE, &[role_id]).await
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

    /// GET `/projects/{project_id}/roles/{role_id}` — retrieve a project role.
    pub async fn retrieve_project_role(&self, project_id: &str, role_id: &str) -> Result<Role> {
        self.read(&RETRIEVE_PROJECT_ROLE, &[project_id, role_id])
            .await
    }
}
