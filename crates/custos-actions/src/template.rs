//! The templates (`docs/conventions.md` "Automation templates") and the object kinds
//! they act on: each template declares its parameters, its risk and whether it provisions;
//! each kind says where the object is re-read and which of its fields must not have changed.

// The objects a remediation acts on are kinds of the registry, whose entries say where an
// object is re-read and which of its fields must not have changed.
use custos_model::kind::{Kind, Scope};
use serde::{Deserialize, Serialize};

/// How much damage a mistaken execution can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
}

/// What planning and execution ask of a target's kind, read from the kind registry.
pub trait TargetKind {
    /// The `kind` of its snapshot records.
    fn snapshot_kind(self) -> &'static str;

    /// The fields that must read the same at execution as in the snapshot the plan was made
    /// from (dotted paths); anything else may change without making the plan stale.
    fn guarded_fields(self) -> &'static [&'static str];

    /// Whether the object is a project or lives in one (its approval goes to the project's
    /// owners).
    fn in_project(self) -> bool;
}

impl TargetKind for Kind {
    fn snapshot_kind(self) -> &'static str {
        self.name()
    }

    fn guarded_fields(self) -> &'static [&'static str] {
        self.info().guarded
    }

    fn in_project(self) -> bool {
        self == Kind::Project || self.info().scope == Scope::Project
    }
}

/// What a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A display name: 1-256 characters, no control characters.
    Name,
    /// US dollars, whole or with cents, at least 0.01.
    Dollars,
    /// Seconds, 1 to 31,536,000 (a year).
    Seconds,
    /// An email address.
    Email,
    /// An X.509 certificate in PEM.
    Pem,
    /// `proj_a:member,proj_b:owner`: projects of the snapshot with a project role.
    ProjectRoles,
}

/// One declared parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub required: bool,
    pub help: &'static str,
}

const fn param(
    name: &'static str,
    kind: ParamKind,
    required: bool,
    help: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        required,
        help,
    }
}

/// An automation or provisioning template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Template {
    ArchiveProject,
    DeleteOrgCertificate,
    DeleteProjectCertificate,
    DeleteUser,
    DeleteInvite,
    DeleteAdminKey,
    DeleteProjectKey,
    DeleteFile,
    RemoveProjectUser,
    DowngradeOwner,
    DeleteServiceAccount,
    SetProjectSpendLimit,
    CreateProject,
    CreateAdminKey,
    UploadOrgCertificate,
    InviteUser,
}

/// What a template is, as `custos actions templates` shows it.
#[derive(Debug, Clone, Copy)]
pub struct TemplateSpec {
    pub name: &'static str,
    pub title: &'static str,
    /// The kinds of object it can target; empty for provisioning.
    pub targets: &'static [Kind],
    pub risk: Risk,
    pub params: &'static [ParamSpec],
}

const PROJECT_ROLE_HELP: &str =
    "projects to join on acceptance, as proj_id:member or proj_id:owner, comma-separated";

const SPEND_LIMIT_PARAMS: &[ParamSpec] = &[param(
    "amount_usd",
    ParamKind::Dollars,
    true,
    "the monthly limit in US dollars",
)];
const CREATE_PROJECT_PARAMS: &[ParamSpec] =
    &[param("name", ParamKind::Name, true, "the project's name")];
const CREATE_ADMIN_KEY_PARAMS: &[ParamSpec] = &[
    param("name", ParamKind::Name, true, "the key's name"),
    param(
        "expires_in_seconds",
        ParamKind::Seconds,
        false,
        "lifetime in seconds (at most a year); omitted: never expires",
    ),
];
const UPLOAD_CERTIFICATE_PARAMS: &[ParamSpec] = &[
    param("name", ParamKind::Name, false, "the certificate's name"),
    param("pem", ParamKind::Pem, true, "the certificate in PEM format"),
];
const INVITE_PARAMS: &[ParamSpec] = &[
    param(
        "email",
        ParamKind::Email,
        true,
        "the invitee's email address",
    ),
    param(
        "role",
        ParamKind::OneOf(&["reader", "owner"]),
        false,
        "organization role (default reader)",
    ),
    param(
        "projects",
        ParamKind::ProjectRoles,
        false,
        PROJECT_ROLE_HELP,
    ),
];

impl Template {
    /// Every template, remediation first.
    pub const ALL: [Template; 16] = [
        Template::ArchiveProject,
        Template::DeleteOrgCertificate,
        Template::DeleteProjectCertificate,
        Template::DeleteUser,
        Template::DeleteInvite,
        Template::DeleteAdminKey,
        Template::DeleteProjectKey,
        Template::DeleteFile,
        Template::RemoveProjectUser,
        Template::DowngradeOwner,
        Template::DeleteServiceAccount,
        Template::SetProjectSpendLimit,
        Template::CreateProject,
        Template::CreateAdminKey,
        Template::UploadOrgCertificate,
        Template::InviteUser,
    ];

    /// The template's declaration.
    pub fn spec(self) -> TemplateSpec {
        use Kind as K;
        let (name, title, targets, risk, params): (_, _, &[Kind], _, &[ParamSpec]) = match self {
            Template::ArchiveProject => (
                "archive-project",
                "Archive a project (its keys stop working)",
                &[K::Project],
                Risk::High,
                &[],
            ),
            Template::DeleteOrgCertificate => (
                "delete-org-certificate",
                "Deactivate and delete an organization certificate",
                &[K::Certificate],
                Risk::Medium,
                &[],
            ),
            Template::DeleteProjectCertificate => (
                "delete-project-certificate",
                "Deactivate a certificate in a project",
                &[K::ProjectCertificate],
                Risk::Medium,
                &[],
            ),
            Template::DeleteUser => (
                "delete-user",
                "Remove a user from the organization",
                &[K::User],
                Risk::High,
                &[],
            ),
            Template::DeleteInvite => (
                "delete-invite",
                "Delete a pending invite",
                &[K::Invite],
                Risk::Low,
                &[],
            ),
            Template::DeleteAdminKey => (
                "delete-admin-key",
                "Revoke an admin API key",
                &[K::AdminApiKey],
                Risk::High,
                &[],
            ),
            Template::DeleteProjectKey => (
                "delete-project-key",
                "Revoke a project API key",
                &[K::ProjectApiKey],
                Risk::Medium,
                &[],
            ),
            Template::DeleteFile => (
                "delete-file",
                "Delete a file (with the project's key)",
                &[K::File],
                Risk::Medium,
                &[],
            ),
            Template::RemoveProjectUser => (
                "remove-project-user",
                "Remove a user from a project",
                &[K::ProjectUser],
                Risk::Medium,
                &[],
            ),
            Template::DowngradeOwner => (
                "downgrade-owner",
                "Downgrade an owner (organization: to reader; project: to member)",
                &[K::User, K::ProjectUser],
                Risk::High,
                &[],
            ),
            Template::DeleteServiceAccount => (
                "delete-service-account",
                "Delete a project service account and its key",
                &[K::ServiceAccount],
                Risk::Medium,
                &[],
            ),
            Template::SetProjectSpendLimit => (
                "set-project-spend-limit",
                "Set a project's monthly hard spend limit",
                &[K::Project],
                Risk::Medium,
                SPEND_LIMIT_PARAMS,
            ),
            Template::CreateProject => (
                "create-project",
                "Create a project",
                &[],
                Risk::Low,
                CREATE_PROJECT_PARAMS,
            ),
            Template::CreateAdminKey => (
                "create-admin-key",
                "Create an admin API key (the secret is shown once, to the requester)",
                &[],
                Risk::High,
                CREATE_ADMIN_KEY_PARAMS,
            ),
            Template::UploadOrgCertificate => (
                "upload-org-certificate",
                "Upload an organization certificate",
                &[],
                Risk::Medium,
                UPLOAD_CERTIFICATE_PARAMS,
            ),
            Template::InviteUser => (
                "invite-user",
                "Invite a user to the organization (optionally to projects)",
                &[],
                Risk::Medium,
                INVITE_PARAMS,
            ),
        };
        TemplateSpec {
            name,
            title,
            targets,
            risk,
            params,
        }
    }

    /// The template's name, e.g. `delete-project-key`.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Whether it creates something rather than fixing an existing object.
    pub fn is_provisioning(self) -> bool {
        self.spec().targets.is_empty()
    }

    /// Whether its execution returns a secret, which only the requester may see.
    pub fn returns_secret(self) -> bool {
        self == Template::CreateAdminKey
    }
}

impl std::str::FromStr for Template {
    type Err = crate::ActionError;

    fn from_str(name: &str) -> crate::Result<Self> {
        Template::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| crate::ActionError::UnknownTemplate(name.to_owned()))
    }
}

impl std::fmt::Display for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = Template::ALL.iter().map(|t| t.name()).collect();
        for t in Template::ALL {
            assert_eq!(t.name().parse::<Template>().unwrap(), t);
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                serde_json::json!(t.name())
            );
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Template::ALL.len());
        assert_eq!(
            Template::ALL.iter().filter(|t| t.is_provisioning()).count(),
            4
        );
    }

    /// Every kind a template acts on guards some fields and can be re-read, alone or in its
    /// list, so that execution can tell whether it changed.
    #[test]
    fn every_target_kind_is_guarded_and_readable() {
        for template in Template::ALL {
            for kind in template.spec().targets {
                let info = kind.info();
                assert!(!kind.guarded_fields().is_empty(), "{template}: {kind}");
                assert!(info.list.is_some() || info.retrieve.is_some(), "{kind}");
            }
        }
    }
}
