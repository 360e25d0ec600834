//! Organization users: `/organization/users`.

use super::operations::{LIST_USERS, RETRIEVE_USER};
use super::{MAX_PAGE, Paging};
use crate::{NextAfter, ReadClient, Result};
use custos_model::api::User;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// Query of GET `/organization/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListUsers {
    pub paging: Paging<MAX_PAGE>,
    /// Only the users with these email addresses (`emails[]=`); empty: everyone.
    pub emails: Vec<String>,
}

/// `UserRoleUpdateRequest`: body of POST `/organization/users/{user_id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRoleUpdateRequest {
    /// `owner` or `reader`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// A role id to assign instead of `role`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technical_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_persona: Option<String>,
}

impl ReadClient {
    /// GET `/organization/users` — list users (every page).
    pub fn list_users(&self, params: &ListUsers) -> BoxStream<'static, Result<User>> {
        let query = params.paging.query(&LIST_USERS, false).map(|mut query| {
            query.push_array("emails", &params.emails);
            query
        });
        self.walk_ids(&LIST_USERS, &[], query, NextAfter::LastId)
    }

    /// GET `/organization/users/{user_id}` — retrieve a user.
    pub async fn retrieve_user(&self, user_id: &str) -> Result<User> {
        self.read(&RETRIEVE_USER, &[user_id]).await
    }
}
