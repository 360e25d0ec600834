//! The ten `/organization/usage/*` endpoints and `/organization/costs` (time buckets; the
//! aggregation itself is in `server::usage`).

use crate::server::Simulator;
use crate::server::auth::Admin;
use crate::server::query::Params;
use crate::server::reply::Reply;
use crate::server::usage::{BucketQuery, Measure, bucket_page};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use custos_model::api::UsageKind;

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    let router = router.route("/v1/organization/costs", get(costs));
    UsageKind::ALL.into_iter().fold(router, |router, kind| {
        router.route(
            &format!("/v1{}", kind.path()),
            get(move |sim, admin, params| usage(sim, admin, params, kind)),
        )
    })
}

async fn usage(
    State(sim): State<Simulator>,
    admin: Admin,
    params: Params,
    kind: UsageKind,
) -> Reply {
    buckets(&sim, &admin, &params, Measure::Usage(kind))
}

async fn costs(State(sim): State<Simulator>, admin: Admin, params: Params) -> Reply {
    buckets(&sim, &admin, &params, Measure::Costs)
}

fn buckets(sim: &Simulator, admin: &Admin, params: &Params, measure: Measure) -> Reply {
    let query = BucketQuery::parse(params, measure, sim.now())?;
    sim.read(admin.org, |org| {
        let series = match measure {
            Measure::Usage(kind) => org.usage.get(&kind),
            Measure::Costs => Some(&org.costs),
        };
        match series {
            Some(series) => bucket_page(series, measure, &query),
            None => bucket_page(&Default::default(), measure, &query),
        }
    })
}
