//! Typed endpoints: one method on [`ReadClient`] per read operation of `openapi.admin.yaml`,
//! plus the project-key reads custos needs (`/files`, `/vector_stores`) and one generic list for
//! the kinds read as JSON (`listed`: [`ReadClient::list_json`]); the request bodies of
//! the writes, named after the spec's request schemas (`ProjectCreateRequest`,
//! `CreateSpendAlertBody`, ...), for [`crate::WriteCall::with_body`].
//!
//! Naming: `list_*` walks every page and returns a stream of items; `retrieve_*` reads one
//! object. Writes have no method each: every write is a [`crate::WriteCall`] of an operation
//! of the table, sent by [`crate::WriteClient::send`], so that there is one way to send one.
//!
//! List parameters default to the endpoint's largest page (a scan then makes as few requests
//! as it can); a parameter the endpoint does not take is refused with [`Error::Config`] before
//! any request is sent. Every URL is built from an [`Operation`] of [`OPERATIONS`].

mod admin_api_keys;
mod audit_logs;
mod certificates;
mod data_retention;
mod files;
mod groups;
mod invites;
mod listed;
pub mod operations;
mod permissions;
mod project_api_keys;
mod project_groups;
mod project_users;
mod projects;
mod rate_limits;
mod role_assignments;
mod roles;
mod service_accounts;
mod spend;
mod usage;
mod users;

pub use admin_api_keys::AdminApiKeyCreateRequest;
pub use audit_logs::{ListAuditLogs, TimeRange};
pub use certificates::{
    ModifyCertificateRequest, ToggleCertificatesRequest, UploadCertificateRequest,
};
pub use data_retention::{UpdateOrganizationDataRetentionBody, UpdateProjectDataRetentionBody};
pub use files::ListFiles;
pub use files::MAX_FILES_PAGE;
pub use groups::{CreateGroupBody, CreateGroupUserBody, UpdateGroupBody};
pub use invites::{InviteProjectRequest, InviteRequest};
pub use operations::{
    Fill, OPERATIONS, Operation, PROJECT_KEY_OPERATIONS, SDK_OPERATIONS, operation_of,
};
pub use permissions::{
    HostedToolPermissionUpdate, ProjectHostedToolPermissionsUpdateRequest,
    ProjectModelPermissionsUpdateRequest,
};
pub use project_api_keys::{ListProjectApiKeys, OwnerProjectAccess};
pub use project_groups::{GroupType, InviteProjectGroupBody};
pub use project_users::{ProjectUserCreateRequest, ProjectUserUpdateRequest};
pub use projects::{ListProjects, ProjectCreateRequest, ProjectUpdateRequest};
pub use rate_limits::ProjectRateLimitUpdateRequest;
pub use role_assignments::PublicAssignOrganizationGroupRoleBody;
pub use roles::{PublicCreateOrganizationRoleBody, PublicUpdateOrganizationRoleBody};
pub use service_accounts::{
    CreateProjectServiceAccountApiKeyBody, ProjectServiceAccountCreateRequest,
    UpdateProjectServiceAccountBody,
};
pub use spend::{CreateSpendAlertBody, UpdateSpendLimitBody};
pub use usage::{BucketWidth, CostsParams, UsageParams};
pub use usage::{MAX_COST_BUCKETS, usage_operation};
pub use users::{ListUsers, UserRoleUpdateRequest};

use crate::{Error, NextAfter, Query, ReadClient, Result};
use futures::stream::{self, BoxStream, StreamExt};
use serde::de::DeserializeOwned;

/// Largest page of the id-cursor lists (style A) and of project groups.
pub const MAX_PAGE: u32 = 100;
/// Largest page of groups, group users, roles and role assignments (style B).
pub const MAX_LARGE_PAGE: u32 = 1000;

/// Sort order by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

impl Order {
    /// The wire value, `asc` or `desc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }
}

/// Paging of a list whose largest page is `MAX`. The default asks for `MAX` items a page,
/// from the start, in the endpoint's default order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging<const MAX: u32> {
    /// Items per page, `1..=MAX`.
    pub limit: u32,
    /// Start after this cursor (an item id, or a previous `next`), to resume a walk.
    pub after: Option<String>,
    /// Sort order; only on endpoints that take `order` (the others refuse it).
    pub order: Option<Order>,
}

impl<const MAX: u32> Default for Paging<MAX> {
    fn default() -> Self {
        Paging {
            limit: MAX,
            after: None,
            order: None,
        }
    }
}

impl<const MAX: u32> Paging<MAX> {
    /// The largest page this list accepts.
    pub const MAX_LIMIT: u32 = MAX;

    /// `limit`, `after` and (where `op` takes it) `order`, checked against `op`.
    pub(crate) fn query(&self, op: &Operation, takes_order: bool) -> Result<Query> {
        let limit = page_limit(op, Some(self.limit), MAX)?;
        if self.order.is_some() && !takes_order {
            return Err(refused(op, "the endpoint takes no `order`".to_owned()));
        }
        let mut query = Query::new();
        query
            .push("limit", limit)
            .push_opt("after", self.after.as_deref())
            .push_opt("order", self.order.map(Order::as_str));
        Ok(query)
    }
}

/// GET `/organization/invites`.
pub type ListInvites = Paging<MAX_PAGE>;
/// GET `/organization/projects/{project_id}/users`.
pub type ListProjectUsers = Paging<MAX_PAGE>;
/// GET `/organization/projects/{project_id}/service_accounts`.
pub type ListServiceAccounts = Paging<MAX_PAGE>;
/// GET `/organization/projects/{project_id}/rate_limits`.
pub type ListRateLimits = Paging<MAX_PAGE>;
/// GET `/organization/admin_api_keys` (takes `order`).
pub type ListAdminApiKeys = Paging<MAX_PAGE>;
/// GET `/organization/certificates` and the project's (take `order`).
pub type ListCertificates = Paging<MAX_PAGE>;
/// GET `/organization/spend_alerts` and the project's (take `order`).
pub type ListSpendAlerts = Paging<MAX_PAGE>;
/// GET `/organization/projects/{project_id}/groups` (takes `order`).
pub type ListProjectGroups = Paging<MAX_PAGE>;
/// GET `/organization/groups` (takes `order`).
pub type ListGroups = Paging<MAX_LARGE_PAGE>;
/// GET `/organization/groups/{group_id}/users` (takes `order`).
pub type ListGroupUsers = Paging<MAX_LARGE_PAGE>;
/// GET `/organization/roles` and `/projects/{project_id}/roles` (take `order`).
pub type ListRoles = Paging<MAX_LARGE_PAGE>;
/// The four role-assignment lists of users and groups (take `order`).
pub type ListRoleAssignments = Paging<MAX_LARGE_PAGE>;
/// GET `/vector_stores` (project key; takes `order`).
pub type ListVectorStores = Paging<MAX_PAGE>;

/// A configuration error naming the operation a request was refused for.
pub(crate) fn refused(op: &Operation, reason: String) -> Error {
    Error::Config(format!("{} {}: {reason}", op.method, op.path))
}

/// `limit`, or `max` when it is `None`; refused outside `1..=max`.
pub(crate) fn page_limit(op: &Operation, limit: Option<u32>, max: u32) -> Result<u32> {
    let limit = limit.unwrap_or(max);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(refused(op, format!("limit {limit} is outside 1..={max}")))
    }
}

/// The walk `start` begins with `request` (a path and a query, or just a query), or, when the
/// request was refused, a stream that yields that error and ends.
fn walk<R, T: Send + 'static>(
    request: Result<R>,
    start: impl FnOnce(R) -> BoxStream<'static, Result<T>>,
) -> BoxStream<'static, Result<T>> {
    match request {
        Ok(request) => start(request),
        Err(error) => stream::once(async move { Err(error) }).boxed(),
    }
}

/// The shapes every typed method reduces to.
impl ReadClient {
    /// GET `op` without query parameters.
    async fn read<T: DeserializeOwned>(&self, op: &Operation, args: &[&str]) -> Result<T> {
        self.get(&op.fill(args)?, &Query::new()).await
    }

    /// Every item of a style-A list (`after` ← `last_id`, or the last item's id for `next`).
    fn walk_ids<T: DeserializeOwned + Send + 'static>(
        &self,
        op: &Operation,
        args: &[&str],
        query: Result<Query>,
        next: NextAfter<T>,
    ) -> BoxStream<'static, Result<T>> {
        let request = op.fill(args).and_then(|path| Ok((path, query?)));
        walk(request, |(path, query)| {
            self.paginate_id(&path, query, next)
        })
    }

    /// Every item of a style-B list (`after` ← `next`).
    fn walk_next<T: DeserializeOwned + Send + 'static>(
        &self,
        op: &Operation,
        args: &[&str],
        query: Result<Query>,
    ) -> BoxStream<'static, Result<T>> {
        let request = op.fill(args).and_then(|path| Ok((path, query?)));
        walk(request, |(path, query)| self.paginate_next(&path, query))
    }
}
