//! Admin API keys: `/organization/admin_api_keys`.

use super::ListAdminApiKeys;
use super::operations::{LIST_ADMIN_API_KEYS, RETRIEVE_ADMIN_API_KEY};
use crate::{NextAfter, ReadClient, Result};
use custos_model::api::AdminApiKey;
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

impl ReadClient {
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

    /// GET `/organization/admin_api_keys/{key_id}` — retrieve an admin API key.
    pub async fn retrieve_admin_api_key(&self, key_id: &str) -> Result<AdminApiKey> {
        self.read(&RETRIEVE_ADMIN_API_KEY, &[key_id]).await
    }
}
