//! The HTTP core every endpoint goes through: authentication, URL and query building, the
//! retry loop, pacing (`pace.rs`: the rate and the in-flight bound) and answer decoding.
//!
//! One attempt of a request waits, in this order, for the "not before" instant a 429 may have
//! set on its route (the operation, e.g. `GET /organization/users/{user_id}/roles`), for the
//! route's own rate when the pacer learnt one, for an in-flight slot (a held-off or
//! route-paced request holds none), and for the global rate; so retries are paced like first
//! attempts, and a throttled answer slows every request of that route, but not the others.
//!
//! What a hostile or broken server can cost is bounded: one wait at most
//! [`RetryPolicy::max_retry_after`] (a longer `Retry-After` fails the request at once), one
//! request at most [`ClientConfig::max_request_time`] from its first send to the end of its
//! last body (attempts and the waits between them), one answer at most
//! [`ClientConfig::max_response_bytes`], one list at most [`ClientConfig::max_list_items`].
//!
//! The API key leaves its [`SecretString`] once, in [`ReadClient::new`], to become a header value
//! marked sensitive; nothing else reads it.

use crate::pace::{DeclaredLimit, Outcome, Pacer, Pacing};
use crate::retry::{self, Idempotency};
use crate::{ApiError, Error, Query, Result, RetryPolicy};
use bytes::Bytes;
use custos_model::redact;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::Notify;
use tokio::time::Instant;
use url::Url;

/// How to reach the API and how hard to push it.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:PORT/v1`; a trailing
    /// slash is tolerated. Request paths are appended to it.
    pub base_url: String,
    /// The admin key. Its `Debug` prints `[REDACTED]`.
    pub api_key: SecretString,
    /// With [`Pacing::Fixed`], the client-side rate limit, with a burst of one second's worth
    /// (`None`: unlimited); with [`Pacing::Adaptive`], the most the learnt rate may reach
    /// (`None`: no ceiling).
    pub requests_per_second: Option<NonZeroU32>,
    /// Fixed (the default) or learnt from the answers.
    pub pacing: Pacing,
    /// Requests in flight at once, across every clone of the client (default 8); adaptive
    /// pacing keeps fewer when the latency and rate need fewer.
    pub max_concurrency: usize,
    /// Limit of one attempt, from sending to the end of the body (default 60 s).
    pub timeout: Duration,
    /// Limit of establishing a connection (default 10 s).
    pub connect_timeout: Duration,
    /// Limit of one request from its first send to the end of its last answer, every
    /// attempt and the waits between them included (default 120 s).
    pub max_request_time: Duration,
    /// Largest answer body read, in bytes (default 64 MiB); a larger one is refused.
    pub max_response_bytes: u64,
    /// Most items one paged list may hold (default 1,000,000); a longer one is refused.
    pub max_list_items: u64,
    /// When and how long to retry.
    pub retry: RetryPolicy,
    /// The `User-Agent` header (default `custos/<version>`).
    pub user_agent: String,
}

/// Default of [`ClientConfig::max_response_bytes`]: 64 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 << 20;
/// Default of [`ClientConfig::max_list_items`].
pub const DEFAULT_MAX_LIST_ITEMS: u64 = 1_000_000;
/// Default of [`ClientConfig::max_request_time`].
pub const DEFAULT_MAX_REQUEST_TIME: Duration = Duration::from_secs(120);

impl ClientConfig {
    /// The defaults, for `base_url` and `api_key`.
    pub fn new(base_url: impl Into<String>, api_key: SecretString) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            api_key,
            requests_per_second: None,
            pacing: Pacing::Fixed,
            max_concurrency: 8,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_request_time: DEFAULT_MAX_REQUEST_TIME,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_list_items: DEFAULT_MAX_LIST_ITEMS,
            retry: RetryPolicy::default(),
            user_agent: concat!("custos/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// Counters of one client and its clones, since it was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Attempts sent, retries included.
    pub requests: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// 429 answers seen.
    pub throttled: u64,
    /// Body bytes received.
    pub bytes_received: u64,
    /// The rate requests are paced at now, in requests per second (rounded): the one
    /// adaptive pacing settled on, or the fixed rate; `None` when unlimited.
    pub rate: Option<u32>,
}

/// The read half of the Admin API client: GETs only (typed reads in [`crate::endpoints`],
/// pagination streams, [`ReadClient::get`]). What scans and re-reads hold. Cheap to clone: the
/// clones share the connection pool, the pacer (rates and the in-flight bound), the routes'
/// hold-offs and the counters.
///
/// It cannot send a write (each example names the error it must fail with; rustdoc checks
/// the code on nightly only, stable checks that it fails): it has no
/// [`crate::WriteClient::send`],
///
/// ```compile_fail,E0599
/// # async fn scan(client: &custos_openai::ReadClient, call: &custos_openai::WriteCall) {
/// let _ = client.send(call).await;
/// # }
/// ```
///
/// its transport's write path is private to custos-openai,
///
/// ```compile_fail,E0624
/// # async fn scan(client: &custos_openai::ReadClient) {
/// let _ = client.send_write(Default::default(), "/organization/users/u1", None).await;
/// # }
/// ```
///
/// and it does not turn into a [`crate::WriteClient`]:
///
/// ```compile_fail,E0277
/// # fn scan(client: custos_openai::ReadClient) {
/// let _: custos_openai::WriteClient = client.into();
/// # }
/// ```
#[derive(Clone)]
pub struct ReadClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `base_url` without its trailing slashes.
    base_url: String,
    /// `Bearer <key>`, marked sensitive.
    auth: HeaderValue,
    retry: RetryPolicy,
    requests_per_second: Option<NonZeroU32>,
    pacing: Pacing,
    max_concurrency: usize,
    pacer: Mutex<Pacer>,
    /// Woken when an in-flight slot is given back.
    released: Notify,
    max_request_time: Duration,
    max_response_bytes: u64,
    max_list_items: u64,
    /// Per route (`GET /organization/users`), the instant before which no attempt of it starts
    /// (set from 429 answers). One entry per route ever throttled: bounded by the operations.
    not_before: Mutex<HashMap<String, Instant>>,
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    bytes_received: AtomicU64,
    /// Attempts per operation (`GET /organization/users`), so that a scan can say what each
    /// endpoint cost.
    by_endpoint: Mutex<BTreeMap<String, u64>>,
}

impl fmt::Debug for ReadClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("ReadClient")
            .field("base_url", &redact::url(&inner.base_url))
            .field("api_key", &"[REDACTED]")
            .field("requests_per_second", &inner.requests_per_second)
            .field("pacing", &inner.pacing)
            .field("max_concurrency", &inner.max_concurrency)
            .field("retry", &inner.retry)
            .field("stats", &self.stats())
            .finish()
    }
}

impl ReadClient {
    /// A client for `config`; refuses a base URL that is not http(s), a key that cannot be an
    /// HTTP header, and zero limits. Nothing is sent.
    pub fn new(config: ClientConfig) -> Result<ReadClient> {
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        // Errors show the URL redacted: a refused one may carry a `?key=` or a user name.
        let shown = redact::url(&base_url);
        let parsed = Url::parse(&base_url)
            .map_err(|e| Error::Config(format!("base URL {shown:?} is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "base URL {shown:?} must start with https:// (or http:// for a local simulator)"
            )));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            // It would end up in logs and `Debug` output; credentials go in `api_key`.
            return Err(Error::Config(
                "the base URL must not contain credentials; pass the key as api_key".to_owned(),
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(Error::Config(format!(
                "base URL {shown:?} must not have a query or a fragment"
            )));
        }
        if config.max_concurrency == 0 {
            return Err(Error::Config(
                "max_concurrency must be at least 1".to_owned(),
            ));
        }
        if config.timeout.is_zero()
            || config.connect_timeout.is_zero()
            || config.max_request_time.is_zero()
        {
            return Err(Error::Config(
                "timeout, connect_timeout and max_request_time must be longer than zero".to_owned(),
            ));
        }
        if config.max_response_bytes == 0 || config.max_list_items == 0 {
            return Err(Error::Config(
                "max_response_bytes and max_list_items must be at least 1".to_owned(),
            ));
        }
        let auth = bearer(&config.api_key)?;

        // reqwest is built without a default rustls provider; installing one twice is harmless
        // (the second call reports that a provider is already installed).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent)
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            // The API does not redirect; following one could carry the key to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;

        Ok(ReadClient {
            inner: Arc::new(Inner {
                http,
                base_url,
                auth,
                retry: config.retry,
                requests_per_second: config.requests_per_second,
                pacing: config.pacing,
                max_concurrency: config.max_concurrency,
                pacer: Mutex::new(Pacer::new(
                    config.pacing,
                    config.requests_per_second,
                    config.max_concurrency,
                )),
                released: Notify::new(),
                max_request_time: config.max_request_time,
                max_response_bytes: config.max_response_bytes,
                max_list_items: config.max_list_items,
                not_before: Mutex::new(HashMap::new()),
                requests: AtomicU64::new(0),
                retries: AtomicU64::new(0),
                throttled: AtomicU64::new(0),
                bytes_received: AtomicU64::new(0),
                by_endpoint: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// The API root requests are sent below, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Most items a paged list may hold ([`ClientConfig::max_list_items`]).
    pub(crate) fn max_list_items(&self) -> u64 {
        self.inner.max_list_items
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> ClientStats {
        let inner = &self.inner;
        ClientStats {
            requests: inner.requests.load(Ordering::Relaxed),
            retries: inner.retries.load(Ordering::Relaxed),
            throttled: inner.throttled.load(Ordering::Relaxed),
            bytes_received: inner.bytes_received.load(Ordering::Relaxed),
            // Rounded; a float to integer cast saturates.
            rate: lock(&inner.pacer).rate().map(|rate| rate.round() as u32),
        }
    }

    /// Attempts sent so far per operation, as `METHOD /path/{template}`; paths outside the spec
    /// are counted under their concrete path.
    pub fn requests_by_endpoint(&self) -> BTreeMap<String, u64> {
        lock(&self.inner.by_endpoint).clone()
    }

    /// GET `path` (e.g. `/organization/users`) with `query`, decoded from JSON.
    pub async fn get<T: DeserializeOwned>(&self, path: &str, query: &Query) -> Result<T> {
        Ok(self.get_with_request_id(path, query).await?.0)
    }

    /// GET `path` with `query`, and the answer's request id (for errors about its content).
    pub(crate) async fn get_with_request_id<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &Query,
    ) -> Result<(T, Option<String>)> {
        let reply = self
            .execute(Call::new(Method::GET, path, query), decode_json)
            .await?;
        Ok((reply.value, reply.request_id))
    }

    /// GET `path` with `query`, the body as text (file content).
    pub async fn get_text(&self, path: &str, query: &Query) -> Result<String> {
        let reply = self
            .execute(Call::new(Method::GET, path, query), decode_text)
            .await?;
        Ok(reply.value)
    }

    /// Sends a write: a `POST` with `body` (JSON, or empty when `None`) or a `DELETE`, and
    /// decodes the JSON answer. Only [`crate::WriteClient`] reaches it: a `ReadClient` cannot
    /// change anything. A write is retried only when the server surely did not act: the
    /// connection was never made, 429, 503 with `Retry-After`, or the server said
    /// `x-should-retry: true`. After a timeout or a 5xx the write may have been applied, so the
    /// error says to read the object before repeating it.
    pub(crate) async fn send_write(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<serde_json::Value> {
        let query = Query::new();
        let mut call = Call::new(method, path, &query);
        call.body = body;
        Ok(self.execute(call, decode_json).await?.value)
    }

    /// `base_url` + `path` + the percent-encoded query. Refused when URL parsing would change
    /// the path (a `..` or `.` segment, however encoded, is resolved away), so that a request
    /// reaches exactly the object it names.
    fn url(&self, path: &str, query: &Query) -> Result<Url> {
        let separator = if path.starts_with('/') { "" } else { "/" };
        if moves_when_parsed(path) {
            return Err(Error::Config(format!(
                "path {path:?} is not one object's path (a `.` or `..` segment, `\\`, `?` or \
                 `#` in it would send the request elsewhere); nothing was sent"
            )));
        }
        let mut url = Url::parse(&format!("{}{separator}{path}", self.inner.base_url))
            .map_err(|e| Error::Config(format!("path {path:?} does not make a URL: {e}")))?;
        if !query.pairs().is_empty() {
            url.query_pairs_mut().extend_pairs(query.pairs());
        }
        Ok(url)
    }

    /// Sends `call` until it succeeds, fails for good, runs out of retries or out of
    /// `max_request_time`.
    async fn execute<T>(&self, call: Call<'_>, decode: Decoder<T>) -> Result<Reply<T>> {
        let url = self.url(call.path, call.query)?;
        let idempotency = Idempotency::of(&call.method);
        let route = call.endpoint();
        let policy = &self.inner.retry;
        // Set when the first attempt is sent: waiting for a permit before that is the client's
        // queue, not this request's time.
        let mut deadline = None;
        let mut retry = 0;
        loop {
            let attempt = Attempt {
                call: &call,
                route: &route,
                url: &url,
                idempotency,
                retry,
            };
            let failure = match self.attempt(&attempt, decode, &mut deadline).await {
                Ok(answer) => return Ok(answer),
                Err(failure) => failure,
            };
            let too_long = failure
                .retry_after
                .is_some_and(|wait| wait > policy.max_retry_after);
            let wait = failure.retry_after.unwrap_or_else(|| policy.backoff(retry));
            if failure.throttled && !too_long {
                // Slow down every request of this route, whether or not this one is retried.
                self.hold_off(&route, wait);
            }
            if !failure.retryable || retry >= policy.max_retries {
                return Err(failure.error);
            }
            if too_long {
                tracing::debug!(
                    method = %call.method,
                    path = call.path,
                    wait_ms = millis(wait),
                    "the API asks to wait longer than max_retry_after; giving up"
                );
                return Err(failure.error);
            }
            if deadline.is_some_and(|deadline| Instant::now() + wait >= deadline) {
                tracing::debug!(
                    method = %call.method,
                    path = call.path,
                    wait_ms = millis(wait),
                    "waiting to retry would pass max_request_time; giving up"
                );
                return Err(failure.error);
            }
            tracing::debug!(
                method = %call.method,
                path = call.path,
                attempt = retry + 1,
                wait_ms = millis(wait),
                error = %failure.error,
                "retrying"
            );
            tokio::time::sleep(wait).await;
            retry += 1;
            self.inner.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One attempt: wait for the route's hold-off and pace, an in-flight slot and the global
    /// pace, send, read the body (at most `max_response_bytes` of it), classify the outcome
    /// and tell the pacer. The exchange ends at `deadline`, which the first attempt sets to
    /// `max_request_time` from its send.
    async fn attempt<T>(
        &self,
        attempt: &Attempt<'_>,
        decode: Decoder<T>,
        deadline: &mut Option<Instant>,
    ) -> Result<Reply<T>, Failure> {
        let inner = &self.inner;
        let Attempt {
            call,
            route,
            url,
            idempotency,
            retry,
        } = *attempt;
        // A held-off or route-paced request waits without a slot, so that a throttled route
        // does not occupy the slots of the others; it checks again once it has one.
        let slot = loop {
            self.wait_hold_off(route).await;
            let at = lock(&inner.pacer).reserve_route(route, Instant::now().into_std());
            tokio::time::sleep_until(Instant::from_std(at)).await;
            let slot = self.in_flight_slot().await;
            if self.hold_off_left(route).is_none() {
                break slot;
            }
        };
        let at = lock(&inner.pacer).reserve_global(Instant::now().into_std());
        tokio::time::sleep_until(Instant::from_std(at)).await;

        let mut request = inner
            .http
            .request(call.method.clone(), url.clone())
            .header(AUTHORIZATION, inner.auth.clone())
            .header(ACCEPT, "application/json");
        match &call.body {
            // An explicit length: some front ends refuse a bodiless POST without one (411).
            Some(body) if body.is_empty() => request = request.header(CONTENT_LENGTH, "0"),
            Some(body) => {
                request = request
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            None => {}
        }

        inner.requests.fetch_add(1, Ordering::Relaxed);
        *lock(&inner.by_endpoint)
            .entry(route.to_owned())
            .or_insert(0) += 1;
        let started = Instant::now();
        let deadline = *deadline.get_or_insert(started + inner.max_request_time);
        let exchange = self.exchange(request, attempt, started);
        let (status, headers, request_id, body) =
            match tokio::time::timeout_at(deadline, exchange).await {
                Ok(answer) => {
                    slot.finish(route, started, pace_outcome(&answer));
                    answer?
                }
                Err(_elapsed) => {
                    return Err(Failure {
                        retryable: false,
                        retry_after: None,
                        throttled: false,
                        error: Error::RequestTimeLimit {
                            method: call.method.to_string(),
                            path: call.path.to_owned(),
                            limit_ms: millis(inner.max_request_time),
                            attempts: retry + 1,
                        },
                    });
                }
            };
        tracing::debug!(
            method = %call.method,
            path = call.path,
            status = status.as_u16(),
            attempt = retry + 1,
            elapsed_ms = millis(started.elapsed()),
            bytes = body.len(),
            request_id = request_id.as_deref(),
            "admin api answer"
        );

        if status.is_success() {
            return match decode(&body) {
                Ok(value) => Ok(Reply { value, request_id }),
                Err(bad) => Err(Failure {
                    // A truncated or garbled body is a transport fault in disguise: retry it
                    // when repeating the request is safe. A well-formed body of the wrong
                    // shape will not change on a retry.
                    retryable: bad.transient && idempotency == Idempotency::Idempotent,
                    retry_after: None,
                    throttled: false,
                    error: Error::Decode {
                        method: call.method.to_string(),
                        path: call.path.to_owned(),
                        request_id,
                        message: format!("{}{}", bad.message, write_note(idempotency)),
                    },
                }),
            };
        }
        let throttled = status == StatusCode::TOO_MANY_REQUESTS;
        if throttled {
            inner.throttled.fetch_add(1, Ordering::Relaxed);
        }
        let retry_after = retry::retry_after(&headers, SystemTime::now());
        Err(Failure {
            retryable: idempotency.retries_status(status, &headers),
            // A server that names a time to come back is overloaded for this route.
            throttled: throttled || retry_after.is_some(),
            retry_after,
            error: Error::Api(api_error(status, call, &headers, &body, request_id)),
        })
    }

    /// Sends `request` and reads its answer: status, headers, request id and body, the body
    /// refused once it is larger than `max_response_bytes` (declared or streamed).
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
        attempt: &Attempt<'_>,
        started: Instant,
    ) -> Result<(StatusCode, HeaderMap, Option<String>, Vec<u8>), Failure> {
        let inner = &self.inner;
        let limit = inner.max_response_bytes;
        let too_large = |size: String| Failure {
            // The same request would get the same answer.
            retryable: false,
            retry_after: None,
            throttled: false,
            error: Error::ResponseTooLarge {
                method: attempt.call.method.to_string(),
                path: attempt.call.path.to_owned(),
                size,
                limit,
            },
        };
        let mut response = request.send().await.map_err(|error| {
            let sent = !error.is_connect();
            transport_failure(attempt, started, error, sent)
        })?;
        if let Some(declared) = response.content_length().filter(|&n| n > limit) {
            return Err(too_large(format!("it declares {declared} bytes")));
        }
        let status = response.status();
        let headers = response.headers().clone();
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // The declared length (within the limit) sizes the buffer once.
        let capacity = response.content_length().unwrap_or(0);
        let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| transport_failure(attempt, started, error, true))?
        {
            inner.bytes_received.fetch_add(
                u64::try_from(chunk.len()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
            let total = u64::try_from(body.len() + chunk.len()).unwrap_or(u64::MAX);
            if total > limit {
                return Err(too_large("the body passed it while streaming".to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, request_id, body))
    }

    /// Waits until the pacer lets one more request be in flight.
    async fn in_flight_slot(&self) -> InFlight<'_> {
        loop {
            // Registered before the check, so that a release between the check and the wait
            // is not missed.
            let released = self.inner.released.notified();
            if lock(&self.inner.pacer).try_start() {
                return InFlight { client: self };
            }
            released.await;
        }
    }

    /// Delays every attempt of `route` (on this client and its clones) until `wait` from now.
    fn hold_off(&self, route: &str, wait: Duration) {
        let until = Instant::now() + wait;
        let mut not_before = lock(&self.inner.not_before);
        let entry = not_before.entry(route.to_owned()).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// How long `route` is still held off, if it is.
    fn hold_off_left(&self, route: &str) -> Option<Duration> {
        let until = *lock(&self.inner.not_before).get(route)?;
        Some(until.saturating_duration_since(Instant::now())).filter(|left| !left.is_zero())
    }

    /// Sleeps until the hold-off set on `route` by [`ReadClient::hold_off`] has passed.
    async fn wait_hold_off(&self, route: &str) {
        // Again after each sleep: another throttled answer may have moved the instant on.
        while let Some(left) = self.hold_off_left(route) {
            tracing::debug!(
                route,
                wait_ms = millis(left),
                "holding off after a throttled answer"
            );
            tokio::time::sleep(left).await;
        }
    }
}

/// An in-flight slot of the pacer, given back when dropped (also when the request is
/// abandoned mid-way).
struct InFlight<'a> {
    client: &'a ReadClient,
}

impl InFlight<'_> {
    /// Tells the pacer how the attempt of `route` sent at `sent` ended.
    fn finish(&self, route: &str, sent: Instant, outcome: Outcome) {
        lock(&self.client.inner.pacer).observe(
            route,
            sent.into_std(),
            std::time::Instant::now(),
            outcome,
        );
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        lock(&self.client.inner.pacer).release();
        self.client.inner.released.notify_waiters();
    }
}

/// What an exchange tells the pacer: a 429 or another answer, with the limit its headers
/// declare, or nothing when no answer came.
fn pace_outcome<T>(answer: &Result<(StatusCode, HeaderMap, T, Vec<u8>), Failure>) -> Outcome {
    match answer {
        Ok((status, headers, ..)) => {
            let declared = DeclaredLimit::from_headers(headers);
            if *status == StatusCode::TOO_MANY_REQUESTS {
                Outcome::Throttled(declared)
            } else {
                Outcome::Answered(declared)
            }
        }
        Err(_) => Outcome::Nothing,
    }
}

/// Whether URL parsing (WHATWG, as the `url` crate and reqwest do it) would change `path`: a
/// dot segment (`.`, `..`, also percent-encoded as `%2e`) is resolved away, `\\` is read as
/// `/`, and `?` or `#` end the path.
fn moves_when_parsed(path: &str) -> bool {
    path.contains(['?', '#', '\\'])
        || path.split('/').any(|segment| {
            let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
            decoded == "." || decoded == ".."
        })
}

/// The failure of an attempt that got no complete answer. `sent`: the request may have
/// reached the server (anything but a connection error), so only an idempotent one is retried.
fn transport_failure(
    attempt: &Attempt<'_>,
    started: Instant,
    error: reqwest::Error,
    sent: bool,
) -> Failure {
    let Attempt {
        call,
        idempotency,
        retry,
        ..
    } = *attempt;
    let message = describe_transport(error);
    tracing::debug!(
        method = %call.method,
        path = call.path,
        attempt = retry + 1,
        elapsed_ms = millis(started.elapsed()),
        error = %message,
        "admin api request failed"
    );
    let note = if sent { write_note(idempotency) } else { "" };
    Failure {
        retryable: idempotency.retries_transport(!sent),
        retry_after: None,
        throttled: false,
        error: Error::Transport {
            method: call.method.to_string(),
            path: call.path.to_owned(),
            message: format!("{message} (attempt {}){note}", retry + 1),
        },
    }
}

/// For a write whose outcome is unknown: what the caller must do before repeating it.
fn write_note(idempotency: Idempotency) -> &'static str {
    match idempotency {
        Idempotency::Write => {
            "; the write may have been applied: read the object before repeating it"
        }
        Idempotency::Idempotent => "",
    }
}

/// `Bearer <key>` as a sensitive header value; the only place the key is exposed.
fn bearer(key: &SecretString) -> Result<HeaderValue> {
    let key = key.expose_secret();
    if key.trim().is_empty() {
        return Err(Error::Config("the API key is empty".to_owned()));
    }
    let mut bytes = Vec::with_capacity(7 + key.len());
    bytes.extend_from_slice(b"Bearer ");
    bytes.extend_from_slice(key.as_bytes());
    let value = HeaderValue::from_bytes(&bytes);
    bytes.zeroize();
    let mut value = value.map_err(|_| {
        Error::Config(
            "the API key contains characters an HTTP header cannot carry (a line break?)"
                .to_owned(),
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// What a request is.
struct Call<'a> {
    method: Method,
    path: &'a str,
    query: &'a Query,
    /// A JSON body, or an empty one (a POST without a body).
    body: Option<Bytes>,
}

impl<'a> Call<'a> {
    fn new(method: Method, path: &'a str, query: &'a Query) -> Self {
        Call {
            method,
            path,
            query,
            body: None,
        }
    }

    /// `METHOD /path/{template}` when the path is an operation of the spec.
    fn endpoint(&self) -> String {
        let path = crate::endpoints::operation_of(self.method.as_str(), self.path)
            .map_or(self.path, |op| op.path);
        format!("{} {path}", self.method)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Only counters live behind these locks and nothing panics while holding them.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One attempt of a call: what is sent, on which route, and which retry it is.
#[derive(Clone, Copy)]
struct Attempt<'a> {
    call: &'a Call<'a>,
    /// `METHOD /path/{template}`: what hold-offs and counters are kept by.
    route: &'a str,
    url: &'a Url,
    idempotency: Idempotency,
    /// 0 for the first attempt.
    retry: u32,
}

/// A decoded success answer.
struct Reply<T> {
    value: T,
    request_id: Option<String>,
}

/// A failed attempt and whether to try again.
struct Failure {
    error: Error,
    retryable: bool,
    /// How long the server asked to wait.
    retry_after: Option<Duration>,
    /// The server is overloaded: hold off every request, not only this one.
    throttled: bool,
}

/// Why a success body could not be decoded.
struct BadBody {
    message: String,
    /// Truncated or garbled in transit (worth a retry), not merely of another shape.
    transient: bool,
}

type Decoder<T> = fn(&[u8]) -> Result<T, BadBody>;

/// JSON into `T`, naming the path of the first mismatch (`data[3].created_at`). Values quoted
/// in serde's message are redacted: a body may hold a secret (a newly created key).
fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, BadBody> {
    use serde_json::error::Category;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let bad = |path: Option<String>, error: serde_json::Error| match error.classify() {
        Category::Eof => BadBody {
            message: format!(
                "the body ends inside the JSON document after {} bytes (truncated in transit)",
                body.len()
            ),
            transient: true,
        },
        Category::Syntax | Category::Io => BadBody {
            message: format!(
                "the body is not valid JSON ({}); a proxy may have garbled it",
                redact::quoted(&error.to_string())
            ),
            transient: true,
        },
        Category::Data => BadBody {
            message: format!(
                "{}{}; the API's format may have changed: report it with the request id",
                path.map(|p| format!("at `{p}`: ")).unwrap_or_default(),
                redact::quoted(&error.to_string())
            ),
            transient: false,
        },
    };
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = Some(e.path().to_string()).filter(|p| p != ".");
        bad(path, e.into_inner())
    })?;
    // Bytes after the document: garbled, not an answer.
    deserializer.end().map_err(|e| bad(None, e))?;
    Ok(value)
}

/// The body as UTF-8 text; invalid UTF-8 at the very end is a truncated character.
fn decode_text(body: &[u8]) -> Result<String, BadBody> {
    String::from_utf8(body.to_vec()).map_err(|e| {
        let error = e.utf8_error();
        BadBody {
            message: format!("the body is not UTF-8 text ({error})"),
            transient: error.error_len().is_none(),
        }
    })
}

/// `ApiError` from a non-success answer: the `{"error": {...}}` envelope when there is one,
/// the top-level `message`/`code` of the odd examples, else a description of the body.
fn api_error(
    status: StatusCode,
    call: &Call<'_>,
    headers: &HeaderMap,
    body: &[u8],
    request_id: Option<String>,
) -> ApiError {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let object = json.as_ref().and_then(|v| match v.get("error") {
        Some(inner) if inner.is_object() => Some(inner),
        _ if v.get("message").is_some() => Some(v),
        _ => None,
    });
    let field = |name: &str| {
        object
            .and_then(|o| o.get(name))
            .and_then(|v| match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(scrub_keys(s)),
                other => Some(scrub_keys(&other.to_string())),
            })
            .filter(|s| !s.is_empty())
    };
    let message = field("message").unwrap_or_else(|| describe_body(body, headers));
    ApiError {
        status: status.as_u16(),
        method: call.method.to_string(),
        path: call.path.to_owned(),
        kind: field("type"),
        code: field("code"),
        message,
        param: field("param"),
        request_id,
    }
}

/// A short description of an error body that is not the API's JSON (a proxy's page, say).
fn describe_body(body: &[u8], headers: &HeaderMap) -> String {
    const SHOWN: usize = 200;
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return "no error details (empty body)".to_owned();
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown type");
    let shown: String = text.chars().take(SHOWN).collect();
    let more = if shown.len() < text.len() { "..." } else { "" };
    format!(
        "no API error object in the body ({content_type}): {}{more}",
        scrub_keys(&shown)
    )
}

/// Replaces anything that looks like an OpenAI key (`sk-...`) with `sk-***`, in case a server
/// or proxy echoes a key in an error message.
fn scrub_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("sk-") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 3..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(tail.len());
        out.push_str(if end >= 8 {
            "sk-***"
        } else {
            &rest[at..at + 3 + end]
        });
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The error and its causes, without the URL (its query may hold data).
fn describe_transport(error: reqwest::Error) -> String {
    let timeout = error.is_timeout();
    let error = error.without_url();
    let mut parts = vec![error.to_string()];
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    let text = parts.join(": ");
    if timeout && !text.contains("timed out") {
        format!("timed out: {text}")
    } else {
        text
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_key_like_tokens() {
        assert_eq!(
            scrub_keys("Incorrect API key provided: sk-admin-CANARY-9f8e7d6c5b4a."),
            "Incorrect API key provided: sk-***."
        );
        assert_eq!(scrub_keys("task-1 and sk-ab"), "task-1 and sk-ab");
    }

    #[test]
    fn decoding_tells_truncation_from_shape() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Page {
            data: Vec<u32>,
        }
        let truncated = decode_json::<Page>(br#"{"data": [1, 2"#).unwrap_err();
        assert!(truncated.transient);
        assert!(
            truncated.message.contains("truncated"),
            "{}",
            truncated.message
        );
        let shape = decode_json::<Page>(br#"{"data": [1, "secret"]}"#).unwrap_err();
        assert!(!shape.transient);
        assert!(shape.message.contains("data[1]"), "{}", shape.message);
        assert!(!shape.message.contains("secret"), "{}", shape.message);
        let trailing = decode_json::<Page>(br#"{"data": []} x"#).unwrap_err();
        assert!(trailing.transient);
        assert_eq!(
            decode_json::<Page>(br#"{"data": [7]}"#)
                .ok()
                .map(|p| p.data),
            Some(vec![7])
        );
        assert!(decode_text(&[0x61, 0xE2, 0x82]).unwrap_err().transient);
        assert!(!decode_text(&[0x61, 0xFF, 0x61]).unwrap_err().transient);
    }
}
