//! Walks one organization through the Admin API into an [`Inventory`].
//!
//! Every list is read to its end at the largest page size. A singleton the organization has
//! not set (spend limit, model permissions, ...) answers 404 and becomes `None`; any other
//! failure is recorded as an [`EndpointFailure`] so that callers can tell "none" from
//! "unknown": a failed request is never an empty answer.
//!
//! A list is also failed, whole, when an object in it has an id that cannot name one object
//! (empty, `.`, `..`, a control character: see [`custos_openai::check_id`]) or when two of its
//! objects share an id: either would store one object under another's identity, or make a
//! later request reach another object. And every endpoint still unread when the collection's
//! deadline passes is recorded as failed, so a server that never finishes cannot hold a scan.

use custos_model::api::{
    AdminApiKey, AssignedRole, Certificate, File, Group, GroupMember, Invite, Project,
    ProjectApiKey, ProjectGroup, ProjectUser, RateLimit, Role, ServiceAccount, SpendAlert,
    UsageKind, UsageResult, User, VectorStore,
};
pub use custos_model::inventory::{EndpointFailure, Inventory, ProjectInventory};
use custos_model::inventory::{Listed, own_id};
use custos_model::kind::{Kind, Scope};
use custos_model::page::Bucket;
use custos_openai::endpoints::{
    BucketWidth, CostsParams, ListAuditLogs, ListProjectApiKeys, ListProjects, OwnerProjectAccess,
    TimeRange, UsageParams,
};
use custos_openai::{Error, ReadClient};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use tokio::time::Instant;

pub(crate) use custos_model::unix::DAY;

/// The usage grouping fields a scan asks for, where the kind allows them.
pub const USAGE_GROUPING: [&str; 4] = ["project_id", "user_id", "api_key_id", "model"];

/// Lists under one project's users or groups read at the same time (projects are walked
/// several at a time already; the client bounds the total in flight).
const PER_PROJECT_WIDTH: usize = 4;

/// Default of [`CollectOptions::deadline`]: one hour.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(3600);

/// Told how the walk goes: (what, done, total).
pub type Progress = std::sync::Arc<dyn Fn(&str, usize, usize) + Send + Sync>;

/// What to collect and over which period.
#[derive(Clone)]
pub struct CollectOptions {
    /// The collection's clock (Unix seconds): usage and costs end here.
    pub now: i64,
    /// Where each time series starts.
    pub windows: Windows,
    /// Projects walked at the same time (the client bounds requests in flight and their rate).
    pub project_concurrency: usize,
    /// How long the whole collection may take; what is unread then is recorded as failed.
    pub deadline: Duration,
    /// Clients holding project keys, by project id, for files and vector stores.
    pub project_clients: BTreeMap<String, ReadClient>,
    pub progress: Option<Progress>,
}

impl std::fmt::Debug for CollectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectOptions")
            .field("now", &self.now)
            .field("windows", &self.windows)
            .field("project_concurrency", &self.project_concurrency)
            .field("deadline", &self.deadline)
            .field("project_keys", &self.project_clients.keys())
            .finish_non_exhaustive()
    }
}

impl CollectOptions {
    /// Everything, with `days` whole UTC days of usage and costs before `now`.
    pub fn new(now: i64, days: u32) -> Self {
        CollectOptions {
            now,
            windows: Windows::days(now, days),
            project_concurrency: 4,
            deadline: DEFAULT_DEADLINE,
            project_clients: BTreeMap::new(),
            progress: None,
        }
    }

    /// The deadline of a collection starting now (the scan's deadline counts from here: the
    /// store writes after it are bounded by the store).
    fn deadline(&self) -> Deadline {
        Deadline {
            at: Instant::now() + self.deadline,
            after: self.deadline,
        }
    }

    fn report(&self, what: &str, done: usize, total: usize) {
        if let Some(progress) = &self.progress {
            progress(what, done, total);
        }
    }
}

/// Where each time series is read from; an incremental scan starts them where the previous
/// scan got to, less an overlap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    /// Audit events with `effective_at >= audit_since`; all of them when `None`.
    pub audit_since: Option<i64>,
    /// Usage buckets from this time, per kind.
    pub usage_from: BTreeMap<UsageKind, i64>,
    /// Cost buckets from this time.
    pub costs_from: i64,
}

impl Windows {
    /// Every audit event, and usage and costs from midnight UTC `days` days before `now`'s day.
    pub fn days(now: i64, days: u32) -> Self {
        let start = start_of_day(now) - i64::from(days) * DAY;
        Windows {
            audit_since: None,
            usage_from: UsageKind::ALL.into_iter().map(|k| (k, start)).collect(),
            costs_from: start,
        }
    }
}

/// Midnight UTC of the day `t` falls in.
pub fn start_of_day(t: i64) -> i64 {
    t.div_euclid(DAY) * DAY
}

/// An inventory, the endpoints that could not be read, and how many items each endpoint gave.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    pub inventory: Inventory,
    pub failures: Vec<EndpointFailure>,
    /// Items received per endpoint (`GET /organization/users`) and project.
    pub items: BTreeMap<(String, Option<String>), u64>,
}

impl Collected {
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }
}

/// An object of a listed collection, named by its id.
trait Identified {
    fn id(&self) -> &str;
}

macro_rules! identified_by {
    ($field:ident: $($kind:ty),+) => {
        $(impl Identified for $kind {
            fn id(&self) -> &str {
                &self.$field
            }
        })+
    };
}

identified_by!(id: User, Invite, AdminApiKey, Certificate, Group, Role, SpendAlert, Project,
    ProjectUser, ServiceAccount, ProjectApiKey, RateLimit, File, VectorStore, AssignedRole,
    GroupMember);
identified_by!(group_id: ProjectGroup);

impl Identified for serde_json::Value {
    fn id(&self) -> &str {
        own_id(self)
    }
}

/// The list, or why it cannot be stored: an id that cannot name one object, or one id twice.
fn checked<T: Identified>(items: Vec<T>) -> Result<Vec<T>, Failure> {
    check_ids(&items).map_err(|message| Failure {
        status: None,
        message,
    })?;
    Ok(items)
}

fn check_ids<T: Identified>(items: &[T]) -> Result<(), String> {
    let mut seen = HashSet::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let id = item.id();
        if let Err(invalid) = custos_openai::check_id(id) {
            return Err(format!(
                "item {n} of the list: {invalid}; the list is unknown and nothing of it is stored"
            ));
        }
        if !seen.insert(id) {
            return Err(format!(
                "the id {id:?} appears twice in the list; the list is unknown and nothing of it \
                 is stored"
            ));
        }
    }
    Ok(())
}

/// When the collection must end, and the setting that said so (for the failures' message).
#[derive(Debug, Clone, Copy)]
struct Deadline {
    at: Instant,
    after: Duration,
}

impl Deadline {
    /// `read`, or the failure message when the deadline passes first.
    async fn bound<T>(&self, read: impl Future<Output = T>) -> Result<T, String> {
        tokio::time::timeout_at(self.at, read).await.map_err(|_| {
            format!(
                "the scan's deadline ({} s, `[scan] deadline` in custos.toml) passed before this \
                 endpoint was read; it is unknown",
                self.after.as_secs()
            )
        })
    }
}

/// Records what each endpoint gave, and its failures, while the collection goes on.
#[derive(Debug)]
struct Tally {
    deadline: Deadline,
    failures: Vec<EndpointFailure>,
    items: BTreeMap<(String, Option<String>), u64>,
}

impl Tally {
    fn new(deadline: Deadline) -> Self {
        Tally {
            deadline,
            failures: Vec::new(),
            items: BTreeMap::new(),
        }
    }

    fn count(&mut self, endpoint: &str, project_id: Option<&str>, items: usize) {
        let key = (endpoint.to_owned(), project_id.map(str::to_owned));
        *self.items.entry(key).or_insert(0) += items as u64;
    }

    fn merge(&mut self, other: Tally) {
        self.failures.extend(other.failures);
        for (endpoint, items) in other.items {
            *self.items.entry(endpoint).or_insert(0) += items;
        }
    }

    fn note(&mut self, endpoint: &str, project_id: Option<&str>, failure: Failure) {
        let Failure { status, message } = failure;
        tracing::warn!(endpoint, project_id, error = %message, "endpoint failed; its data is unknown");
        self.failures.push(EndpointFailure {
            endpoint: endpoint.to_owned(),
            project_id: project_id.map(str::to_owned),
            status,
            message,
        });
    }

    /// Every item of a stream, within the deadline.
    async fn read_all<T>(
        &self,
        stream: BoxStream<'static, custos_openai::Result<T>>,
    ) -> Result<Vec<T>, Failure> {
        match self.deadline.bound(stream.try_collect::<Vec<T>>()).await {
            Ok(Ok(items)) => Ok(items),
            Ok(Err(error)) => Err(Failure::from(&error)),
            Err(message) => Err(Failure {
                status: None,
                message,
            }),
        }
    }

    /// Every object of a list, or an empty list and a recorded failure (the list's ids
    /// checked: see the module documentation).
    async fn list<T: Identified>(
        &mut self,
        kind: Kind,
        project_id: Option<&str>,
        stream: BoxStream<'static, custos_openai::Result<T>>,
    ) -> Vec<T> {
        let endpoint = &kind.info().endpoint();
        let read = self.read_all(stream).await.and_then(checked);
        self.keep(endpoint, project_id, read)
    }

    /// Every item of a time series (audit events, buckets), or an empty list and a recorded
    /// failure. Their ids name no request path, and repeated audit events are deduplicated
    /// when stored.
    async fn series<T>(
        &mut self,
        endpoint: &str,
        stream: BoxStream<'static, custos_openai::Result<T>>,
    ) -> Vec<T> {
        let read = self.read_all(stream).await;
        self.keep(endpoint, None, read)
    }

    fn keep<T>(
        &mut self,
        endpoint: &str,
        project_id: Option<&str>,
        read: Result<Vec<T>, Failure>,
    ) -> Vec<T> {
        match read {
            Ok(items) => {
                self.count(endpoint, project_id, items.len());
                items
            }
            Err(failure) => {
                self.note(endpoint, project_id, failure);
                Vec::new()
            }
        }
    }

    /// The list under each owner (a user's roles), `width` owners at a time, keyed by owner id;
    /// an owner whose list failed is absent from the map and recorded as a failure.
    async fn per_owner<T: Identified + Send + 'static>(
        &mut self,
        kind: Kind,
        project_id: Option<&str>,
        owners: Vec<String>,
        width: usize,
        list: impl Fn(&str) -> BoxStream<'static, custos_openai::Result<T>>,
    ) -> BTreeMap<String, Vec<T>> {
        let endpoint = &kind.info().endpoint();
        // Unordered, so that one slow answer does not hold the others' slots; sorted after.
        let this = &*self;
        let mut answers: Vec<(usize, String, Result<Vec<T>, Failure>)> =
            futures::stream::iter(owners.into_iter().enumerate())
                .map(|(n, owner)| {
                    let stream = list(&owner);
                    async move { (n, owner, this.read_all(stream).await.and_then(checked)) }
                })
                .buffer_unordered(width.max(1))
                .collect()
                .await;
        answers.sort_by_key(|(n, _, _)| *n);
        let mut lists = BTreeMap::new();
        for (_, owner, answer) in answers {
            match answer {
                Ok(items) => {
                    self.count(endpoint, project_id, items.len());
                    lists.insert(owner, items);
                }
                Err(failure) => self.note(endpoint, project_id, failure),
            }
        }
        lists
    }

    /// Every kind the registry reads as JSON at the organization (`project_id` `None`) or in
    /// the project `project_id`, one list each; a failed list is recorded and leaves its kind
    /// out, as does an empty one.
    async fn listed(&mut self, client: &ReadClient, project_id: Option<&str>) -> Listed {
        let scope = match project_id {
            Some(_) => Scope::Project,
            None => Scope::Organization,
        };
        let mut listed = Listed::new();
        let kinds = Kind::ALL.iter().copied().map(Kind::info);
        for info in kinds.filter(|info| info.json && info.scope == scope) {
            let stream = client.list_json(info.source(), project_id.as_slice());
            let objects = self.list(info.kind, project_id, stream).await;
            if !objects.is_empty() {
                listed.insert(info.kind, objects);
            }
        }
        listed
    }

    /// A singleton: `None` when unset (404), `None` and a recorded failure on other errors.
    async fn optional<T>(
        &mut self,
        kind: Kind,
        project_id: Option<&str>,
        read: impl Future<Output = custos_openai::Result<T>>,
    ) -> Option<T> {
        let endpoint = &kind.info().endpoint();
        match self.deadline.bound(read).await {
            Ok(Ok(value)) => {
                self.count(endpoint, project_id, 1);
                Some(value)
            }
            Ok(Err(error)) if error.is_not_found() => {
                self.count(endpoint, project_id, 0);
                None
            }
            Ok(Err(error)) => {
                self.note(endpoint, project_id, Failure::from(&error));
                None
            }
            Err(message) => {
                self.note(
                    endpoint,
                    project_id,
                    Failure {
                        status: None,
                        message,
                    },
                );
                None
            }
        }
    }
}

/// Why an endpoint could not be read.
#[derive(Debug)]
struct Failure {
    status: Option<u16>,
    message: String,
}

impl From<&Error> for Failure {
    fn from(error: &Error) -> Self {
        Failure {
            status: error.status(),
            message: error.to_string(),
        }
    }
}

/// Collects everything the Admin API exposes about the organization `client` can read.
///
/// The organization's lists, the project walks and the time series run at the same time, and
/// per-object lists (a user's roles) run `project_concurrency` at a time: with latency, a walk
/// that waited for each answer in turn would use a fraction of the rate limit.
pub async fn collect_inventory(client: &ReadClient, options: &CollectOptions) -> Collected {
    let deadline = options.deadline();
    let ((mut inventory, mut tally), (projects, project_tally), (series, series_tally)) = futures::join!(
        collect_organization(client, options, deadline),
        collect_projects(client, options, deadline),
        collect_series(client, options, deadline),
    );
    inventory.projects = projects;
    fold_project_keys_listed_as_admin_keys(&mut inventory);
    inventory.audit_logs = series.audit_logs;
    inventory.usage = series.usage;
    inventory.costs = series.costs;
    tally.merge(project_tally);
    tally.merge(series_tally);
    Collected {
        inventory,
        failures: tally.failures,
        items: tally.items,
    }
}

/// `GET /organization/admin_api_keys` of some organizations also lists project keys, labelled
/// as admin keys. Each such listing is kept once, as the project key, marked
/// `also_listed_as_admin_key`, and leaves the admin keys.
///
/// A listing is matched to a project key by its id alone. Admin and project keys share one id
/// space (`key_...`) and an id names one key, so equal ids are the same key. The other rule the
/// payloads allow (the same redacted value, owner and `created_at`) is left out on purpose: the
/// redacted value shows only a few characters and owners are written differently in the two
/// payloads (`owner.id` against `owner.user.id` or `owner.service_account.id`), so it could
/// match a genuine admin key its owner made in the same second, and dropping that one would
/// hide an admin key. A project whose key list failed is unknown: a listing of one of its keys
/// stays an admin key.
fn fold_project_keys_listed_as_admin_keys(inventory: &mut Inventory) {
    let admin_ids: HashSet<&str> = inventory
        .admin_api_keys
        .iter()
        .map(|k| k.id.as_str())
        .collect();
    let mut overlap: HashSet<String> = HashSet::new();
    for key in inventory.projects.iter_mut().flat_map(|p| &mut p.api_keys) {
        if admin_ids.contains(key.id.as_str()) {
            key.also_listed_as_admin_key = true;
            overlap.insert(key.id.clone());
        }
    }
    inventory
        .admin_api_keys
        .retain(|key| !overlap.contains(&key.id));
}

/// The organization-level lists and settings, and the lists under each user and group.
async fn collect_organization(
    client: &ReadClient,
    options: &CollectOptions,
    deadline: Deadline,
) -> (Inventory, Tally) {
    let mut tally = Tally::new(deadline);
    let mut inventory = Inventory {
        users: tally
            .list(Kind::User, None, client.list_users(&Default::default()))
            .await,
        invites: tally
            .list(Kind::Invite, None, client.list_invites(&Default::default()))
            .await,
        admin_api_keys: tally
            .list(
                Kind::AdminApiKey,
                None,
                client.list_admin_api_keys(&Default::default()),
            )
            .await,
        certificates: tally
            .list(
                Kind::Certificate,
                None,
                client.list_organization_certificates(&Default::default()),
            )
            .await,
        groups: tally
            .list(Kind::Group, None, client.list_groups(&Default::default()))
            .await,
        roles: tally
            .list(
                Kind::Role,
                None,
                client.list_organization_roles(&Default::default()),
            )
            .await,
        data_retention: tally
            .optional(
                Kind::DataRetention,
                None,
                client.retrieve_organization_data_retention(),
            )
            .await,
        spend_limit: tally
            .optional(
                Kind::SpendLimit,
                None,
                client.retrieve_organization_spend_limit(),
            )
            .await,
        spend_alerts: tally
            .list(
                Kind::SpendAlert,
                None,
                client.list_organization_spend_alerts(&Default::default()),
            )
            .await,
        listed: tally.listed(client, None).await,
        ..Inventory::default()
    };
    let width = options.project_concurrency.max(1);
    let user_ids: Vec<String> = inventory.users.iter().map(|u| u.id.clone()).collect();
    let group_ids: Vec<String> = inventory.groups.iter().map(|g| g.id.clone()).collect();
    inventory.user_roles = tally
        .per_owner(Kind::UserRole, None, user_ids, width, |id| {
            client.list_user_role_assignments(id, &Default::default())
        })
        .await;
    inventory.group_members = tally
        .per_owner(Kind::GroupMember, None, group_ids.clone(), width, |id| {
            client.list_group_users(id, &Default::default())
        })
        .await;
    inventory.group_roles = tally
        .per_owner(Kind::GroupRole, None, group_ids, width, |id| {
            client.list_group_role_assignments(id, &Default::default())
        })
        .await;
    (inventory, tally)
}

/// Every project, archived ones included, each walked in full.
async fn collect_projects(
    client: &ReadClient,
    options: &CollectOptions,
    deadline: Deadline,
) -> (Vec<ProjectInventory>, Tally) {
    let mut tally = Tally::new(deadline);
    let projects = tally
        .list(
            Kind::Project,
            None,
            client.list_projects(&ListProjects {
                include_archived: true,
                ..Default::default()
            }),
        )
        .await;
    // Unordered, so that a slow project does not hold the others' slots; sorted back into the
    // API's order after.
    let total = projects.len();
    options.report("projects", 0, total);
    let mut walked: Vec<(usize, (ProjectInventory, Tally))> =
        futures::stream::iter(projects.into_iter().enumerate())
            .map(|(n, project)| async move {
                (n, collect_project(client, options, deadline, project).await)
            })
            .buffer_unordered(options.project_concurrency.max(1))
            .enumerate()
            .map(|(done, walked)| {
                options.report("projects", done + 1, total);
                walked
            })
            .collect()
            .await;
    walked.sort_by_key(|(n, _)| *n);
    let mut inventories = Vec::with_capacity(walked.len());
    for (_, (project, project_tally)) in walked {
        tally.merge(project_tally);
        inventories.push(project);
    }
    (inventories, tally)
}

/// The time series: audit events, usage of every kind, costs.
#[derive(Default)]
struct Series {
    audit_logs: Vec<custos_model::api::AuditLog>,
    usage: BTreeMap<UsageKind, Vec<Bucket<UsageResult>>>,
    costs: Vec<Bucket<custos_model::api::CostResult>>,
}

async fn collect_series(
    client: &ReadClient,
    options: &CollectOptions,
    deadline: Deadline,
) -> (Series, Tally) {
    let mut tally = Tally::new(deadline);
    let mut series = Series {
        audit_logs: tally
            .series(
                "GET /organization/audit_logs",
                client.list_audit_logs(&ListAuditLogs {
                    effective_at: TimeRange {
                        gte: options.windows.audit_since,
                        ..Default::default()
                    },
                    ..Default::default()
                }),
            )
            .await,
        ..Series::default()
    };
    let end = options.now;
    for (&kind, &start) in &options.windows.usage_from {
        let buckets: Vec<Bucket<UsageResult>> = tally
            .series(
                &format!("GET {}", kind.path()),
                client.usage(kind, &usage_params(kind, start, end)),
            )
            .await;
        series.usage.insert(kind, buckets);
    }
    series.costs = tally
        .series(
            "GET /organization/costs",
            client.costs(&CostsParams {
                start_time: options.windows.costs_from,
                end_time: Some(end),
                group_by: vec!["project_id".into(), "line_item".into()],
                ..Default::default()
            }),
        )
        .await;
    (series, tally)
}

/// Daily buckets grouped by project, user, key and model, as far as the kind allows.
fn usage_params(kind: UsageKind, start: i64, end: i64) -> UsageParams {
    UsageParams {
        start_time: start,
        end_time: Some(end),
        bucket_width: BucketWidth::Day,
        group_by: kind
            .group_by()
            .iter()
            .filter(|field| USAGE_GROUPING.contains(field))
            .map(|field| (*field).to_owned())
            .collect(),
        ..Default::default()
    }
}

async fn collect_project(
    client: &ReadClient,
    options: &CollectOptions,
    deadline: Deadline,
    project: custos_model::api::Project,
) -> (ProjectInventory, Tally) {
    let mut tally = Tally::new(deadline);
    let id = project.id.clone();
    let pid = Some(id.as_str());
    // The API refuses (400) to list the users and service accounts of an archived project:
    // it has none.
    let archived = project.is_archived();
    let mut inventory = ProjectInventory::new(project);
    if !archived {
        inventory.users = tally
            .list(
                Kind::ProjectUser,
                pid,
                client.list_project_users(&id, &Default::default()),
            )
            .await;
        inventory.service_accounts = tally
            .list(
                Kind::ServiceAccount,
                pid,
                client.list_project_service_accounts(&id, &Default::default()),
            )
            .await;
    }
    inventory.api_keys = tally
        .list(
            Kind::ProjectApiKey,
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
    inventory.rate_limits = tally
        .list(
            Kind::RateLimit,
            pid,
            client.list_project_rate_limits(&id, &Default::default()),
        )
        .await;
    inventory.certificates = tally
        .list(
            Kind::ProjectCertificate,
            pid,
            client.list_project_certificates(&id, &Default::default()),
        )
        .await;
    inventory.groups = tally
        .list(
            Kind::ProjectGroup,
            pid,
            client.list_project_groups(&id, &Default::default()),
        )
        .await;
    inventory.roles = tally
        .list(
            Kind::ProjectRole,
            pid,
            client.list_project_roles(&id, &Default::default()),
        )
        .await;
    let user_ids: Vec<String> = inventory.users.iter().map(|u| u.id.clone()).collect();
    inventory.user_roles = tally
        .per_owner(
            Kind::ProjectUserRole,
            pid,
            user_ids,
            PER_PROJECT_WIDTH,
            |user| client.list_project_user_role_assignments(&id, user, &Default::default()),
        )
        .await;
    let group_ids: Vec<String> = inventory
        .groups
        .iter()
        .map(|g| g.group_id.clone())
        .collect();
    inventory.group_roles = tally
        .per_owner(
            Kind::ProjectGroupRole,
            pid,
            group_ids,
            PER_PROJECT_WIDTH,
            |group| client.list_project_group_role_assignments(&id, group, &Default::default()),
        )
        .await;
    inventory.model_permissions = tally
        .optional(
            Kind::ModelPermissions,
            pid,
            client.retrieve_project_model_permissions(&id),
        )
        .await;
    inventory.hosted_tool_permissions = tally
        .optional(
            Kind::HostedToolPermissions,
            pid,
            client.retrieve_project_hosted_tool_permissions(&id),
        )
        .await;
    inventory.data_retention = tally
        .optional(
            Kind::ProjectDataRetention,
            pid,
            client.retrieve_project_data_retention(&id),
        )
        .await;
    inventory.spend_limit = tally
        .optional(
            Kind::ProjectSpendLimit,
            pid,
            client.retrieve_project_spend_limit(&id),
        )
        .await;
    inventory.spend_alerts = tally
        .list(
            Kind::ProjectSpendAlert,
            pid,
            client.list_project_spend_alerts(&id, &Default::default()),
        )
        .await;
    inventory.listed = tally.listed(client, pid).await;
    if let Some(project_client) = options.project_clients.get(&id) {
        inventory.files = Some(
            tally
                .list(
                    Kind::File,
                    pid,
                    project_client.list_files(&Default::default()),
                )
                .await,
        );
        inventory.vector_stores = Some(
            tally
                .list(
                    Kind::VectorStore,
                    pid,
                    project_client.list_vector_stores(&Default::default()),
                )
                .await,
        );
    }
    (inventory, tally)
}
