//! The resources of one kind in a snapshot, grouped by project, with what expressions may read
//! beside them: the project and the owner.

use super::fields::FieldTree;
use crate::outcome::{Outcomes, Subject};
use crate::shared::data::endpoint_gap;
use custos_model::api::{
    AdminApiKey, Certificate, File, Group, Invite, ProjectApiKey, ProjectUser, ServiceAccount,
    User, VectorStore,
};
use custos_model::inventory::{ProjectInventory, Snapshot};
use custos_model::kind::{Kind, Scope};
use serde_json::Value;
use std::collections::HashMap;

/// One resource, borrowed from the snapshot.
#[derive(Debug, Clone, Copy)]
pub enum Item<'s> {
    User(&'s User),
    Invite(&'s Invite),
    Project(&'s ProjectInventory),
    ProjectUser(&'s ProjectUser),
    ServiceAccount(&'s ServiceAccount),
    ProjectApiKey(&'s ProjectApiKey),
    AdminApiKey(&'s AdminApiKey),
    Certificate(&'s Certificate),
    Group(&'s Group),
    File(&'s File),
    VectorStore(&'s VectorStore),
}

impl<'s> Item<'s> {
    pub fn id(&self) -> &'s str {
        match *self {
            Item::User(x) => &x.id,
            Item::Invite(x) => &x.id,
            Item::Project(x) => &x.project.id,
            Item::ProjectUser(x) => &x.id,
            Item::ServiceAccount(x) => &x.id,
            Item::ProjectApiKey(x) => &x.id,
            Item::AdminApiKey(x) => &x.id,
            Item::Certificate(x) => &x.id,
            Item::Group(x) => &x.id,
            Item::File(x) => &x.id,
            Item::VectorStore(x) => &x.id,
        }
    }

    /// The object as stored (the API's JSON), with only the parts expressions read.
    pub fn to_json(self, reads: &FieldTree) -> Result<Value, serde_json::Error> {
        match self {
            Item::User(x) => reads.to_json(x),
            Item::Invite(x) => reads.to_json(x),
            Item::Project(x) => project_json(x, reads),
            Item::ProjectUser(x) => reads.to_json(x),
            Item::ServiceAccount(x) => reads.to_json(x),
            Item::ProjectApiKey(x) => reads.to_json(x),
            Item::AdminApiKey(x) => reads.to_json(x),
            Item::Certificate(x) => reads.to_json(x),
            Item::Group(x) => reads.to_json(x),
            Item::File(x) => reads.to_json(x),
            Item::VectorStore(x) => reads.to_json(x),
        }
    }

    /// The owner of a key (`docs/conventions.md` "The owner of a key"): the organization's user
    /// for a user's key (`None` once the user left), the project's service account for a
    /// service account's key; with only the parts expressions read.
    pub fn owner_json(
        &self,
        users: &HashMap<&str, &User>,
        project: Option<&ProjectInventory>,
        reads: &FieldTree,
    ) -> Option<Value> {
        let user = |id: Option<&str>| {
            id.and_then(|id| users.get(id))
                .and_then(|user| reads.to_json(user).ok())
        };
        match *self {
            Item::AdminApiKey(key) => match key.owner.kind.as_deref() {
                Some("service_account") => None,
                _ => user(key.owner.id.as_deref()),
            },
            Item::ProjectApiKey(key) => match key.owner.kind.as_deref() {
                Some("service_account") => {
                    let id = key.owner.service_account.as_ref()?.id.as_str();
                    let account = project?.service_accounts.iter().find(|s| s.id == id)?;
                    reads.to_json(account).ok()
                }
                _ => user(key.owner.principal_id()),
            },
            _ => None,
        }
    }
}

/// A project as expressions see it: the API's object, with the project's `spend_limit` (or
/// null) beside its fields, since a policy about projects often asks about their limit; with
/// only the parts expressions read.
pub fn project_json(
    project: &ProjectInventory,
    reads: &FieldTree,
) -> Result<Value, serde_json::Error> {
    let mut json = reads.to_json(&project.project)?;
    if let (Value::Object(fields), Some(limit_reads)) = (&mut json, reads.field(SPEND_LIMIT)) {
        fields.insert(
            SPEND_LIMIT.to_owned(),
            limit_reads.to_json(&project.spend_limit)?,
        );
    }
    Ok(json)
}

const SPEND_LIMIT: &str = "spend_limit";

/// Visits every resource of `kind` in scope, a project's resources together with their project.
/// A listing that failed yields an indeterminate result for its scope; what was listed is still
/// visited. Projects without a project key have no files or vector stores to visit.
pub fn for_each_group<'s>(
    snapshot: &'s Snapshot,
    kind: Kind,
    include_archived: bool,
    out: &mut Outcomes,
    mut visit: impl FnMut(Option<&'s ProjectInventory>, &[Item<'s>], &mut Outcomes),
) {
    let inventory = &snapshot.inventory;
    let organization_level = |path: &str, out: &mut Outcomes| {
        if let Some(gap) = endpoint_gap(snapshot, path, None) {
            out.indeterminate(Subject::organization(&snapshot.org_id), vec![gap]);
        }
    };
    let info = kind.info();
    // An object of a project is read per project, after the list of projects.
    let listed_by = if info.scope == Scope::Project {
        Kind::Project
    } else {
        kind
    };
    organization_level(listed_by.info().source().path, out);
    let items: Vec<Item<'s>> = match kind {
        Kind::User => inventory.users.iter().map(Item::User).collect(),
        Kind::Invite => inventory.invites.iter().map(Item::Invite).collect(),
        Kind::AdminApiKey => inventory
            .admin_api_keys
            .iter()
            .map(Item::AdminApiKey)
            .collect(),
        Kind::Certificate => inventory
            .certificates
            .iter()
            .map(Item::Certificate)
            .collect(),
        Kind::Group => inventory.groups.iter().map(Item::Group).collect(),
        _ => Vec::new(),
    };
    if info.scope != Scope::Project && kind != Kind::Project {
        visit(None, &items, out);
        return;
    }
    let mut items = Vec::new();
    for project in &inventory.projects {
        if project.project.is_archived() && !include_archived {
            continue;
        }
        let listing = (info.scope == Scope::Project).then(|| info.source().path);
        let id = project.project.id.as_str();
        if let Some(gap) = listing.and_then(|path| endpoint_gap(snapshot, path, Some(id))) {
            out.indeterminate(Subject::project(id), vec![gap]);
            continue;
        }
        items.clear();
        match kind {
            Kind::Project => items.push(Item::Project(project)),
            Kind::ProjectUser => items.extend(project.users.iter().map(Item::ProjectUser)),
            Kind::ServiceAccount => {
                items.extend(project.service_accounts.iter().map(Item::ServiceAccount))
            }
            Kind::ProjectApiKey => items.extend(project.api_keys.iter().map(Item::ProjectApiKey)),
            Kind::File => items.extend(project.files.iter().flatten().map(Item::File)),
            Kind::VectorStore => items.extend(
                project
                    .vector_stores
                    .iter()
                    .flatten()
                    .map(Item::VectorStore),
            ),
            _ => {}
        }
        if !items.is_empty() {
            visit(Some(project), &items, out);
        }
    }
}
