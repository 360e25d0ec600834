//! Project model and hosted-tool permissions.

use super::operations::{
    RETRIEVE_PROJECT_HOSTED_TOOL_PERMISSIONS, RETRIEVE_PROJECT_MODEL_PERMISSIONS,
};
use crate::{ReadClient, Result};
use custos_model::api::{HostedToolPermissions, ModelPermissions};
use serde::{Deserialize, Serialize};

/// `ProjectModelPermissionsUpdateRequest`: body of POST `.../model_permissions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectModelPermissionsUpdateRequest {
    /// `allow_list` or `deny_list`.
    pub mode: String,
    pub model_ids: Vec<String>,
}

/// `HostedToolPermissionUpdate`: enable or disable one hosted tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostedToolPermissionUpdate {
    pub enabled: bool,
}

/// `ProjectHostedToolPermissionsUpdateRequest`: body of POST `.../hosted_tool_permissions`;
/// only the tools that are set change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectHostedToolPermissionsUpdateRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_search: Option<HostedToolPermissionUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_search: Option<HostedToolPermissionUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_generation: Option<HostedToolPermissionUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<HostedToolPermissionUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_interpreter: Option<HostedToolPermissionUpdate>,
}

impl ReadClient {
    /// GET `/organization/projects/{project_id}/model_permissions` — retrieve a project's
    /// model allow or deny list.
    pub async fn retrieve_project_model_permissions(
        &self,
        project_id: &str,
    ) -> Result<ModelPermissions> {
        self.read(&RETRIEVE_PROJECT_MODEL_PERMISSIONS, &[project_id])
            .await
    }

    /// GET `/organization/projects/{project_id}/hosted_tool_permissions` — retrieve which
    /// hosted tools a project may use.
    pub async fn retrieve_project_hosted_tool_permissions(
        &self,
        project_id: &str,
    ) -> Result<HostedToolPermissions> {
        self.read(&RETRIEVE_PROJECT_HOSTED_TOOL_PERMISSIONS, &[project_id])
            .await
    }
}
