//! Groups and their members: `/organization/groups`.

use super::operations::{LIST_GROUP_USERS, LIST_GROUPS, RETRIEVE_GROUP, RETRIEVE_GROUP_USER};
use super::{ListGroupUsers, ListGroups};
use crate::{ReadClient, Result};
use custos_model::api::{Group, GroupMember};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// `CreateGroupBody`: body of POST `/organization/groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateGroupBody {
    pub name: String,
}

/// `UpdateGroupBody`: body of POST `/organization/groups/{group_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateGroupBody {
    pub name: String,
}

/// `CreateGroupUserBody`: body of POST `/organization/groups/{group_id}/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateGroupUserBody {
    pub user_id: String,
}

impl ReadClient {
    /// GET `/organization/groups` — list groups (every page).
    pub fn list_groups(&self, params: &ListGroups) -> BoxStream<'static, Result<Group>> {
        self.walk_next(&LIST_GROUPS, &[], params.query(&LIST_GROUPS, true))
    }

    /// GET `/organization/groups/{group_id}` — retrieve a group.
    pub async fn retrieve_group(&self, group_id: &str) -> Result<Group> {
        self.read(&RETRIEVE_GROUP, &[group_id]).await
    }

    /// GET `/organization/groups/{group_id}/users` — list a group's members (every page).
    pub fn list_group_users(
        &self,
        group_id: &str,
        params: &ListGroupUsers,
    ) -> BoxStream<'static, Result<GroupMember>> {
        let query = params.query(&LIST_GROUP_USERS, true);
        self.walk_next(&LIST_GROUP_USERS, &[group_id], query)
    }

    /// GET `/organization/groups/{group_id}/users/{user_id}` — retrieve a group member.
    pub async fn retrieve_group_user(&self, group_id: &str, user_id: &str) -> Result<GroupMember> {
        self.read(&RETRIEVE_GROUP_USER, &[group_id, user_id]).await
    }
}
