//! `custos serve`: the JSON API under `/api/v1` (described by `/api/v1/openapi.json`), the
//! health checks, Prometheus metrics, and the scheduler that scans every configured
//! organization on its own.
//!
//! A thin adapter over custos-app: a handler parses its request, checks the caller's role
//! ([`auth::Signed`], which every handler but the health checks takes), calls the application
//! layer and encodes the answer; errors are RFC 9457 problem documents ([`problem`]). Every
//! answer carries the security headers of [`security_headers`].
//!
//! Layout: `auth` (tokens and roles), `problem` (errors), `paging` (cursors and `Link`),
//! `api` (the `/api/v1` handlers and the OpenAPI document), `scheduler`, `metrics`.

mod api;
pub mod auth;
mod metrics;
mod paging;
pub mod problem;
mod scheduler;

use auth::TokenCache;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custos_app::ValidConfig;
use custos_store::Store;
use metrics::Metrics;
use scheduler::{Scheduler, SchedulerLock};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;

/// What `custos serve` is given besides the configuration.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The store (`--db`).
    pub db: String,
    /// The master key file that unlocks stored organization keys.
    pub master_key_file: PathBuf,
    /// Run the scheduler; without it the process only answers the API (a second process on
    /// one SQLite file, say).
    pub schedule: bool,
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    App(#[from] custos_app::Error),
    /// Another scheduler holds the store's scheduler lock.
    #[error(
        "another custos serve schedules scans on {db} (it holds {lock}{holder}): stop it, or start this one with --api-only to serve the API without scanning"
    )]
    SchedulerRunning {
        db: String,
        lock: String,
        holder: String,
    },
    #[error("cannot {op} the scheduler lock file {path}")]
    SchedulerLock {
        path: String,
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped")]
    Io(#[from] std::io::Error),
}

/// What every handler reads.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: ValidConfig,
    pub store: Arc<dyn Store>,
    pub tokens: TokenCache,
    pub metrics: Metrics,
    /// `None` when the process only serves the API.
    pub scheduler: Option<Scheduler>,
    /// Permits to build a whole findings list: a list of a large store takes a core and
    /// hundreds of megabytes for a while, so only [`LISTS_AT_ONCE`] are built at a time and
    /// other requests wait their turn.
    pub lists: tokio::sync::Semaphore,
}

/// Findings lists built at the same time (the machines custos runs on have few cores).
const LISTS_AT_ONCE: usize = 2;

pub(crate) type AppState = Arc<Shared>;

/// A server ready to serve: the store open and migrated, the scheduler's lock taken.
#[derive(Debug)]
pub struct Server {
    shared: AppState,
    /// Held while the scheduler runs; released when the server ends.
    _lock: Option<SchedulerLock>,
}

impl Server {
    /// Opens the store and, with `options.schedule`, takes the scheduler's lock (refusing a
    /// second scheduler on one SQLite file) and prepares one schedule per organization of
    /// `config`.
    pub async fn new(config: ValidConfig, options: ServerOptions) -> Result<Server, ServerError> {
        let store: Arc<dyn Store> = Arc::from(custos_app::context::open_store(&options.db).await?);
        let lock = if options.schedule {
            Some(SchedulerLock::take(&options.db)?)
        } else {
            None
        };
        let metrics = Metrics::default();
        let scheduler = options
            .schedule
            .then(|| Scheduler::new(&config, options.master_key_file.clone()));
        Ok(Server {
            shared: Arc::new(Shared {
                config,
                store,
                tokens: TokenCache::default(),
                metrics,
                scheduler,
                lists: tokio::sync::Semaphore::new(LISTS_AT_ONCE),
            }),
            _lock: lock,
        })
    }

    /// The store the server reads and writes.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.shared.store)
    }

    /// Serves `listener` and runs the scheduler until `shutdown` resolves; then stops taking
    /// requests, lets those in flight finish, and stops running scans (each is closed as
    /// failed with the reason, and the next scan fetches again what it did not keep).
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let scans = self
            .shared
            .scheduler
            .as_ref()
            .map(|s| s.spawn(Arc::clone(&self.shared), stopped.clone()));
        let mut http_stopped = stopped;
        let router = router(Arc::clone(&self.shared));
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = http_stopped.wait_for(|s| *s).await;
            })
            .into_future();
        let signal = async move {
            shutdown.await;
            tracing::info!("stopping: no new requests, running scans stopped");
            let _ = stop.send(true);
        };
        let (served, ()) = tokio::join!(served, signal);
        if let Some(scans) = scans {
            scans.await;
        }
        Ok(served?)
    }
}

/// Every route: the health checks, the metrics and the API, behind the security headers and
/// the request count.
fn router(shared: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::scrape))
        .nest("/api/v1", api::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(Arc::clone(&shared), count_request))
        .layer(from_fn(security_headers))
        .with_state(shared)
}

/// The wall clock, for "now" in scans and suppressions; the application layer reads none.
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Alive: the process answers.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "Alive", content_type = "text/plain")))]
async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready: the store answers and its schema is the one this build writes.
#[utoipa::path(
    get,
    path = "/readyz",
    responses(
        (status = 200, description = "Ready", content_type = "text/plain"),
        (status = 503, description = "The store does not answer, or its schema is not this build's", body = problem::Problem, content_type = "application/problem+json"),
    )
)]
async fn readyz(State(shared): State<AppState>) -> Response {
    match shared.store.schema_version().await {
        Ok(version) if version == custos_store::SCHEMA_VERSION => "ready\n".into_response(),
        Ok(version) => problem::Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the store's schema is version {version}, this build's {}",
                custos_store::SCHEMA_VERSION
            ),
        )
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the store does not answer");
            problem::Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the store does not answer".to_owned(),
            )
            .into_response()
        }
    }
}

async fn not_found() -> problem::Problem {
    problem::Problem::new(StatusCode::NOT_FOUND, "no such endpoint".to_owned())
}

async fn method_not_allowed() -> problem::Problem {
    problem::Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this endpoint does not take that method: /api/v1/openapi.json lists the methods of each"
            .to_owned(),
    )
}

/// Counts every answer by route and status, for `/metrics`.
async fn count_request(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    shared
        .metrics
        .count_request(&route, response.status().as_u16(), started.elapsed());
    response
}

/// On every answer: nothing may be framed, sniffed, cached or run as a page (the API serves
/// no HTML; the dashboard will set its own policy).
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
