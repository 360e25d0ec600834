//! Data retention: `/organization/data_retention` and the project's.

use super::operations::{RETRIEVE_ORGANIZATION_DATA_RETENTION, RETRIEVE_PROJECT_DATA_RETENTION};
use crate::{ReadClient, Result};
use custos_model::api::DataRetention;
use serde::{Deserialize, Serialize};

/// `UpdateOrganizationDataRetentionBody`: body of POST `/organization/data_retention`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateOrganizationDataRetentionBody {
    /// `zero_data_retention`, `modified_abuse_monitoring`, `enhanced_zero_data_retention` or
    /// `enhanced_modified_abuse_monitoring`.
    pub retention_type: String,
}

/// `UpdateProjectDataRetentionBody`: body of POST
/// `/organization/projects/{project_id}/data_retention`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateProjectDataRetentionBody {
    /// The organization's values, plus `organization_default` and `none`.
    pub retention_type: String,
}

impl ReadClient {
    /// GET `/organization/data_retention` — retrieve the organization's data retention.
    pub async fn retrieve_organization_data_retention(&self) -> Result<DataRetention> {
        self.read(&RETRIEVE_ORGANIZATION_DATA_RETENTION, &[]).await
    }

    /// GET `/organization/projects/{project_id}/data_retention` — retrieve a project's data
    /// retention.
    pub async fn retrieve_project_data_retention(&self, project_id: &str) -> Result<DataRetention> {
        self.read(&RETRIEVE_PROJECT_DATA_RETENTION, &[project_id])
            .await
    }
}
