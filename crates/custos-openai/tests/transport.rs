//! The transport core against a scripted HTTP server on 127.0.0.1: authentication and URL
//! building, retries and `Retry-After`, truncated bodies, the three pagination styles, DELETE
//! outcomes, the rate limiter and concurrency bound, and that the key never leaks.
//!
//! Each test starts its own [`Fake`] server, whose responder decides every answer from the
//! request and its index, and which records what it saw (with server-side timestamps) for the
//! assertions. Timing checks assert lower bounds only: they prove a wait happened, they are not
//! performance targets.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use custos_model::page::Bucket;
use custos_openai::endpoints::operations as ops;
use custos_openai::{
    ClientConfig, Error, NextAfter, Query, ReadClient, Result, RetryPolicy, WriteCall, WriteClient,
    WriteOutcome,
};
use futures::{StreamExt, TryStreamExt};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "sk-admin-test-0123456789";
const CANARY: &str = "sk-admin-CANARY-9f8e7d6c5b4a";

// ---------------------------------------------------------------------------------------------
// The scripted server
// ---------------------------------------------------------------------------------------------

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
    at: Instant,
}

impl Seen {
    /// The decoded value of query parameter `name`.
    fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Decides the answer to request number `n` (from 0).
type Responder = Box<dyn Fn(&Seen, usize) -> Response + Send + Sync>;

struct Shared {
    responder: Responder,
    seen: Mutex<Vec<Seen>>,
    /// How long every answer takes.
    delay: Duration,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

struct Fake {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Fake {
    async fn start(responder: impl Fn(&Seen, usize) -> Response + Send + Sync + 'static) -> Fake {
        Fake::start_slow(Duration::ZERO, responder).await
    }

    async fn start_slow(
        delay: Duration,
        responder: impl Fn(&Seen, usize) -> Response + Send + Sync + 'static,
    ) -> Fake {
        let shared = Arc::new(Shared {
            responder: Box::new(responder),
            seen: Mutex::new(Vec::new()),
            delay,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Fake { addr, shared }
    }

    fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().expect("log lock").clone()
    }

    fn count(&self) -> usize {
        self.shared.seen.lock().expect("log lock").len()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts.headers,
        body,
        at: Instant::now(),
    };
    let n = {
        let mut log = shared.seen.lock().expect("log lock");
        log.push(seen.clone());
        log.len() - 1
    };
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(shared.delay).await;
    let response = (shared.responder)(&seen, n);
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

/// An answer with `status`, `headers` and a raw `body`.
fn raw(status: u16, headers: &[(&str, &str)], body: impl Into<String>) -> Response {
    let mut builder = Response::builder().status(StatusCode::from_u16(status).expect("status"));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::from(body.into())).expect("response")
}

/// A JSON answer.
fn json_answer(status: u16, body: &Value) -> Response {
    raw(
        status,
        &[("content-type", "application/json")],
        body.to_string(),
    )
}

/// The API's error envelope, with a request id.
fn api_error(status: u16, kind: &str, code: &str, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": code}});
    raw(
        status,
        &[
            ("content-type", "application/json"),
            ("x-request-id", "req_abc123"),
        ],
        body.to_string(),
    )
}

fn ok() -> Response {
    json_answer(200, &json!({"ok": true}))
}

// ---------------------------------------------------------------------------------------------
// ReadClient helpers
// ---------------------------------------------------------------------------------------------

/// Fast retries, so that exhausting them takes milliseconds.
fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(5),
    }
}

fn config(base_url: String, key: &str) -> ClientConfig {
    let mut config = ClientConfig::new(base_url, SecretString::from(key.to_owned()));
    config.retry = fast_retries(3);
    config.timeout = Duration::from_secs(5);
    config.connect_timeout = Duration::from_secs(2);
    config
}

fn client(fake: &Fake) -> ReadClient {
    ReadClient::new(config(fake.base_url(), KEY)).expect("client")
}

fn writer(fake: &Fake) -> WriteClient {
    WriteClient::new(config(fake.base_url(), KEY)).expect("client")
}

/// POST `/organization/projects` with `{"name": name}`.
fn create_project(name: &str) -> WriteCall {
    WriteCall::new(&ops::CREATE_PROJECT, &[], Some(json!({"name": name}))).expect("a write")
}

fn delete_user(id: &str) -> WriteCall {
    WriteCall::new(&ops::DELETE_USER, &[id], None).expect("a write")
}

#[derive(Debug, Deserialize, PartialEq)]
struct Ack {
    ok: bool,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Item {
    id: String,
}

async fn get_ok(client: &ReadClient, path: &str) -> Result<Ack> {
    client.get(path, &Query::new()).await
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

// ---------------------------------------------------------------------------------------------
// Requests on the wire
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn sends_bearer_auth_user_agent_and_sdk_style_queries_below_the_base_url() {
    let fake = Fake::start(|_, _| ok()).await;
    // A trailing slash on the base URL is tolerated.
    let client = ReadClient::new(config(format!("{}/", fake.base_url()), KEY)).expect("client");
    assert_eq!(client.base_url(), fake.base_url());

    let mut query = Query::new();
    query
        .push("limit", 2)
        .push_array("emails", &["a+b@example.com"])
        .push_field("effective_at", "gte", 1_700_000_000);
    let answer: Ack = client
        .get("/organization/users", &query)
        .await
        .expect("get");
    assert!(answer.ok);

    let seen = &fake.seen()[0];
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path, "/v1/organization/users");
    assert_eq!(
        seen.query,
        "limit=2&emails%5B%5D=a%2Bb%40example.com&effective_at%5Bgte%5D=1700000000"
    );
    assert_eq!(seen.param("emails[]").as_deref(), Some("a+b@example.com"));
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(
        seen.header("user-agent"),
        Some(concat!("custos/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(seen.header("content-type"), None, "a GET has no body");
}

#[tokio::test]
async fn posts_json_bodies_and_empty_posts() {
    let fake = Fake::start(|_, _| ok()).await;
    let client = writer(&fake);

    client.send(&create_project("Alpha")).await.expect("post");
    let archive = WriteCall::new(&ops::ARCHIVE_PROJECT, &["proj_1"], None).expect("a write");
    client.send(&archive).await.expect("empty post");

    let seen = fake.seen();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    assert_eq!(
        serde_json::from_slice::<Value>(&seen[0].body).expect("JSON body"),
        json!({"name": "Alpha"})
    );
    assert_eq!(seen[1].path, "/v1/organization/projects/proj_1/archive");
    assert_eq!(seen[1].header("content-length"), Some("0"));
    assert!(seen[1].body.is_empty());
}

#[tokio::test]
async fn get_text_returns_the_raw_body() {
    let fake =
        Fake::start(|_, _| raw(200, &[("content-type", "text/plain")], "line 1\nline 2")).await;
    let text = client(&fake)
        .get_text("/files/file_1/content", &Query::new())
        .await
        .expect("text");
    assert_eq!(text, "line 1\nline 2");
}

// ---------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let fake = Fake::start(|_, n| match n {
        0 => raw(429, &[("retry-after", "1")], ""),
        _ => ok(),
    })
    .await;
    let client = client(&fake);
    assert!(
        get_ok(&client, "/organization/users")
            .await
            .expect("get")
            .ok
    );

    let seen = fake.seen();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    assert!(ms(gap) >= 900, "retried after {gap:?}, not after ~1 s");
    let stats = client.stats();
    assert_eq!((stats.requests, stats.retries, stats.throttled), (2, 1, 1));
    assert!(stats.bytes_received > 0);
}

#[tokio::test]
async fn retry_after_ms_is_honoured_before_retry_after() {
    let fake = Fake::start(|_, n| match n {
        // `retry-after-ms` wins; `retry-after: 30` would make the test slow if it did not.
        0 => raw(429, &[("retry-after-ms", "400"), ("retry-after", "30")], ""),
        _ => ok(),
    })
    .await;
    get_ok(&client(&fake), "/organization/users")
        .await
        .expect("get");
    let seen = fake.seen();
    let gap = seen[1].at - seen[0].at;
    assert!(ms(gap) >= 350, "retried after {gap:?}, not after ~400 ms");
}

#[tokio::test]
async fn retry_after_beyond_the_policy_gives_up_at_once() {
    let fake = Fake::start(|_, _| {
        raw(
            429,
            &[("retry-after", "3600"), ("x-request-id", "req_slow")],
            r#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
        )
    })
    .await;
    let error = get_ok(&client(&fake), "/organization/users")
        .await
        .expect_err("gives up");
    assert_eq!(fake.count(), 1);
    assert_eq!(error.status(), Some(429));
    let text = error.to_string();
    assert!(text.contains("rate_limit_exceeded"), "{text}");
    assert!(text.contains("req_slow"), "{text}");
    assert!(text.contains("requests_per_second"), "{text}");
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let fake = Fake::start(|_, n| match n {
        0 => api_error(500, "server_error", "internal", "boom"),
        1 => raw(502, &[], "<html>Bad gateway</html>"),
        2 => raw(503, &[], ""),
        3 => raw(408, &[], ""),
        _ => ok(),
    })
    .await;
    let mut config = config(fake.base_url(), KEY);
    config.retry = fast_retries(4);
    let client = ReadClient::new(config).expect("client");
    assert!(
        get_ok(&client, "/organization/users")
            .await
            .expect("get")
            .ok
    );
    assert_eq!(fake.count(), 5);
    assert_eq!(client.stats().retries, 4);
}

#[tokio::test]
async fn exhausted_retries_return_the_api_error_with_its_fields() {
    let fake = Fake::start(|_, _| {
        api_error(
            500,
            "server_error",
            "internal_error",
            "The server had an error",
        )
    })
    .await;
    let error = get_ok(&client(&fake), "/organization/users")
        .await
        .expect_err("exhausted");
    assert_eq!(fake.count(), 4, "one attempt and three retries");
    let Error::Api(api) = &error else {
        panic!("expected an API error, got {error:?}");
    };
    assert_eq!(api.status, 500);
    assert_eq!(api.method, "GET");
    assert_eq!(api.path, "/organization/users");
    assert_eq!(api.kind.as_deref(), Some("server_error"));
    assert_eq!(api.code.as_deref(), Some("internal_error"));
    assert_eq!(api.message, "The server had an error");
    assert_eq!(api.param, None);
    assert_eq!(api.request_id.as_deref(), Some("req_abc123"));
    let text = error.to_string();
    for part in [
        "GET /organization/users",
        "HTTP 500",
        "server_error",
        "The server had an error",
        "req_abc123",
    ] {
        assert!(text.contains(part), "{part:?} missing from {text:?}");
    }
}

#[tokio::test]
async fn client_errors_are_not_retried_and_non_json_errors_are_described() {
    let fake = Fake::start(|seen, _| match seen.path.as_str() {
        "/v1/bad" => api_error(400, "invalid_request_error", "bad_limit", "limit too high"),
        _ => raw(
            404,
            &[("content-type", "text/html")],
            "<h1>Not   Found</h1>",
        ),
    })
    .await;
    let client = client(&fake);
    let error = get_ok(&client, "/bad").await.expect_err("400");
    assert_eq!(error.status(), Some(400));
    assert_eq!(fake.count(), 1);

    let error = get_ok(&client, "/missing").await.expect_err("404");
    assert!(error.is_not_found());
    let Error::Api(api) = &error else {
        panic!("expected an API error, got {error:?}");
    };
    assert_eq!(api.kind, None);
    assert!(
        api.message.contains("<h1>Not Found</h1>"),
        "{}",
        api.message
    );
    assert!(api.message.contains("text/html"), "{}", api.message);
    assert_eq!(fake.count(), 2);
}

#[tokio::test]
async fn x_should_retry_overrides_the_status() {
    let fake = Fake::start(|seen, n| match (seen.path.as_str(), n) {
        ("/v1/no", _) => raw(503, &[("x-should-retry", "false")], ""),
        ("/v1/yes", 1) => raw(400, &[("x-should-retry", "true")], ""),
        _ => ok(),
    })
    .await;
    let client = client(&fake);
    let error = get_ok(&client, "/no").await.expect_err("not retried");
    assert_eq!(error.status(), Some(503));
    assert_eq!(fake.count(), 1);
    assert!(get_ok(&client, "/yes").await.expect("retried").ok);
    assert_eq!(fake.count(), 3);
}

#[tokio::test]
async fn a_truncated_body_is_retried_never_half_parsed() {
    let fake = Fake::start(|_, n| match n {
        0 => raw(200, &[], r#"{"object":"list","data":[{"id":"u1"},{"id":"#),
        _ => json_answer(
            200,
            &json!({"object": "list", "data": [{"id": "u1"}, {"id": "u2"}]}),
        ),
    })
    .await;
    #[derive(Deserialize)]
    struct List {
        data: Vec<Item>,
    }
    let list: List = client(&fake)
        .get("/organization/users", &Query::new())
        .await
        .expect("the second body");
    let ids: Vec<_> = list.data.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["u1", "u2"]);
    assert_eq!(fake.count(), 2);
}

#[tokio::test]
async fn a_body_truncated_every_time_is_a_decode_error() {
    let fake = Fake::start(|_, _| {
        raw(
            200,
            &[("x-request-id", "req_cut")],
            r#"{"object":"list","data":[{"id":"u1"},"#,
        )
    })
    .await;
    let client = client(&fake);
    let pages: Vec<Result<Item>> = client
        .paginate_id("/organization/users", Query::new(), NextAfter::LastId)
        .collect()
        .await;
    assert_eq!(pages.len(), 1, "no item of the cut page is yielded");
    let error = pages
        .into_iter()
        .next()
        .and_then(|r| r.err())
        .expect("an error");
    let Error::Decode {
        method,
        path,
        request_id,
        message,
    } = &error
    else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("GET", "/organization/users")
    );
    assert_eq!(request_id.as_deref(), Some("req_cut"));
    assert!(message.contains("truncated"), "{message}");
    assert_eq!(fake.count(), 4, "retried like a transport fault");
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_not_retried() {
    let fake = Fake::start(|_, _| json_answer(200, &json!({"data": [{"id": 7}]}))).await;
    #[derive(Debug, Deserialize)]
    struct List {
        #[allow(dead_code)]
        data: Vec<Item>,
    }
    let error = client(&fake)
        .get::<List>("/organization/users", &Query::new())
        .await
        .expect_err("wrong shape");
    assert_eq!(fake.count(), 1);
    let text = error.to_string();
    assert!(text.contains("data[0].id"), "{text}");
}

#[tokio::test]
async fn posts_are_retried_only_when_the_server_surely_did_not_act() {
    // 500 on a write: the object may exist now; repeating could create a second one.
    let fake = Fake::start(|_, _| api_error(500, "server_error", "x", "boom")).await;
    let error = writer(&fake)
        .send(&create_project("A"))
        .await
        .expect_err("500");
    assert_eq!(error.status(), Some(500));
    assert_eq!(fake.count(), 1);

    // 429, and 503 with Retry-After: refused before any work.
    let fake = Fake::start(|_, n| match n {
        0 => raw(429, &[("retry-after-ms", "10")], ""),
        1 => raw(503, &[("retry-after", "0")], ""),
        _ => ok(),
    })
    .await;
    let answer = writer(&fake)
        .send(&create_project("A"))
        .await
        .expect("retried");
    assert_eq!(answer, WriteOutcome::Applied(json!({"ok": true})));
    assert_eq!(fake.count(), 3);

    // A truncated success body: the write happened, so it is not repeated.
    let fake = Fake::start(|_, _| raw(200, &[], r#"{"ok":"#)).await;
    let error = writer(&fake)
        .send(&create_project("A"))
        .await
        .expect_err("decode");
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert_eq!(fake.count(), 1);
}

#[tokio::test]
async fn a_timeout_is_a_transport_error_after_retries() {
    let fake = Fake::start_slow(Duration::from_millis(500), |_, _| ok()).await;
    let mut config = config(fake.base_url(), KEY);
    config.timeout = Duration::from_millis(100);
    config.retry = fast_retries(1);
    let error = get_ok(
        &ReadClient::new(config).expect("client"),
        "/organization/users",
    )
    .await
    .expect_err("timeout");
    let Error::Transport {
        method,
        path,
        message,
    } = &error
    else {
        panic!("expected a transport error, got {error:?}");
    };
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("GET", "/organization/users")
    );
    assert!(message.contains("timed out"), "{message}");
    assert!(message.contains("attempt 2"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------------------------

/// Three pages of ids `u1..u5` keyed by the `after` cursor; `cursor` makes the page's cursor
/// from the last id on the page.
fn id_page(seen: &Seen, cursor: fn(&str) -> Value) -> Value {
    let (ids, more): (&[&str], bool) = match seen.param("after").as_deref() {
        None => (&["u1", "u2"], true),
        Some("c-u2" | "u2") => (&["u3", "u4"], true),
        Some("c-u4" | "u4") => (&["u5"], false),
        Some(other) => panic!("unexpected cursor {other}"),
    };
    let data: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
    let last = ids.last().copied().unwrap_or_default();
    json!({"object": "list", "data": data, "has_more": more, "first_id": ids[0], "last_id": cursor(last)})
}

async fn collect<T>(stream: futures::stream::BoxStream<'static, Result<T>>) -> Result<Vec<T>> {
    stream.try_collect().await
}

fn ids(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.id.as_str()).collect()
}

#[tokio::test]
async fn style_a_follows_last_id() {
    // `last_id` deliberately differs from the item id, to tell the two strategies apart.
    let fake =
        Fake::start(|seen, _| json_answer(200, &id_page(seen, |id| json!(format!("c-{id}")))))
            .await;
    let mut query = Query::new();
    query.push("limit", 2);
    let items: Vec<Item> =
        collect(client(&fake).paginate_id("/organization/users", query, NextAfter::LastId))
            .await
            .expect("all pages");
    assert_eq!(ids(&items), ["u1", "u2", "u3", "u4", "u5"]);
    let afters: Vec<_> = fake.seen().iter().map(|s| s.param("after")).collect();
    assert_eq!(afters, [None, Some("c-u2".into()), Some("c-u4".into())]);
    assert!(
        fake.seen()
            .iter()
            .all(|s| s.param("limit").as_deref() == Some("2"))
    );
}

#[tokio::test]
async fn style_a_can_follow_the_last_item_id() {
    // Admin keys: the SDK continues after the last item's id, whatever `last_id` says.
    let fake = Fake::start(|seen, _| json_answer(200, &id_page(seen, |_| Value::Null))).await;
    let items: Vec<Item> = collect(client(&fake).paginate_id(
        "/organization/admin_api_keys",
        Query::new(),
        NextAfter::LastItem(|item: &Item| item.id.clone()),
    ))
    .await
    .expect("all pages");
    assert_eq!(ids(&items), ["u1", "u2", "u3", "u4", "u5"]);
    assert_eq!(fake.count(), 3);
}

#[tokio::test]
async fn style_b_follows_next() {
    let fake = Fake::start(|seen, _| {
        let (data, next) = match seen.param("after").as_deref() {
            None => (json!([{"id": "g1"}, {"id": "g2"}]), json!("n1")),
            Some("n1") => (json!([{"id": "g3"}]), Value::Null),
            Some(other) => panic!("unexpected cursor {other}"),
        };
        let more = !next.is_null();
        json_answer(
            200,
            &json!({"object": "list", "data": data, "has_more": more, "next": next}),
        )
    })
    .await;
    let items: Vec<Item> =
        collect(client(&fake).paginate_next("/organization/groups", Query::new()))
            .await
            .expect("all pages");
    assert_eq!(ids(&items), ["g1", "g2", "g3"]);
}

#[tokio::test]
async fn style_c_follows_next_page() {
    let fake = Fake::start(|seen, _| {
        assert!(seen.param("after").is_none(), "buckets page with `page`");
        let bucket = |start: i64, n: u32| {
            json!({"object": "bucket", "start_time": start, "end_time": start + 86_400,
                   "results": [{"object": "organization.usage.completions.result", "n": n}]})
        };
        let page = match seen.param("page").as_deref() {
            None => json!({"object": "page", "data": [bucket(0, 1), bucket(86_400, 2)],
                           "has_more": true, "next_page": "page_2"}),
            Some("page_2") => json!({"object": "page", "data": [bucket(172_800, 3)],
                                     "has_more": false, "next_page": null}),
            Some(other) => panic!("unexpected page {other}"),
        };
        json_answer(200, &page)
    })
    .await;
    let mut query = Query::new();
    query.push("start_time", 0);
    #[derive(Debug, Deserialize)]
    struct Usage {
        n: u32,
    }
    let buckets: Vec<Bucket<Usage>> =
        collect(client(&fake).paginate_buckets("/organization/usage/completions", query))
            .await
            .expect("all pages");
    let starts: Vec<_> = buckets.iter().map(|b| b.start_time).collect();
    assert_eq!(starts, [0, 86_400, 172_800]);
    let ns: Vec<_> = buckets
        .iter()
        .flat_map(|b| b.results.iter().map(|r| r.n))
        .collect();
    assert_eq!(ns, [1, 2, 3]);
    assert!(
        fake.seen()
            .iter()
            .all(|s| s.param("start_time").as_deref() == Some("0"))
    );
}

#[tokio::test]
async fn a_repeating_cursor_stops_the_walk() {
    let fake = Fake::start(|seen, _| {
        let id = if seen.param("after").is_none() {
            "u1"
        } else {
            "u2"
        };
        // The second page hands back the first page's cursor.
        json_answer(
            200,
            &json!({"object": "list", "data": [{"id": id}], "has_more": true, "last_id": "c1"}),
        )
    })
    .await;
    let results: Vec<Result<Item>> = client(&fake)
        .paginate_id("/organization/users", Query::new(), NextAfter::LastId)
        .collect()
        .await;
    assert_eq!(results.len(), 3, "two items, then the error");
    assert!(
        matches!(
            &results[2],
            Err(Error::RepeatingCursor { path, cursor }) if path == "/organization/users" && cursor == "c1"
        ),
        "{:?}",
        results[2]
    );
    assert_eq!(fake.count(), 2);

    // A cursor given by the caller counts as used too.
    let fake = Fake::start(|_, _| {
        json_answer(
            200,
            &json!({"object": "list", "data": [{"id": "g"}], "has_more": true, "next": "start"}),
        )
    })
    .await;
    let mut query = Query::new();
    query.push("after", "start");
    let error = collect::<Item>(client(&fake).paginate_next("/organization/groups", query))
        .await
        .expect_err("repeat");
    assert!(matches!(error, Error::RepeatingCursor { .. }), "{error:?}");
}

#[tokio::test]
async fn has_more_on_an_empty_page_is_an_error() {
    let fake = Fake::start(|_, _| {
        json_answer(
            200,
            &json!({"object": "page", "data": [], "has_more": true, "next_page": "p2"}),
        )
    })
    .await;
    let error = collect::<Bucket<Value>>(
        client(&fake).paginate_buckets("/organization/costs", Query::new()),
    )
    .await
    .expect_err("empty page");
    assert!(
        matches!(&error, Error::EmptyPageWithMore { path } if path == "/organization/costs"),
        "{error:?}"
    );

    let fake = Fake::start(|_, _| {
        json_answer(
            200,
            &json!({"object": "list", "data": [], "has_more": true, "last_id": "x"}),
        )
    })
    .await;
    let error = collect::<Item>(client(&fake).paginate_id(
        "/organization/users",
        Query::new(),
        NextAfter::LastId,
    ))
    .await
    .expect_err("empty page");
    assert!(
        matches!(error, Error::EmptyPageWithMore { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn has_more_without_a_cursor_is_a_decode_error_naming_it() {
    let fake = Fake::start(|_, _| {
        raw(
            200,
            &[("x-request-id", "req_nocursor")],
            json!({"object": "list", "data": [{"id": "g1"}], "has_more": true, "next": null})
                .to_string(),
        )
    })
    .await;
    let results: Vec<Result<Item>> = client(&fake)
        .paginate_next("/organization/groups", Query::new())
        .collect()
        .await;
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].as_ref().map(|i| i.id.as_str()).ok(), Some("g1"));
    let Err(error @ Error::Decode { request_id, .. }) = &results[1] else {
        panic!("expected a decode error, got {:?}", results[1]);
    };
    assert_eq!(request_id.as_deref(), Some("req_nocursor"));
    assert!(error.to_string().contains("`next` is missing"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// DELETE
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn delete_outcomes() {
    let fake = Fake::start(|seen, n| match (seen.path.as_str(), n) {
        ("/v1/organization/users/u1", _) => json_answer(
            200,
            &json!({"object": "organization.user.deleted", "id": "u1", "deleted": true}),
        ),
        ("/v1/organization/users/flaky", 2) => api_error(500, "server_error", "x", "boom"),
        _ => api_error(404, "invalid_request_error", "not_found", "No such user"),
    })
    .await;
    let client = writer(&fake);

    let deleted = client.send(&delete_user("u1")).await.expect("200");
    let WriteOutcome::Applied(answer) = deleted else {
        panic!("expected the deleted object, got {deleted:?}");
    };
    assert_eq!(
        serde_json::from_value::<Item>(answer).expect("an item"),
        Item { id: "u1".into() }
    );

    // A 404 on the first attempt: the object is not there, which is what DELETE wants.
    let gone = client.send(&delete_user("nobody")).await.expect("404");
    assert_eq!(gone, WriteOutcome::AlreadyGone);
    assert_eq!(fake.count(), 2);

    // 500 (the delete may have happened), then 404 on the retry.
    let gone = client.send(&delete_user("flaky")).await.expect("500, 404");
    assert_eq!(gone, WriteOutcome::AlreadyGone);
    assert_eq!(fake.count(), 4);
    assert!(fake.seen().iter().all(|s| s.method == "DELETE"));
}

// ---------------------------------------------------------------------------------------------
// Rate limit and concurrency
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn concurrency_is_bounded() {
    let fake = Fake::start_slow(Duration::from_millis(50), |_, _| ok()).await;
    let mut config = config(fake.base_url(), KEY);
    config.max_concurrency = 2;
    let client = ReadClient::new(config).expect("client");
    let results = futures::future::join_all((0..8).map(|_| get_ok(&client, "/x"))).await;
    assert!(results.iter().all(|r| r.is_ok()));
    assert_eq!(fake.shared.max_in_flight.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_rate_limiter_spaces_requests_after_a_burst_of_one_second() {
    let fake = Fake::start(|_, _| ok()).await;
    let mut config = config(fake.base_url(), KEY);
    config.requests_per_second = NonZeroU32::new(5);
    let client = ReadClient::new(config).expect("client");
    for _ in 0..7 {
        get_ok(&client, "/x").await.expect("get");
    }
    let seen = fake.seen();
    // Five at once (the burst), then one every 200 ms.
    let span = seen[6].at - seen[0].at;
    assert!(ms(span) >= 350, "7 requests at 5/s took {span:?}");
}

#[tokio::test]
async fn a_throttled_answer_holds_off_every_request_of_its_route() {
    // The second request is of the same route (`GET /first`), from a clone of the client.
    let fake = Fake::start(|seen, n| match (seen.path.as_str(), n) {
        ("/v1/first", 0) => raw(429, &[("retry-after-ms", "500")], ""),
        _ => ok(),
    })
    .await;
    let client = client(&fake);
    let first = {
        let client = client.clone();
        tokio::spawn(async move { get_ok(&client, "/first").await })
    };
    // Wait until the 429 went out, then start another request on a clone of the client.
    while fake.count() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    get_ok(&client, "/first").await.expect("second");
    let seen = fake.seen();
    let gap = seen[1].at - seen[0].at;
    assert!(
        ms(gap) >= 450,
        "the next request of the route went out {gap:?} after the 429"
    );
    first.await.expect("task").expect("first, retried");
}

#[tokio::test]
async fn a_throttled_route_holds_back_no_other_route() {
    // `/first` is throttled for 20 s (within the 60 s cap, so it waits); `/second` is not.
    let fake = Fake::start(|seen, _| match seen.path.as_str() {
        "/v1/first" => raw(429, &[("retry-after", "20")], ""),
        _ => ok(),
    })
    .await;
    let mut config = config(fake.base_url(), KEY);
    config.retry.max_retry_after = Duration::from_secs(60);
    config.max_concurrency = 1;
    let client = ReadClient::new(config).expect("client");
    let first = {
        let client = client.clone();
        tokio::spawn(async move { get_ok(&client, "/first").await })
    };
    while fake.count() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Even with a single permit, the held-off request does not occupy it.
    tokio::time::timeout(Duration::from_secs(30), get_ok(&client, "/second"))
        .await
        .expect("the other route is not held back")
        .expect("second");
    let paths: Vec<String> = fake.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(paths, ["/v1/first", "/v1/second"]);
    // The throttled route is: another request of it does not go out within the hold-off.
    let held = tokio::time::timeout(Duration::from_millis(300), get_ok(&client, "/first")).await;
    assert!(held.is_err(), "the throttled route was not held off");
    assert_eq!(fake.count(), 2);
    first.abort();
}

#[tokio::test]
async fn a_retry_after_beyond_max_retry_wait_fails_its_request_after_one_attempt() {
    // The probe's attack: `Retry-After: 100` on one endpoint froze the whole scan for about 12
    // minutes. With the default cap of 60 s, the request fails at once and nothing is held.
    let fake = Fake::start(|seen, _| match seen.path.as_str() {
        "/v1/organization/users" => raw(429, &[("retry-after", "100")], ""),
        _ => ok(),
    })
    .await;
    let mut config = config(fake.base_url(), KEY);
    config.retry = RetryPolicy::default();
    let client = ReadClient::new(config).expect("client");
    let both = async {
        futures::join!(
            get_ok(&client, "/organization/users"),
            get_ok(&client, "/organization/users"),
            get_ok(&client, "/organization/invites"),
        )
    };
    let (users, again, invites) = tokio::time::timeout(Duration::from_secs(30), both)
        .await
        .expect("nothing waits 100 s");
    assert_eq!(users.expect_err("throttled").status(), Some(429));
    assert_eq!(again.expect_err("throttled").status(), Some(429));
    invites.expect("another endpoint is served");
    assert_eq!(fake.count(), 3, "one attempt each, no retry");
}

// ---------------------------------------------------------------------------------------------
// Bounded costs: answer sizes, list lengths, request times, ids
// ---------------------------------------------------------------------------------------------

/// A body of `chunks` pieces of 16 KiB of `[` (or endless when `None`), `pause` apart.
fn streamed_body(chunks: Option<usize>, pause: Duration) -> Body {
    let pieces = futures::stream::iter(std::iter::repeat_n((), chunks.unwrap_or(usize::MAX))).then(
        move |()| async move {
            tokio::time::sleep(pause).await;
            Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'['; 16 << 10]))
        },
    );
    Body::from_stream(pieces)
}

#[tokio::test]
async fn a_body_declared_larger_than_max_response_bytes_is_refused_unread_and_not_retried() {
    let fake = Fake::start(|_, _| {
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("content-length", (2u64 << 30).to_string())
            .body(streamed_body(None, Duration::ZERO))
            .expect("response")
    })
    .await;
    let client = client(&fake);
    let error = get_ok(&client, "/organization/users")
        .await
        .expect_err("too large");
    assert!(
        matches!(&error, Error::ResponseTooLarge { limit, .. } if *limit == 64 << 20),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("declares 2147483648 bytes"), "{text}");
    assert!(text.contains("max_response_bytes"), "{text}");
    assert_eq!(fake.count(), 1, "not retried");
    assert_eq!(client.stats().bytes_received, 0, "nothing of it was read");
}

#[tokio::test]
async fn a_streamed_body_is_cut_off_as_soon_as_it_crosses_max_response_bytes() {
    // No Content-Length (chunked), and no end.
    let fake = Fake::start(|_, _| {
        Response::builder()
            .status(200)
            .body(streamed_body(None, Duration::ZERO))
            .expect("response")
    })
    .await;
    let mut small = config(fake.base_url(), KEY);
    small.max_response_bytes = 1 << 20;
    let client = ReadClient::new(small).expect("client");
    let error = tokio::time::timeout(
        Duration::from_secs(30),
        get_ok(&client, "/organization/users"),
    )
    .await
    .expect("the endless body is not read to its end")
    .expect_err("too large");
    assert!(
        error.to_string().contains("passed it while streaming"),
        "{error}"
    );
    assert_eq!(fake.count(), 1, "not retried");
    let read = client.stats().bytes_received;
    assert!(
        read > 1 << 20 && read <= (1 << 20) + (64 << 10),
        "read {read} bytes for a limit of 1 MiB"
    );

    // A body within the limit is still read whole.
    let within = Fake::start(|_, _| ok()).await;
    let mut config = config(within.base_url(), KEY);
    config.max_response_bytes = 12;
    assert!(
        get_ok(&ReadClient::new(config).expect("client"), "/x")
            .await
            .expect("12 bytes")
            .ok
    );
}

#[tokio::test]
async fn endless_pages_stop_at_max_list_items() {
    // Every page is new ids and `has_more: true`, forever.
    let fake = Fake::start(|seen, n| {
        let data: Vec<Value> = (0..100)
            .map(|i| json!({"id": format!("u{n}-{i}")}))
            .collect();
        let last = format!("u{n}-99");
        assert_eq!(seen.param("limit").as_deref(), None);
        json_answer(
            200,
            &json!({"object": "list", "data": data, "has_more": true, "last_id": last}),
        )
    })
    .await;
    let mut config = config(fake.base_url(), KEY);
    config.max_list_items = 250;
    let client = ReadClient::new(config).expect("client");
    let results: Vec<Result<Item>> = tokio::time::timeout(
        Duration::from_secs(30),
        client
            .paginate_id("/organization/users", Query::new(), NextAfter::LastId)
            .collect(),
    )
    .await
    .expect("the walk ends");
    assert_eq!(results.len(), 201, "two whole pages, then the error");
    let error = results
        .last()
        .expect("error")
        .as_ref()
        .expect_err("too long");
    assert!(
        matches!(error, Error::ListTooLong { path, limit: 250 } if path == "/organization/users"),
        "{error:?}"
    );
    assert!(error.to_string().contains("max_items_per_list"), "{error}");
    assert_eq!(fake.count(), 3, "no page is asked for after the limit");
}

#[tokio::test]
async fn a_slowloris_answer_is_bounded_by_max_request_time_across_retries() {
    // Headers at once, then 16 KiB every 100 ms, forever: each attempt times out, and without
    // a total bound every retry would start the wait again (7 x 60 s with the defaults).
    let fake = Fake::start(|_, _| {
        Response::builder()
            .status(200)
            .body(streamed_body(None, Duration::from_millis(100)))
            .expect("response")
    })
    .await;
    let mut slow = config(fake.base_url(), KEY);
    slow.timeout = Duration::from_millis(300);
    slow.max_request_time = Duration::from_secs(1);
    slow.max_response_bytes = u64::MAX;
    slow.retry = fast_retries(6);
    let client = ReadClient::new(slow).expect("client");
    let error = tokio::time::timeout(
        Duration::from_secs(30),
        get_ok(&client, "/organization/users"),
    )
    .await
    .expect("bounded")
    .expect_err("never answers");
    assert!(
        (2..=4).contains(&fake.count()),
        "{} attempts of 300 ms within 1 s",
        fake.count()
    );
    assert!(
        matches!(
            error,
            Error::RequestTimeLimit { .. } | Error::Transport { .. }
        ),
        "{error:?}"
    );

    // An attempt longer than the whole budget ends at the budget, without a retry.
    let mut patient = config(fake.base_url(), KEY);
    patient.timeout = Duration::from_secs(60);
    patient.max_request_time = Duration::from_millis(500);
    patient.max_response_bytes = u64::MAX;
    let before = fake.count();
    let error = get_ok(
        &ReadClient::new(patient).expect("client"),
        "/organization/users",
    )
    .await
    .expect_err("never answers");
    assert!(
        matches!(
            error,
            Error::RequestTimeLimit {
                attempts: 1,
                limit_ms: 500,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("max_request_time"), "{error}");
    assert_eq!(fake.count(), before + 1);
}

#[tokio::test]
async fn ids_are_encoded_and_those_that_cannot_name_one_object_are_never_sent() {
    let fake = Fake::start(|_, _| {
        json_answer(
            200,
            &json!({"id": "x", "object": "deleted", "deleted": true}),
        )
    })
    .await;
    let client = client(&fake);
    for id in ["..", ".", "", "user\n1"] {
        let error = client.retrieve_user(id).await.expect_err(id);
        assert!(
            matches!(error, Error::InvalidId { .. }),
            "{id:?}: {error:?}"
        );
        // A write with such an id cannot even be built.
        let error = WriteCall::new(&ops::DELETE_USER, &[id], None).expect_err(id);
        assert!(
            matches!(error, Error::InvalidId { .. }),
            "{id:?}: {error:?}"
        );
        let roles: Vec<Result<custos_model::api::AssignedRole>> = client
            .list_user_role_assignments(id, &Default::default())
            .collect()
            .await;
        assert!(
            matches!(roles.as_slice(), [Err(Error::InvalidId { .. })]),
            "{id:?}: {roles:?}"
        );
    }
    // A path built by hand is checked too: a dot segment, however encoded, would be resolved.
    for path in [
        "/organization/users/..",
        "/organization/users/%2e%2E",
        "/organization/users/.%2E/roles",
        "/organization/users/a\\..",
    ] {
        let error = get_ok(&client, path).await.expect_err(path);
        assert!(error.to_string().contains("nothing was sent"), "{error}");
    }
    assert_eq!(fake.count(), 0, "nothing was sent");

    // Reserved characters stay inside their segment; a dot inside an id is kept.
    let writer = writer(&fake);
    writer.send(&delete_user("u/1?x#y%")).await.expect("delete");
    writer.send(&delete_user("...")).await.expect("delete");
    let paths: Vec<String> = fake.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(
        paths,
        [
            "/v1/organization/users/u%2F1%3Fx%23y%25",
            "/v1/organization/users/..."
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_configuration_is_refused_without_echoing_the_key() {
    /// What the message must mention, and how to spoil a good configuration.
    type Case = (&'static str, fn(&mut ClientConfig));
    let cases: [Case; 6] = [
        ("not a URL", |c| c.base_url = "api.openai.com/v1".into()),
        ("https://", |c| c.base_url = "ftp://example.com/v1".into()),
        ("credentials", |c| {
            c.base_url = "https://user:pw@example.com/v1".into()
        }),
        ("max_concurrency", |c| c.max_concurrency = 0),
        ("timeout", |c| c.timeout = Duration::ZERO),
        ("HTTP header", |c| {
            c.api_key = SecretString::from(format!("{CANARY}\n"))
        }),
    ];
    for (expected, change) in cases {
        let mut config = config("https://api.openai.com/v1".into(), CANARY);
        change(&mut config);
        let error = ReadClient::new(config).expect_err(expected);
        let text = error.to_string();
        assert!(matches!(error, Error::Config(_)), "{error:?}");
        assert!(
            text.contains(expected),
            "{expected:?} missing from {text:?}"
        );
        assert!(!text.contains("CANARY") && !format!("{error:?}").contains("CANARY"));
    }
    let empty = config("https://api.openai.com/v1".into(), " ");
    assert!(ReadClient::new(empty).is_err());
}

// ---------------------------------------------------------------------------------------------
// The key never leaks
// ---------------------------------------------------------------------------------------------

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("capture lock")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_canary_key_appears_in_no_error_debug_output_or_log() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test runs on one thread (current-thread runtime), so a thread-local default
    // subscriber sees the client, reqwest/hyper and the fake server.
    let _guard = tracing::subscriber::set_default(subscriber);
    // Another test may have hit the client's log call sites first, with no subscriber on its
    // thread, and left them cached as disabled: ask every call site again.
    tracing::callsite::rebuild_interest_cache();

    let fake = Fake::start(|seen, _| {
        // A careless server that echoes the Authorization header back.
        let echo = seen.header("authorization").unwrap_or_default().to_owned();
        match seen.path.as_str() {
            "/v1/401" => api_error(
                401,
                "invalid_request_error",
                "invalid_api_key",
                &format!("Incorrect API key provided: {echo}"),
            ),
            "/v1/403" => api_error(
                403,
                "invalid_request_error",
                "insufficient_permissions",
                "You have insufficient permissions",
            ),
            "/v1/500" => raw(
                500,
                &[("content-type", "text/plain")],
                format!("upstream failed for {echo}"),
            ),
            "/v1/shape" => json_answer(200, &json!({"ok": echo})),
            _ => raw(200, &[], r#"{"ok": tr"#),
        }
    })
    .await;
    let config = config(fake.base_url(), CANARY);
    let client = ReadClient::new(config.clone()).expect("client");

    // A port nothing listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    let unreachable = ReadClient::new(ClientConfig {
        base_url: format!("http://{closed}/v1"),
        ..config.clone()
    })
    .expect("client");

    let mut query = Query::new();
    query.push_array("emails", &["secret-user@example.com"]);
    let mut errors = Vec::new();
    for path in ["/401", "/403", "/500", "/shape", "/truncated"] {
        errors.push(client.get::<Ack>(path, &query).await.expect_err(path));
    }
    errors.push(
        unreachable
            .get::<Ack>("/organization/users", &query)
            .await
            .expect_err("closed"),
    );

    assert_eq!(errors[0].status(), Some(401));
    assert!(
        errors[0].to_string().contains("check the admin key"),
        "{}",
        errors[0]
    );
    assert_eq!(errors[1].status(), Some(403));
    assert!(
        errors[1].to_string().contains("lacks permission"),
        "{}",
        errors[1]
    );
    assert_eq!(errors[2].status(), Some(500));
    assert!(matches!(errors[3], Error::Decode { .. }), "{:?}", errors[3]);
    assert!(matches!(errors[4], Error::Decode { .. }), "{:?}", errors[4]);
    assert!(
        matches!(errors[5], Error::Transport { .. }),
        "{:?}",
        errors[5]
    );
    assert_eq!(
        unreachable.stats().requests,
        4,
        "connection errors are retried"
    );

    let logs =
        String::from_utf8(capture.0.lock().expect("capture lock").clone()).expect("UTF-8 log");
    assert!(
        logs.contains("admin api answer"),
        "the capture works: {logs}"
    );
    let mut outputs = vec![
        format!("{client:?}"),
        format!("{unreachable:?}"),
        format!("{config:?}"),
        logs,
    ];
    for error in &errors {
        outputs.push(format!("{error}"));
        outputs.push(format!("{error:?}"));
    }
    for output in &outputs {
        assert!(!output.contains("CANARY"), "the key leaked: {output}");
        assert!(!output.contains("9f8e7d6c5b4a"), "the key leaked: {output}");
        assert!(
            !output.contains("secret-user"),
            "a query value leaked: {output}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Adaptive pacing against the simulator
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adaptive_pacing_learns_a_route_limit_without_slowing_the_other_routes() {
    use custos_sim::server::{SimConfig, Simulator};
    let scenario = custos_sim::demo::demo_scenario();
    let key = scenario.organizations[0]
        .credentials
        .iter()
        .find(|c| c.admin_api_key_id.is_some())
        .expect("an admin credential")
        .secret
        .clone();
    // Invites at one request a second on their own (no headers, as the Admin API sends
    // none); every other route unlimited.
    let sim = Simulator::new(
        scenario,
        SimConfig {
            route_rate_limits: [("GET /v1/organization/invites".to_owned(), 1)].into(),
            rate_limit_headers: false,
            ..SimConfig::default()
        },
    )
    .spawn("127.0.0.1:0")
    .await
    .expect("simulator");
    let mut config = config(sim.base_url().to_owned(), &key);
    config.pacing = custos_openai::Pacing::Adaptive;
    config.retry = fast_retries(20);
    let client = ReadClient::new(config).expect("client");
    let finished = Arc::new(Mutex::new(Vec::new()));
    let read = |path: &'static str| {
        let client = client.clone();
        let finished = finished.clone();
        async move {
            let answer = client.get::<Value>(path, &Query::new()).await;
            finished.lock().unwrap().push(path);
            answer
        }
    };
    let invites = (0..5).map(|_| read("/organization/invites"));
    let users = (0..60).map(|_| read("/organization/users"));
    let answers = futures::future::join_all(invites.chain(users)).await;
    assert!(answers.iter().all(|a| a.is_ok()), "{answers:?}");

    let served = sim.simulator().stats();
    assert!(served.throttled > 0, "the route was never throttled");
    // Only the limited route met 429s: every users request went out once.
    assert_eq!(served.by_route["GET /v1/organization/users"], 60);
    // Five invites at 1/s take four seconds at least; the users did not wait for them.
    let finished = finished.lock().unwrap();
    assert_eq!(finished.last(), Some(&"/organization/invites"));
    let users_done = finished
        .iter()
        .rposition(|p| *p == "/organization/users")
        .expect("users");
    let invites_done = finished
        .iter()
        .filter(|p| **p == "/organization/invites")
        .count();
    let invites_before = finished[..users_done]
        .iter()
        .filter(|p| **p == "/organization/invites")
        .count();
    assert!(
        invites_before < invites_done,
        "every invite was read before the last user list"
    );
    assert!(client.stats().rate.is_some());
}
