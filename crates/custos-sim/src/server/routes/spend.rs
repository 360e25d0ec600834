//! Spend controls of the organization and of each project: alerts (id-cursor lists, with
//! `before` and `order`) and the hard limit (a singleton; POST creates or replaces it).

use super::{Ids, deleted, doc, singleton};
use crate::server::Simulator;
use crate::server::audit::Event;
use crate::server::auth::Admin;
use crate::server::body::Body;
use crate::server::error::ApiError;
use crate::server::paging::{Cursor, ListSpec, Order, id_list, write_doc};
use crate::server::query::Params;
use crate::server::reply::Reply;
use crate::server::state::{Doc, OrgState, Scope};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Map, Value, json};

const ALERTS: ListSpec = ListSpec::ID
    .limit(20, 0, 100)
    .with_before()
    .ordered(Order::Asc);

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    const PROJECT: &str = "/v1/organization/projects/{project_id}";
    let alerts = || get(list_alerts).post(save_alert);
    let alert = || get(retrieve_alert).post(save_alert).delete(remove_alert);
    let limit = || get(retrieve_limit).post(set_limit).delete(remove_limit);
    router
        .route("/v1/organization/spend_alerts", alerts())
        .route("/v1/organization/spend_alerts/{alert_id}", alert())
        .route(&format!("{PROJECT}/spend_alerts"), alerts())
        .route(&format!("{PROJECT}/spend_alerts/{{alert_id}}"), alert())
        .route("/v1/organization/spend_limit", limit())
        .route(&format!("{PROJECT}/spend_limit"), limit())
}

/// The fields shared by alerts and limits: `threshold_amount` (cents, at least `min`),
/// `currency` (`USD`) and `interval` (`month`).
fn threshold(body: &Body, min: i64) -> Result<Map<String, Value>, ApiError> {
    let amount = body.int_in("threshold_amount", min, i64::MAX)?;
    let amount = amount.ok_or_else(|| crate::server::body::missing("threshold_amount"))?;
    let mut fields = Map::new();
    fields.insert("threshold_amount".into(), amount.into());
    fields.insert(
        "currency".into(),
        body.required_choice("currency", &["USD"])?.into(),
    );
    fields.insert(
        "interval".into(),
        body.required_choice("interval", &["month"])?.into(),
    );
    Ok(fields)
}

/// `CreateSpendAlertBody`, validated.
fn alert_fields(body: &Body) -> Result<Map<String, Value>, ApiError> {
    let mut fields = threshold(body, 0)?;
    let channel = body
        .nested("notification_channel")?
        .ok_or_else(|| crate::server::body::missing("notification_channel"))?;
    let kind = channel.read(|c| c.required_choice("type", &["email"]))?;
    let recipients = channel.read(|c| c.required_strings("recipients"))?;
    let prefix = channel.read(|c| c.str("subject_prefix").map(|p| p.map(str::to_owned)))?;
    let mut notification = json!({"type": kind, "recipients": recipients});
    if let Some(prefix) = prefix {
        notification["subject_prefix"] = prefix.into();
    }
    fields.insert("notification_channel".into(), notification);
    Ok(fields)
}

fn alert<'a>(org: &'a OrgState, scope: Scope, id: &str) -> Result<&'a Doc, ApiError> {
    org.controls(scope)?
        .spend_alerts
        .get(id)
        .ok_or_else(|| ApiError::not_found("spend alert", id))
}

async fn list_alerts(
    State(sim): State<Simulator>,
    admin: Admin,
    ids: Ids,
    params: Params,
) -> Reply {
    let scope = ids.scope();
    let cursor = Cursor::parse(&params, ALERTS)?;
    sim.read(admin.org, |org| {
        let page = org.controls(scope)?.spend_alerts.page(&cursor, |_| true)?;
        Ok(id_list(&page, write_doc))
    })
}

async fn retrieve_alert(State(sim): State<Simulator>, admin: Admin, ids: Ids) -> Reply {
    sim.read(admin.org, |org| {
        doc(alert(org, ids.scope(), ids.get("alert_id"))?)
    })
}

/// Creates an alert, or (on the alert's own route) replaces its fields.
async fn save_alert(State(sim): State<Simulator>, admin: Admin, ids: Ids, body: Body) -> Reply {
    let scope = ids.scope();
    let id = ids.has("alert_id").then(|| ids.get("alert_id"));
    let fields = alert_fields(&body)?;
    sim.write(&admin, |org, ctx| {
        let id = match id {
            Some(id) => alert(org, scope, id)?.key().to_owned(),
            None => ctx.ids.id("alert_"),
        };
        let mut saved = Map::new();
        saved.insert("id".into(), id.clone().into());
        saved.insert("object".into(), scope.tag("spend_alert").into());
        saved.extend(fields.clone());
        let saved = Doc::new(id.clone(), saved);
        let answer = doc(&saved);
        org.controls_mut(scope)?.spend_alerts.upsert(saved);
        let changes =
            json!({"spend_alert": {"id": id, "threshold_amount": fields["threshold_amount"]}});
        ctx.log(Event::updated(&org.id, scope, changes));
        answer
    })
}

async fn remove_alert(State(sim): State<Simulator>, admin: Admin, ids: Ids) -> Reply {
    let (scope, id) = (ids.scope(), ids.get("alert_id"));
    sim.write(&admin, |org, ctx| {
        org.controls_mut(scope)?
            .spend_alerts
            .remove(id)
            .ok_or_else(|| ApiError::not_found("spend alert", id))?;
        let changes = json!({"spend_alert": {"id": id, "deleted": true}});
        ctx.log(Event::updated(&org.id, scope, changes));
        deleted(&format!("{}.deleted", scope.tag("spend_alert")), Some(id))
    })
}

async fn retrieve_limit(State(sim): State<Simulator>, admin: Admin, ids: Ids) -> Reply {
    singleton(&sim, &admin, &ids, "spend limit", |c| {
        c.spend_limit.as_ref()
    })
}

async fn set_limit(State(sim): State<Simulator>, admin: Admin, ids: Ids, body: Body) -> Reply {
    let scope = ids.scope();
    let fields = threshold(&body, 1)?;
    sim.write(&admin, |org, ctx| {
        let controls = org.controls_mut(scope)?;
        // Replacing a limit keeps its enforcement state; a new one starts inactive.
        let enforcement = controls
            .spend_limit
            .as_ref()
            .and_then(|l| l.get("enforcement").cloned())
            .unwrap_or_else(|| json!({"status": "inactive"}));
        let mut saved = Map::new();
        saved.insert("object".into(), scope.tag("spend_limit").into());
        saved.extend(fields.clone());
        saved.insert("enforcement".into(), enforcement);
        let saved = Doc::new("", saved);
        let answer = doc(&saved);
        controls.spend_limit = Some(saved);
        let changes = json!({"spend_limit": {"threshold_amount": fields["threshold_amount"]}});
        ctx.log(Event::updated(&org.id, scope, changes));
        answer
    })
}

async fn remove_limit(State(sim): State<Simulator>, admin: Admin, ids: Ids) -> Reply {
    let scope = ids.scope();
    sim.write(&admin, |org, ctx| {
        let owner = org.scope_id(scope).to_owned();
        org.controls_mut(scope)?
            .spend_limit
            .take()
            .ok_or_else(|| ApiError::not_found("spend limit", &owner))?;
        ctx.log(Event::updated(&org.id, scope, json!({"spend_limit": null})));
        deleted(&format!("{}.deleted", scope.tag("spend_limit")), None)
    })
}
