//! Everything the Admin API told us about one organization, as typed objects, and what it could
//! not tell: the endpoints that failed. Policies evaluate a [`Snapshot`]; a scan builds one from
//! the API, and a stored scan is rebuilt into one.

use crate::api::{
    AdminApiKey, AssignedRole, AuditLog, Certificate, CostResult, DataRetention, File, Group,
    GroupMember, HostedToolPermissions, Invite, ModelPermissions, Project, ProjectApiKey,
    ProjectGroup, ProjectUser, RateLimit, Role, ServiceAccount, SpendAlert, SpendLimit, UsageKind,
    UsageResult, User, VectorStore,
};
use crate::kind::Kind;
use crate::page::Bucket;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The objects of the kinds read as JSON ([`crate::kind::KindInfo::json`]), as the API sent
/// them, per kind; a kind is present only when it has objects, so an inventory compares equal
/// to its snapshot read back.
pub type Listed = BTreeMap<Kind, Vec<Value>>;

/// The API's id of an object read as JSON (its `id`), or `""` when it has none, which no
/// list's id check lets through.
pub fn own_id(object: &Value) -> &str {
    object.get("id").and_then(Value::as_str).unwrap_or_default()
}

/// One organization's inventory. Maps are keyed by the owning object's id so that the
/// structure compares equal regardless of the order requests completed in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub users: Vec<User>,
    pub user_roles: BTreeMap<String, Vec<AssignedRole>>,
    pub invites: Vec<Invite>,
    pub admin_api_keys: Vec<AdminApiKey>,
    pub certificates: Vec<Certificate>,
    pub groups: Vec<Group>,
    pub group_members: BTreeMap<String, Vec<GroupMember>>,
    pub group_roles: BTreeMap<String, Vec<AssignedRole>>,
    pub roles: Vec<Role>,
    /// `None`: the organization has none set (the API answered 404).
    pub data_retention: Option<DataRetention>,
    pub spend_limit: Option<SpendLimit>,
    pub spend_alerts: Vec<SpendAlert>,
    /// The organization's objects of the kinds read as JSON.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub listed: Listed,
    pub projects: Vec<ProjectInventory>,
    pub audit_logs: Vec<AuditLog>,
    pub usage: BTreeMap<UsageKind, Vec<Bucket<UsageResult>>>,
    pub costs: Vec<Bucket<CostResult>>,
}

/// A project and everything listed under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectInventory {
    pub project: Project,
    pub users: Vec<ProjectUser>,
    pub service_accounts: Vec<ServiceAccount>,
    pub api_keys: Vec<ProjectApiKey>,
    pub rate_limits: Vec<RateLimit>,
    pub certificates: Vec<Certificate>,
    pub groups: Vec<ProjectGroup>,
    pub roles: Vec<Role>,
    pub user_roles: BTreeMap<String, Vec<AssignedRole>>,
    pub group_roles: BTreeMap<String, Vec<AssignedRole>>,
    pub model_permissions: Option<ModelPermissions>,
    pub hosted_tool_permissions: Option<HostedToolPermissions>,
    pub data_retention: Option<DataRetention>,
    pub spend_limit: Option<SpendLimit>,
    pub spend_alerts: Vec<SpendAlert>,
    /// `None`: no project key configured for this project, so files were not read.
    pub files: Option<Vec<File>>,
    pub vector_stores: Option<Vec<VectorStore>>,
    /// The project's objects of the kinds read as JSON.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub listed: Listed,
}

impl ProjectInventory {
    pub fn new(project: Project) -> Self {
        ProjectInventory {
            project,
            users: Vec::new(),
            service_accounts: Vec::new(),
            api_keys: Vec::new(),
            rate_limits: Vec::new(),
            certificates: Vec::new(),
            groups: Vec::new(),
            roles: Vec::new(),
            user_roles: BTreeMap::new(),
            group_roles: BTreeMap::new(),
            model_permissions: None,
            hosted_tool_permissions: None,
            data_retention: None,
            spend_limit: None,
            spend_alerts: Vec::new(),
            files: None,
            vector_stores: None,
            listed: Listed::new(),
        }
    }
}

impl Inventory {
    /// Object counts per kind, in a fixed order, for summaries.
    pub fn summary(&self) -> Vec<(&'static str, usize)> {
        let projects = &self.projects;
        let per_project = |f: fn(&ProjectInventory) -> usize| projects.iter().map(f).sum::<usize>();
        let archived = projects.iter().filter(|p| p.project.is_archived()).count();
        let usage_results = |kind: UsageKind| {
            self.usage
                .get(&kind)
                .map(|buckets| buckets.iter().map(|b| b.results.len()).sum())
                .unwrap_or(0)
        };
        let mut rows = vec![
            ("users", self.users.len()),
            (
                "user role assignments",
                self.user_roles.values().map(Vec::len).sum(),
            ),
            ("invites", self.invites.len()),
            ("admin API keys", self.admin_api_keys.len()),
            ("certificates", self.certificates.len()),
            ("groups", self.groups.len()),
            (
                "group members",
                self.group_members.values().map(Vec::len).sum(),
            ),
            (
                "group role assignments",
                self.group_roles.values().map(Vec::len).sum(),
            ),
            ("roles", self.roles.len()),
            ("data retention", usize::from(self.data_retention.is_some())),
            ("spend limit", usize::from(self.spend_limit.is_some())),
            ("spend alerts", self.spend_alerts.len()),
            ("projects (active)", projects.len() - archived),
            ("projects (archived)", archived),
            ("project users", per_project(|p| p.users.len())),
            (
                "service accounts",
                per_project(|p| p.service_accounts.len()),
            ),
            ("project API keys", per_project(|p| p.api_keys.len())),
            ("rate limits", per_project(|p| p.rate_limits.len())),
            (
                "project certificates",
                per_project(|p| p.certificates.len()),
            ),
            ("project groups", per_project(|p| p.groups.len())),
            ("project roles", per_project(|p| p.roles.len())),
            (
                "model permissions",
                per_project(|p| usize::from(p.model_permissions.is_some())),
            ),
            (
                "hosted tool permissions",
                per_project(|p| usize::from(p.hosted_tool_permissions.is_some())),
            ),
            (
                "project spend limits",
                per_project(|p| usize::from(p.spend_limit.is_some())),
            ),
            (
                "project spend alerts",
                per_project(|p| p.spend_alerts.len()),
            ),
            (
                "files",
                per_project(|p| p.files.as_ref().map_or(0, Vec::len)),
            ),
            (
                "vector stores",
                per_project(|p| p.vector_stores.as_ref().map_or(0, Vec::len)),
            ),
            ("audit events", self.audit_logs.len()),
        ];
        // The kinds read as JSON, under their names, where there are any (absent kinds stay out
        // so that an organization without them summarises as before).
        let mut listed: BTreeMap<Kind, usize> = BTreeMap::new();
        let every_listing = std::iter::once(&self.listed).chain(projects.iter().map(|p| &p.listed));
        for (kind, objects) in every_listing.flatten() {
            *listed.entry(*kind).or_default() += objects.len();
        }
        rows.extend(listed.into_iter().map(|(kind, n)| (kind.name(), n)));
        for kind in UsageKind::ALL {
            rows.push((usage_label(kind), usage_results(kind)));
        }
        rows.push((
            "cost results",
            self.costs.iter().map(|b| b.results.len()).sum(),
        ));
        rows
    }
}

fn usage_label(kind: UsageKind) -> &'static str {
    match kind {
        UsageKind::Completions => "usage: completions",
        UsageKind::Embeddings => "usage: embeddings",
        UsageKind::Moderations => "usage: moderations",
        UsageKind::Images => "usage: images",
        UsageKind::AudioSpeeches => "usage: audio speeches",
        UsageKind::AudioTranscriptions => "usage: audio transcriptions",
        UsageKind::VectorStores => "usage: vector stores",
        UsageKind::CodeInterpreterSessions => "usage: code interpreter sessions",
        UsageKind::FileSearchCalls => "usage: file search calls",
        UsageKind::WebSearchCalls => "usage: web search calls",
    }
}

/// An endpoint that failed after the client's retries; what it would have provided is unknown,
/// never absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointFailure {
    /// The endpoint, e.g. `GET /organization/audit_logs`.
    pub endpoint: String,
    /// The project it was read for, if any.
    pub project_id: Option<String>,
    pub status: Option<u16>,
    pub message: String,
}

/// Which period of the time series a snapshot holds: data from each bound up to the snapshot's
/// time. `None`: not collected at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Audit events with `effective_at >= audit_from` are all present.
    pub audit_from: Option<i64>,
    /// Usage buckets starting at or after `usage_from` are all present.
    pub usage_from: Option<i64>,
    /// Cost buckets starting at or after `costs_from` are all present.
    pub costs_from: Option<i64>,
}

/// One organization as of one scan: what policies evaluate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// `org-...`.
    pub org_id: String,
    /// When the data was collected (Unix seconds).
    pub collected_at: i64,
    pub inventory: Inventory,
    /// Endpoints that failed: the data they provide is unknown.
    pub failures: Vec<EndpointFailure>,
    pub coverage: Coverage,
}

impl Snapshot {
    /// The failures of one endpoint (matched on its path, e.g. `/organization/audit_logs`),
    /// for any scope.
    pub fn failures_of<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a EndpointFailure> {
        self.failures.iter().filter(move |f| {
            f.endpoint
                .split_once(' ')
                .map_or(f.endpoint.as_str(), |(_, p)| p)
                == path
        })
    }

    /// Whether an endpoint failed for the organization or for the given project.
    pub fn failed(&self, path: &str, project_id: Option<&str>) -> bool {
        self.failures_of(path)
            .any(|f| f.project_id.is_none() || f.project_id.as_deref() == project_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_read_as_json_are_summarised_under_their_names_only_when_present() {
        let mut inventory = Inventory::default();
        let plain = inventory.summary();
        assert!(plain.iter().all(|(label, _)| *label != "external_key"));
        let key = |id: &str| json!({"id": id, "object": "organization.external_key"});
        inventory
            .listed
            .insert(Kind::ExternalKey, vec![key("ek_1"), key("ek_2")]);
        let rows = inventory.summary();
        assert_eq!(rows.len(), plain.len() + 1);
        assert!(rows.contains(&("external_key", 2)), "{rows:?}");
        assert_eq!(own_id(&key("ek_1")), "ek_1");
        assert_eq!(own_id(&json!({"id": 7})), "");
        // An inventory without them serializes as before.
        let text = serde_json::to_string(&Inventory::default()).unwrap();
        assert!(!text.contains("listed"), "{text}");
    }
}
