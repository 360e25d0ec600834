//! `GET /organization/audit_logs`: newest first, with the spec's filters (array parameters
//! named with brackets, `effective_at[gte]=` etc. as a deep object). Organizations with audit
//! logging off answer 403.

use crate::server::Simulator;
use crate::server::auth::Admin;
use crate::server::error::ApiError;
use crate::server::paging::{Cursor, ListSpec, id_list, write_doc};
use crate::server::query::Params;
use crate::server::reply::Reply;
use crate::server::state::Doc;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::Value;

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    router.route("/v1/organization/audit_logs", get(list))
}

/// Events that only `tenant_only=true` returns.
fn tenant_scoped(kind: &str) -> bool {
    kind.starts_with("tenant.")
        || kind == "role.bound_to_resource"
        || kind == "role.unbound_from_resource"
}

/// The parsed filters of one request.
#[derive(Debug)]
struct Filter<'q> {
    gt: Option<i64>,
    gte: Option<i64>,
    lt: Option<i64>,
    lte: Option<i64>,
    projects: Vec<&'q str>,
    types: Vec<&'q str>,
    actor_ids: Vec<&'q str>,
    actor_emails: Vec<&'q str>,
    resources: Vec<&'q str>,
    tenant_only: bool,
}

impl<'q> Filter<'q> {
    fn parse(params: &'q Params) -> Result<Filter<'q>, ApiError> {
        let filter = Filter {
            gt: params.member_int("effective_at", "gt")?,
            gte: params.member_int("effective_at", "gte")?,
            lt: params.member_int("effective_at", "lt")?,
            lte: params.member_int("effective_at", "lte")?,
            projects: params.list("project_ids[]"),
            types: params.list("event_types[]"),
            actor_ids: params.list("actor_ids[]"),
            actor_emails: params.list("actor_emails[]"),
            resources: params.list("resource_ids[]"),
            tenant_only: params.bool("tenant_only")?.unwrap_or(false),
        };
        if filter.tenant_only && filter.types.iter().any(|t| !tenant_scoped(t)) {
            return Err(ApiError::invalid(
                "event_types[]",
                "With 'tenant_only', every event type must be tenant-scoped.",
            ));
        }
        Ok(filter)
    }

    fn keeps(&self, log: &Doc) -> bool {
        let at = log.get("effective_at").and_then(Value::as_i64).unwrap_or(0);
        let kind = log.str("type").unwrap_or_default();
        self.gt.is_none_or(|t| at > t)
            && self.gte.is_none_or(|t| at >= t)
            && self.lt.is_none_or(|t| at < t)
            && self.lte.is_none_or(|t| at <= t)
            && tenant_scoped(kind) == self.tenant_only
            && any_of(&self.types, Some(kind))
            && any_of(&self.projects, text(log.get("project"), &["id"]))
            && any_of(&self.resources, text(log.get(kind), &["id"]))
            && (self.actor_ids.is_empty() || actor_paths(log, "id", &self.actor_ids))
            && (self.actor_emails.is_empty() || actor_paths(log, "email", &self.actor_emails))
    }
}

/// An empty filter keeps everything; otherwise the value must be listed.
fn any_of(wanted: &[&str], value: Option<&str>) -> bool {
    wanted.is_empty() || value.is_some_and(|v| wanted.contains(&v))
}

fn text<'a>(value: Option<&'a Value>, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value?, |v, key| v.get(key))
        .and_then(Value::as_str)
}

/// Whether the actor's user, key or service account has one of the wanted ids (or emails).
fn actor_paths(log: &Doc, field: &str, wanted: &[&str]) -> bool {
    let actor = log.get("actor");
    let candidates: [&[&str]; 4] = [
        &["session", "user"],
        &["api_key", "user"],
        &["api_key", "service_account"],
        &["api_key"],
    ];
    candidates.iter().any(|path| {
        let mut full = path.to_vec();
        full.push(field);
        text(actor, &full).is_some_and(|v| wanted.contains(&v))
    })
}

const LIST: ListSpec = ListSpec::ID.with_before();

async fn list(State(sim): State<Simulator>, admin: Admin, params: Params) -> Reply {
    let cursor = Cursor::parse(&params, LIST)?;
    let filter = Filter::parse(&params)?;
    sim.read(admin.org, |org| {
        if !org.audit_logging {
            return Err(ApiError::forbidden(
                "Audit logging is not enabled for this organization. Enable it in the \
                 organization's data controls settings.",
            ));
        }
        let page = org.audit_logs.page(&cursor, |log| filter.keeps(log))?;
        Ok(id_list(&page, write_doc))
    })
}
