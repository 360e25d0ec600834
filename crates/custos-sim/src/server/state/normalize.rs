//! Scenario objects → the exact JSON the API sends.
//!
//! Scenario objects are API objects verbatim, but real payloads (and hand-written fixtures) omit
//! fields the spec marks required (`docs/admin-api-notes.md` "Spec quirks"). The simulator
//! emits them anyway, with the value the API uses for "nothing": `null` where the field is
//! nullable, otherwise an empty or default value. Non-nullable optional fields are dropped
//! rather than sent as `null`.
//! Simulator-only fields (`user_ids`, `content`, usage `start_time`) never reach a doc.

use super::collection::Doc;
use custos_model::Extra;
use custos_model::api::{
    AdminApiKey, AdminApiKeyOwner, AuditLog, Certificate, DataRetention, HostedToolPermissions,
    Invite, ModelPermissions, Project, ProjectApiKey, ProjectGroup, ProjectUser, RateLimit, Role,
    ServiceAccount, SpendAlert, SpendLimit, User, VectorStore,
};
use custos_model::scenario::{ScenarioFile, ScenarioGroup};
use serde::Serialize;
use serde_json::{Map, Value, json};

pub(crate) type Fields = Map<String, Value>;

/// The fields of any serializable object (model types always serialize to an object).
pub(crate) fn fields_of<T: Serialize>(value: &T) -> Fields {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Fields::new(),
    }
}

/// Sets `field` when it is missing or `null`.
pub(crate) fn fill(fields: &mut Fields, field: &str, value: Value) {
    match fields.get_mut(field) {
        Some(existing) if !existing.is_null() => {}
        Some(existing) => *existing = value,
        None => {
            fields.insert(field.to_owned(), value);
        }
    }
}

/// Removes `null` members of an object, recursively: for objects whose members are optional
/// but not nullable in the spec.
pub(crate) fn strip_nulls(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|_, v| !v.is_null());
        map.values_mut().for_each(strip_nulls);
    }
}

fn strip_member_nulls(fields: &mut Fields, field: &str) {
    if let Some(value) = fields.get_mut(field) {
        strip_nulls(value);
    }
}

/// `sk-admin...xyz`: the redacted form of a secret, from the last three characters of `id`.
pub(crate) fn redacted(prefix: &str, id: &str) -> String {
    let tail: String = id
        .chars()
        .rev()
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{prefix}...{tail}")
}

pub(crate) fn user(user: &User) -> Doc {
    Doc::with_id(fields_of(user))
}

pub(crate) fn invite(invite: &Invite) -> Doc {
    Doc::with_id(fields_of(invite))
}

pub(crate) fn admin_key(key: &AdminApiKey) -> Doc {
    let mut fields = fields_of(key);
    fill(
        &mut fields,
        "redacted_value",
        redacted("sk-admin", &key.id).into(),
    );
    strip_member_nulls(&mut fields, "owner");
    // An admin key's value is shown only once, at creation.
    fields.remove("value");
    Doc::with_id(fields)
}

/// A project key as `GET /organization/admin_api_keys` lists it in an organization with the
/// quirk `project_keys_in_admin_keys`: the same id and redacted value, labelled as an admin key,
/// its owner written the admin-key way (`owner.id`, not `owner.user.id`).
pub(crate) fn project_key_as_admin_key(key: &ProjectApiKey) -> Doc {
    let owner = &key.owner;
    let by_service_account = owner.kind.as_deref() == Some("service_account");
    let principal = match (&owner.user, &owner.service_account) {
        (Some(user), _) if !by_service_account => {
            Some(("user", "organization.user", fields_of(user)))
        }
        (_, Some(account)) => Some((
            "service_account",
            "organization.project.service_account",
            fields_of(account),
        )),
        _ => None,
    };
    let admin_owner = principal.map_or_else(AdminApiKeyOwner::default, |(kind, object, fields)| {
        let mut owner = Fields::new();
        owner.insert("type".into(), kind.into());
        owner.insert("object".into(), object.into());
        for field in ["id", "name", "created_at", "role"] {
            if let Some(value) = fields.get(field) {
                owner.insert(field.into(), value.clone());
            }
        }
        // Every member of an admin key's owner is optional: this cannot fail.
        serde_json::from_value(Value::Object(owner)).unwrap_or_default()
    });
    admin_key(&AdminApiKey {
        object: "organization.admin_api_key".into(),
        id: key.id.clone(),
        name: key.name.clone(),
        redacted_value: Some(
            key.redacted_value
                .clone()
                .unwrap_or_else(|| redacted("sk-proj", &key.id)),
        ),
        created_at: key.created_at,
        expires_at: None,
        last_used_at: key.last_used_at,
        owner: admin_owner,
        extra: Extra::new(),
    })
}

/// A certificate as `GET /organization/certificates/{id}` shows it (`object: certificate`,
/// no `active`, no content); `active` and the PEM are kept beside it.
pub(crate) fn certificate(certificate: &Certificate) -> Doc {
    let mut fields = fields_of(certificate);
    fields.insert("object".into(), "certificate".into());
    fields.remove("active");
    if let Some(details) = fields.get_mut("certificate_details") {
        strip_nulls(details);
        if let Value::Object(details) = details {
            details.remove("content");
        }
    }
    Doc::with_id(fields)
}

/// `GroupResponse`, with the `object: group` tag the examples carry.
pub(crate) fn group(group: &ScenarioGroup) -> Doc {
    let mut fields = Fields::new();
    fields.insert("object".into(), "group".into());
    fields.extend(fields_of(&group.group));
    fill(&mut fields, "is_scim_managed", false.into());
    fill(&mut fields, "group_type", "group".into());
    Doc::with_id(fields)
}

pub(crate) fn role(role: &Role, resource_type: &str) -> Doc {
    let mut fields = fields_of(role);
    fill(&mut fields, "resource_type", resource_type.into());
    fill(&mut fields, "predefined_role", false.into());
    Doc::with_id(fields)
}

pub(crate) fn data_retention(retention: &DataRetention, tag: &str) -> Doc {
    let mut fields = fields_of(retention);
    fields.insert("object".into(), tag.into());
    Doc::new("", fields)
}

/// A new project's data retention: the organization's.
pub(crate) fn data_retention_default() -> Doc {
    let mut fields = Fields::new();
    fields.insert("object".into(), "project.data_retention".into());
    fields.insert("type".into(), "organization_default".into());
    Doc::new("", fields)
}

pub(crate) fn spend_alert(alert: &SpendAlert, tag: &str) -> Doc {
    let mut fields = fields_of(alert);
    fields.insert("object".into(), tag.into());
    Doc::with_id(fields)
}

pub(crate) fn spend_limit(limit: &SpendLimit, tag: &str) -> Doc {
    let mut fields = fields_of(limit);
    fields.insert("object".into(), tag.into());
    fill(&mut fields, "enforcement", json!({"status": "inactive"}));
    Doc::new("", fields)
}

pub(crate) fn project(project: &Project) -> Doc {
    let mut fields = fields_of(project);
    let status = if project.is_archived() {
        "archived"
    } else {
        "active"
    };
    fill(&mut fields, "status", status.into());
    Doc::with_id(fields)
}

pub(crate) fn project_user(user: &ProjectUser) -> Doc {
    Doc::with_id(fields_of(user))
}

pub(crate) fn service_account(account: &ServiceAccount) -> Doc {
    let mut fields = fields_of(account);
    fill(&mut fields, "name", "".into());
    fields.remove("api_key");
    Doc::with_id(fields)
}

pub(crate) fn project_api_key(key: &ProjectApiKey) -> Doc {
    let mut fields = fields_of(key);
    fill(&mut fields, "name", "".into());
    fill(
        &mut fields,
        "redacted_value",
        redacted("sk-proj", &key.id).into(),
    );
    fill(&mut fields, "owner_project_access", "active".into());
    strip_member_nulls(&mut fields, "owner");
    fields.remove("value");
    Doc::with_id(fields)
}

pub(crate) fn rate_limit(limit: &RateLimit) -> Doc {
    let mut fields = fields_of(limit);
    fill(&mut fields, "max_requests_per_1_minute", 0.into());
    fill(&mut fields, "max_tokens_per_1_minute", 0.into());
    Doc::with_id(fields)
}

/// `project.group`, keyed by the group id; the name comes from the organization's group when
/// the scenario left it out.
pub(crate) fn project_group(group: &ProjectGroup, org_group_name: Option<&str>) -> Doc {
    let mut fields = fields_of(group);
    fill(
        &mut fields,
        "group_name",
        org_group_name.unwrap_or_default().into(),
    );
    fill(&mut fields, "group_type", "group".into());
    Doc::new(group.group_id.clone(), fields)
}

pub(crate) fn model_permissions(permissions: &ModelPermissions) -> Doc {
    Doc::new("", fields_of(permissions))
}

/// The five hosted tools; one the scenario does not mention is enabled, the API's default.
pub(crate) fn hosted_tools(permissions: Option<&HostedToolPermissions>) -> Doc {
    let mut fields = permissions.map(fields_of).unwrap_or_default();
    for tool in HOSTED_TOOLS {
        fill(&mut fields, tool, json!({"enabled": true}));
    }
    Doc::new("", fields)
}

/// The tools of `ProjectHostedToolPermissions`.
pub(crate) const HOSTED_TOOLS: [&str; 5] = [
    "file_search",
    "web_search",
    "image_generation",
    "mcp",
    "code_interpreter",
];

pub(crate) fn file(file: &ScenarioFile) -> Doc {
    Doc::with_id(fields_of(&file.file))
}

pub(crate) fn vector_store(store: &VectorStore) -> Doc {
    Doc::with_id(fields_of(store))
}

pub(crate) fn audit_log(log: &AuditLog) -> Doc {
    let mut fields = fields_of(log);
    // `actor` and its parts are optional but never null in the spec.
    strip_member_nulls(&mut fields, "actor");
    strip_member_nulls(&mut fields, "project");
    if fields.get("actor").is_some_and(Value::is_null) {
        fields.remove("actor");
    }
    Doc::with_id(fields)
}
