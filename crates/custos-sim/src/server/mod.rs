//! The simulator's HTTP server: it serves a [`Scenario`] exactly as the OpenAI Admin API would
//! (all 119 operations of the spec plus the project-key endpoints `/v1/files` and
//! `/v1/vector_stores`), with latency, rate limiting and injected faults.
//!
//! Layout: `state` holds the organizations as API JSON with their indexes; `auth` turns the
//! bearer secret into a caller; `paging` and `usage` implement the three list styles;
//! `routes` has one module per resource family; `faults` decides latency, 429s and failures
//! before a handler runs. State sits behind one `RwLock`, so reads run in parallel and every
//! write (with its audit event) is atomic.
//!
//! Choices where the spec is silent:
//! - The clock is fixed at `scenario.now` when set (the wall clock otherwise), so timestamps of
//!   created objects and audit events are reproducible.
//! - An `after`/`before` cursor naming no item of the list is a 400 naming the parameter,
//!   not an empty page: a stale cursor must not look like the end of a list.
//! - Role-assignment lists default to 1000 items (the spec gives no default).
//! - Usage buckets are aligned to the bucket width (UTC days, hours, minutes); records count
//!   only inside `[start_time, end_time)`.
//! - An unset singleton (spend limit, model permissions, data retention `null` in the
//!   scenario) answers 404; a project created through the API starts with
//!   `organization_default` data retention.
//! - Injected truncated bodies are only served to GETs: a write either happens and answers in
//!   full, or fails with a 5xx and changes nothing.

mod audit;
mod auth;
mod body;
mod error;
mod faults;
mod paging;
mod query;
mod reply;
mod routes;
mod state;
mod usage;

pub use faults::SimStats;

use audit::Event;
use auth::Admin;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use custos_model::scenario::Scenario;
use error::ApiError;
use faults::{Fault, Faults};
use state::{IdGen, OrgState, Principal, World};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Latency, rate limiting and faults (command-line flags, not part of the scenario).
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Added to every API answer, in milliseconds.
    pub latency_ms: u64,
    /// The latency varies uniformly by up to this much either way (the CLI uses latency/5).
    pub latency_jitter_ms: u64,
    /// Requests per second over all API routes (burst = the same number); `None`: unlimited.
    pub rate_limit: Option<u32>,
    /// Requests per second of each route on its own (each its own bucket, burst = the same
    /// number), on top of `rate_limit`, as the ChatGPT Compliance API limits; `None`: none.
    pub route_rate_limit: Option<u32>,
    /// Limits of single routes, replacing `route_rate_limit` for them; keyed as `/_sim/stats`
    /// counts routes (`GET /v1/organization/projects/{project_id}/users`).
    pub route_rate_limits: BTreeMap<String, u32>,
    /// Whether answers carry `x-ratelimit-limit-requests`, `-remaining-` and `-reset-`
    /// describing the bucket closest to empty (the Admin API sends none).
    pub rate_limit_headers: bool,
    /// Probability (0..=1) that an answer is a 500, 502, 503 or a truncated body.
    pub fault_rate: f64,
    /// Seed of every random decision, so that a run can be repeated.
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            latency_ms: 0,
            latency_jitter_ms: 0,
            rate_limit: None,
            route_rate_limit: None,
            route_rate_limits: BTreeMap::new(),
            rate_limit_headers: true,
            fault_rate: 0.0,
            seed: 0,
        }
    }
}

impl SimConfig {
    /// A configuration with `latency_ms` and the default jitter of a fifth of it.
    pub fn with_latency(latency_ms: u64) -> SimConfig {
        SimConfig {
            latency_ms,
            latency_jitter_ms: latency_ms / 5,
            ..SimConfig::default()
        }
    }
}

/// A simulated OpenAI organization (or several). Cheap to clone: the state is shared.
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
}

struct Shared {
    world: RwLock<World>,
    faults: Faults,
    /// `scenario.now`; the wall clock when absent.
    fixed_now: Option<i64>,
    request_ids: AtomicU64,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the world itself: it holds the bearer secrets.
        f.debug_struct("Simulator")
            .field("now", &self.shared.fixed_now)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// What a write closure gets besides the organization: the clock, id generation, the
/// credential table (new keys become usable) and the events to log.
pub(crate) struct Ctx<'a> {
    pub(crate) now: i64,
    pub(crate) org: usize,
    pub(crate) ids: &'a mut IdGen,
    pub(crate) credentials: &'a mut HashMap<String, Principal>,
    events: Vec<Event>,
}

impl Ctx<'_> {
    pub(crate) fn log(&mut self, event: Event) {
        self.events.push(event);
    }
}

impl Simulator {
    pub fn new(scenario: Scenario, config: SimConfig) -> Simulator {
        Simulator {
            shared: Arc::new(Shared {
                world: RwLock::new(World::new(&scenario, config.seed)),
                faults: Faults::new(&config),
                fixed_now: scenario.now,
                request_ids: AtomicU64::new(0),
            }),
        }
    }

    /// The request counters that `GET /_sim/stats` answers.
    pub fn stats(&self) -> SimStats {
        self.shared.faults.stats()
    }

    /// Zeroes the counters (`DELETE /_sim/stats`), e.g. between two scans of a test.
    pub fn reset_stats(&self) {
        self.shared.faults.reset();
    }

    /// The axum router: `/v1/...` and `/_sim/stats`.
    pub fn router(&self) -> Router {
        let api = routes::router().layer(from_fn_with_state(self.clone(), simulate));
        Router::new()
            .route("/_sim/stats", axum::routing::get(stats).delete(reset_stats))
            .merge(api)
            .layer(from_fn_with_state(self.clone(), request_id))
            .with_state(self.clone())
    }

    /// Serves on `listener` until the task is dropped or the listener fails.
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }

    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves in a background task.
    pub async fn spawn(self, addr: &str) -> std::io::Result<RunningSimulator> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let router = self.router();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::warn!(%error, "the simulator stopped");
            }
        });
        Ok(RunningSimulator {
            url: format!("http://{local}/v1"),
            root: format!("http://{local}"),
            simulator: self,
            stop: Some(stop),
        })
    }

    pub(crate) fn now(&self) -> i64 {
        self.shared.fixed_now.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
    }

    pub(crate) fn read_world(&self) -> RwLockReadGuard<'_, World> {
        self.shared
            .world
            .read()
            .expect("simulator state lock poisoned")
    }

    pub(crate) fn write_world(&self) -> RwLockWriteGuard<'_, World> {
        self.shared
            .world
            .write()
            .expect("simulator state lock poisoned")
    }

    /// Runs a read against organization `org`.
    pub(crate) fn read<T>(
        &self,
        org: usize,
        read: impl FnOnce(&OrgState) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let world = self.read_world();
        let org = world
            .orgs
            .get(org)
            .ok_or_else(|| ApiError::not_found("organization", &org.to_string()))?;
        read(org)
    }

    /// Runs a write for `admin` and appends the events it logged, atomically.
    pub(crate) fn write<T>(
        &self,
        admin: &Admin,
        write: impl FnOnce(&mut OrgState, &mut Ctx) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let now = self.now();
        let mut world = self.write_world();
        let World {
            orgs,
            credentials,
            ids,
        } = &mut *world;
        let org = orgs
            .get_mut(admin.org)
            .ok_or_else(|| ApiError::not_found("organization", &admin.org.to_string()))?;
        let mut ctx = Ctx {
            now,
            org: admin.org,
            ids,
            credentials,
            events: Vec::new(),
        };
        let answer = write(org, &mut ctx)?;
        for event in ctx.events {
            audit::append(org, &admin.key_id, now, event);
        }
        Ok(answer)
    }
}

/// A simulator serving in the background; it stops when dropped.
#[derive(Debug)]
pub struct RunningSimulator {
    /// `http://127.0.0.1:PORT/v1`.
    pub url: String,
    root: String,
    simulator: Simulator,
    stop: Option<oneshot::Sender<()>>,
}

impl RunningSimulator {
    /// The API base URL, `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> &str {
        &self.url
    }

    /// `http://127.0.0.1:PORT/_sim/stats`.
    pub fn stats_url(&self) -> String {
        format!("{}/_sim/stats", self.root)
    }

    /// The simulator being served (for its [`Simulator::stats`]).
    pub fn simulator(&self) -> &Simulator {
        &self.simulator
    }

    /// Stops accepting connections.
    pub fn shutdown(mut self) {
        self.stop_serving();
    }

    fn stop_serving(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.stop_serving();
    }
}

async fn stats(State(sim): State<Simulator>) -> Response {
    axum::Json(sim.stats()).into_response()
}

async fn reset_stats(State(sim): State<Simulator>) -> Response {
    sim.reset_stats();
    axum::http::StatusCode::NO_CONTENT.into_response()
}

/// `x-request-id: req_<n>` on every answer.
async fn request_id(State(sim): State<Simulator>, request: Request, next: Next) -> Response {
    let n = sim.shared.request_ids.fetch_add(1, Ordering::Relaxed) + 1;
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&format!("req_{n}")) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    response
}

/// Counting, rate limiting, faults and latency for the API routes.
async fn simulate(State(sim): State<Simulator>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/_sim") {
        return next.run(request).await;
    }
    let faults = &sim.shared.faults;
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str);
    let route = format!("{} {route}", request.method());
    faults.reach_back(&route, request.uri().query());
    faults.count(route.clone());
    if let Err(throttled) = faults.admit(&route) {
        let mut response = throttled.into_response();
        faults.rate_headers(&route, response.headers_mut());
        return response;
    }
    let draw = faults.draw(request.method());
    if !draw.delay.is_zero() {
        tokio::time::sleep(draw.delay).await;
    }
    let mut response = match draw.fault {
        Some(Fault::Status(status)) => ApiError::server(status).into_response(),
        Some(Fault::Truncate) => faults::truncate(faults, next.run(request).await).await,
        None => next.run(request).await,
    };
    faults.rate_headers(&route, response.headers_mut());
    response
}
