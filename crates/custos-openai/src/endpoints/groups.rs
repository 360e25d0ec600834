//! Groups and their members: `/organization/groups`.

use super::operations::{
    ADD_GROUP_USER, CREATE_GROUP, DELETE_GROUP, LIST_GROUP_USERS, LIST_GROUPS, REMOVE_GROUP_USER,
    RETRIEVE_GROUP, RETRIEVE_GROUP_USER, UPDATE_GROUP,
};
use super::{ListGroupUsers, ListGroups};
use crate::{Client, DeleteOutcome, Result};
use custos_model::api::{Deleted, Group, GroupMember, GroupUpdated, GroupUserAssignment};
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

impl Client {
    /// GET `/organization/groups` — list groups (every page).
    pub fn list_groups(&self, params: &ListGroups) -> BoxStream<'static, Result<Group>> {
        self.walk_next(&LIST_GROUPS, &[], params.query(&LIST_GROUPS, true))
    }

    /// POST `/organization/groups` — create a group.
    pub async fn create_group(&self, body: &CreateGroupBody) -> Result<Group> {
        self.write(&CREATE_GROUP, &[], body).await
    }

    /// GET `/organization/groups/{group_id}` — retrieve a group.
    pub async fn retrieve_group(&self, group_id: &str) -> Result<Group> {
        self.read(&RETRIEVE_GROUP, &[group_id]).await
    }

    /// POST `/organization/groups/{group_id}` — rename a group.
    pub async fn update_group(
        &self,
        group_id: &str,
        body: &UpdateGroupBody,
    ) -> Result<GroupUpdated> {
        self.write(&UPDATE_GROUP, &[group_id], body).await
    }

    /// DELETE `/organization/groups/{group_id}` — delete a group.
    pub async fn delete_group(&self, group_id: &str) -> Result<DeleteOutcome<Deleted>> {
        self.remove(&DELETE_GROUP, &[group_id]).await
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

    /// POST `/organization/groups/{group_id}/users` — add a user to a group.
    pub async fn add_group_user(
        &self,
        group_id: &str,
        body: &CreateGroupUserBody,
    ) -> Result<GroupUserAssignment> {
        self.write(&ADD_GROUP_USER, &[group_id], body).await
    }

    /// GET `/organization/groups/{group_id}/users/{user_id}` — retrieve a group member.
    pub async fn retrieve_group_user(&self, group_id: &str, user_id: &str) -> Result<GroupMember> {
        self.read(&RETRIEVE_GROUP_USER, &[group_id, user_id]).await
    }

    /// DELETE `/organization/groups/{group_id}/users/{user_id}` — remove a user from a group.
    pub async fn remove_group_user(
        &self,
        group_id: &str,
        user_id: &str,
    ) -> Result<DeleteOutcome<Deleted>> {
        self.remove(&REMOVE_GROUP_USER, &[group_id, user_id]).await
    }
}
