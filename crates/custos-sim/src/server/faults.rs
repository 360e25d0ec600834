//! Latency, rate limiting and injected failures, plus the request counters of `/_sim/stats`.
//!
//! Every decision comes from one seeded generator, drawn in request order, so a given sequence
//! of requests meets the same faults on every run. The fault is decided before the handler
//! runs: a failed write never changes state. Truncated bodies are only served to reads, since a
//! write must either happen and answer in full, or not happen.

use super::SimConfig;
use super::error::ApiError;
use axum::body::Body;
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What `GET /_sim/stats` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimStats {
    /// Requests to the API routes (not `/_sim/*`).
    pub requests: u64,
    /// Requests per `METHOD /v1/route/{template}`.
    pub by_route: BTreeMap<String, u64>,
    /// Requests answered 429 by the rate limiter.
    pub throttled: u64,
    /// Requests answered with an injected 5xx or a truncated body.
    pub faults: u64,
    /// Per time-bounded route (audit logs, usage, costs): the earliest time a request asked
    /// for (`start_time` or `effective_at[gte]`), 0 when one asked for everything.
    #[serde(default)]
    pub earliest_time: BTreeMap<String, i64>,
}

/// A failure to inject instead of (or on top of) the real answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Status(StatusCode),
    /// 200 with the JSON body cut in the middle.
    Truncate,
}

/// The per-request decisions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Draw {
    pub(crate) fault: Option<Fault>,
    pub(crate) delay: Duration,
}

#[derive(Debug)]
struct TokenBucket {
    rate: f64,
    tokens: f64,
    refilled: Instant,
}

impl TokenBucket {
    fn new(rate: u32) -> TokenBucket {
        let rate = f64::from(rate.max(1));
        TokenBucket {
            rate,
            tokens: rate,
            refilled: Instant::now(),
        }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        self.refilled = now;
    }

    /// How many milliseconds until a token is available: 0 when one is.
    fn wait_ms(&mut self) -> u64 {
        self.refill();
        if self.tokens >= 1.0 {
            0
        } else {
            (((1.0 - self.tokens) / self.rate) * 1000.0).ceil().max(1.0) as u64
        }
    }

    /// `x-ratelimit-*` headers describing the bucket after this request.
    fn headers(&self) -> [(HeaderName, HeaderValue); 3] {
        let reset_ms = (((self.rate - self.tokens) / self.rate) * 1000.0).ceil() as u64;
        [
            (
                HeaderName::from_static("x-ratelimit-limit-requests"),
                HeaderValue::from(self.rate as u64),
            ),
            (
                HeaderName::from_static("x-ratelimit-remaining-requests"),
                HeaderValue::from(self.tokens.floor() as u64),
            ),
            (
                HeaderName::from_static("x-ratelimit-reset-requests"),
                HeaderValue::from_str(&format!("{reset_ms}ms"))
                    .unwrap_or(HeaderValue::from_static("0ms")),
            ),
        ]
    }
}

/// The token buckets: one over all routes, and one per route when routes are limited on
/// their own.
#[derive(Debug)]
struct Limits {
    global: Option<TokenBucket>,
    route_default: Option<u32>,
    route_overrides: BTreeMap<String, u32>,
    /// One per route met that has a limit: bounded by the routes of the router.
    routes: HashMap<String, TokenBucket>,
}

impl Limits {
    /// The buckets a request of `route` takes a token of, refilled.
    fn buckets(&mut self, route: &str) -> Vec<&mut TokenBucket> {
        let rate = self
            .route_overrides
            .get(route)
            .copied()
            .or(self.route_default);
        let own = match rate {
            Some(rate) => Some(
                self.routes
                    .entry(route.to_owned())
                    .or_insert_with(|| TokenBucket::new(rate)),
            ),
            None => None,
        };
        let mut buckets: Vec<&mut TokenBucket> = self.global.iter_mut().chain(own).collect();
        for bucket in &mut buckets {
            bucket.refill();
        }
        buckets
    }
}

/// Fault injection and counters, shared by all requests.
#[derive(Debug)]
pub(crate) struct Faults {
    latency_ms: u64,
    jitter_ms: u64,
    fault_rate: f64,
    rng: Mutex<fastrand::Rng>,
    limits: Mutex<Limits>,
    rate_limit_headers: bool,
    requests: AtomicU64,
    throttled: AtomicU64,
    faults: AtomicU64,
    by_route: Mutex<BTreeMap<String, u64>>,
    earliest_time: Mutex<BTreeMap<String, i64>>,
}

const STATUSES: [StatusCode; 3] = [
    StatusCode::INTERNAL_SERVER_ERROR,
    StatusCode::BAD_GATEWAY,
    StatusCode::SERVICE_UNAVAILABLE,
];

impl Faults {
    pub(crate) fn new(config: &SimConfig) -> Faults {
        Faults {
            latency_ms: config.latency_ms,
            jitter_ms: config.latency_jitter_ms,
            fault_rate: config.fault_rate.clamp(0.0, 1.0),
            rng: Mutex::new(fastrand::Rng::with_seed(config.seed)),
            limits: Mutex::new(Limits {
                global: config.rate_limit.map(TokenBucket::new),
                route_default: config.route_rate_limit,
                route_overrides: config.route_rate_limits.clone(),
                routes: HashMap::new(),
            }),
            rate_limit_headers: config.rate_limit_headers,
            requests: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            by_route: Mutex::new(BTreeMap::new()),
            earliest_time: Mutex::new(BTreeMap::new()),
        }
    }

    /// Notes how far back a time-bounded request reaches.
    pub(crate) fn reach_back(&self, route: &str, query: Option<&str>) {
        let timed =
            route.contains("/audit_logs") || route.contains("/usage/") || route.ends_with("/costs");
        if !timed {
            return;
        }
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
        let floor = pairs
            .iter()
            .filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "start_time" | "effective_at[gte]" | "effective_at[gt]"
                )
            })
            .filter_map(|(_, v)| v.parse::<i64>().ok())
            .min()
            .unwrap_or(0);
        let mut earliest = lock(&self.earliest_time);
        let entry = earliest.entry(route.to_owned()).or_insert(floor);
        *entry = (*entry).min(floor);
    }

    /// Zeroes every counter (the fault sequence goes on).
    pub(crate) fn reset(&self) {
        self.requests.store(0, Ordering::Relaxed);
        self.throttled.store(0, Ordering::Relaxed);
        self.faults.store(0, Ordering::Relaxed);
        lock(&self.by_route).clear();
        lock(&self.earliest_time).clear();
    }

    pub(crate) fn count(&self, route: String) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        *lock(&self.by_route).entry(route).or_insert(0) += 1;
    }

    /// Takes a token of the global bucket and of `route`'s, or neither; the error is the 429
    /// to answer.
    pub(crate) fn admit(&self, route: &str) -> Result<(), ApiError> {
        let mut limits = lock(&self.limits);
        let mut buckets = limits.buckets(route);
        let wait_ms = buckets
            .iter_mut()
            .map(|bucket| bucket.wait_ms())
            .max()
            .unwrap_or(0);
        if wait_ms > 0 {
            self.throttled.fetch_add(1, Ordering::Relaxed);
            return Err(ApiError::rate_limited(wait_ms));
        }
        for bucket in buckets {
            bucket.tokens -= 1.0;
        }
        Ok(())
    }

    /// Draws this request's fault and delay. Always the same number of draws per request, so
    /// the sequence depends only on the order of requests.
    pub(crate) fn draw(&self, method: &Method) -> Draw {
        let (roll, pick, jitter) = {
            let mut rng = lock(&self.rng);
            // 12 is a multiple of both 4 (reads) and 3 (writes): each kind is equally likely.
            (
                rng.f64(),
                rng.usize(..12),
                rng.u64(..=self.jitter_ms.saturating_mul(2)),
            )
        };
        let fault = (roll < self.fault_rate).then(|| {
            if *method == Method::GET {
                STATUSES
                    .get(pick % 4)
                    .map_or(Fault::Truncate, |status| Fault::Status(*status))
            } else {
                Fault::Status(STATUSES[pick % STATUSES.len()])
            }
        });
        if fault.is_some() {
            self.faults.fetch_add(1, Ordering::Relaxed);
        }
        // Saturating: a configured latency near u64::MAX means "never answer", not a wrap to 0.
        let delay = self
            .latency_ms
            .saturating_add(jitter)
            .saturating_sub(self.jitter_ms);
        Draw {
            fault,
            delay: Duration::from_millis(delay),
        }
    }

    /// `x-ratelimit-*` headers of the bucket of `route` closest to empty, when they are on.
    pub(crate) fn rate_headers(&self, route: &str, headers: &mut HeaderMap) {
        if !self.rate_limit_headers {
            return;
        }
        let mut limits = lock(&self.limits);
        let tightest = limits
            .buckets(route)
            .into_iter()
            .min_by(|a, b| (a.tokens / a.rate).total_cmp(&(b.tokens / b.rate)));
        if let Some(bucket) = tightest {
            headers.extend(bucket.headers());
        }
    }

    pub(crate) fn stats(&self) -> SimStats {
        SimStats {
            requests: self.requests.load(Ordering::Relaxed),
            by_route: lock(&self.by_route).clone(),
            throttled: self.throttled.load(Ordering::Relaxed),
            faults: self.faults.load(Ordering::Relaxed),
            earliest_time: lock(&self.earliest_time).clone(),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Nothing panics while holding these locks; a poisoned one still holds valid counters.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Cuts a response body in the middle, keeping the status and fixing `Content-Length`.
/// Cuts a success answer's body in half. An error answer is left whole and the fault is not
/// counted: its status already says what happened, so cutting it would change nothing.
pub(crate) async fn truncate(faults: &Faults, response: Response) -> Response {
    if !response.status().is_success() {
        faults.faults.fetch_sub(1, Ordering::Relaxed);
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::server(StatusCode::INTERNAL_SERVER_ERROR).into_response(),
    };
    let cut = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(cut.len()));
    Response::from_parts(parts, Body::from(cut))
}
