//! Project service accounts and their keys:
//! `/organization/projects/{project_id}/service_accounts`.

use super::ListServiceAccounts;
use super::operations::{
    CREATE_PROJECT_SERVICE_ACCOUNT, CREATE_PROJECT_SERVICE_ACCOUNT_API_KEY,
    DELETE_PROJECT_SERVICE_ACCOUNT, LIST_PROJECT_SERVICE_ACCOUNTS,
    RETRIEVE_PROJECT_SERVICE_ACCOUNT, UPDATE_PROJECT_SERVICE_ACCOUNT,
};
use crate::{Client, DeleteOutcome, NextAfter, Result};
use custos_model::api::{Deleted, ServiceAccount, ServiceAccountApiKey, ServiceAccountCreated};
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

impl Client {
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

    /// POST `/organization/projects/{project_id}/service_accounts` — create a service account;
    /// unless `create_service_account_only`, the answer holds its first key's secret.
    pub async fn create_project_service_account(
        &self,
        project_id: &str,
        body: &ProjectServiceAccountCreateRequest,
    ) -> Result<ServiceAccountCreated> {
        self.write(&CREATE_PROJECT_SERVICE_ACCOUNT, &[project_id], body)
            .await
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

    /// POST `/organization/projects/{project_id}/service_accounts/{service_account_id}` —
    /// rename a service account or change its role.
    pub async fn update_project_service_account(
        &self,
        project_id: &str,
        service_account_id: &str,
        body: &UpdateProjectServiceAccountBody,
    ) -> Result<ServiceAccount> {
        let args = [project_id, service_account_id];
        self.write(&UPDATE_PROJECT_SERVICE_ACCOUNT, &args, body)
            .await
    }

    /// DELETE `/organization/projects/{project_id}/service_accounts/{service_account_id}` —
    /// delete a service account (the only way to remove the keys it owns).
    pub async fn delete_project_service_account(
        &self,
        project_id: &str,
        service_account_id: &str,
    ) -> Result<DeleteOutcome<Deleted>> {
        let args = [project_id, service_account_id];
        self.remove(&DELETE_PROJECT_SERVICE_ACCOUNT, &args).await
    }

    /// POST `/organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys`
    /// — create a key for a service account; the answer holds its secret `value`, this once.
    pub async fn create_project_service_account_api_key(
        &self,
        project_id: &str,
        service_account_id: &str,
        body: &CreateProjectServiceAccountApiKeyBody,
    ) -> Result<ServiceAccountApiKey> {
        let args = [project_id, service_account_id];
        self.write(&CREATE_PROJECT_SERVICE_ACCOUNT_API_KEY, &args, body)
            .await
    }
}
