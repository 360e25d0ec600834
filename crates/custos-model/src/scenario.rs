//! The `custos-scenario/1` document (`docs/scenario-format.md`): the whole state of one or more
//! organizations.
//! Every object is the API object verbatim; the few simulator-only fields are marked *(sim)*.
//! The format is a contract: fields are added, never changed or removed.

use crate::api::{
    AdminApiKey, AuditLog, Certificate, CostResult, DataRetention, File, Group,
    HostedToolPermissions, Invite, ModelPermissions, Project, ProjectApiKey, ProjectGroup,
    ProjectUser, RateLimit, Role, ServiceAccount, SpendAlert, SpendLimit, UsageKind, UsageResult,
    User, VectorStore,
};
use crate::kind::Kind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// API objects as the API sends them, by kind name: those of the kinds custos reads as JSON
/// ([`crate::kind::KindInfo::json`]).
pub type JsonObjects = BTreeMap<Kind, Vec<serde_json::Map<String, serde_json::Value>>>;

/// The `format` every scenario file declares.
pub const SCENARIO_FORMAT: &str = "custos-scenario/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// (sim) the simulator's clock in Unix seconds; the wall clock when absent.
    #[serde(
        default,
        deserialize_with = "crate::unix::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub now: Option<i64>,
    pub organizations: Vec<Organization>,
    /// Reserved for the ChatGPT Enterprise Compliance API.
    #[serde(default)]
    pub chatgpt: Option<serde_json::Value>,
}

/// Whether an admin secret may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    ReadWrite,
    ReadOnly,
}

/// (sim) a bearer secret the simulator accepts: an admin key (`admin_api_key_id`, `access`) or a
/// project key (`project_id`).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    pub secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_api_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("secret", &"[redacted]")
            .field("admin_api_key_id", &self.admin_api_key_id)
            .field("access", &self.access)
            .field("project_id", &self.project_id)
            .finish()
    }
}

/// (sim) organization switches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `false`: `/organization/audit_logs` answers 403.
    #[serde(default = "yes")]
    pub audit_logging: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            audit_logging: true,
        }
    }
}

/// (sim) quirks of real organizations the simulator reproduces when asked; all off by default.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quirks {
    /// `GET /organization/admin_api_keys` also lists every project key, labelled as an admin
    /// key (same id, `object: organization.admin_api_key`).
    #[serde(default)]
    pub project_keys_in_admin_keys: bool,
}

impl Quirks {
    pub fn is_none(&self) -> bool {
        *self == Quirks::default()
    }
}

fn yes() -> bool {
    true
}

/// (sim) role assignments: principal id → role ids.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleAssignments {
    #[serde(default)]
    pub users: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
}

impl RoleAssignments {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }
}

/// A group with (sim) its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioGroup {
    #[serde(default)]
    pub user_ids: Vec<String>,
    #[serde(flatten)]
    pub group: Group,
}

/// A project file with (sim) its text content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(flatten)]
    pub file: File,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// (sim) the organization id, `org-...`.
    pub id: String,
    /// (sim)
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub credentials: Vec<Credential>,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default, skip_serializing_if = "Quirks::is_none")]
    pub quirks: Quirks,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub invites: Vec<Invite>,
    #[serde(default)]
    pub admin_api_keys: Vec<AdminApiKey>,
    #[serde(default)]
    pub certificates: Vec<Certificate>,
    #[serde(default)]
    pub groups: Vec<ScenarioGroup>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default, skip_serializing_if = "RoleAssignments::is_empty")]
    pub role_assignments: RoleAssignments,
    #[serde(default)]
    pub data_retention: Option<DataRetention>,
    #[serde(default)]
    pub spend_limit: Option<SpendLimit>,
    #[serde(default)]
    pub spend_alerts: Vec<SpendAlert>,
    #[serde(default)]
    pub projects: Vec<ScenarioProject>,
    #[serde(default)]
    pub audit_logs: Vec<AuditLog>,
    #[serde(default)]
    pub usage: BTreeMap<UsageKind, Vec<UsageResult>>,
    #[serde(default)]
    pub costs: Vec<CostResult>,
    /// The organization's objects of the kinds custos reads as JSON (workload identity
    /// providers, external keys, ...), by kind name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub json_objects: JsonObjects,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioProject {
    pub project: Project,
    #[serde(default)]
    pub users: Vec<ProjectUser>,
    #[serde(default)]
    pub service_accounts: Vec<ServiceAccount>,
    #[serde(default)]
    pub api_keys: Vec<ProjectApiKey>,
    #[serde(default)]
    pub rate_limits: Vec<RateLimit>,
    /// (sim) organization certificates active for this project.
    #[serde(default)]
    pub certificate_ids: Vec<String>,
    #[serde(default)]
    pub groups: Vec<ProjectGroup>,
    /// `null`: no restriction (the GET answers 404).
    #[serde(default)]
    pub model_permissions: Option<ModelPermissions>,
    #[serde(default)]
    pub hosted_tool_permissions: Option<HostedToolPermissions>,
    #[serde(default)]
    pub data_retention: Option<DataRetention>,
    #[serde(default)]
    pub spend_limit: Option<SpendLimit>,
    #[serde(default)]
    pub spend_alerts: Vec<SpendAlert>,
    #[serde(default)]
    pub files: Vec<ScenarioFile>,
    #[serde(default)]
    pub vector_stores: Vec<VectorStore>,
    /// (sim, added later) custom project roles served by `/projects/{id}/roles`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    /// (sim, added later) project-level role assignments of users and groups.
    #[serde(default, skip_serializing_if = "RoleAssignments::is_empty")]
    pub role_assignments: RoleAssignments,
}
