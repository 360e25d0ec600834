//! Project API keys: `/organization/projects/{project_id}/api_keys`.

use super::operations::{LIST_PROJECT_API_KEYS, RETRIEVE_PROJECT_API_KEY};
use super::{MAX_PAGE, Paging};
use crate::{NextAfter, ReadClient, Result};
use custos_model::api::ProjectApiKey;
use futures::stream::BoxStream;

/// Which keys to list by their owner's access to the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerProjectAccess {
    Active,
    Inactive,
    /// Every key, whatever its owner's membership: what an inventory must ask for.
    Any,
}

impl OwnerProjectAccess {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerProjectAccess::Active => "active",
            OwnerProjectAccess::Inactive => "inactive",
            OwnerProjectAccess::Any => "any",
        }
    }
}

/// Query of GET `/organization/projects/{project_id}/api_keys`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListProjectApiKeys {
    pub paging: Paging<MAX_PAGE>,
    /// `None` keeps the API's membership-based visibility, which "may exclude some enabled
    /// keys" (`docs/admin-api-notes.md` "Key ownership"): scans pass [`OwnerProjectAccess::Any`].
    pub owner_project_access: Option<OwnerProjectAccess>,
}

impl ListProjectApiKeys {
    /// Every key of the project, whatever its owner's access: the inventory's query.
    pub fn any() -> Self {
        ListProjectApiKeys {
            owner_project_access: Some(OwnerProjectAccess::Any),
            ..ListProjectApiKeys::default()
        }
    }
}

impl ReadClient {
    /// GET `/organization/projects/{project_id}/api_keys` — list a project's API keys (every
    /// page).
    pub fn list_project_api_keys(
        &self,
        project_id: &str,
        params: &ListProjectApiKeys,
    ) -> BoxStream<'static, Result<ProjectApiKey>> {
        let access = params.owner_project_access.map(OwnerProjectAccess::as_str);
        let query = params
            .paging
            .query(&LIST_PROJECT_API_KEYS, false)
            .map(|mut query| {
                query.push_opt("owner_project_access", access);
                query
            });
        self.walk_ids(
            &LIST_PROJECT_API_KEYS,
            &[project_id],
            query,
            NextAfter::LastId,
        )
    }

    /// GET `/organization/projects/{project_id}/api_keys/{api_key_id}` — retrieve a project
    /// API key.
    pub async fn retrieve_project_api_key(
        &self,
        project_id: &str,
        api_key_id: &str,
    ) -> Result<ProjectApiKey> {
        self.read(&RETRIEVE_PROJECT_API_KEY, &[project_id, api_key_id])
            .await
    }
}
