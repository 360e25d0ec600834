//! OpenAI Admin API objects (`spec/openai-admin-api/openapi.admin.yaml`,
//! `docs/admin-api-notes.md` "Objects").
//!
//! Conventions: identity fields (`id`, timestamps the spec requires) are required, so a broken
//! payload is reported instead of silently becoming an empty object; everything else is optional
//! because real payloads omit fields the spec calls required (`docs/admin-api-notes.md` "Spec
//! quirks"). Enumerations stay `String`: a value OpenAI adds tomorrow must still parse. Unknown
//! fields land in `extra`.

use crate::Extra;
use crate::unix;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! object_tag {
    ($fn_name:ident, $tag:literal) => {
        fn $fn_name() -> String {
            $tag.to_owned()
        }
    };
}

object_tag!(tag_user, "organization.user");
object_tag!(tag_invite, "organization.invite");
object_tag!(tag_project, "organization.project");
object_tag!(tag_project_user, "organization.project.user");
object_tag!(tag_service_account, "organization.project.service_account");
object_tag!(
    tag_service_account_key,
    "organization.project.service_account.api_key"
);
object_tag!(tag_project_api_key, "organization.project.api_key");
object_tag!(tag_admin_api_key, "organization.admin_api_key");
object_tag!(tag_certificate, "certificate");
object_tag!(tag_rate_limit, "project.rate_limit");
object_tag!(tag_model_permissions, "project.model_permissions");
object_tag!(tag_role, "role");
object_tag!(tag_project_group, "project.group");
object_tag!(tag_group, "group");

/// `organization.user`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    #[serde(default = "tag_user")]
    pub object: String,
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// `owner` or `reader`.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(deserialize_with = "unix::required")]
    pub added_at: i64,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A project the invitee will join, with the role there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteProject {
    pub id: String,
    /// `member` or `owner`.
    pub role: String,
}

/// `organization.invite`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invite {
    #[serde(default = "tag_invite")]
    pub object: String,
    pub id: String,
    /// `None` once custos has hashed it at ingest (see [`email_domain`]).
    #[serde(default)]
    pub email: Option<String>,
    /// `owner` or `reader`.
    pub role: String,
    /// `accepted`, `expired` or `pending`.
    pub status: String,
    /// When the invite was sent, as newer payloads name it. Older payloads say `invited_at`
    /// instead; each is kept under the name it was read by (so a stored invite shows what the
    /// API sent), and [`Invite::sent_at`] reads whichever is there.
    #[serde(
        default,
        deserialize_with = "unix::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<i64>,
    /// When the invite was sent, as older payloads name it: see `created_at`.
    #[serde(
        default,
        deserialize_with = "unix::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub invited_at: Option<i64>,
    #[serde(default, deserialize_with = "unix::optional")]
    pub expires_at: Option<i64>,
    #[serde(default, deserialize_with = "unix::optional")]
    pub accepted_at: Option<i64>,
    #[serde(default)]
    pub projects: Vec<InviteProject>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `organization.project`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    #[serde(default = "tag_project")]
    pub object: String,
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(deserialize_with = "unix::required")]
    pub created_at: i64,
    #[serde(default, deserialize_with = "unix::optional")]
    pub archived_at: Option<i64>,
    /// `active` or `archived`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Project {
    /// Archived projects are read-only and out of scope of most policies.
    pub fn is_archived(&self) -> bool {
        self.status.as_deref() == Some("archived") || self.archived_at.is_some()
    }
}

/// `organization.project.user`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectUser {
    #[serde(default = "tag_project_user")]
    pub object: String,
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// `owner` or `member`.
    pub role: String,
    #[serde(deserialize_with = "unix::required")]
    pub added_at: i64,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `organization.project.service_account`; on create, `api_key` carries the new key's secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccount {
    #[serde(default = "tag_service_account")]
    pub object: String,
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `owner`, `member` or `none`.
    pub role: String,
    #[serde(deserialize_with = "unix::required")]
    pub created_at: i64,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The answer to creating a service account: the account, and its first key unless
/// `create_service_account_only` was set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccountCreated {
    #[serde(default)]
    pub api_key: Option<ServiceAccountApiKey>,
    #[serde(flatten)]
    pub account: ServiceAccount,
}

/// `organization.project.service_account.api_key`: a newly created key, its `value` in full.
/// The value is a secret: callers wrap it at once and never store it. `Debug` redacts it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccountApiKey {
    #[serde(default = "tag_service_account_key")]
    pub object: String,
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub value: String,
    #[serde(deserialize_with = "unix::required")]
    pub created_at: i64,
    #[serde(flatten)]
    pub extra: Extra,
}

impl fmt::Debug for ServiceAccountApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountApiKey")
            .field("object", &self.object)
            .field("id", &self.id)
            .field("name", &self.name)
            .field("value", &REDACTED)
            .field("created_at", &self.created_at)
            .field("extra", &self.extra)
            .finish()
    }
}

/// What `Debug` prints in place of a secret.
const REDACTED: &str = "[redacted]";

/// The user who owns a project key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyOwnerUser {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "unix::optional")]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The service account that owns a project key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyOwnerServiceAccount {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "unix::optional")]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `owner` of a project key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProjectApiKeyOwner {
    /// `user` or `service_account`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub user: Option<KeyOwnerUser>,
    #[serde(default)]
    pub service_account: Option<KeyOwnerServiceAccount>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ProjectApiKeyOwner {
    /// The owning user's or service account's id (`docs/conventions.md` "The owner of a key").
    pub fn principal_id(&self) -> Option<&str> {
        match self.kind.as_deref() {
            Some("user") => self.user.as_ref().map(|u| u.id.as_str()),
            Some("service_account") => self.service_account.as_ref().map(|s| s.id.as_str()),
            _ => self
                .user
                .as_ref()
                .map(|u| u.id.as_str())
                .or_else(|| self.service_account.as_ref().map(|s| s.id.as_str())),
        }
    }
}

/// `organization.project.api_key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectApiKey {
    #[serde(default = "tag_project_api_key")]
    pub object: String,
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub redacted_value: Option<String>,
    #[serde(deserialize_with = "unix::required")]
    pub created_at: i64,
    #[serde(default, deserialize_with = "unix::optional")]
    pub last_used_at: Option<i64>,
    /// `active` or `inactive`: whether the owner is still a member of the project.
    #[serde(default)]
    pub owner_project_access: Option<String>,
    #[serde(default)]
    pub owner: ProjectApiKeyOwner,
    /// custos's, not the API's: `GET /organization/admin_api_keys` also listed this key (a
    /// quirk some organizations show; `docs/admin-api-notes.md`). The scan keeps the key here,
    /// once, and this is the evidence of the overlap. Left out of the JSON when `false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub also_listed_as_admin_key: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `owner` of an admin key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AdminApiKeyOwner {
    /// `user` or `service_account`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "unix::optional")]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `organization.admin_api_key`. The answer to a create adds `value`: see [`AdminApiKeyCreated`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminApiKey {
    #[serde(default = "tag_admin_api_key")]
    pub object: String,
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub redacted_value: Option<String>,
    #[serde(deserialize_with = "unix::required")]
    pub created_at: i64,
    #[serde(default, deserialize_with = "unix::optional")]
    pub expires_at: Option<i64>,
    #[serde(default, deserialize_with = "unix::optional")]
    pub last_used_at: Option<i64>,
    #[serde(default)]
    pub owner: AdminApiKeyOwner,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `AdminApiKeyCreateResponse`: a new admin key and, this once, its secret `value`.
/// `Debug` redacts the value; callers wrap it at once and never store it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminApiKeyCreated {
    pub value: String,
    #[serde(flatten)]
    pub key: AdminApiKey,
}

impl fmt::Debug for AdminApiKeyCreated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminApiKeyCreated")
            .field("value", &REDACTED)
            .field("key", &self.key)
            .finish()
    }
}

/// `certificate_details` of a certificate.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CertificateDetails {
    #[serde(default, deserialize_with = "unix::optional")]
    pub valid_at: Option<i64>,
    #[serde(default, deserialize_with = "unix::optional")]
    pub expires_at: Option<i64>,
    /// The PEM, only with `include[]=content`.
    #[serde(default)]
    pub content: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `certificate`, `organization.certificate` or `organization.project.certificate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    #[serde(default = "tag_certificate")]
    pub object: String,
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(deserialize_with = "unix::required")]
    pub created_at: i64,
    #[serde(default)]
    pub certificate_details: CertificateDetails,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `project.rate_limit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    #[serde(default = "tag_rate_limit")]
    pub object: String,
    pub id: String,
    pub model: String,
    #[serde(default)]
    pub max_requests_per_1_minute: Option<i64>,
    #[serde(default)]
    pub max_tokens_per_1_minute: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_images_per_1_minute: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_audio_megabytes_per_1_minute: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_requests_per_1_day: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_1_day_max_input_tokens: Option<i64>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `project.model_permissions`: an allow list or a deny list of model ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelPermissions {
    #[serde(default = "tag_model_permissions")]
    pub object: String,
    /// `allow_list` or `deny_list`.
    pub mode: String,
    #[serde(default)]
    pub model_ids: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Whether one hosted tool is enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HostedToolPermission {
    pub enabled: bool,
}

/// `ProjectHostedToolPermissions` (no `object` tag in the spec).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HostedToolPermissions {
    #[serde(default)]
    pub file_search: Option<HostedToolPermission>,
    #[serde(default)]
    pub web_search: Option<HostedToolPermission>,
    #[serde(default)]
    pub image_generation: Option<HostedToolPermission>,
    #[serde(default)]
    pub mcp: Option<HostedToolPermission>,
    #[serde(default)]
    pub code_interpreter: Option<HostedToolPermission>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `organization.data_retention` or `project.data_retention`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataRetention {
    pub object: String,
    /// The retention type, e.g. `zero_data_retention` or `organization_default`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GroupResponse`: a group as listed, created or retrieved. Scenario groups add (sim) `user_ids`,
/// which stays in `extra` when served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    #[serde(deserialize_with = "unix::required")]
    pub created_at: i64,
    #[serde(default)]
    pub is_scim_managed: Option<bool>,
    /// `group` or `tenant_group`.
    #[serde(default)]
    pub group_type: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Group` summary inside a role assignment (`scim_managed`, with an `object` tag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    #[serde(default = "tag_group")]
    pub object: String,
    pub id: String,
    pub name: String,
    #[serde(deserialize_with = "unix::required")]
    pub created_at: i64,
    #[serde(default)]
    pub scim_managed: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GroupMemberUser` / `GroupUser`: a member of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMember {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `project.group`: a group granted access to a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectGroup {
    #[serde(default = "tag_project_group")]
    pub object: String,
    pub project_id: String,
    pub group_id: String,
    #[serde(default)]
    pub group_name: Option<String>,
    #[serde(default)]
    pub group_type: Option<String>,
    #[serde(deserialize_with = "unix::required")]
    pub created_at: i64,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `role`: a predefined or custom RBAC role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    #[serde(default = "tag_role")]
    pub object: String,
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    /// `api.organization` or `api.project`.
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub predefined_role: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `AssignedRoleDetails`: a role as assigned to a user or group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignedRole {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub predefined_role: Option<bool>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "unix::optional")]
    pub created_at: Option<i64>,
    #[serde(default, deserialize_with = "unix::optional")]
    pub updated_at: Option<i64>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `user.role`: the answer to assigning a role to a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRoleAssignment {
    pub object: String,
    pub user: serde_json::Value,
    pub role: Role,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `group.role`: the answer to assigning a role to a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRoleAssignment {
    pub object: String,
    pub group: GroupSummary,
    pub role: Role,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `group.user`: the answer to adding a user to a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupUserAssignment {
    pub object: String,
    pub user_id: String,
    pub group_id: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Email settings of a spend alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationChannel {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub recipients: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_prefix: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `organization.spend_alert` or `project.spend_alert`. `threshold_amount` is in cents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendAlert {
    pub object: String,
    pub id: String,
    pub threshold_amount: i64,
    pub currency: String,
    pub interval: String,
    pub notification_channel: NotificationChannel,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `enforcement` of a spend limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendLimitEnforcement {
    /// `inactive` or `enforcing`.
    pub status: String,
}

/// `organization.spend_limit` or `project.spend_limit`. `threshold_amount` is in cents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendLimit {
    pub object: String,
    pub threshold_amount: i64,
    pub currency: String,
    pub interval: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<SpendLimitEnforcement>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The answer to a delete. Some deletes carry no `id` and `certificate.deleted` has no
/// `deleted` (`docs/admin-api-notes.md` "Deletes").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deleted {
    pub object: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GroupResourceWithSuccess`: the answer to renaming a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupUpdated {
    pub id: String,
    pub name: String,
    #[serde(deserialize_with = "unix::required")]
    pub created_at: i64,
    #[serde(default)]
    pub is_scim_managed: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A user as an audit event names them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AuditUser {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `actor.session` of an audit event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AuditSession {
    #[serde(default)]
    pub user: Option<AuditUser>,
    #[serde(default)]
    pub ip_address: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `actor.api_key` of an audit event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AuditApiKey {
    #[serde(default)]
    pub id: Option<String>,
    /// `user` or `service_account`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub user: Option<AuditUser>,
    #[serde(default)]
    pub service_account: Option<serde_json::Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `actor` of an audit event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AuditActor {
    /// `session` or `api_key`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub session: Option<AuditSession>,
    #[serde(default)]
    pub api_key: Option<AuditApiKey>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl AuditActor {
    /// The acting user: `actor.session.user.id`, or `actor.api_key.user.id`
    /// (`docs/conventions.md` "The actor of an audit event").
    pub fn user_id(&self) -> Option<&str> {
        self.session
            .as_ref()
            .and_then(|s| s.user.as_ref())
            .or_else(|| self.api_key.as_ref().and_then(|k| k.user.as_ref()))
            .and_then(|u| u.id.as_deref())
    }
}

/// The project an audit event happened in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditProject {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `AuditLog`: one audit event. The event's details sit in `extra` under a key named after its type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLog {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "unix::required")]
    pub effective_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<AuditProject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<AuditActor>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A file of a project (`GET /v1/files`, with a project key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct File {
    #[serde(default = "tag_file")]
    pub object: String,
    pub id: String,
    #[serde(default)]
    pub bytes: Option<i64>,
    #[serde(deserialize_with = "unix::required")]
    pub created_at: i64,
    #[serde(default, deserialize_with = "unix::optional")]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

object_tag!(tag_file, "file");
object_tag!(tag_vector_store, "vector_store");

/// A vector store of a project (`GET /v1/vector_stores`, with a project key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorStore {
    #[serde(default = "tag_vector_store")]
    pub object: String,
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(deserialize_with = "unix::required")]
    pub created_at: i64,
    #[serde(default)]
    pub usage_bytes: Option<i64>,
    /// `{anchor, days}`; absent or null when the store never expires.
    #[serde(default)]
    pub expires_after: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "unix::optional")]
    pub expires_at: Option<i64>,
    #[serde(default, deserialize_with = "unix::optional")]
    pub last_active_at: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The API's error body `{"error": {message, type, param, code}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

/// The inner object of [`ErrorResponse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub message: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub param: Option<String>,
    /// A string in the spec; some payloads carry a number.
    #[serde(default)]
    pub code: Option<serde_json::Value>,
}

pub use crate::usage::{Amount, CostResult, UsageKind, UsageResult};

/// The lower-cased domain of an object's email: from `email` when custos kept addresses, else
/// from the `email_domain` that ingest leaves beside the hash.
pub fn email_domain(email: Option<&str>, extra: &Extra) -> Option<String> {
    match email {
        Some(email) => email
            .rsplit_once('@')
            .map(|(_, domain)| domain.trim().to_lowercase()),
        None => extra
            .get("email_domain")
            .and_then(serde_json::Value::as_str)
            .map(str::to_lowercase),
    }
}

impl User {
    /// See [`email_domain`].
    pub fn email_domain(&self) -> Option<String> {
        email_domain(self.email.as_deref(), &self.extra)
    }
}

impl Invite {
    /// When the invite was sent: `created_at`, or `invited_at` in older payloads; `None` when
    /// the payload carries neither.
    pub fn sent_at(&self) -> Option<i64> {
        self.created_at.or(self.invited_at)
    }

    /// See [`email_domain`].
    pub fn email_domain(&self) -> Option<String> {
        email_domain(self.email.as_deref(), &self.extra)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn invite(time: serde_json::Value) -> serde_json::Value {
        let mut invite = json!({"id": "invite-1", "role": "reader", "status": "pending"});
        invite
            .as_object_mut()
            .unwrap()
            .extend(time.as_object().unwrap().clone());
        invite
    }

    #[test]
    fn an_invite_is_read_with_created_at_or_invited_at_and_keeps_the_name_it_had() {
        for (payload, sent_at) in [
            (
                invite(json!({"created_at": 1_700_000_000})),
                Some(1_700_000_000),
            ),
            (
                invite(json!({"invited_at": 1_600_000_000})),
                Some(1_600_000_000),
            ),
            (invite(json!({})), None),
        ] {
            let read: Invite = serde_json::from_value(payload.clone()).unwrap();
            assert_eq!(read.sent_at(), sent_at, "{payload}");
            assert!(read.extra.is_empty(), "{payload}");
            assert_eq!(
                serde_json::to_value(&read).unwrap()["created_at"],
                payload["created_at"]
            );
            assert_eq!(
                serde_json::to_value(&read).unwrap()["invited_at"],
                payload["invited_at"]
            );
        }
    }

    #[test]
    fn a_project_key_says_it_was_also_listed_as_an_admin_key_only_when_it_was() {
        let payload = json!({"id": "key_1", "created_at": 1_700_000_000});
        let mut key: ProjectApiKey = serde_json::from_value(payload).unwrap();
        assert!(!key.also_listed_as_admin_key);
        let plain = serde_json::to_value(&key).unwrap();
        assert!(plain.get("also_listed_as_admin_key").is_none());
        key.also_listed_as_admin_key = true;
        let marked = serde_json::to_value(&key).unwrap();
        assert_eq!(marked["also_listed_as_admin_key"], json!(true));
        assert_eq!(
            serde_json::from_value::<ProjectApiKey>(marked).unwrap(),
            key
        );
    }
}
