//! Issue 21: a hostile Admin API against a whole scan. A small axum server answers every list
//! with an empty page and every singleton with 404, except where a test makes one endpoint
//! hostile: a duplicate id, an id that cannot name one object, pages without end, an answer
//! that never comes. Each must fail that endpoint only (recorded as unknown), keep the rest of
//! the scan, and leave the previous snapshot readable.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custos_model::api::UsageKind;
use custos_openai::{ClientConfig, ReadClient, RetryPolicy};
use custos_scan::scan::{ScanOptions, ScanSummary, scan};
use custos_store::{ScanStatus, Store};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NOW: i64 = 1_795_132_800; // 2026-11-20T00:00:00Z
const ORG: &str = "org-hostile";

/// What the server answers for one path, or `None` for the default answer.
type Hostile = Box<dyn Fn(&str, Option<&str>, usize) -> Option<Response> + Send + Sync>;

struct Server {
    hostile: Mutex<Hostile>,
    /// Every request's path and query, in order.
    seen: Mutex<Vec<String>>,
}

impl Server {
    fn paths(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }

    fn count(&self, path: &str) -> usize {
        self.paths()
            .iter()
            .filter(|p| p.split('?').next() == Some(path))
            .count()
    }

    fn set(&self, hostile: Hostile) {
        *self.hostile.lock().expect("lock") = hostile;
    }
}

async fn start(hostile: Hostile) -> (Arc<Server>, String) {
    let server = Arc::new(Server {
        hostile: Mutex::new(hostile),
        seen: Mutex::new(Vec::new()),
    });
    let app = axum::Router::new()
        .fallback(answer)
        .with_state(Arc::clone(&server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (server, format!("http://{addr}/v1"))
}

async fn answer(State(server): State<Arc<Server>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let n = {
        let mut seen = server.seen.lock().expect("lock");
        seen.push(format!("{path}?{}", query.clone().unwrap_or_default()));
        seen.len() - 1
    };
    let special = (server.hostile.lock().expect("lock"))(&path, query.as_deref(), n);
    if let Some(response) = special {
        return response;
    }
    let singleton = [
        "data_retention",
        "spend_limit",
        "model_permissions",
        "hosted_tool_permissions",
    ]
    .iter()
    .any(|name| path.ends_with(name));
    if singleton {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": {"message": "not set"}})),
        )
            .into_response();
    }
    page(Vec::new(), false)
}

/// A list page that fits every pagination style.
fn page(data: Vec<Value>, has_more: bool) -> Response {
    let last = data
        .last()
        .and_then(|item| item["id"].as_str())
        .map(str::to_owned);
    axum::Json(json!({
        "object": "list", "data": data, "has_more": has_more,
        "first_id": null, "last_id": last, "next": last, "next_page": null
    }))
    .into_response()
}

fn user(id: &str) -> Value {
    json!({"object": "organization.user", "id": id, "name": id, "email": format!("{id}@example.com"), "role": "reader", "added_at": 1_700_000_000})
}

fn invite(id: &str) -> Value {
    json!({"object": "organization.invite", "id": id, "email": "x@example.com", "role": "reader", "status": "pending", "created_at": 1_700_000_000})
}

fn project(id: &str) -> Value {
    json!({"object": "organization.project", "id": id, "name": id, "created_at": 1_700_000_000, "status": "active"})
}

/// Users `u1`, `u2`, an invite and a project, as a healthy organization has them.
fn healthy(path: &str, _query: Option<&str>, _n: usize) -> Option<Response> {
    match path {
        "/v1/organization/users" => Some(page(vec![user("u1"), user("u2")], false)),
        "/v1/organization/invites" => Some(page(vec![invite("inv1")], false)),
        "/v1/organization/projects" => Some(page(vec![project("proj_1")], false)),
        _ => None,
    }
}

fn client(base_url: &str, tune: impl FnOnce(&mut ClientConfig)) -> ReadClient {
    let mut config = ClientConfig::new(base_url, SecretString::from("sk-admin-hostile-test"));
    config.timeout = Duration::from_secs(5);
    config.retry = RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        ..RetryPolicy::default()
    };
    tune(&mut config);
    ReadClient::new(config).expect("client")
}

async fn scan_with(
    client: &ReadClient,
    store: &dyn Store,
    tune: impl FnOnce(&mut ScanOptions),
) -> ScanSummary {
    let mut options = ScanOptions::new(NOW);
    tune(&mut options);
    tokio::time::timeout(
        Duration::from_secs(30),
        scan(client, store, ORG, None, &options),
    )
    .await
    .expect("the scan ends")
    .expect("the scan is recorded, not aborted")
}

async fn ids(store: &dyn Store, scan_id: i64, kind: &str) -> Vec<String> {
    store
        .objects(scan_id, Some(kind))
        .await
        .expect("objects")
        .into_iter()
        .map(|o| o.id)
        .collect()
}

/// A clean scan first, then a scan against `hostile`: the second must be partial with
/// exactly `endpoints` failed (their messages containing `says`), keep the invite, and leave
/// the first scan's users readable.
async fn fails_only(
    hostile: Hostile,
    endpoints: &[&str],
    says: &str,
    tune_client: impl FnOnce(&mut ClientConfig),
    tune_scan: impl FnOnce(&mut ScanOptions),
) -> (Arc<Server>, ScanSummary) {
    let (server, base_url) = start(Box::new(healthy)).await;
    let store = custos_store::open("sqlite::memory:").await.expect("store");
    let first = scan_with(&client(&base_url, |_| {}), store.as_ref(), |_| {}).await;
    assert_eq!(first.status, ScanStatus::Complete, "{:?}", first.failures);

    server.set(hostile);
    let second = scan_with(&client(&base_url, tune_client), store.as_ref(), tune_scan).await;
    assert_eq!(second.status, ScanStatus::Partial);
    let failed: Vec<&str> = second
        .failures
        .iter()
        .map(|f| f.endpoint.as_str())
        .collect();
    assert_eq!(failed, endpoints, "{:?}", second.failures);
    for failure in &second.failures {
        assert!(failure.message.contains(says), "{:?}", failure.message);
    }
    // The scan is recorded (never left running), with the endpoint unknown.
    let run = store
        .scan(second.scan_id)
        .await
        .expect("scan")
        .expect("row");
    assert_eq!(run.status, ScanStatus::Partial);
    for endpoint in endpoints {
        let recorded = run
            .endpoints
            .iter()
            .find(|e| e.endpoint == *endpoint)
            .expect("the failed endpoint is recorded");
        assert!(!recorded.ok && recorded.error.as_deref().is_some_and(|e| e.contains(says)));
    }
    // The rest of the scan is kept, and the previous snapshot is intact.
    assert_eq!(
        ids(store.as_ref(), second.scan_id, "invite").await,
        ["inv1"]
    );
    assert_eq!(
        ids(store.as_ref(), first.scan_id, "user").await,
        ["u1", "u2"]
    );
    (server, second)
}

#[tokio::test]
async fn a_duplicate_id_in_one_page_fails_that_endpoint_only() {
    let hostile: Hostile = Box::new(|path, query, n| match path {
        "/v1/organization/users" => Some(page(vec![user("u1"), user("u1")], false)),
        _ => healthy(path, query, n),
    });
    fails_only(
        hostile,
        &["GET /organization/users"],
        "appears twice",
        |_| {},
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn an_id_that_cannot_name_one_object_fails_its_list_and_is_never_requested() {
    // The probe's attack: a user `..` made the scan read `GET /organization/roles` as that
    // user's roles. Here the user list also holds a control character and an empty id.
    for bad in ["..", ".", "", "u\u{1b}[2J"] {
        let hostile: Hostile = Box::new(move |path, query, n| match path {
            "/v1/organization/users" => Some(page(vec![user("u1"), user(bad)], false)),
            _ => healthy(path, query, n),
        });
        let (server, second) = fails_only(
            hostile,
            &["GET /organization/users"],
            "cannot name one object",
            |_| {},
            |_| {},
        )
        .await;
        // No user's roles were read in the second scan, the valid user's neither: the list
        // is unknown as a whole.
        let role_reads = server
            .paths()
            .iter()
            .filter(|p| p.contains("/organization/users/"))
            .count();
        assert_eq!(
            role_reads,
            2,
            "only the first scan's u1 and u2: {:?}",
            server.paths()
        );
        assert!(!second.failures[0].message.contains('\u{1b}'));
    }
    // A project `..` is not walked at all: its lists would be the organization's.
    let hostile: Hostile = Box::new(|path, query, n| match path {
        "/v1/organization/projects" => Some(page(vec![project("..")], false)),
        _ => healthy(path, query, n),
    });
    let (server, _) = fails_only(
        hostile,
        &["GET /organization/projects"],
        "dot segment",
        |_| {},
        |_| {},
    )
    .await;
    assert_eq!(server.count("/v1/organization/projects/proj_1/users"), 1);
    assert!(server.paths().iter().all(|p| !p.contains("/projects/..")));
}

#[tokio::test]
async fn endless_pages_fail_their_endpoint_at_max_items_per_list() {
    // New ids and `has_more: true` forever.
    let hostile: Hostile = Box::new(|path, query, n| match path {
        "/v1/organization/users" => {
            let users = (0..100).map(|i| user(&format!("u{n}-{i}"))).collect();
            Some(page(users, true))
        }
        _ => healthy(path, query, n),
    });
    let (server, _) = fails_only(
        hostile,
        &["GET /organization/users"],
        "max_items_per_list",
        |config| config.max_list_items = 300,
        |_| {},
    )
    .await;
    // One page of the first scan, then four pages (400 items > 300) and no more.
    assert_eq!(server.count("/v1/organization/users"), 1 + 4);
}

#[tokio::test]
async fn the_scan_deadline_records_every_unread_endpoint_as_failed() {
    // The audit log never answers (and no per-request limit would stop it within the test).
    let hostile: Hostile = Box::new(|path, query, n| match path {
        "/v1/organization/audit_logs" => Some(
            Response::builder()
                .status(200)
                .body(axum::body::Body::from_stream(futures::stream::pending::<
                    Result<Vec<u8>, std::io::Error>,
                >()))
                .expect("response"),
        ),
        _ => healthy(path, query, n),
    });
    // The time series are read one after the other: every one after the audit log is unread.
    let mut unread = vec!["GET /organization/audit_logs".to_owned()];
    unread.extend(
        UsageKind::ALL
            .iter()
            .map(|kind| format!("GET {}", kind.path())),
    );
    unread.push("GET /organization/costs".to_owned());
    let unread: Vec<&str> = unread.iter().map(String::as_str).collect();
    let (_, second) = fails_only(
        hostile,
        &unread,
        "`[scan] deadline`",
        |config| {
            config.timeout = Duration::from_secs(600);
            config.max_request_time = Duration::from_secs(600);
        },
        |options| options.deadline = Duration::from_secs(2),
    )
    .await;
    assert!(
        second.failures[0].message.contains("2 s"),
        "{:?}",
        second.failures
    );
}

#[tokio::test]
async fn one_id_in_two_projects_lists_fails_that_kind_instead_of_the_scan() {
    // Each list alone is fine; together they give two `project_role` objects one identity,
    // which the store would refuse for the whole scan.
    let hostile: Hostile = Box::new(|path, query, n| match path {
        "/v1/organization/projects" => {
            Some(page(vec![project("proj_1"), project("proj_2")], false))
        }
        "/v1/projects/proj_1/roles" | "/v1/projects/proj_2/roles" => Some(page(
            vec![json!({"object": "role", "id": "role_x", "name": "x"})],
            false,
        )),
        _ => healthy(path, query, n),
    });
    fails_only(
        hostile,
        &["GET /projects/{project_id}/roles"],
        "two project_role objects have the id \"role_x\"",
        |_| {},
        |_| {},
    )
    .await;
}
