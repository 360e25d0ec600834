//! The kinds of object a snapshot holds, as one closed enum: a misspelled kind does not compile,
//! and its name (the `kind` column of a snapshot, the `kind` of a custom policy, the argument of
//! `custos inventory`) is spelled in one place.

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
}

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
}
