//! Behaviour of the simulator's server on `fixtures/full.json`: authentication, paging,
//! usage buckets, writes with their audit events, and fault injection.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use custos_model::scenario::Scenario;
use custos_sim::server::{SimConfig, SimStats, Simulator};
use serde_json::{Value, json};
use std::collections::HashSet;
use tower::ServiceExt;

const FIXTURE: &str = include_str!("fixtures/full.json");
const RW: &str = "sk-admin-acme-rw";
const RO: &str = "sk-admin-acme-ro";
const PROJECT: &str = "sk-proj-acme-ml";
const NOW: i64 = 1_767_225_600;
use custos_model::unix::DAY;

fn scenario() -> Scenario {
    serde_json::from_str(FIXTURE).expect("the fixture is a scenario")
}

fn simulator() -> Simulator {
    Simulator::new(scenario(), SimConfig::default())
}

/// One answer: status, headers, raw body and the body as JSON (`Null` if it is not JSON).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
    json: Value,
}

async fn send(
    sim: &Simulator,
    method: Method,
    uri: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = sim
        .router()
        .oneshot(request.body(body).expect("request"))
        .await
        .expect("the router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body")
        .to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        bytes,
        json,
    }
}

async fn get(sim: &Simulator, uri: &str) -> Answer {
    send(sim, Method::GET, uri, Some(RW), None).await
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect()
}

fn assert_error(answer: &Answer, status: StatusCode, param: Option<&str>) {
    assert_eq!(answer.status, status, "{}", answer.json);
    let error = &answer.json["error"];
    assert!(error["message"].is_string(), "{}", answer.json);
    assert!(error["type"].is_string(), "{}", answer.json);
    assert_eq!(error["param"].as_str(), param, "{}", answer.json);
}

#[tokio::test]
async fn authentication_and_permissions() {
    let sim = simulator();
    let users = "/v1/organization/users";

    for key in [None, Some("sk-admin-wrong")] {
        let answer = send(&sim, Method::GET, users, key, None).await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, None);
        assert_eq!(answer.json["error"]["code"], "invalid_api_key");
        assert_eq!(answer.json["error"]["type"], "invalid_request_error");
    }

    // Read-only admin keys read, but every write is refused before it happens.
    assert_eq!(
        send(&sim, Method::GET, users, Some(RO), None).await.status,
        StatusCode::OK
    );
    let archive = "/v1/organization/projects/proj_ml/archive";
    let refused = send(&sim, Method::POST, archive, Some(RO), None).await;
    assert_error(&refused, StatusCode::FORBIDDEN, None);
    let refused = send(
        &sim,
        Method::DELETE,
        "/v1/organization/users/user_bob",
        Some(RO),
        None,
    )
    .await;
    assert_error(&refused, StatusCode::FORBIDDEN, None);
    assert_eq!(
        get(&sim, "/v1/organization/projects/proj_ml").await.json["status"],
        "active"
    );

    // Project keys reach only their project's endpoints; admin keys never reach those.
    let answer = send(&sim, Method::GET, users, Some(PROJECT), None).await;
    assert_error(&answer, StatusCode::FORBIDDEN, None);
    let answer = get(&sim, "/v1/files").await;
    assert_error(&answer, StatusCode::FORBIDDEN, None);
    assert_eq!(
        answer.json["error"]["message"],
        "Admin API keys cannot be used for non-administration endpoints."
    );
    let files = send(
        &sim,
        Method::GET,
        "/v1/files?purpose=assistants",
        Some(PROJECT),
        None,
    )
    .await;
    assert_eq!(ids(&files.json), ["file-abc"]);
    let content = send(
        &sim,
        Method::GET,
        "/v1/files/file-abc/content",
        Some(PROJECT),
        None,
    )
    .await;
    assert_eq!(content.bytes, b"hello");

    // An organization with audit logging off answers 403 on its audit logs.
    let answer = send(
        &sim,
        Method::GET,
        "/v1/organization/audit_logs",
        Some("sk-admin-beta"),
        None,
    )
    .await;
    assert_error(&answer, StatusCode::FORBIDDEN, None);
    // Each admin key sees only its own organization.
    let beta_users = send(&sim, Method::GET, users, Some("sk-admin-beta"), None).await;
    assert_eq!(ids(&beta_users.json), ["user_zed"]);
}

#[tokio::test]
async fn a_deleted_admin_key_stops_working() {
    let sim = simulator();
    let deleted = send(
        &sim,
        Method::DELETE,
        "/v1/organization/admin_api_keys/key_admin_2",
        Some(RW),
        None,
    )
    .await;
    assert_eq!(
        deleted.json,
        json!({"object": "organization.admin_api_key.deleted", "id": "key_admin_2", "deleted": true})
    );
    let answer = send(&sim, Method::GET, "/v1/organization/users", Some(RO), None).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, None);
}

#[tokio::test]
async fn id_cursor_paging_walks_every_user_once() {
    let sim = simulator();
    let mut seen = Vec::new();
    let mut uri = "/v1/organization/users?limit=2".to_owned();
    loop {
        let page = get(&sim, &uri).await.json;
        assert_eq!(page["object"], "list");
        let batch = ids(&page);
        assert!(batch.len() <= 2);
        assert_eq!(page["first_id"].as_str(), batch.first().map(String::as_str));
        assert_eq!(page["last_id"].as_str(), batch.last().map(String::as_str));
        seen.extend(batch);
        if page["has_more"] != true {
            break;
        }
        uri = format!(
            "/v1/organization/users?limit=2&after={}",
            page["last_id"].as_str().expect("last_id")
        );
    }
    // Creation order (added_at), each user exactly once.
    assert_eq!(
        seen,
        [
            "user_alice",
            "user_grace",
            "user_bob",
            "user_carol",
            "user_dave",
            "user_erin",
            "user_frank"
        ]
    );
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());

    // The default page is 20; limits outside 1..=100 and unknown cursors are 400s.
    assert_eq!(
        ids(&get(&sim, "/v1/organization/users").await.json).len(),
        7
    );
    for bad in ["limit=0", "limit=101", "limit=x"] {
        let answer = get(&sim, &format!("/v1/organization/users?{bad}")).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, Some("limit"));
    }
    let answer = get(&sim, "/v1/organization/users?after=user_nobody").await;
    assert_error(&answer, StatusCode::BAD_REQUEST, Some("after"));

    // Array parameters work with and without brackets.
    for query in [
        "emails=bob@acme.test&emails=carol@acme.test",
        "emails[]=bob@acme.test&emails[]=carol@acme.test",
    ] {
        let page = get(&sim, &format!("/v1/organization/users?{query}"))
            .await
            .json;
        assert_eq!(ids(&page), ["user_bob", "user_carol"]);
    }
}

#[tokio::test]
async fn ordered_lists_and_next_cursors() {
    let sim = simulator();
    let desc = get(&sim, "/v1/organization/admin_api_keys?order=desc")
        .await
        .json;
    assert_eq!(ids(&desc), ["key_admin_2", "key_admin_1"]);
    // Certificates default to newest first.
    let certificates = get(&sim, "/v1/organization/certificates").await.json;
    assert_eq!(ids(&certificates), ["cert_spare", "cert_proj", "cert_org"]);
    assert_eq!(certificates["data"][2]["active"], true);
    assert_eq!(
        certificates["data"][2]["object"],
        "organization.certificate"
    );

    // Style B: `next` is the cursor, and there is no first_id/last_id.
    let first = get(&sim, "/v1/organization/groups?limit=1").await.json;
    assert_eq!(ids(&first), ["group_eng"]);
    assert_eq!(
        (first["has_more"].clone(), first["next"].clone()),
        (json!(true), json!("group_eng"))
    );
    assert!(first.get("first_id").is_none());
    let second = get(&sim, "/v1/organization/groups?limit=1&after=group_eng")
        .await
        .json;
    assert_eq!(ids(&second), ["group_ops"]);
    assert_eq!(
        (second["has_more"].clone(), second["next"].clone()),
        (json!(false), Value::Null)
    );
    let answer = get(&sim, "/v1/organization/groups?limit=1001").await;
    assert_error(&answer, StatusCode::BAD_REQUEST, Some("limit"));

    // Group members: newest first by default.
    let members = get(&sim, "/v1/organization/groups/group_eng/users")
        .await
        .json;
    assert_eq!(ids(&members), ["user_bob", "user_alice"]);
}

#[tokio::test]
async fn archived_projects_and_inactive_keys_are_hidden_by_default() {
    let sim = simulator();
    let active = get(&sim, "/v1/organization/projects").await.json;
    assert_eq!(ids(&active), ["proj_ml", "proj_web"]);
    let all = get(&sim, "/v1/organization/projects?include_archived=true")
        .await
        .json;
    assert_eq!(ids(&all), ["proj_ml", "proj_web", "proj_old"]);
    assert_eq!(all["data"][2]["status"], "archived");

    let keys = "/v1/organization/projects/proj_ml/api_keys";
    assert_eq!(
        ids(&get(&sim, keys).await.json),
        ["key_user_alice", "key_svc_ci"]
    );
    let any = get(&sim, &format!("{keys}?owner_project_access=any"))
        .await
        .json;
    assert_eq!(ids(&any), ["key_user_alice", "key_svc_ci", "key_user_dave"]);
    let inactive = get(&sim, &format!("{keys}?owner_project_access=inactive"))
        .await
        .json;
    assert_eq!(ids(&inactive), ["key_user_dave"]);

    // Archived projects have no users to list or add.
    let answer = get(&sim, "/v1/organization/projects/proj_old/users").await;
    assert_error(&answer, StatusCode::BAD_REQUEST, None);
}

#[tokio::test]
async fn usage_buckets_sum_and_group() {
    let sim = simulator();
    let start = NOW - 3 * DAY;
    let base = format!("/v1/organization/usage/completions?start_time={start}");

    let page = get(&sim, &base).await.json;
    assert_eq!(page["object"], "page");
    assert_eq!(
        (page["has_more"].clone(), page["next_page"].clone()),
        (json!(false), Value::Null)
    );
    let buckets = page["data"].as_array().expect("buckets");
    assert_eq!(buckets.len(), 3, "{page}");
    assert_eq!(buckets[0]["start_time"], start);
    assert_eq!(buckets[0]["end_time"], start + DAY);
    // Empty buckets are still returned.
    assert_eq!(buckets[0]["results"], json!([]));
    // Day two: 100 + 10 input tokens, 50 + 5 output, 2 + 1 requests; nothing grouped.
    let day = &buckets[1]["results"];
    assert_eq!(day.as_array().map(Vec::len), Some(1));
    let result = &day[0];
    assert_eq!(result["object"], "organization.usage.completions.result");
    assert_eq!(
        (
            &result["input_tokens"],
            &result["output_tokens"],
            &result["num_model_requests"]
        ),
        (&json!(110), &json!(55), &json!(3))
    );
    assert_eq!(result["input_cached_tokens"], 20);
    for field in [
        "project_id",
        "user_id",
        "api_key_id",
        "model",
        "batch",
        "service_tier",
    ] {
        assert_eq!(result[field], Value::Null, "{field}");
    }
    assert!(
        result.get("start_time").is_none(),
        "(sim) start_time leaked"
    );
    assert_eq!(buckets[2]["results"][0]["input_tokens"], 1000);

    // Grouped by project and model: one result per pair, other grouping fields null.
    let grouped = get(
        &sim,
        &format!("{base}&group_by[]=project_id&group_by=model"),
    )
    .await
    .json;
    let day: Vec<(Value, Value, Value)> = grouped["data"][1]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["project_id"].clone(),
                r["model"].clone(),
                r["input_tokens"].clone(),
            )
        })
        .collect();
    assert_eq!(
        day,
        [
            (json!("proj_ml"), json!("gpt-4o"), json!(100)),
            (json!("proj_web"), json!("gpt-4o-mini"), json!(10)),
        ]
    );
    assert_eq!(grouped["data"][1]["results"][0]["user_id"], Value::Null);

    // Filters keep matching records only.
    let filtered = get(&sim, &format!("{base}&models=gpt-4o-mini&batch=true"))
        .await
        .json;
    assert_eq!(filtered["data"][1]["results"][0]["input_tokens"], 10);
    assert_eq!(filtered["data"][2]["results"], json!([]));

    // `limit` counts buckets; `page` continues where the last page stopped.
    let first = get(&sim, &format!("{base}&limit=2")).await.json;
    assert_eq!(first["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["has_more"], true);
    let next = first["next_page"].as_str().expect("next_page");
    let rest = get(&sim, &format!("{base}&limit=2&page={next}")).await.json;
    assert_eq!(rest["data"][0]["start_time"], start + 2 * DAY);
    assert_eq!(rest["has_more"], false);

    // Hourly buckets.
    let hourly = get(
        &sim,
        &format!(
            "/v1/organization/usage/completions?start_time={}&bucket_width=1h&limit=2",
            NOW - 2 * DAY
        ),
    )
    .await
    .json;
    assert_eq!(hourly["data"][0]["results"][0]["input_tokens"], 100);
    assert_eq!(hourly["data"][1]["results"][0]["input_tokens"], 10);

    for (query, param) in [
        ("", "start_time"),
        (
            &*format!("start_time={start}&bucket_width=1h&limit=169"),
            "limit",
        ),
        (&*format!("start_time={start}&limit=32"), "limit"),
        (&*format!("start_time={start}&group_by=size"), "group_by"),
        (&*format!("start_time={start}&page=bogus"), "page"),
    ] {
        let answer = get(&sim, &format!("/v1/organization/usage/completions?{query}")).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, Some(param));
    }
}

#[tokio::test]
async fn costs_sum_amounts_per_line_item() {
    let sim = simulator();
    let base = format!("/v1/organization/costs?start_time={}", NOW - 2 * DAY);
    let page = get(&sim, &base).await.json;
    let day = &page["data"][0]["results"][0];
    assert_eq!(day["object"], "organization.costs.result");
    assert_eq!(day["amount"], json!({"value": 0.75, "currency": "usd"}));
    assert_eq!(
        (&day["line_item"], &day["project_id"], &day["api_key_id"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(page["data"][1]["results"][0]["amount"]["value"], 1.0);

    let grouped = get(
        &sim,
        &format!("{base}&group_by=line_item&project_ids=proj_ml"),
    )
    .await
    .json;
    let results = &grouped["data"][0]["results"];
    assert_eq!(results.as_array().map(Vec::len), Some(1));
    assert_eq!(results[0]["line_item"], "gpt-4o, input");
    assert_eq!(results[0]["quantity"], 1000.0);
    assert_eq!(results[0]["quantity_unit"], "tokens");

    let answer = get(&sim, &format!("{base}&bucket_width=1h")).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, Some("bucket_width"));
    let answer = get(&sim, &format!("{base}&limit=181")).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, Some("limit"));
}

#[tokio::test]
async fn unknown_ids_and_unset_singletons_are_404() {
    let sim = simulator();
    let answer = get(&sim, "/v1/organization/users/user_nobody").await;
    assert_eq!(
        answer.json,
        json!({"error": {"message": "No such user: 'user_nobody'", "type": "invalid_request_error", "param": null, "code": null}})
    );
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    for uri in [
        "/v1/organization/projects/proj_web/spend_limit",
        "/v1/organization/projects/proj_web/model_permissions",
        "/v1/organization/projects/proj_nope/users",
        "/v1/organization/nothing_here",
    ] {
        assert_error(&get(&sim, uri).await, StatusCode::NOT_FOUND, None);
    }
    // A method the path does not serve is answered as the API does: 404 "Invalid URL".
    let wrong_method = send(&sim, Method::PUT, "/v1/organization/users", Some(RW), None).await;
    assert_error(&wrong_method, StatusCode::NOT_FOUND, None);
    assert_eq!(
        wrong_method.json["error"]["message"],
        "Invalid URL (PUT /v1/organization/users)"
    );
    // After a delete, the org spend limit is unset too.
    let deleted = send(
        &sim,
        Method::DELETE,
        "/v1/organization/spend_limit",
        Some(RW),
        None,
    )
    .await;
    assert_eq!(
        deleted.json,
        json!({"object": "organization.spend_limit.deleted", "deleted": true})
    );
    assert_error(
        &get(&sim, "/v1/organization/spend_limit").await,
        StatusCode::NOT_FOUND,
        None,
    );
}

#[tokio::test]
async fn writes_change_state_and_log_audit_events() {
    let sim = simulator();
    let archived = send(
        &sim,
        Method::POST,
        "/v1/organization/projects/proj_web/archive",
        Some(RW),
        None,
    )
    .await;
    assert_eq!(archived.status, StatusCode::OK);
    assert_eq!(archived.json["status"], "archived");
    assert_eq!(archived.json["archived_at"], NOW);
    assert_eq!(
        ids(&get(&sim, "/v1/organization/projects").await.json),
        ["proj_ml"]
    );

    let logs = get(
        &sim,
        "/v1/organization/audit_logs?event_types[]=project.archived",
    )
    .await
    .json;
    assert_eq!(ids(&logs).len(), 2, "{logs}");
    let event = &logs["data"][0];
    assert_eq!(event["type"], "project.archived");
    assert_eq!(event["effective_at"], NOW);
    assert_eq!(event["project.archived"], json!({"id": "proj_web"}));
    assert_eq!(event["project"]["id"], "proj_web");
    assert_eq!(event["actor"]["type"], "api_key");
    assert_eq!(event["actor"]["api_key"]["id"], "key_admin_1");
    assert_eq!(event["actor"]["api_key"]["user"]["id"], "user_alice");
    assert!(
        event["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("audit_log-"))
    );

    // Archived projects refuse member changes with 400.
    let body = json!({"user_id": "user_dave", "role": "member"});
    let answer = send(
        &sim,
        Method::POST,
        "/v1/organization/projects/proj_web/users",
        Some(RW),
        Some(body),
    )
    .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, None);

    // A service account's key can only go with its account.
    let key = "/v1/organization/projects/proj_ml/api_keys/key_svc_ci";
    assert_error(
        &send(&sim, Method::DELETE, key, Some(RW), None).await,
        StatusCode::BAD_REQUEST,
        None,
    );
    let account = "/v1/organization/projects/proj_ml/service_accounts/svc_acct_ci";
    assert_eq!(
        send(&sim, Method::DELETE, account, Some(RW), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_error(&get(&sim, key).await, StatusCode::NOT_FOUND, None);

    // Invites start pending for seven days and show up in the list and the log.
    let body = json!({"email": "new.hire@acme.test", "role": "reader"});
    let invite = send(
        &sim,
        Method::POST,
        "/v1/organization/invites",
        Some(RW),
        Some(body),
    )
    .await
    .json;
    assert_eq!(
        (invite["status"].clone(), invite["expires_at"].clone()),
        (json!("pending"), json!(NOW + 7 * DAY))
    );
    assert_eq!(invite["projects"], json!([]));
    let newest = get(&sim, "/v1/organization/audit_logs?limit=1").await.json;
    assert_eq!(newest["data"][0]["type"], "invite.sent");
    assert_eq!(newest["data"][0]["invite.sent"]["id"], invite["id"]);

    // Invalid bodies name the field.
    let answer = send(
        &sim,
        Method::POST,
        "/v1/organization/invites",
        Some(RW),
        Some(json!({"email": "x@y", "role": "admin"})),
    )
    .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, Some("role"));
    let answer = send(
        &sim,
        Method::POST,
        "/v1/organization/projects",
        Some(RW),
        Some(json!({})),
    )
    .await;
    assert_error(&answer, StatusCode::BAD_REQUEST, Some("name"));
}

#[tokio::test]
async fn created_secrets_are_shown_once_and_work() {
    let sim = simulator();
    let body = json!({"name": "Automation 2", "expires_in_seconds": 3600});
    let created = send(
        &sim,
        Method::POST,
        "/v1/organization/admin_api_keys",
        Some(RW),
        Some(body),
    )
    .await
    .json;
    let secret = created["value"].as_str().expect("value").to_owned();
    assert_eq!(created["expires_at"], NOW + 3600);
    let id = created["id"].as_str().expect("id");
    let again = get(&sim, &format!("/v1/organization/admin_api_keys/{id}"))
        .await
        .json;
    assert!(again.get("value").is_none());
    assert!(
        again["redacted_value"]
            .as_str()
            .is_some_and(|r| r.contains("..."))
    );
    let answer = send(
        &sim,
        Method::GET,
        "/v1/organization/users",
        Some(&secret),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);

    let account = "/v1/organization/projects/proj_ml/service_accounts";
    let only = send(
        &sim,
        Method::POST,
        account,
        Some(RW),
        Some(json!({"name": "bot", "create_service_account_only": true})),
    )
    .await
    .json;
    assert_eq!(
        (only["role"].clone(), only["api_key"].clone()),
        (json!("none"), Value::Null)
    );
    let with_key = send(
        &sim,
        Method::POST,
        account,
        Some(RW),
        Some(json!({"name": "bot2"})),
    )
    .await
    .json;
    let value = with_key["api_key"]["value"].as_str().expect("key value");
    let files = send(&sim, Method::GET, "/v1/vector_stores", Some(value), None).await;
    assert_eq!(ids(&files.json), ["vs_abc"]);
}

#[tokio::test]
async fn certificates_delete_only_when_inactive_everywhere() {
    let sim = simulator();
    for active in ["cert_org", "cert_proj"] {
        let answer = send(
            &sim,
            Method::DELETE,
            &format!("/v1/organization/certificates/{active}"),
            Some(RW),
            None,
        )
        .await;
        assert_error(&answer, StatusCode::BAD_REQUEST, None);
    }
    let deleted = send(
        &sim,
        Method::DELETE,
        "/v1/organization/certificates/cert_spare",
        Some(RW),
        None,
    )
    .await;
    assert_eq!(
        deleted.json,
        json!({"object": "certificate.deleted", "id": "cert_spare"})
    );
    let plain = get(&sim, "/v1/organization/certificates/cert_org")
        .await
        .json;
    assert!(plain["certificate_details"].get("content").is_none());
    assert!(plain.get("active").is_none());
    let with_content = get(
        &sim,
        "/v1/organization/certificates/cert_org?include[]=content",
    )
    .await
    .json;
    assert!(
        with_content["certificate_details"]["content"]
            .as_str()
            .is_some_and(|c| c.contains("BEGIN CERTIFICATE"))
    );
}

fn stats_of(sim: &Simulator) -> SimStats {
    sim.stats()
}

#[tokio::test]
async fn rate_limiting_answers_429_with_retry_after() {
    let config = SimConfig {
        rate_limit: Some(3),
        ..SimConfig::default()
    };
    let sim = Simulator::new(scenario(), config);
    let mut throttled = None;
    for _ in 0..10 {
        let answer = get(&sim, "/v1/organization/users").await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some(answer);
            break;
        }
        assert!(
            answer
                .headers
                .contains_key("x-ratelimit-remaining-requests")
        );
    }
    let answer = throttled.expect("the limiter throttles a burst of 10 at 3/s");
    assert_error(&answer, StatusCode::TOO_MANY_REQUESTS, None);
    let retry_after: u64 = answer.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry_after >= 1);
    let retry_ms: u64 = answer.headers["retry-after-ms"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("ms");
    assert!((1..=1000).contains(&retry_ms));
    let stats = stats_of(&sim);
    assert!(stats.throttled >= 1, "{stats:?}");
    assert_eq!(stats.by_route["GET /v1/organization/users"], stats.requests);

    // `/_sim/stats` is never throttled nor counted.
    for _ in 0..5 {
        let answer = send(&sim, Method::GET, "/_sim/stats", None, None).await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    assert_eq!(stats_of(&sim).requests, stats.requests);
}

#[tokio::test]
async fn a_route_limited_on_its_own_throttles_only_itself() {
    let config = SimConfig {
        route_rate_limit: Some(100),
        route_rate_limits: [("GET /v1/organization/invites".to_owned(), 2)].into(),
        rate_limit_headers: false,
        ..SimConfig::default()
    };
    let sim = Simulator::new(scenario(), config);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let limited = get(&sim, "/v1/organization/invites").await;
        assert!(!limited.headers.contains_key("x-ratelimit-limit-requests"));
        statuses.push(limited.status);
        assert_eq!(
            get(&sim, "/v1/organization/users").await.status,
            StatusCode::OK
        );
    }
    // A burst of two, then 429s; the other route, at 100/s, is never throttled.
    assert_eq!(&statuses[..2], [StatusCode::OK, StatusCode::OK]);
    assert!(
        statuses[2..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS)
    );
    assert_eq!(stats_of(&sim).throttled, 3);
}

#[tokio::test]
async fn rate_limit_headers_describe_the_bucket_closest_to_empty() {
    let config = SimConfig {
        rate_limit: Some(1000),
        route_rate_limits: [("GET /v1/organization/invites".to_owned(), 10)].into(),
        ..SimConfig::default()
    };
    let sim = Simulator::new(scenario(), config);
    let header =
        |answer: &Answer, name: &str| answer.headers[name].to_str().expect("ascii").to_owned();
    let limited = get(&sim, "/v1/organization/invites").await;
    assert_eq!(header(&limited, "x-ratelimit-limit-requests"), "10");
    assert_eq!(header(&limited, "x-ratelimit-remaining-requests"), "9");
    let other = get(&sim, "/v1/organization/users").await;
    assert_eq!(header(&other, "x-ratelimit-limit-requests"), "1000");
}

/// Whether an answer is an injected fault: a 5xx, or a 200 whose JSON is cut short.
fn is_fault(answer: &Answer) -> bool {
    answer.status.is_server_error() || (answer.status == StatusCode::OK && answer.json.is_null())
}

#[tokio::test]
async fn full_fault_rate_faults_every_answer() {
    let config = SimConfig {
        fault_rate: 1.0,
        seed: 7,
        ..SimConfig::default()
    };
    let sim = Simulator::new(scenario(), config);
    let mut truncated = 0;
    for _ in 0..20 {
        let answer = get(&sim, "/v1/organization/users").await;
        assert!(is_fault(&answer), "{} {:?}", answer.status, answer.bytes);
        if answer.status == StatusCode::OK {
            truncated += 1;
            let length: usize = answer.headers["content-length"]
                .to_str()
                .expect("ascii")
                .parse()
                .expect("number");
            assert_eq!(length, answer.bytes.len());
        } else {
            assert_eq!(answer.json["error"]["type"], "server_error");
        }
    }
    assert!(truncated > 0, "no truncated body in 20 faults");
    for _ in 0..5 {
        let answer = send(
            &sim,
            Method::POST,
            "/v1/organization/projects/proj_web/archive",
            Some(RW),
            None,
        )
        .await;
        assert!(answer.status.is_server_error());
    }
    let stats = stats_of(&sim);
    assert_eq!((stats.requests, stats.faults), (25, 25));

    let stats = send(&sim, Method::GET, "/_sim/stats", None, None).await;
    assert_eq!(stats.status, StatusCode::OK);
    assert_eq!(stats.json["faults"], 25);
}

#[tokio::test]
async fn faulted_writes_change_nothing() {
    let config = SimConfig {
        fault_rate: 0.5,
        seed: 3,
        ..SimConfig::default()
    };
    let sim = Simulator::new(scenario(), config);
    let mut created = 0;
    for n in 0..20 {
        let body = json!({"name": format!("group {n}")});
        let answer = send(
            &sim,
            Method::POST,
            "/v1/organization/groups",
            Some(RW),
            Some(body),
        )
        .await;
        if answer.status == StatusCode::OK {
            created += 1;
        } else {
            assert!(answer.status.is_server_error(), "writes fail with 5xx only");
        }
    }
    assert!(
        (1..20).contains(&created),
        "{created} of 20 writes succeeded"
    );
    let groups = loop {
        let answer = get(&sim, "/v1/organization/groups").await;
        if !is_fault(&answer) {
            break answer.json;
        }
    };
    assert_eq!(ids(&groups).len(), 2 + created);
}

#[tokio::test]
async fn faults_repeat_for_a_seed() {
    async fn run(seed: u64) -> Vec<(StatusCode, bool)> {
        let config = SimConfig {
            fault_rate: 0.5,
            seed,
            ..SimConfig::default()
        };
        let sim = Simulator::new(scenario(), config);
        let mut outcomes = Vec::new();
        for _ in 0..40 {
            let answer = get(&sim, "/v1/organization/projects").await;
            outcomes.push((answer.status, is_fault(&answer)));
        }
        outcomes
    }
    let first = run(42).await;
    assert_eq!(first, run(42).await);
    let faults = first.iter().filter(|(_, fault)| *fault).count();
    assert!(
        (5..=35).contains(&faults),
        "{faults} faults of 40 at rate 0.5"
    );
}

#[tokio::test]
async fn serves_over_http_with_request_ids_and_stats() {
    let running = simulator().spawn("127.0.0.1:0").await.expect("spawn");
    assert!(running.base_url().starts_with("http://127.0.0.1:"));
    assert!(running.base_url().ends_with("/v1"));
    // reqwest builds its TLS configuration even for plain http: it needs a crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let answer = http
        .get(format!("{}/organization/users?limit=3", running.base_url()))
        .bearer_auth(RW)
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), 200);
    let request_id = answer.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(request_id.starts_with("req_"), "{request_id}");
    let page: Value = answer.json().await.expect("json");
    assert_eq!(ids(&page).len(), 3);

    let stats: SimStats = http
        .get(running.stats_url())
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats json");
    assert_eq!(stats.requests, 1);
    assert_eq!(stats.by_route["GET /v1/organization/users"], 1);
    assert_eq!((stats.throttled, stats.faults), (0, 0));
    running.shutdown();
}
