//! The kinds of object a snapshot holds, as one closed enum, and the kind registry: what each
//! kind is ([`KindInfo`]), declared once. A misspelled kind does not compile, and its name (the
//! `kind` column of a snapshot, the `kind` of a custom policy, the argument of
//! `custos inventory`), where it lives, the operations that read it, how its records are named,
//! which fields an action guards and whether custom policies see it are written in one place
//! that the scan, the records, the snapshot, custom policies and actions read.

use crate::operations::{self as ops, Operation};
use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

/// One kind of object of an organization's inventory.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Display,
    EnumString,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Kind {
    User,
    UserRole,
    Invite,
    AdminApiKey,
    Certificate,
    Group,
    GroupMember,
    GroupRole,
    Role,
    DataRetention,
    SpendLimit,
    SpendAlert,
    WorkloadIdentityProvider,
    ExternalKey,
    ExternalStorage,
    Project,
    ProjectUser,
    ServiceAccount,
    ProjectApiKey,
    RateLimit,
    ProjectCertificate,
    ProjectGroup,
    ProjectRole,
    ProjectUserRole,
    ProjectGroupRole,
    ModelPermissions,
    HostedToolPermissions,
    ProjectDataRetention,
    ProjectSpendLimit,
    ProjectSpendAlert,
    File,
    VectorStore,
}

impl Kind {
    /// Every kind, in the order snapshots list them.
    pub const ALL: &'static [Kind] = Kind::VARIANTS;

    /// The kind's name as stored and typed (`project_api_key`).
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// What the kind is: its entry in the registry.
    pub fn info(self) -> &'static KindInfo {
        &REGISTRY[self as usize]
    }

    /// The kinds whose objects are read per object of this one (roles per user, every project
    /// kind per project), and theirs in turn, in [`Kind::ALL`] order: what becomes unknown
    /// with this kind when its list fails.
    pub fn descendants(self) -> impl Iterator<Item = Kind> {
        Kind::ALL.iter().copied().filter(move |kind| {
            std::iter::successors(kind.info().parent, |parent| parent.info().parent)
                .any(|ancestor| ancestor == self)
        })
    }
}

/// Where an object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// In the organization (users, invites, projects themselves).
    Organization,
    /// Inside one project: its records carry the project's id.
    Project,
    /// Inside one workspace of the ChatGPT Compliance API (issue 20); no Admin API kind has it.
    Workspace,
}

/// How a kind's record id is made from what the API says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRule {
    /// The object's own id (`user_1`), unique in the organization.
    Own,
    /// `parent/own`, the parent's record id and the object's own id: a membership or an
    /// assignment, unique only under its parent (`proj_1/user_1`, `proj_1/user_1/role_1`).
    UnderParent,
    /// The id of the object it is a setting of, the organization's or the project's: at most
    /// one per owner, absent when the API says it is not set (404).
    Owner,
}

/// One kind of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    pub kind: Kind,
    pub scope: Scope,
    /// The object it is read per (a user's roles, a project's keys); `None` when it is read
    /// once for the organization.
    pub parent: Option<Kind>,
    /// The list that holds its objects; `None` for a setting, read with [`Self::retrieve`].
    pub list: Option<&'static Operation>,
    /// The read of one object; `None` where the API has none (rate limits, a project's
    /// certificates, vector stores).
    pub retrieve: Option<&'static Operation>,
    pub id: IdRule,
    /// The fields (dotted paths) an action's target must still read as the snapshot had them
    /// when it runs; anything else may change without making a plan stale. Empty for the kinds
    /// no action targets.
    pub guarded: &'static [&'static str],
    /// Whether a custom policy may judge it (`resource:`).
    pub custom_policies: bool,
    /// Whether its objects are read, stored and read back as the API's JSON rather than as a
    /// typed struct: the kinds no built-in policy reads. The scan walks, records and snapshots
    /// every such kind from this registry alone ([`crate::inventory::Inventory::listed`]), so
    /// adding one needs no code outside the registry, the operation table and the simulator's
    /// scenario. Such a kind is an id-cursor list of the organization or of each project.
    pub json: bool,
}

impl KindInfo {
    /// The operation a scan reads the kind from: its list, or a setting's retrieve.
    pub fn source(&self) -> &'static Operation {
        match (self.list, self.retrieve) {
            (Some(op), _) | (None, Some(op)) => op,
            // The registry test holds every kind to a list or a retrieve.
            (None, None) => unreachable!("{} has neither a list nor a retrieve", self.kind),
        }
    }

    /// The source as a scan records its endpoint (`GET /organization/users`).
    pub fn endpoint(&self) -> String {
        format!("GET {}", self.source().path)
    }

    /// Whether the kind is read with a project's own key (files, vector stores): a snapshot
    /// knows per project whether its list was read at all.
    pub fn needs_project_key(&self) -> bool {
        ops::PROJECT_KEY_OPERATIONS.contains(self.source())
    }

    /// The record id of an object whose own id is `own`, read per `owner` (the parent's record
    /// id, or the organization's or project's id for a setting).
    pub fn record_id(&self, owner: &str, own: &str) -> String {
        match self.id {
            IdRule::Own => own.to_owned(),
            IdRule::UnderParent => format!("{owner}/{own}"),
            IdRule::Owner => owner.to_owned(),
        }
    }

    /// The ids that fill the placeholders of `op` (a read of this kind) for the record `id` in
    /// `project`: the project's id for an object of a project, then the parts of its record
    /// id, of which the last as many as `op` has placeholders. A composite id is split after
    /// its project's id and then at its first slashes only: the parents' ids hold no `/`, but
    /// the member's own id may (`proj_1/user 1/%` is user `user 1/%` of `proj_1`).
    pub fn path_ids<'a>(
        &self,
        op: &Operation,
        project: Option<&'a str>,
        id: &'a str,
    ) -> Vec<&'a str> {
        let wanted = op.placeholders();
        let mut ids: Vec<&str> = Vec::with_capacity(wanted + 1);
        let mut rest = id;
        if let (Scope::Project, Some(project)) = (self.scope, project) {
            match self.id {
                IdRule::Own => ids.push(project),
                IdRule::UnderParent => {
                    if let Some(member) = member_id(project, id) {
                        ids.push(project);
                        rest = member;
                    }
                }
                // A project's setting is named by the project's id, which is its record id.
                IdRule::Owner => {}
            }
        }
        match self.id {
            IdRule::UnderParent => {
                let parts = wanted.saturating_sub(ids.len()).max(1);
                ids.extend(rest.splitn(parts, '/'));
            }
            IdRule::Own | IdRule::Owner => ids.push(rest),
        }
        let skip = ids.len().saturating_sub(wanted);
        ids.split_off(skip)
    }
}

/// The member's own id in record `id` of a membership of `project` (`proj_1/user 1/%` is user
/// `user 1/%`): what follows the project's id and `/`, never split further, since a member's id
/// may hold a `/`; `None` when `id` is not under `project`.
pub fn member_id<'a>(project: &str, id: &'a str) -> Option<&'a str> {
    id.strip_prefix(project)?.strip_prefix('/')
}

const fn kind(
    kind: Kind,
    scope: Scope,
    parent: Option<Kind>,
    list: Option<&'static Operation>,
    retrieve: Option<&'static Operation>,
    id: IdRule,
) -> KindInfo {
    KindInfo {
        kind,
        scope,
        parent,
        list,
        retrieve,
        id,
        guarded: &[],
        custom_policies: false,
        json: false,
    }
}

impl KindInfo {
    const fn guarded(mut self, fields: &'static [&'static str]) -> Self {
        self.guarded = fields;
        self
    }

    const fn for_custom_policies(mut self) -> Self {
        self.custom_policies = true;
        self
    }

    const fn read_as_json(mut self) -> Self {
        self.json = true;
        self
    }
}

use IdRule::{Own, Owner, UnderParent};
use Scope::{Organization as Org, Project as InProject};

/// The registry, in [`Kind`] order (a test holds it there).
static REGISTRY: [KindInfo; Kind::VARIANTS.len()] = [
    kind(
        Kind::User,
        Org,
        None,
        Some(&ops::LIST_USERS),
        Some(&ops::RETRIEVE_USER),
        Own,
    )
    .guarded(&["role"])
    .for_custom_policies(),
    kind(
        Kind::UserRole,
        Org,
        Some(Kind::User),
        Some(&ops::LIST_USER_ROLE_ASSIGNMENTS),
        Some(&ops::RETRIEVE_USER_ROLE),
        UnderParent,
    ),
    kind(
        Kind::Invite,
        Org,
        None,
        Some(&ops::LIST_INVITES),
        Some(&ops::RETRIEVE_INVITE),
        Own,
    )
    .guarded(&["status", "role"])
    .for_custom_policies(),
    kind(
        Kind::AdminApiKey,
        Org,
        None,
        Some(&ops::LIST_ADMIN_API_KEYS),
        Some(&ops::RETRIEVE_ADMIN_API_KEY),
        Own,
    )
    .guarded(&["name", "owner.id"])
    .for_custom_policies(),
    kind(
        Kind::Certificate,
        Org,
        None,
        Some(&ops::LIST_ORGANIZATION_CERTIFICATES),
        Some(&ops::RETRIEVE_CERTIFICATE),
        Own,
    )
    .guarded(&["name"])
    .for_custom_policies(),
    kind(
        Kind::Group,
        Org,
        None,
        Some(&ops::LIST_GROUPS),
        Some(&ops::RETRIEVE_GROUP),
        Own,
    )
    .for_custom_policies(),
    kind(
        Kind::GroupMember,
        Org,
        Some(Kind::Group),
        Some(&ops::LIST_GROUP_USERS),
        Some(&ops::RETRIEVE_GROUP_USER),
        UnderParent,
    ),
    kind(
        Kind::GroupRole,
        Org,
        Some(Kind::Group),
        Some(&ops::LIST_GROUP_ROLE_ASSIGNMENTS),
        Some(&ops::RETRIEVE_GROUP_ROLE),
        UnderParent,
    ),
    kind(
        Kind::Role,
        Org,
        None,
        Some(&ops::LIST_ORGANIZATION_ROLES),
        Some(&ops::RETRIEVE_ORGANIZATION_ROLE),
        Own,
    ),
    kind(
        Kind::DataRetention,
        Org,
        None,
        None,
        Some(&ops::RETRIEVE_ORGANIZATION_DATA_RETENTION),
        Owner,
    ),
    kind(
        Kind::SpendLimit,
        Org,
        None,
        None,
        Some(&ops::RETRIEVE_ORGANIZATION_SPEND_LIMIT),
        Owner,
    ),
    kind(
        Kind::SpendAlert,
        Org,
        None,
        Some(&ops::LIST_ORGANIZATION_SPEND_ALERTS),
        Some(&ops::RETRIEVE_ORGANIZATION_SPEND_ALERT),
        Own,
    ),
    kind(
        Kind::WorkloadIdentityProvider,
        Org,
        None,
        Some(&ops::LIST_WORKLOAD_IDENTITY_PROVIDERS),
        Some(&ops::RETRIEVE_WORKLOAD_IDENTITY_PROVIDER),
        Own,
    )
    .read_as_json(),
    kind(
        Kind::ExternalKey,
        Org,
        None,
        Some(&ops::LIST_EXTERNAL_KEYS),
        Some(&ops::RETRIEVE_EXTERNAL_KEY),
        Own,
    )
    .read_as_json(),
    kind(
        Kind::ExternalStorage,
        Org,
        None,
        Some(&ops::LIST_EXTERNAL_STORAGE),
        Some(&ops::RETRIEVE_EXTERNAL_STORAGE),
        Own,
    )
    .read_as_json(),
    kind(
        Kind::Project,
        Org,
        None,
        Some(&ops::LIST_PROJECTS),
        Some(&ops::RETRIEVE_PROJECT),
        Own,
    )
    .guarded(&["name", "status"])
    .for_custom_policies(),
    kind(
        Kind::ProjectUser,
        InProject,
        Some(Kind::Project),
        Some(&ops::LIST_PROJECT_USERS),
        Some(&ops::RETRIEVE_PROJECT_USER),
        UnderParent,
    )
    .guarded(&["role"])
    .for_custom_policies(),
    kind(
        Kind::ServiceAccount,
        InProject,
        Some(Kind::Project),
        Some(&ops::LIST_PROJECT_SERVICE_ACCOUNTS),
        Some(&ops::RETRIEVE_PROJECT_SERVICE_ACCOUNT),
        Own,
    )
    .guarded(&["name", "role"])
    .for_custom_policies(),
    kind(
        Kind::ProjectApiKey,
        InProject,
        Some(Kind::Project),
        Some(&ops::LIST_PROJECT_API_KEYS),
        Some(&ops::RETRIEVE_PROJECT_API_KEY),
        Own,
    )
    .guarded(&["name", "owner.type"])
    .for_custom_policies(),
    kind(
        Kind::RateLimit,
        InProject,
        Some(Kind::Project),
        Some(&ops::LIST_PROJECT_RATE_LIMITS),
        None,
        UnderParent,
    ),
    kind(
        Kind::ProjectCertificate,
        InProject,
        Some(Kind::Project),
        Some(&ops::LIST_PROJECT_CERTIFICATES),
        None,
        UnderParent,
    )
    .guarded(&["active"]),
    kind(
        Kind::ProjectGroup,
        InProject,
        Some(Kind::Project),
        Some(&ops::LIST_PROJECT_GROUPS),
        Some(&ops::RETRIEVE_PROJECT_GROUP),
        UnderParent,
    ),
    kind(
        Kind::ProjectRole,
        InProject,
        Some(Kind::Project),
        Some(&ops::LIST_PROJECT_ROLES),
        Some(&ops::RETRIEVE_PROJECT_ROLE),
        Own,
    ),
    kind(
        Kind::ProjectUserRole,
        InProject,
        Some(Kind::ProjectUser),
        Some(&ops::LIST_PROJECT_USER_ROLE_ASSIGNMENTS),
        Some(&ops::RETRIEVE_PROJECT_USER_ROLE),
        UnderParent,
    ),
    kind(
        Kind::ProjectGroupRole,
        InProject,
        Some(Kind::ProjectGroup),
        Some(&ops::LIST_PROJECT_GROUP_ROLE_ASSIGNMENTS),
        Some(&ops::RETRIEVE_PROJECT_GROUP_ROLE),
        UnderParent,
    ),
    kind(
        Kind::ModelPermissions,
        InProject,
        Some(Kind::Project),
        None,
        Some(&ops::RETRIEVE_PROJECT_MODEL_PERMISSIONS),
        Owner,
    ),
    kind(
        Kind::HostedToolPermissions,
        InProject,
        Some(Kind::Project),
        None,
        Some(&ops::RETRIEVE_PROJECT_HOSTED_TOOL_PERMISSIONS),
        Owner,
    ),
    kind(
        Kind::ProjectDataRetention,
        InProject,
        Some(Kind::Project),
        None,
        Some(&ops::RETRIEVE_PROJECT_DATA_RETENTION),
        Owner,
    ),
    kind(
        Kind::ProjectSpendLimit,
        InProject,
        Some(Kind::Project),
        None,
        Some(&ops::RETRIEVE_PROJECT_SPEND_LIMIT),
        Owner,
    )
    .guarded(&["threshold_amount"]),
    kind(
        Kind::ProjectSpendAlert,
        InProject,
        Some(Kind::Project),
        Some(&ops::LIST_PROJECT_SPEND_ALERTS),
        Some(&ops::RETRIEVE_PROJECT_SPEND_ALERT),
        Own,
    ),
    kind(
        Kind::File,
        InProject,
        Some(Kind::Project),
        Some(&ops::LIST_FILES),
        Some(&ops::RETRIEVE_FILE),
        Own,
    )
    .guarded(&["filename", "purpose", "bytes"])
    .for_custom_policies(),
    kind(
        Kind::VectorStore,
        InProject,
        Some(Kind::Project),
        Some(&ops::LIST_VECTOR_STORES),
        None,
        Own,
    )
    .for_custom_policies(),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for kind in Kind::ALL {
            assert_eq!(kind.name().parse::<Kind>(), Ok(*kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.name().to_owned())
            );
        }
        assert_eq!(Kind::ProjectApiKey.name(), "project_api_key");
        assert!("project_api_keys".parse::<Kind>().is_err());
    }

    #[test]
    fn the_registry_is_in_kind_order() {
        for (kind, info) in Kind::ALL.iter().zip(&REGISTRY) {
            assert_eq!(*kind, info.kind);
            assert_eq!(kind.info().kind, *kind);
        }
    }

    #[test]
    fn every_kind_is_read_by_get_operations_of_the_table() {
        let table: Vec<&Operation> = ops::OPERATIONS
            .iter()
            .chain(ops::PROJECT_KEY_OPERATIONS)
            .chain(ops::SDK_OPERATIONS)
            .collect();
        for kind in Kind::ALL {
            let info = kind.info();
            assert!(info.list.is_some() || info.retrieve.is_some(), "{kind}");
            for op in info.list.iter().chain(&info.retrieve) {
                assert!(table.contains(op), "{kind}: {op:?} is not in the table");
                assert_eq!((op.method, op.write), ("GET", false), "{kind}: {op:?}");
            }
            // A setting has no list, and only a setting is named after its owner.
            assert_eq!(info.list.is_none(), info.id == IdRule::Owner, "{kind}");
            if let Some(retrieve) = info.retrieve {
                let list = info.list.map_or("", |list| list.path);
                assert!(retrieve.path.starts_with(list), "{kind}: {retrieve:?}");
            }
        }
    }

    #[test]
    fn kinds_read_as_json_are_lists_of_the_organization_or_of_each_project() {
        let json: Vec<Kind> = Kind::ALL
            .iter()
            .copied()
            .filter(|kind| kind.info().json)
            .collect();
        assert_eq!(
            json,
            [
                Kind::WorkloadIdentityProvider,
                Kind::ExternalKey,
                Kind::ExternalStorage
            ]
        );
        for kind in json {
            let info = kind.info();
            // What the generic walk knows how to read: one list per organization or project,
            // its objects named by their own ids, no kind read per object of it.
            assert!(matches!(info.parent, None | Some(Kind::Project)), "{kind}");
            assert!(info.list.is_some() && info.id == IdRule::Own, "{kind}");
            assert_eq!(kind.descendants().count(), 0, "{kind}");
            assert!(!info.needs_project_key(), "{kind}");
        }
    }

    #[test]
    fn parents_are_read_first_and_scopes_agree() {
        for kind in Kind::ALL {
            let info = kind.info();
            assert_ne!(info.scope, Scope::Workspace, "{kind}");
            // Inside a project means read per project.
            assert_eq!(
                info.scope == Scope::Project,
                kind.info()
                    .parent
                    .is_some_and(|p| p == Kind::Project || p.info().scope == Scope::Project),
                "{kind}"
            );
            assert!(
                info.id != IdRule::UnderParent || info.parent.is_some(),
                "{kind}"
            );
            let Some(parent) = info.parent else {
                continue;
            };
            // Read per parent: with the parent's id in its path, or with the project's key.
            let per_parent = info.source().placeholders() > parent.info().source().placeholders();
            assert!(
                per_parent || info.needs_project_key(),
                "{kind} is not read per {parent}"
            );
            assert!(
                kind.info()
                    .parent
                    .unwrap()
                    .descendants()
                    .any(|d| d == *kind)
            );
        }
        let project_kinds: Vec<Kind> = Kind::Project.descendants().collect();
        assert_eq!(project_kinds.len(), 16);
        assert_eq!(
            Kind::ProjectUser.descendants().collect::<Vec<_>>(),
            [Kind::ProjectUserRole]
        );
    }

    #[test]
    fn record_ids_and_path_ids_follow_the_id_rule() {
        let user_role = Kind::ProjectUserRole.info();
        assert_eq!(
            user_role.record_id("proj_1/user_1", "role_1"),
            "proj_1/user_1/role_1"
        );
        assert_eq!(
            Kind::ProjectSpendLimit.info().record_id("proj_1", ""),
            "proj_1"
        );
        assert_eq!(Kind::User.info().record_id("org-1", "user_1"), "user_1");
        let ids = |kind: Kind, project, id| {
            let info = kind.info();
            info.path_ids(info.retrieve.unwrap(), project, id)
        };
        assert_eq!(ids(Kind::ProjectUser, Some("p"), "p/u"), ["p", "u"]);
        // A member id with a slash stays whole, as does a project id with one.
        assert_eq!(
            ids(Kind::ProjectUser, Some("p/1"), "p/1/user 1/%"),
            ["p/1", "user 1/%"]
        );
        assert_eq!(
            ids(Kind::ProjectUserRole, Some("p"), "p/u/role/1"),
            ["p", "u", "role/1"]
        );
        assert_eq!(ids(Kind::GroupMember, None, "g/u/1"), ["g", "u/1"]);
        assert_eq!(ids(Kind::ServiceAccount, Some("p"), "sa"), ["p", "sa"]);
        assert_eq!(ids(Kind::File, Some("p"), "file-1"), ["file-1"]);
        assert_eq!(ids(Kind::ProjectSpendLimit, Some("p"), "p"), ["p"]);
        assert_eq!(ids(Kind::Project, Some("p"), "p"), ["p"]);
        assert_eq!(ids(Kind::User, None, "u"), ["u"]);
        assert!(ids(Kind::DataRetention, None, "org-1").is_empty());
    }
}
