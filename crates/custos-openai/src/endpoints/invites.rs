//! Invitations: `/organization/invites`.

use super::ListInvites;
use super::operations::{LIST_INVITES, RETRIEVE_INVITE};
use crate::{NextAfter, ReadClient, Result};
use custos_model::api::Invite;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// A project the invitee joins on acceptance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteProjectRequest {
    pub id: String,
    /// `member` or `owner`.
    pub role: String,
}

/// `InviteRequest`: body of POST `/organization/invites`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRequest {
    pub email: String,
    /// `owner` or `reader`.
    pub role: String,
    /// Projects to join at the same time; omitted: the default project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projects: Option<Vec<InviteProjectRequest>>,
}

impl ReadClient {
    /// GET `/organization/invites` — list invites (every page).
    pub fn list_invites(&self, params: &ListInvites) -> BoxStream<'static, Result<Invite>> {
        let query = params.query(&LIST_INVITES, false);
        self.walk_ids(&LIST_INVITES, &[], query, NextAfter::LastId)
    }

    /// GET `/organization/invites/{invite_id}` — retrieve an invite.
    pub async fn retrieve_invite(&self, invite_id: &str) -> Result<Invite> {
        self.read(&RETRIEVE_INVITE, &[invite_id]).await
    }
}
