//! An [`Inventory`] flattened into one record per object, as a snapshot stores it: a kind, the
//! API's id (or a composite id for memberships and singletons), the project it belongs to, and
//! the object's JSON after privacy scrubbing.

use crate::privacy::scrub;
use custos_model::inventory::{Inventory, ProjectInventory};
use serde::Serialize;
use serde_json::Value;

/// One object of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub kind: &'static str,
    pub id: String,
    pub project_id: Option<String>,
    pub data: Value,
}

/// Collects records; the object's JSON is scrubbed on the way in.
struct Sink {
    records: Vec<Record>,
    keep_emails: bool,
}

impl Sink {
    fn push<T: Serialize>(
        &mut self,
        kind: &'static str,
        id: &str,
        project: Option<&str>,
        object: &T,
    ) {
        // Serializing a derived `Serialize` of JSON-born data cannot fail; a `Null` would only
        // hide a bug, never a secret.
        let mut data = serde_json::to_value(object).unwrap_or(Value::Null);
        scrub(&mut data, self.keep_emails);
        self.records.push(Record {
            kind,
            id: id.to_owned(),
            project_id: project.map(str::to_owned),
            data,
        });
    }

    fn push_all<'a, T: Serialize + 'a>(
        &mut self,
        kind: &'static str,
        project: Option<&str>,
        items: impl IntoIterator<Item = &'a T>,
        id: impl Fn(&T) -> String,
    ) {
        for item in items {
            self.push(kind, &id(item), project, item);
        }
    }
}

/// The records of `inventory` for organization `org_id`.
pub fn records(org_id: &str, inventory: &Inventory, keep_emails: bool) -> Vec<Record> {
    let mut sink = Sink {
        records: Vec::new(),
        keep_emails,
    };
    sink.push_all("user", None, &inventory.users, |u| u.id.clone());
    for (user_id, roles) in &inventory.user_roles {
        sink.push_all("user_role", None, roles, |r| format!("{user_id}/{}", r.id));
    }
    sink.push_all("invite", None, &inventory.invites, |i| i.id.clone());
    sink.push_all("admin_api_key", None, &inventory.admin_api_keys, |k| {
        k.id.clone()
    });
    sink.push_all("certificate", None, &inventory.certificates, |c| {
        c.id.clone()
    });
    sink.push_all("group", None, &inventory.groups, |g| g.id.clone());
    for (group_id, members) in &inventory.group_members {
        sink.push_all("group_member", None, members, |m| {
            format!("{group_id}/{}", m.id)
        });
    }
    for (group_id, roles) in &inventory.group_roles {
        sink.push_all("group_role", None, roles, |r| {
            format!("{group_id}/{}", r.id)
        });
    }
    sink.push_all("role", None, &inventory.roles, |r| r.id.clone());
    sink.push_all("data_retention", None, &inventory.data_retention, |_| {
        org_id.to_owned()
    });
    sink.push_all("spend_limit", None, &inventory.spend_limit, |_| {
        org_id.to_owned()
    });
    sink.push_all("spend_alert", None, &inventory.spend_alerts, |a| {
        a.id.clone()
    });
    for project in &inventory.projects {
        project_records(&mut sink, project);
    }
    sink.records
}

fn project_records(sink: &mut Sink, p: &ProjectInventory) {
    let id = p.project.id.as_str();
    let scope = Some(id);
    sink.push("project", id, scope, &p.project);
    sink.push_all("project_user", scope, &p.users, |u| {
        format!("{id}/{}", u.id)
    });
    sink.push_all("service_account", scope, &p.service_accounts, |s| {
        s.id.clone()
    });
    sink.push_all("project_api_key", scope, &p.api_keys, |k| k.id.clone());
    sink.push_all("rate_limit", scope, &p.rate_limits, |r| {
        format!("{id}/{}", r.id)
    });
    sink.push_all("project_certificate", scope, &p.certificates, |c| {
        format!("{id}/{}", c.id)
    });
    sink.push_all("project_group", scope, &p.groups, |g| {
        format!("{id}/{}", g.group_id)
    });
    sink.push_all("project_role", scope, &p.roles, |r| r.id.clone());
    for (user_id, roles) in &p.user_roles {
        sink.push_all("project_user_role", scope, roles, |r| {
            format!("{id}/{user_id}/{}", r.id)
        });
    }
    for (group_id, roles) in &p.group_roles {
        sink.push_all("project_group_role", scope, roles, |r| {
            format!("{id}/{group_id}/{}", r.id)
        });
    }
    sink.push_all("model_permissions", scope, &p.model_permissions, |_| {
        id.to_owned()
    });
    sink.push_all(
        "hosted_tool_permissions",
        scope,
        &p.hosted_tool_permissions,
        |_| id.to_owned(),
    );
    sink.push_all("project_data_retention", scope, &p.data_retention, |_| {
        id.to_owned()
    });
    sink.push_all("project_spend_limit", scope, &p.spend_limit, |_| {
        id.to_owned()
    });
    sink.push_all("project_spend_alert", scope, &p.spend_alerts, |a| {
        a.id.clone()
    });
    sink.push_all("file", scope, p.files.iter().flatten(), |f| f.id.clone());
    sink.push_all(
        "vector_store",
        scope,
        p.vector_stores.iter().flatten(),
        |v| v.id.clone(),
    );
}

/// Every object kind a snapshot holds, with the endpoint path (method `GET`) that provides it.
/// A kind fetched per owning object (roles of a user) is also unknown when its owner's list
/// failed; [`endpoint_kinds`] follows that.
pub const KINDS: &[(&str, &str)] = &[
    ("user", "/organization/users"),
    ("user_role", "/organization/users/{user_id}/roles"),
    ("invite", "/organization/invites"),
    ("admin_api_key", "/organization/admin_api_keys"),
    ("certificate", "/organization/certificates"),
    ("group", "/organization/groups"),
    ("group_member", "/organization/groups/{group_id}/users"),
    ("group_role", "/organization/groups/{group_id}/roles"),
    ("role", "/organization/roles"),
    ("data_retention", "/organization/data_retention"),
    ("spend_limit", "/organization/spend_limit"),
    ("spend_alert", "/organization/spend_alerts"),
    ("project", "/organization/projects"),
    ("project_user", "/organization/projects/{project_id}/users"),
    (
        "service_account",
        "/organization/projects/{project_id}/service_accounts",
    ),
    (
        "project_api_key",
        "/organization/projects/{project_id}/api_keys",
    ),
    (
        "rate_limit",
        "/organization/projects/{project_id}/rate_limits",
    ),
    (
        "project_certificate",
        "/organization/projects/{project_id}/certificates",
    ),
    (
        "project_group",
        "/organization/projects/{project_id}/groups",
    ),
    ("project_role", "/projects/{project_id}/roles"),
    (
        "project_user_role",
        "/projects/{project_id}/users/{user_id}/roles",
    ),
    (
        "project_group_role",
        "/projects/{project_id}/groups/{group_id}/roles",
    ),
    (
        "model_permissions",
        "/organization/projects/{project_id}/model_permissions",
    ),
    (
        "hosted_tool_permissions",
        "/organization/projects/{project_id}/hosted_tool_permissions",
    ),
    (
        "project_data_retention",
        "/organization/projects/{project_id}/data_retention",
    ),
    (
        "project_spend_limit",
        "/organization/projects/{project_id}/spend_limit",
    ),
    (
        "project_spend_alert",
        "/organization/projects/{project_id}/spend_alerts",
    ),
    ("file", "/files"),
    ("vector_store", "/vector_stores"),
];

/// The kinds that become unknown when `endpoint` (`GET /path/{template}`) fails: its own, and
/// those fetched per object it lists (a failed project list hides every project kind).
pub fn endpoint_kinds(endpoint: &str) -> Vec<String> {
    let path = endpoint.split_once(' ').map_or(endpoint, |(_, path)| path);
    let owned = |prefix: &str| {
        KINDS
            .iter()
            .filter(|(_, p)| *p == path || (p.starts_with(prefix) && p.len() > prefix.len()))
            .map(|(kind, _)| (*kind).to_owned())
            .collect::<Vec<_>>()
    };
    match path {
        "/organization/projects" => KINDS
            .iter()
            .filter(|(_, p)| {
                p.contains("{project_id}")
                    || *p == path
                    || p.starts_with("/files")
                    || p.starts_with("/vector_stores")
            })
            .map(|(kind, _)| (*kind).to_owned())
            .collect(),
        "/organization/users" => owned("/organization/users/"),
        "/organization/groups" => owned("/organization/groups/"),
        "/organization/projects/{project_id}/users" => owned("/projects/{project_id}/users/"),
        "/organization/projects/{project_id}/groups" => owned("/projects/{project_id}/groups/"),
        "/organization/audit_logs" => vec!["audit_event".to_owned()],
        "/organization/costs" => vec!["cost".to_owned()],
        usage if usage.starts_with("/organization/usage/") => {
            vec![format!("usage/{}", &usage["/organization/usage/".len()..])]
        }
        _ => owned(path),
    }
}
