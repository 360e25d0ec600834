//! Admin API keys: `/organization/admin_api_keys`.

use super::ListAdminApiKeys;
use super::operations::{
    CREATE_ADMIN_API_KEY, DELETE_ADMIN_API_KEY, LIST_ADMIN_API_KEYS, RETRIEVE_ADMIN_API_KEY,
};
use crate::{Client, DeleteOutcome, NextAfter, Result};
use custos_model::api::{AdminApiKey, AdminApiKeyCreated, Deleted};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// Body of POST `/organization/admin_api_keys` (inline in the spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminApiKeyCreateRequest {
    pub name: String,
    /// Lifetime in seconds, `1..=31536000`; omitted: the key never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<u32>,
}

impl Client {
    /// GET `/organization/admin_api_keys` — list admin API keys (every page). The next page
    /// starts after the last item's id, as the SDK does for this endpoint
    /// (`docs/admin-api-notes.md` "Paging").
    pub fn list_admin_api_keys(
        &self,
        params: &ListAdminApiKeys,
    ) -> BoxStream<'static, Result<AdminApiKey>> {
        let query = params.query(&LIST_ADMIN_API_KEYS, true);
        let next = NextAfter::LastItem(|key: &AdminApiKey| key.id.clone());
        self.walk_ids(&LIST_ADMIN_API_KEYS, &[], query, next)
    }

    /// POST `/organization/admin_api_keys` — create an admin API key; the answer holds its
    /// secret `value`, this once.
    pub async fn create_admin_api_key(
        &self,
        body: &AdminApiKeyCreateRequest,
    ) -> Result<AdminApiKeyCreated> {
        self.write(&CREATE_ADMIN_API_KEY, &[], body).await
    }

    /// GET `/organization/admin_api_keys/{key_id}` — retrieve an admin API key.
    pub async fn retrieve_admin_api_key(&self, key_id: &str) -> Result<AdminApiKey> {
        self.read(&RETRIEVE_ADMIN_API_KEY, &[key_id]).await
    }

    /// DELETE `/organization/admin_api_keys/{key_id}` — revoke an admin API key.
    pub async fn delete_admin_api_key(&self, key_id: &str) -> Result<DeleteOutcome<Deleted>> {
        self.remove(&DELETE_ADMIN_API_KEY, &[key_id]).await
    }
}
