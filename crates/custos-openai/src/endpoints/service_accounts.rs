//! Project service accounts and their keys:
//! `/organization/projects/{project_id}/service_accounts`.

use super::ListServiceAccounts;
use super::operations::{LIST_PROJECT_SERVICE_ACCOUNTS, RETRIEVE_PROJECT_SERVICE_ACCOUNT};
use crate::{NextAfter, ReadClient, Result};
use custos_model::api::ServiceAccount;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// `ProjectServiceAccountCreateRequest`: body of POST `.../service_accounts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectServiceAccountCreateRequest {
    pub name: String,
    /// Create the account without a first key (its role is then `none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_service_account_only: Option<bool>,
}

/// `UpdateProjectServiceAccountBody`: body of POST `.../service_accounts/{service_account_id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateProjectServiceAccountBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `member` or `owner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// `CreateProjectServiceAccountApiKeyBody`: body of POST
/// `.../service_accounts/{service_account_id}/api_keys`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateProjectServiceAccountApiKeyBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Scopes such as `api.responses.write`; omitted: unrestricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

impl ReadClient {
    /// GET `/organization/projects/{project_id}/service_accounts` — list a project's service
    /// accounts (every page; 400 for an archived project).
    pub fn list_project_service_accounts(
        &self,
        project_id: &str,
        params: &ListServiceAccounts,
    ) -> BoxStream<'static, Result<ServiceAccount>> {
        let op = &LIST_PROJECT_SERVICE_ACCOUNTS;
        self.walk_ids(
            op,
            &[project_id],
            params.query(op, false),
            NextAfter::LastId,
        )
    }

    /// GET `/organization/projects/{project_id}/service_accounts/{service_account_id}` —
    /// retrieve a service account.
    pub async fn retrieve_project_service_account(
        &self,
        project_id: &str,
        service_account_id: &str,
    ) -> Result<ServiceAccount> {
        let args = [project_id, service_account_id];
        self.read(&RETRIEVE_PROJECT_SERVICE_ACCOUNT, &args).await
    }
}
