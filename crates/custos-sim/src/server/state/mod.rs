//! The simulator's in-memory state: every organization of the scenario as the API would show it,
//! with the indexes the routes need. Built once from a validated [`Scenario`]; writes change it
//! in place under the server's write lock.

mod collection;
pub(crate) mod normalize;

pub(crate) use collection::{Collection, Doc, Keyed};

use super::error::ApiError;
use super::usage::Series;
use custos_model::api::UsageKind;
use custos_model::kind::Kind;
use custos_model::scenario::{Access, Organization, RoleAssignments, Scenario, ScenarioProject};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Everything the server knows. One `RwLock` guards it: reads run in parallel.
pub(crate) struct World {
    pub(crate) orgs: Vec<OrgState>,
    /// Bearer secret → who it is.
    pub(crate) credentials: HashMap<String, Principal>,
    pub(crate) ids: IdGen,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credential table is keyed by bearer secrets: never print it.
        f.debug_struct("World")
            .field("orgs", &self.orgs)
            .field("credentials", &self.credentials.len())
            .field("ids", &self.ids)
            .finish()
    }
}

/// The holder of a bearer secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    Admin {
        org: usize,
        key_id: String,
        read_only: bool,
    },
    Project {
        org: usize,
        project_id: String,
    },
}

/// Ids and secrets for objects the simulator creates: deterministic, so a replayed request
/// sequence creates the same ids.
#[derive(Debug)]
pub(crate) struct IdGen {
    next: u64,
    rng: fastrand::Rng,
}

impl IdGen {
    pub(crate) fn new(seed: u64) -> IdGen {
        IdGen {
            next: 1,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// `prefix` + `sim` + a counter, e.g. `proj_sim000007`.
    pub(crate) fn id(&mut self, prefix: &str) -> String {
        let n = self.next;
        self.next += 1;
        format!("{prefix}sim{n:06}")
    }

    /// A fresh secret such as `sk-admin-…` (32 random alphanumerics).
    pub(crate) fn secret(&mut self, prefix: &str) -> String {
        let tail: String = (0..32).map(|_| self.rng.alphanumeric()).collect();
        format!("{prefix}{tail}")
    }
}

/// Principal id → role ids (users or groups).
#[derive(Debug, Clone, Default)]
pub(crate) struct Assignments {
    pub(crate) users: HashMap<String, Vec<String>>,
    pub(crate) groups: HashMap<String, Vec<String>>,
}

impl Assignments {
    fn from_scenario(assignments: &RoleAssignments) -> Assignments {
        let collect = |map: &BTreeMap<String, Vec<String>>| {
            map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        Assignments {
            users: collect(&assignments.users),
            groups: collect(&assignments.groups),
        }
    }

    /// Removes a role from every principal (the role was deleted).
    pub(crate) fn forget_role(&mut self, role_id: &str) {
        for roles in self.users.values_mut().chain(self.groups.values_mut()) {
            roles.retain(|r| r != role_id);
        }
    }
}

/// What organizations and projects both have: RBAC roles and assignments, data retention,
/// spend limit and alerts. Routes take a [`Scope`] and work on either.
#[derive(Debug, Default)]
pub(crate) struct Controls {
    pub(crate) roles: Collection<Doc>,
    pub(crate) assignments: Assignments,
    pub(crate) data_retention: Option<Doc>,
    pub(crate) spend_limit: Option<Doc>,
    pub(crate) spend_alerts: Collection<Doc>,
}

/// Organization level or one project.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    Org,
    Project(&'a str),
}

impl Scope<'_> {
    /// The prefix of object tags: `organization.spend_alert` / `project.spend_alert`.
    pub(crate) fn tag(self, object: &str) -> String {
        match self {
            Scope::Org => format!("organization.{object}"),
            Scope::Project(_) => format!("project.{object}"),
        }
    }

    /// `resource_type` of roles at this scope.
    pub(crate) fn resource_type(self) -> &'static str {
        match self {
            Scope::Org => "api.organization",
            Scope::Project(_) => "api.project",
        }
    }
}

#[derive(Debug)]
pub(crate) struct OrgState {
    pub(crate) id: String,
    pub(crate) audit_logging: bool,
    pub(crate) users: Collection<Doc>,
    pub(crate) invites: Collection<Doc>,
    pub(crate) admin_keys: Collection<Doc>,
    pub(crate) certificates: Collection<Doc>,
    /// Certificate id → PEM, served with `include[]=content`.
    pub(crate) certificate_contents: HashMap<String, String>,
    /// Certificates active at organization level.
    pub(crate) active_certificates: HashSet<String>,
    pub(crate) groups: Collection<Doc>,
    /// Group id → member user ids, in the order they joined.
    pub(crate) group_members: HashMap<String, Vec<String>>,
    pub(crate) controls: Controls,
    pub(crate) projects: Collection<ProjectState>,
    /// Newest first.
    pub(crate) audit_logs: Collection<Doc>,
    pub(crate) usage: BTreeMap<UsageKind, Series>,
    pub(crate) costs: Series,
    /// The objects of the kinds custos reads as JSON, in list order, by kind.
    pub(crate) json_objects: BTreeMap<Kind, Collection<Doc>>,
}

#[derive(Debug)]
pub(crate) struct ProjectState {
    pub(crate) doc: Doc,
    pub(crate) users: Collection<Doc>,
    pub(crate) service_accounts: Collection<Doc>,
    pub(crate) api_keys: Collection<Doc>,
    pub(crate) rate_limits: Collection<Doc>,
    /// Organization certificates active for this project, in activation order.
    pub(crate) certificate_ids: Vec<String>,
    /// `project.group` docs keyed by group id.
    pub(crate) groups: Collection<Doc>,
    pub(crate) model_permissions: Option<Doc>,
    pub(crate) hosted_tools: Doc,
    pub(crate) controls: Controls,
    pub(crate) files: Collection<Doc>,
    pub(crate) file_contents: HashMap<String, String>,
    pub(crate) vector_stores: Collection<Doc>,
}

impl Keyed for ProjectState {
    fn key(&self) -> &str {
        self.doc.key()
    }
}

impl ProjectState {
    pub(crate) fn is_archived(&self) -> bool {
        self.doc.str("status") == Some("archived")
            || self.doc.get("archived_at").is_some_and(|v| !v.is_null())
    }

    /// 400 for a write that archived projects refuse (`docs/admin-api-notes.md` "Errors and
    /// retries").
    pub(crate) fn ensure_active(&self) -> Result<(), ApiError> {
        if self.is_archived() {
            Err(ApiError::bad_request(format!(
                "Project '{}' is archived and cannot be modified.",
                self.doc.key()
            )))
        } else {
            Ok(())
        }
    }

    /// Marks the project keys of user `user_id` as usable (`active`) or not (`inactive`).
    pub(crate) fn set_owner_access(&mut self, user_id: &str, access: &str) {
        for key in self.api_keys.iter_mut() {
            let owner = key
                .get("owner")
                .and_then(|o| o.get("user"))
                .and_then(|u| u.get("id"))
                .and_then(serde_json::Value::as_str);
            if owner == Some(user_id) {
                key.set("owner_project_access", access);
            }
        }
    }

    /// A new, empty project.
    pub(crate) fn new(doc: Doc) -> ProjectState {
        ProjectState {
            doc,
            users: Collection::default(),
            service_accounts: Collection::default(),
            api_keys: Collection::default(),
            rate_limits: Collection::default(),
            certificate_ids: Vec::new(),
            groups: Collection::default(),
            model_permissions: None,
            hosted_tools: normalize::hosted_tools(None),
            controls: Controls::default(),
            files: Collection::default(),
            file_contents: HashMap::new(),
            vector_stores: Collection::default(),
        }
    }
}

impl OrgState {
    pub(crate) fn project(&self, id: &str) -> Result<&ProjectState, ApiError> {
        self.projects
            .get(id)
            .ok_or_else(|| ApiError::not_found("project", id))
    }

    pub(crate) fn project_mut(&mut self, id: &str) -> Result<&mut ProjectState, ApiError> {
        self.projects
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("project", id))
    }

    pub(crate) fn controls(&self, scope: Scope) -> Result<&Controls, ApiError> {
        match scope {
            Scope::Org => Ok(&self.controls),
            Scope::Project(id) => Ok(&self.project(id)?.controls),
        }
    }

    pub(crate) fn controls_mut(&mut self, scope: Scope) -> Result<&mut Controls, ApiError> {
        match scope {
            Scope::Org => Ok(&mut self.controls),
            Scope::Project(id) => Ok(&mut self.project_mut(id)?.controls),
        }
    }

    /// The id of what `scope` names: the organization's or the project's.
    pub(crate) fn scope_id<'a>(&'a self, scope: Scope<'a>) -> &'a str {
        match scope {
            Scope::Org => &self.id,
            Scope::Project(id) => id,
        }
    }

    pub(crate) fn user(&self, id: &str) -> Result<&Doc, ApiError> {
        self.users
            .get(id)
            .ok_or_else(|| ApiError::not_found("user", id))
    }

    pub(crate) fn group(&self, id: &str) -> Result<&Doc, ApiError> {
        self.groups
            .get(id)
            .ok_or_else(|| ApiError::not_found("group", id))
    }
}

impl World {
    pub(crate) fn new(scenario: &Scenario, seed: u64) -> World {
        let mut credentials = HashMap::new();
        let orgs = scenario
            .organizations
            .iter()
            .enumerate()
            .map(|(index, org)| {
                register_credentials(&mut credentials, index, org);
                build_org(org)
            })
            .collect();
        World {
            orgs,
            credentials,
            ids: IdGen::new(seed),
        }
    }
}

fn register_credentials(
    credentials: &mut HashMap<String, Principal>,
    org: usize,
    organization: &Organization,
) {
    for credential in &organization.credentials {
        let principal = match (&credential.admin_api_key_id, &credential.project_id) {
            (Some(key_id), _) => Principal::Admin {
                org,
                key_id: key_id.clone(),
                read_only: credential.access == Some(Access::ReadOnly),
            },
            (None, Some(project_id)) => Principal::Project {
                org,
                project_id: project_id.clone(),
            },
            // Validation refuses these; a credential that names nothing authenticates nobody.
            (None, None) => continue,
        };
        credentials
            .entry(credential.secret.clone())
            .or_insert(principal);
    }
}

/// What `GET /organization/admin_api_keys` lists: the scenario's admin keys and, with the quirk
/// `project_keys_in_admin_keys`, every project key labelled as one. Those listings are objects
/// of the admin-key list like any other (a delete through it removes the listing only).
fn admin_key_docs(org: &Organization) -> Vec<Doc> {
    let project_keys = org
        .projects
        .iter()
        .filter(|_| org.quirks.project_keys_in_admin_keys)
        .flat_map(|p| &p.api_keys);
    org.admin_api_keys
        .iter()
        .map(normalize::admin_key)
        .chain(project_keys.map(normalize::project_key_as_admin_key))
        .collect()
}

fn build_org(org: &Organization) -> OrgState {
    let mut users: Vec<_> = org.users.iter().collect();
    // The API lists users in the order they joined.
    users.sort_by_key(|u| u.added_at);
    let mut audit_logs: Vec<_> = org.audit_logs.iter().collect();
    audit_logs.sort_by_key(|log| std::cmp::Reverse(log.effective_at));
    let group_names: HashMap<&str, &str> = org
        .groups
        .iter()
        .map(|g| (g.group.id.as_str(), g.group.name.as_str()))
        .collect();

    OrgState {
        id: org.id.clone(),
        audit_logging: org.settings.audit_logging,
        users: Collection::new(users.into_iter().map(normalize::user).collect()),
        invites: Collection::new(org.invites.iter().map(normalize::invite).collect()),
        admin_keys: Collection::new(admin_key_docs(org)),
        certificates: Collection::new(
            org.certificates
                .iter()
                .map(normalize::certificate)
                .collect(),
        ),
        certificate_contents: org
            .certificates
            .iter()
            .filter_map(|c| Some((c.id.clone(), c.certificate_details.content.clone()?)))
            .collect(),
        active_certificates: org
            .certificates
            .iter()
            .filter(|c| c.active == Some(true))
            .map(|c| c.id.clone())
            .collect(),
        groups: Collection::new(org.groups.iter().map(normalize::group).collect()),
        group_members: org
            .groups
            .iter()
            .map(|g| (g.group.id.clone(), g.user_ids.clone()))
            .collect(),
        controls: Controls {
            roles: Collection::new(
                org.roles
                    .iter()
                    .map(|r| normalize::role(r, Scope::Org.resource_type()))
                    .collect(),
            ),
            assignments: Assignments::from_scenario(&org.role_assignments),
            data_retention: org
                .data_retention
                .as_ref()
                .map(|d| normalize::data_retention(d, "organization.data_retention")),
            spend_limit: org
                .spend_limit
                .as_ref()
                .map(|l| normalize::spend_limit(l, "organization.spend_limit")),
            spend_alerts: Collection::new(
                org.spend_alerts
                    .iter()
                    .map(|a| normalize::spend_alert(a, "organization.spend_alert"))
                    .collect(),
            ),
        },
        projects: Collection::new(
            org.projects
                .iter()
                .map(|p| build_project(p, &group_names))
                .collect(),
        ),
        audit_logs: Collection::new(audit_logs.into_iter().map(normalize::audit_log).collect()),
        usage: UsageKind::ALL
            .into_iter()
            .map(|kind| {
                let records = org.usage.get(&kind).map(Vec::as_slice).unwrap_or_default();
                (kind, Series::new(records))
            })
            .collect(),
        costs: Series::new(&org.costs),
        json_objects: org
            .json_objects
            .iter()
            .map(|(kind, objects)| {
                let docs = objects.iter().cloned().map(Doc::with_id).collect();
                (*kind, Collection::new(docs))
            })
            .collect(),
    }
}

fn build_project(project: &ScenarioProject, group_names: &HashMap<&str, &str>) -> ProjectState {
    let scope = Scope::Project(&project.project.id);
    ProjectState {
        doc: normalize::project(&project.project),
        users: Collection::new(project.users.iter().map(normalize::project_user).collect()),
        service_accounts: Collection::new(
            project
                .service_accounts
                .iter()
                .map(normalize::service_account)
                .collect(),
        ),
        api_keys: Collection::new(
            project
                .api_keys
                .iter()
                .map(normalize::project_api_key)
                .collect(),
        ),
        rate_limits: Collection::new(
            project
                .rate_limits
                .iter()
                .map(normalize::rate_limit)
                .collect(),
        ),
        certificate_ids: project.certificate_ids.clone(),
        groups: Collection::new(
            project
                .groups
                .iter()
                .map(|g| normalize::project_group(g, group_names.get(g.group_id.as_str()).copied()))
                .collect(),
        ),
        model_permissions: project
            .model_permissions
            .as_ref()
            .map(normalize::model_permissions),
        hosted_tools: normalize::hosted_tools(project.hosted_tool_permissions.as_ref()),
        controls: Controls {
            roles: Collection::new(
                project
                    .roles
                    .iter()
                    .map(|r| normalize::role(r, scope.resource_type()))
                    .collect(),
            ),
            assignments: Assignments::from_scenario(&project.role_assignments),
            data_retention: project
                .data_retention
                .as_ref()
                .map(|d| normalize::data_retention(d, "project.data_retention")),
            spend_limit: project
                .spend_limit
                .as_ref()
                .map(|l| normalize::spend_limit(l, "project.spend_limit")),
            spend_alerts: Collection::new(
                project
                    .spend_alerts
                    .iter()
                    .map(|a| normalize::spend_alert(a, "project.spend_alert"))
                    .collect(),
            ),
        },
        files: Collection::new(project.files.iter().map(normalize::file).collect()),
        file_contents: project
            .files
            .iter()
            .filter_map(|f| Some((f.file.id.clone(), f.content.clone()?)))
            .collect(),
        vector_stores: Collection::new(
            project
                .vector_stores
                .iter()
                .map(normalize::vector_store)
                .collect(),
        ),
    }
}
