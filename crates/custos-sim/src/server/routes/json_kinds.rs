//! The kinds custos reads as JSON ([`custos_model::kind::KindInfo::json`]), served from the
//! registry: for each, its list (an id-cursor list with `order`) and its retrieve, at the paths
//! of its operations, answering the scenario's `json_objects` as stored. A kind added to the
//! registry is served without a route of its own.

use super::{Ids, doc};
use crate::server::Simulator;
use crate::server::auth::Admin;
use crate::server::error::ApiError;
use crate::server::paging::{Cursor, ListSpec, Order, id_list, write_doc};
use crate::server::query::Params;
use crate::server::reply::Reply;
use crate::server::state::Collection;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use custos_model::kind::{Kind, KindInfo, Scope};

const LIST: ListSpec = ListSpec::ID.ordered(Order::Asc);

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    let organization_kinds = Kind::ALL
        .iter()
        .map(|kind| kind.info())
        .filter(|info| info.json && info.scope == Scope::Organization);
    organization_kinds.fold(router, |router, info| {
        let kind = info.kind;
        let list = move |sim: State<Simulator>, admin: Admin, params: Params| {
            list(sim, admin, params, kind)
        };
        let router = router.route(&format!("/v1{}", info.source().path), get(list));
        match info.retrieve {
            Some(op) => {
                let retrieve = move |sim: State<Simulator>, admin: Admin, ids: Ids| {
                    retrieve(sim, admin, ids, info)
                };
                router.route(&format!("/v1{}", op.path), get(retrieve))
            }
            None => router,
        }
    })
}

async fn list(State(sim): State<Simulator>, admin: Admin, params: Params, kind: Kind) -> Reply {
    let cursor = Cursor::parse(&params, LIST)?;
    let none = Collection::default();
    sim.read(admin.org, |org| {
        let objects = org.json_objects.get(&kind).unwrap_or(&none);
        Ok(id_list(&objects.page(&cursor, |_| true)?, write_doc))
    })
}

async fn retrieve(
    State(sim): State<Simulator>,
    admin: Admin,
    ids: Ids,
    info: &'static KindInfo,
) -> Reply {
    // The one placeholder of a retrieve of an organization's object is the object's id.
    let id = ids.0.values().next().map_or("", String::as_str);
    sim.read(admin.org, |org| {
        let found = org.json_objects.get(&info.kind).and_then(|o| o.get(id));
        let what = info.kind.name().replace('_', " ");
        doc(found.ok_or_else(|| ApiError::not_found(&what, id))?)
    })
}
