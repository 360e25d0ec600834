//! An [`Inventory`] flattened into one record per object, as a snapshot stores it: a kind, the
//! API's id (or a composite id for memberships and singletons), the project it belongs to, and
//! the object's JSON after privacy scrubbing.

use crate::privacy::scrub;
use custos_model::inventory::{Inventory, Listed, ProjectInventory, own_id};
use custos_model::kind::Kind;
use serde::Serialize;
use serde_json::Value;

/// One object of a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub kind: Kind,
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
    /// One record for each of `items`, of `kind`, read per `owner` (see [`custos_model::kind::KindInfo::record_id`]),
    /// each with its own id given by `own`.
    fn push_all<'a, T: Serialize + 'a>(
        &mut self,
        kind: Kind,
        owner: &str,
        project: Option<&str>,
        items: impl IntoIterator<Item = &'a T>,
        own: impl Fn(&T) -> &str,
    ) {
        let info = kind.info();
        for item in items {
            // Serializing a derived `Serialize` of JSON-born data cannot fail; a `Null` would
            // only hide a bug, never a secret.
            let mut data = serde_json::to_value(item).unwrap_or(Value::Null);
            scrub(&mut data, self.keep_emails);
            self.records.push(Record {
                kind,
                id: info.record_id(owner, own(item)),
                project_id: project.map(str::to_owned),
                data,
            });
        }
    }

    /// The records of every kind read as JSON in `listed`, read per `owner`.
    fn push_listed(&mut self, owner: &str, project: Option<&str>, listed: &Listed) {
        for (kind, objects) in listed {
            self.push_all(*kind, owner, project, objects, own_id);
        }
    }
}

/// The records of `inventory` for organization `org_id`.
pub fn records(org_id: &str, inventory: &Inventory, keep_emails: bool) -> Vec<Record> {
    let mut sink = Sink {
        records: Vec::new(),
        keep_emails,
    };
    let org = org_id;
    sink.push_all(Kind::User, org, None, &inventory.users, |u| &u.id);
    for (user_id, roles) in &inventory.user_roles {
        sink.push_all(Kind::UserRole, user_id, None, roles, |r| &r.id);
    }
    sink.push_all(Kind::Invite, org, None, &inventory.invites, |i| &i.id);
    let keys = &inventory.admin_api_keys;
    sink.push_all(Kind::AdminApiKey, org, None, keys, |k| &k.id);
    let certificates = &inventory.certificates;
    sink.push_all(Kind::Certificate, org, None, certificates, |c| &c.id);
    sink.push_all(Kind::Group, org, None, &inventory.groups, |g| &g.id);
    for (group_id, members) in &inventory.group_members {
        sink.push_all(Kind::GroupMember, group_id, None, members, |m| &m.id);
    }
    for (group_id, roles) in &inventory.group_roles {
        sink.push_all(Kind::GroupRole, group_id, None, roles, |r| &r.id);
    }
    sink.push_all(Kind::Role, org, None, &inventory.roles, |r| &r.id);
    let retention = &inventory.data_retention;
    sink.push_all(Kind::DataRetention, org, None, retention, |_| "");
    let limit = &inventory.spend_limit;
    sink.push_all(Kind::SpendLimit, org, None, limit, |_| "");
    let alerts = &inventory.spend_alerts;
    sink.push_all(Kind::SpendAlert, org, None, alerts, |a| &a.id);
    sink.push_listed(org, None, &inventory.listed);
    for project in &inventory.projects {
        project_records(&mut sink, project);
    }
    sink.records
}

fn project_records(sink: &mut Sink, p: &ProjectInventory) {
    let id = p.project.id.as_str();
    let scope = Some(id);
    sink.push_all(Kind::Project, id, scope, [&p.project], |p| &p.id);
    sink.push_all(Kind::ProjectUser, id, scope, &p.users, |u| &u.id);
    let accounts = &p.service_accounts;
    sink.push_all(Kind::ServiceAccount, id, scope, accounts, |s| &s.id);
    sink.push_all(Kind::ProjectApiKey, id, scope, &p.api_keys, |k| &k.id);
    sink.push_all(Kind::RateLimit, id, scope, &p.rate_limits, |r| &r.id);
    let certificates = &p.certificates;
    sink.push_all(Kind::ProjectCertificate, id, scope, certificates, |c| &c.id);
    sink.push_all(Kind::ProjectGroup, id, scope, &p.groups, |g| &g.group_id);
    sink.push_all(Kind::ProjectRole, id, scope, &p.roles, |r| &r.id);
    for (user_id, roles) in &p.user_roles {
        let owner = Kind::ProjectUser.info().record_id(id, user_id);
        sink.push_all(Kind::ProjectUserRole, &owner, scope, roles, |r| &r.id);
    }
    for (group_id, roles) in &p.group_roles {
        let owner = Kind::ProjectGroup.info().record_id(id, group_id);
        sink.push_all(Kind::ProjectGroupRole, &owner, scope, roles, |r| &r.id);
    }
    let models = &p.model_permissions;
    sink.push_all(Kind::ModelPermissions, id, scope, models, |_| "");
    let tools = &p.hosted_tool_permissions;
    sink.push_all(Kind::HostedToolPermissions, id, scope, tools, |_| "");
    let retention = &p.data_retention;
    sink.push_all(Kind::ProjectDataRetention, id, scope, retention, |_| "");
    let limit = &p.spend_limit;
    sink.push_all(Kind::ProjectSpendLimit, id, scope, limit, |_| "");
    let alerts = &p.spend_alerts;
    sink.push_all(Kind::ProjectSpendAlert, id, scope, alerts, |a| &a.id);
    let files = p.files.iter().flatten();
    sink.push_all(Kind::File, id, scope, files, |f| &f.id);
    let stores = p.vector_stores.iter().flatten();
    sink.push_all(Kind::VectorStore, id, scope, stores, |v| &v.id);
    sink.push_listed(id, scope, &p.listed);
}

/// The kinds that become unknown when `endpoint` (`GET /path/{template}`) fails: those it
/// provides, and those read per object it lists (a failed project list hides every project
/// kind); for the time series, their names.
pub fn endpoint_kinds(endpoint: &str) -> Vec<String> {
    let path = endpoint.split_once(' ').map_or(endpoint, |(_, path)| path);
    match path {
        "/organization/audit_logs" => vec!["audit_event".to_owned()],
        "/organization/costs" => vec!["cost".to_owned()],
        usage if usage.starts_with("/organization/usage/") => {
            vec![format!("usage/{}", &usage["/organization/usage/".len()..])]
        }
        _ => Kind::ALL
            .iter()
            .filter(|kind| kind.info().source().path == path)
            .flat_map(|kind| std::iter::once(*kind).chain(kind.descendants()))
            .map(|kind| kind.name().to_owned())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_list_hides_its_kind_and_those_read_per_its_objects() {
        let kinds = |endpoint| endpoint_kinds(endpoint);
        assert_eq!(kinds("GET /organization/users"), ["user", "user_role"]);
        assert_eq!(
            kinds("GET /organization/groups"),
            ["group", "group_member", "group_role"]
        );
        assert_eq!(
            kinds("GET /organization/projects/{project_id}/users"),
            ["project_user", "project_user_role"]
        );
        let projects = kinds("GET /organization/projects");
        assert_eq!(projects.len(), 17);
        assert_eq!(projects[0], "project");
        assert!(projects.contains(&"vector_store".to_owned()));
        assert_eq!(kinds("GET /organization/spend_limit"), ["spend_limit"]);
        assert_eq!(kinds("GET /files"), ["file"]);
        assert_eq!(kinds("GET /organization/audit_logs"), ["audit_event"]);
        assert_eq!(
            kinds("GET /organization/usage/completions"),
            ["usage/completions"]
        );
        assert!(kinds("GET /organization/nowhere").is_empty());
    }
}
