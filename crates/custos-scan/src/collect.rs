//! Walks one organization through the Admin API into an [`Inventory`].
//!
//! Every list is read to its end at the largest page size. A singleton the organization has
//! not set (spend limit, model permissions, ...) answers 404 and becomes `None`; any other
//! failure is recorded as an [`EndpointFailure`] so that callers can tell "none" from
//! "unknown": a failed request is never an empty answer.

use custos_model::api::{UsageKind, UsageResult};
pub use custos_model::inventory::{EndpointFailure, Inventory, ProjectInventory};
use custos_model::page::Bucket;
use custos_openai::endpoints::{
    BucketWidth, CostsParams, ListAuditLogs, ListProjectApiKeys, ListProjects, OwnerProjectAccess,
    TimeRange, UsageParams,
};
use custos_openai::{Client, Error};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use std::collections::BTreeMap;

const DAY: i64 = 86_400;

/// What to collect and over which period.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// The collection's clock (Unix seconds): usage and costs end here.
    pub now: i64,
    /// Days of usage and costs before `now` (whole UTC days).
    pub usage_days: u32,
    /// Read audit events with `effective_at >= audit_since`; all of them when `None`.
    pub audit_since: Option<i64>,
    /// Projects walked at the same time (the client bounds requests in flight and their rate).
    pub project_concurrency: usize,
    /// Clients holding project keys, by project id, for files and vector stores.
    pub project_clients: BTreeMap<String, Client>,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            now: 0,
            usage_days: 30,
            audit_since: None,
            project_concurrency: 4,
            project_clients: BTreeMap::new(),
        }
    }
}

/// An inventory and the endpoints that could not be read.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    pub inventory: Inventory,
    pub failures: Vec<EndpointFailure>,
}

impl Collected {
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Records failures while the collection goes on.
#[derive(Debug, Default)]
struct Failures(Vec<EndpointFailure>);

impl Failures {
    fn note(&mut self, endpoint: &str, project_id: Option<&str>, error: &Error) {
        tracing::warn!(endpoint, project_id, %error, "endpoint failed; its data is unknown");
        self.0.push(EndpointFailure {
            endpoint: endpoint.to_owned(),
            project_id: project_id.map(str::to_owned),
            status: error.status(),
            message: error.to_string(),
        });
    }

    /// Every item of a list, or an empty list and a recorded failure.
    async fn list<T>(
        &mut self,
        endpoint: &str,
        project_id: Option<&str>,
        stream: BoxStream<'static, custos_openai::Result<T>>,
    ) -> Vec<T> {
        match stream.try_collect().await {
            Ok(items) => items,
            Err(error) => {
                self.note(endpoint, project_id, &error);
                Vec::new()
            }
        }
    }

    /// A singleton: `None` when unset (404), `None` and a recorded failure on other errors.
    async fn optional<T>(
        &mut self,
        endpoint: &str,
        project_id: Option<&str>,
        read: impl Future<Output = custos_openai::Result<T>>,
    ) -> Option<T> {
        match read.await {
            Ok(value) => Some(value),
            Err(error) if error.is_not_found() => None,
            Err(error) => {
                self.note(endpoint, project_id, &error);
                None
            }
        }
    }
}

/// Collects everything the Admin API exposes about the organization `client` can read.
pub async fn collect_inventory(client: &Client, options: &CollectOptions) -> Collected {
    let mut failures = Failures::default();
    let mut inventory = Inventory {
        users: failures
            .list(
                "GET /organization/users",
                None,
                client.list_users(&Default::default()),
            )
            .await,
        invites: failures
            .list(
                "GET /organization/invites",
                None,
                client.list_invites(&Default::default()),
            )
            .await,
        admin_api_keys: failures
            .list(
                "GET /organization/admin_api_keys",
                None,
                client.list_admin_api_keys(&Default::default()),
            )
            .await,
        certificates: failures
            .list(
                "GET /organization/certificates",
                None,
                client.list_organization_certificates(&Default::default()),
            )
            .await,
        groups: failures
            .list(
                "GET /organization/groups",
                None,
                client.list_groups(&Default::default()),
            )
            .await,
        roles: failures
            .list(
                "GET /organization/roles",
                None,
                client.list_organization_roles(&Default::default()),
            )
            .await,
        data_retention: failures
            .optional(
                "GET /organization/data_retention",
                None,
                client.retrieve_organization_data_retention(),
            )
            .await,
        spend_limit: failures
            .optional(
                "GET /organization/spend_limit",
                None,
                client.retrieve_organization_spend_limit(),
            )
            .await,
        spend_alerts: failures
            .list(
                "GET /organization/spend_alerts",
                None,
                client.list_organization_spend_alerts(&Default::default()),
            )
            .await,
        ..Inventory::default()
    };
    for user in &inventory.users {
        let roles = failures
            .list(
                "GET /organization/users/{user_id}/roles",
                None,
                client.list_user_role_assignments(&user.id, &Default::default()),
            )
            .await;
        inventory.user_roles.insert(user.id.clone(), roles);
    }
    for group in &inventory.groups {
        let members = failures
            .list(
                "GET /organization/groups/{group_id}/users",
                None,
                client.list_group_users(&group.id, &Default::default()),
            )
            .await;
        inventory.group_members.insert(group.id.clone(), members);
        let roles = failures
            .list(
                "GET /organization/groups/{group_id}/roles",
                None,
                client.list_group_role_assignments(&group.id, &Default::default()),
            )
            .await;
        inventory.group_roles.insert(group.id.clone(), roles);
    }

    let projects = failures
        .list(
            "GET /organization/projects",
            None,
            client.list_projects(&ListProjects {
                include_archived: true,
                ..Default::default()
            }),
        )
        .await;
    // `buffered` keeps the API's project order whatever order the walks finish in.
    let walked: Vec<(ProjectInventory, Failures)> = futures::stream::iter(projects)
        .map(|project| collect_project(client, options, project))
        .buffered(options.project_concurrency.max(1))
        .collect()
        .await;
    for (project, project_failures) in walked {
        failures.0.extend(project_failures.0);
        inventory.projects.push(project);
    }

    inventory.audit_logs = failures
        .list(
            "GET /organization/audit_logs",
            None,
            client.list_audit_logs(&ListAuditLogs {
                effective_at: TimeRange {
                    gte: options.audit_since,
                    ..Default::default()
                },
                ..Default::default()
            }),
        )
        .await;
    let (start, end) = usage_window(options);
    for kind in UsageKind::ALL {
        let buckets: Vec<Bucket<UsageResult>> = failures
            .list(
                &format!("GET {}", kind.path()),
                None,
                client.usage(kind, &usage_params(kind, start, end)),
            )
            .await;
        inventory.usage.insert(kind, buckets);
    }
    inventory.costs = failures
        .list(
            "GET /organization/costs",
            None,
            client.costs(&CostsParams {
                start_time: start,
                end_time: Some(end),
                group_by: vec!["project_id".into(), "line_item".into()],
                ..Default::default()
            }),
        )
        .await;
    Collected {
        inventory,
        failures: failures.0,
    }
}

/// Whole UTC days: from midnight `usage_days` days before `now`'s day, to `now`.
pub fn usage_window(options: &CollectOptions) -> (i64, i64) {
    let today = options.now.div_euclid(DAY) * DAY;
    (today - i64::from(options.usage_days) * DAY, options.now)
}

/// Daily buckets grouped by project, user, key and model, as far as the kind allows.
fn usage_params(kind: UsageKind, start: i64, end: i64) -> UsageParams {
    const WANTED: [&str; 4] = ["project_id", "user_id", "api_key_id", "model"];
    UsageParams {
        start_time: start,
        end_time: Some(end),
        bucket_width: BucketWidth::Day,
        group_by: kind
            .group_by()
            .iter()
            .filter(|field| WANTED.contains(field))
            .map(|field| (*field).to_owned())
            .collect(),
        ..Default::default()
    }
}

async fn collect_project(
    client: &Client,
    options: &CollectOptions,
    project: custos_model::api::Project,
) -> (ProjectInventory, Failures) {
    let mut failures = Failures::default();
    let id = project.id.clone();
    let pid = Some(id.as_str());
    // The API refuses (400) to list the users and service accounts of an archived project:
    // it has none.
    let archived = project.is_archived();
    let mut inventory = ProjectInventory::new(project);
    if !archived {
        inventory.users = failures
            .list(
                "GET /organization/projects/{project_id}/users",
                pid,
                client.list_project_users(&id, &Default::default()),
            )
            .await;
        inventory.service_accounts = failures
            .list(
                "GET /organization/projects/{project_id}/service_accounts",
                pid,
                client.list_project_service_accounts(&id, &Default::default()),
            )
            .await;
    }
    inventory.api_keys = failures
        .list(
            "GET /organization/projects/{project_id}/api_keys",
            pid,
            client.list_project_api_keys(
                &id,
                &ListProjectApiKeys {
                    owner_project_access: Some(OwnerProjectAccess::Any),
                    ..Default::default()
                },
            ),
        )
        .await;
    inventory.rate_limits = failures
        .list(
            "GET /organization/projects/{project_id}/rate_limits",
            pid,
            client.list_project_rate_limits(&id, &Default::default()),
        )
        .await;
    inventory.certificates = failures
        .list(
            "GET /organization/projects/{project_id}/certificates",
            pid,
            client.list_project_certificates(&id, &Default::default()),
        )
        .await;
    inventory.groups = failures
        .list(
            "GET /organization/projects/{project_id}/groups",
            pid,
            client.list_project_groups(&id, &Default::default()),
        )
        .await;
    inventory.roles = failures
        .list(
            "GET /projects/{project_id}/roles",
            pid,
            client.list_project_roles(&id, &Default::default()),
        )
        .await;
    for user_id in inventory
        .users
        .iter()
        .map(|u| u.id.clone())
        .collect::<Vec<_>>()
    {
        let roles = failures
            .list(
                "GET /projects/{project_id}/users/{user_id}/roles",
                pid,
                client.list_project_user_role_assignments(&id, &user_id, &Default::default()),
            )
            .await;
        inventory.user_roles.insert(user_id, roles);
    }
    for group_id in inventory
        .groups
        .iter()
        .map(|g| g.group_id.clone())
        .collect::<Vec<_>>()
    {
        let roles = failures
            .list(
                "GET /projects/{project_id}/groups/{group_id}/roles",
                pid,
                client.list_project_group_role_assignments(&id, &group_id, &Default::default()),
            )
            .await;
        inventory.group_roles.insert(group_id, roles);
    }
    inventory.model_permissions = failures
        .optional(
            "GET /organization/projects/{project_id}/model_permissions",
            pid,
            client.retrieve_project_model_permissions(&id),
        )
        .await;
    inventory.hosted_tool_permissions = failures
        .optional(
            "GET /organization/projects/{project_id}/hosted_tool_permissions",
            pid,
            client.retrieve_project_hosted_tool_permissions(&id),
        )
        .await;
    inventory.data_retention = failures
        .optional(
            "GET /organization/projects/{project_id}/data_retention",
            pid,
            client.retrieve_project_data_retention(&id),
        )
        .await;
    inventory.spend_limit = failures
        .optional(
            "GET /organization/projects/{project_id}/spend_limit",
            pid,
            client.retrieve_project_spend_limit(&id),
        )
        .await;
    inventory.spend_alerts = failures
        .list(
            "GET /organization/projects/{project_id}/spend_alerts",
            pid,
            client.list_project_spend_alerts(&id, &Default::default()),
        )
        .await;
    if let Some(project_client) = options.project_clients.get(&id) {
        inventory.files = Some(
            failures
                .list(
                    "GET /files",
                    pid,
                    project_client.list_files(&Default::default()),
                )
                .await,
        );
        inventory.vector_stores = Some(
            failures
                .list(
                    "GET /vector_stores",
                    pid,
                    project_client.list_vector_stores(&Default::default()),
                )
                .await,
        );
    }
    (inventory, failures)
}
