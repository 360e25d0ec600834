//! `/organization/admin_api_keys`: list, create (the secret `value` is returned this once and
//! becomes a usable credential), retrieve, delete (the secret stops working).

use super::{deleted, doc};
use crate::server::Simulator;
use crate::server::audit::Event;
use crate::server::auth::Admin;
use crate::server::body::Body;
use crate::server::error::ApiError;
use crate::server::paging::{Cursor, ListSpec, Order, id_list, write_doc};
use crate::server::query::Params;
use crate::server::reply::{Reply, json};
use crate::server::state::normalize::redacted;
use crate::server::state::{Doc, Principal};
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use serde_json::{Map, Value, json};

/// The longest `expires_in_seconds` (one year).
const MAX_EXPIRY: i64 = 31_536_000;

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    router
        .route("/v1/organization/admin_api_keys", get(list).post(create))
        .route(
            "/v1/organization/admin_api_keys/{key_id}",
            get(retrieve).delete(remove),
        )
}

async fn list(State(sim): State<Simulator>, admin: Admin, params: Params) -> Reply {
    let cursor = Cursor::parse(&params, ListSpec::ID.ordered(Order::Asc))?;
    sim.read(admin.org, |org| {
        Ok(id_list(&org.admin_keys.page(&cursor, |_| true)?, write_doc))
    })
}

async fn create(State(sim): State<Simulator>, admin: Admin, body: Body) -> Reply {
    let name = body.required_str("name")?.to_owned();
    let expires_in = body.int_in("expires_in_seconds", 1, MAX_EXPIRY)?;
    sim.write(&admin, |org, ctx| {
        let id = ctx.ids.id("key_");
        let value = ctx.ids.secret("sk-admin-");
        // The new key belongs to whoever owns the key that created it.
        let owner = org
            .admin_keys
            .get(&admin.key_id)
            .and_then(|k| k.get("owner").cloned())
            .unwrap_or_else(|| json!({"type": "user"}));
        let mut fields = Map::new();
        fields.insert("object".into(), "organization.admin_api_key".into());
        fields.insert("id".into(), id.clone().into());
        fields.insert("name".into(), name.clone().into());
        fields.insert("redacted_value".into(), redacted("sk-admin", &value).into());
        fields.insert("created_at".into(), ctx.now.into());
        fields.insert("expires_at".into(), expires_in.map(|s| ctx.now + s).into());
        fields.insert("last_used_at".into(), Value::Null);
        fields.insert("owner".into(), owner);
        let key = Doc::new(id.clone(), fields);
        let mut answer = key.fields().clone();
        answer.insert("value".into(), value.clone().into());
        org.admin_keys.upsert(key);
        ctx.credentials.insert(
            value,
            Principal::Admin {
                org: ctx.org,
                key_id: id.clone(),
                read_only: false,
            },
        );
        ctx.log(Event::new(
            "api_key.created",
            json!({"id": id, "data": {"scopes": []}}),
        ));
        json(&answer)
    })
}

async fn retrieve(State(sim): State<Simulator>, admin: Admin, Path(key_id): Path<String>) -> Reply {
    sim.read(admin.org, |org| {
        doc(org
            .admin_keys
            .get(&key_id)
            .ok_or_else(|| ApiError::not_found("admin API key", &key_id))?)
    })
}

async fn remove(State(sim): State<Simulator>, admin: Admin, Path(key_id): Path<String>) -> Reply {
    sim.write(&admin, |org, ctx| {
        org.admin_keys
            .remove(&key_id)
            .ok_or_else(|| ApiError::not_found("admin API key", &key_id))?;
        ctx.log(Event::new("api_key.deleted", json!({"id": key_id})));
        deleted("organization.admin_api_key.deleted", Some(&key_id))
    })
}
