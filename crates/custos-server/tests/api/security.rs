//! Tokens and roles: every endpoint of the OpenAPI document but the health checks refuses a
//! request without a valid token, a viewer cannot write, every answer has the security
//! headers, and bad query values are problem documents naming the parameter.

use crate::common::Fixture;
use serde_json::Value;

/// The paths of the OpenAPI document with their methods, `{...}` filled in.
async fn endpoints(fixture: &Fixture) -> Vec<(String, String)> {
    let document: Value = fixture
        .get("/api/v1/openapi.json", Some(&fixture.tokens.viewer))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    let mut endpoints = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let path = path.replace("{id}", "0123").replace("{kind}", "user");
        for method in item.as_object().unwrap().keys() {
            endpoints.push((method.to_uppercase(), path.clone()));
        }
    }
    endpoints
}

#[tokio::test(flavor = "multi_thread")]
async fn no_endpoint_answers_without_a_token_and_a_viewer_cannot_write() {
    let fixture = Fixture::start("security", "scan_on_start = false").await;
    let endpoints = endpoints(&fixture).await;
    assert!(endpoints.len() >= 11, "{endpoints:?}");
    let open = ["/healthz", "/readyz"];
    for (method, path) in &endpoints {
        let url = format!("{}{path}", fixture.url);
        for token in [None, Some("cst_vera_0000"), Some("not-a-token")] {
            let mut request = fixture.client.request(method.parse().unwrap(), &url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let answer = request.send().await.unwrap();
            for (header, value) in [
                (
                    "content-security-policy",
                    "default-src 'none'; frame-ancestors 'none'",
                ),
                ("x-content-type-options", "nosniff"),
                ("cache-control", "no-store"),
            ] {
                assert_eq!(answer.headers()[header], value, "{method} {path}");
            }
            if open.contains(&path.as_str()) {
                assert_eq!(answer.status(), 200, "{method} {path}");
                continue;
            }
            assert_eq!(answer.status(), 401, "{method} {path} with {token:?}");
            assert_eq!(answer.headers()["content-type"], "application/problem+json");
            assert_eq!(answer.headers()["www-authenticate"], "Bearer");
            let problem: Value = answer.json().await.unwrap();
            assert_eq!(problem["status"], 401);
            assert!(
                !problem["detail"].as_str().unwrap().contains("vera"),
                "a refusal does not say which principals exist: {problem}"
            );
        }
    }
    // A viewer reads, but every write is refused; an operator's is taken.
    let writes: Vec<&(String, String)> = endpoints.iter().filter(|(m, _)| m == "POST").collect();
    assert_eq!(writes.len(), 3, "{writes:?}");
    for (_, path) in writes {
        let answer = fixture.post(path, Some(&fixture.tokens.viewer), "{}").await;
        assert_eq!(answer.status(), 403, "POST {path}");
        let problem: Value = answer.json().await.unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("vera has the role viewer"),
            "{problem}"
        );
    }
    let queued = fixture
        .post("/api/v1/scans", Some(&fixture.tokens.operator), "")
        .await;
    assert_eq!(queued.status(), 202);
    let queued: Value = queued.json().await.unwrap();
    assert_eq!(queued["queued"].as_array().unwrap().len(), 2);
    // Nothing was scanned at start (scan_on_start = false): the scans are the ones asked for.
    fixture.wait_for_scans(1).await;
    let policies: Vec<Value> = fixture
        .get("/api/v1/policies", Some(&fixture.tokens.viewer))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        policies
            .iter()
            .any(|p| p["id"] == "openai-org-too-many-owners")
    );
    fixture.shut_down().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_query_values_are_problems_naming_the_parameter() {
    let fixture = Fixture::start("problems", "scan_on_start = false").await;
    for (query, parameter) in [
        ("/api/v1/findings?severity=urgent", "severity"),
        ("/api/v1/findings?limit=0", "limit"),
        ("/api/v1/findings?limit=5001", "limit"),
        ("/api/v1/findings?as_of=yesterday", "as_of"),
        ("/api/v1/findings?status=closed", "status"),
        ("/api/v1/findings?format=xml", "format"),
        ("/api/v1/findings?org=acme", "org"),
        ("/api/v1/findings?cursor=abc", "cursor"),
        ("/api/v1/findings?sevrity=high", "sevrity"),
        ("/api/v1/findings?limit=1&limit=2", "limit"),
        ("/api/v1/scans?cursor=WyJ4Il0", "cursor"),
        ("/api/v1/inventory/user?scan=first", "scan"),
    ] {
        let answer = fixture.get(query, Some(&fixture.tokens.admin)).await;
        assert_eq!(answer.status(), 400, "{query}");
        assert_eq!(answer.headers()["content-type"], "application/problem+json");
        let problem: Value = answer.json().await.unwrap();
        assert_eq!(problem["parameter"], parameter, "{query}: {problem}");
        assert_eq!(problem["type"], "about:blank");
        assert_eq!(problem["title"], "Bad Request");
        assert!(
            problem["detail"].as_str().unwrap().contains(parameter),
            "{problem}"
        );
    }
    let unknown = fixture
        .get("/api/v1/inventory/users", Some(&fixture.tokens.admin))
        .await;
    assert_eq!(unknown.status(), 404);
    let problem: Value = unknown.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("project_api_key"),
        "{problem}"
    );
    fixture.shut_down().await.unwrap();
}
