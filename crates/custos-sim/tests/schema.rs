//! Every one of the spec's 119 operations, called on the simulator serving `fixtures/full.json`,
//! answers 200 with a body that validates against the operation's response schema in
//! `openapi.admin.yaml` (OpenAPI 3.1 = JSON Schema 2020-12). The operations come from the
//! spec's `paths`, so an operation the simulator lacks fails the test.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use custos_model::kind::Kind;
use custos_model::scenario::Scenario;
use custos_sim::server::{SimConfig, Simulator};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tower::ServiceExt;

const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../spec/openai-admin-api/openapi.admin.yaml"
);
const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../spec/openai-admin-api/examples"
);
/// The reads of the newest SDK that `openapi.admin.yaml` lacks, in the same shape.
const SDK_ADDITIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../spec/openai-admin-api/sdk-additions.json"
);
const FIXTURE: &str = include_str!("fixtures/full.json");
const ADMIN: &str = "sk-admin-acme-rw";
/// `now` of the fixture.
const NOW: i64 = 1_767_225_600;

fn scenario() -> Scenario {
    serde_json::from_str(FIXTURE).expect("the fixture is a scenario")
}

fn spec() -> Value {
    let text = std::fs::read_to_string(SPEC).expect("the spec is readable");
    serde_yaml_ng::from_str(&text).expect("the spec is YAML")
}

/// One operation of the spec.
struct Operation {
    method: Method,
    path: String,
    operation_id: String,
    response_schema: Value,
}

fn operations(spec: &Value) -> Vec<Operation> {
    let paths = spec["paths"].as_object().expect("paths");
    let mut operations = Vec::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("path item") {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "delete" => Method::DELETE,
                _ => continue,
            };
            let schema = &operation["responses"]["200"]["content"]["application/json"]["schema"];
            assert!(!schema.is_null(), "{method} {path} has no 200 schema");
            operations.push(Operation {
                method,
                path: path.clone(),
                operation_id: operation["operationId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                response_schema: schema.clone(),
            });
        }
    }
    operations
}

/// The fixture id to put in a path parameter of `method path`.
fn path_value(method: &Method, path: &str, param: &str) -> &'static str {
    let project_scoped = path.starts_with("/projects/");
    match param {
        "project_id" => "proj_ml",
        "user_id" => "user_bob",
        "group_id" => "group_eng",
        "invite_id" => "invite-pending",
        // Deleting the key the test authenticates with would be self-deletion.
        "key_id" => "key_admin_2",
        "certificate_id" if method == Method::DELETE => "cert_spare",
        "certificate_id" => "cert_org",
        "api_key_id" => "key_user_alice",
        "service_account_id" => "svc_acct_ci",
        "rate_limit_id" => "rl-gpt-4o",
        "alert_id" if path.contains("/projects/") => "alert_proj_1",
        "alert_id" => "alert_org_1",
        "role_id" if project_scoped => "role_proj_dev",
        "role_id" => "role_org_custom",
        other => panic!("no fixture value for path parameter {other} of {path}"),
    }
}

fn fill_path(method: &Method, path: &str) -> String {
    let mut filled = String::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        filled.push('/');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => filled.push_str(path_value(method, path, param)),
            None => filled.push_str(segment),
        }
    }
    filled
}

/// Query parameters that some operations need.
fn query(path: &str) -> String {
    if path.starts_with("/organization/usage/") || path == "/organization/costs" {
        format!("?start_time={}&limit=7", NOW - 7 * 86_400)
    } else if path == "/organization/certificates/{certificate_id}" {
        "?include[]=content".to_owned()
    } else {
        String::new()
    }
}

/// The spec's request example for an operation, with its ids replaced by fixture ids.
fn request_body(index: &BTreeMap<String, String>, operation_id: &str) -> Value {
    let Some(file) = index.get(operation_id) else {
        return json!({});
    };
    let mut text = std::fs::read_to_string(format!("{EXAMPLES}/{file}")).expect("request file");
    for (example, fixture) in [
        ("user_abc123", "user_carol"),
        ("user_abc", "user_dave"),
        ("cert_abc", "cert_org"),
        ("cert_def", "cert_proj"),
        ("group_01J1F8ABCDXYZ", "group_ops"),
        ("role_01J1F8PROJ", "role_proj_dev"),
        ("role_01J1F8ROLE01", "role_org_custom"),
        ("project-xyz", "proj_ml"),
        ("project-abc", "proj_web"),
    ] {
        text = text.replace(example, fixture);
    }
    serde_json::from_str(&text).expect("request example is JSON")
}

fn request_files() -> BTreeMap<String, String> {
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{EXAMPLES}/INDEX.json")).expect("INDEX.json"),
    )
    .expect("INDEX.json is JSON");
    index["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .filter_map(|op| {
            Some((
                op["operationId"].as_str()?.to_owned(),
                op["request_file"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

async fn call(
    sim: &Simulator,
    method: Method,
    uri: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {ADMIN}"));
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Body::from(serde_json::to_vec(body).expect("body"))
        }
        None => Body::empty(),
    };
    let response = sim
        .router()
        .oneshot(request.body(body).expect("request"))
        .await
        .expect("the router answers");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{uri}: not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (status, value)
}

/// What makes `answer` invalid against `schema`, one line per error.
fn schema_errors(components: &Value, schema: &Value, answer: &Value) -> Vec<String> {
    validator(components, schema)
        .iter_errors(answer)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn validator(components: &Value, schema: &Value) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": components,
        "allOf": [schema],
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&root)
        .expect("the response schema compiles")
}

#[tokio::test]
async fn every_operation_answers_its_response_schema() {
    let spec = spec();
    let components = &spec["components"];
    let operations = operations(&spec);
    assert_eq!(operations.len(), 119, "the spec has 119 operations");
    let bodies = request_files();

    // Reads share one simulator; each write gets a fresh one so that writes cannot disturb
    // each other (a deleted user would make a later read 404).
    let reader = Simulator::new(scenario(), SimConfig::default());
    let mut failures = Vec::new();
    let mut exercised = 0;
    for op in &operations {
        let sim = if op.method == Method::GET {
            reader.clone()
        } else {
            Simulator::new(scenario(), SimConfig::default())
        };
        let uri = format!("/v1{}{}", fill_path(&op.method, &op.path), query(&op.path));
        let body = (op.method == Method::POST).then(|| request_body(&bodies, &op.operation_id));
        let (status, answer) = call(&sim, op.method.clone(), &uri, body.as_ref()).await;
        exercised += 1;
        let name = format!("{} {} ({})", op.method, op.path, op.operation_id);
        if status != StatusCode::OK {
            failures.push(format!("{name}: status {status}: {answer}"));
            continue;
        }
        let errors: Vec<String> = schema_errors(components, &op.response_schema, &answer);
        if !errors.is_empty() {
            failures.push(format!(
                "{name}: {}\n    answer: {answer}",
                errors.join("; ")
            ));
        }
    }
    assert_eq!(exercised, 119);
    assert!(
        failures.is_empty(),
        "{} of 119 operations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every operation of `sdk-additions.json`, a read of a kind custos reads as JSON, answers the
/// fixture's objects with a body that validates against the file's schema; a retrieve is asked
/// for the kind's first object. Every SDK operation of custos's table is in the file.
#[tokio::test]
async fn every_sdk_read_answers_its_sdk_schema() {
    let text = std::fs::read_to_string(SDK_ADDITIONS).expect("sdk-additions.json is readable");
    let additions: Value = serde_json::from_str(&text).expect("sdk-additions.json is JSON");
    let operations = operations(&additions);
    let ours: Vec<(&str, &str)> = custos_model::operations::SDK_OPERATIONS
        .iter()
        .map(|op| (op.method, op.path))
        .collect();
    let theirs: Vec<(&str, &str)> = operations
        .iter()
        .map(|op| (op.method.as_str(), op.path.as_str()))
        .collect();
    assert_eq!(ours, theirs, "SDK_OPERATIONS and sdk-additions.json differ");

    let scenario = scenario();
    let sim = Simulator::new(scenario.clone(), SimConfig::default());
    let fixture = &scenario.organizations[0].json_objects;
    for op in &operations {
        let info = Kind::ALL
            .iter()
            .map(|kind| kind.info())
            .find(|info| {
                [info.list, info.retrieve]
                    .iter()
                    .flatten()
                    .any(|o| o.path == op.path)
            })
            .unwrap_or_else(|| panic!("{} reads no kind of the registry", op.path));
        assert!(info.json, "{}", info.kind);
        let objects = fixture
            .get(&info.kind)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let first_id = objects
            .first()
            .and_then(|o| o["id"].as_str())
            .unwrap_or_else(|| panic!("the fixture has no {}", info.kind));
        // A retrieve's one placeholder ends its path.
        let path = match op.path.split_once('{') {
            Some((prefix, _)) => format!("{prefix}{first_id}"),
            None => op.path.clone(),
        };
        let (status, answer) = call(&sim, Method::GET, &format!("/v1{path}"), None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        let errors: Vec<String> =
            schema_errors(&additions["components"], &op.response_schema, &answer);
        assert!(
            errors.is_empty(),
            "{path}: {}\n    answer: {answer}",
            errors.join("; ")
        );
        match answer["data"].as_array() {
            Some(listed) => assert_eq!(listed.len(), objects.len(), "{path}"),
            None => assert_eq!(answer["id"], first_id, "{path}"),
        }
    }
}

#[tokio::test]
async fn errors_have_the_api_error_shape() {
    let spec = spec();
    let error_schema = json!({"$ref": "#/components/schemas/ErrorResponse"});
    let validator = validator(&spec["components"], &error_schema);
    let sim = Simulator::new(scenario(), SimConfig::default());
    for (uri, expected) in [
        ("/v1/organization/users/user_nobody", StatusCode::NOT_FOUND),
        ("/v1/organization/users?limit=1000", StatusCode::BAD_REQUEST),
        (
            "/v1/organization/usage/completions",
            StatusCode::BAD_REQUEST,
        ),
        ("/v1/files", StatusCode::FORBIDDEN),
    ] {
        let (status, answer) = call(&sim, Method::GET, uri, None).await;
        assert_eq!(status, expected, "{uri}: {answer}");
        assert!(validator.is_valid(&answer), "{uri}: {answer}");
    }
}

/// With the quirk `project_keys_in_admin_keys`, the admin-key list also shows every project key
/// of the fixture under its own id, and still answers its response schema.
#[tokio::test]
async fn the_admin_key_list_showing_project_keys_answers_its_schema() {
    let spec = spec();
    let list = operations(&spec)
        .into_iter()
        .find(|op| op.operation_id == "admin-api-keys-list")
        .expect("the admin-key list is an operation of the spec");
    let mut scenario = scenario();
    let organization = &mut scenario.organizations[0];
    organization.quirks.project_keys_in_admin_keys = true;
    let mut expected: Vec<String> = organization
        .admin_api_keys
        .iter()
        .map(|k| k.id.clone())
        .chain(
            organization
                .projects
                .iter()
                .flat_map(|p| &p.api_keys)
                .map(|k| k.id.clone()),
        )
        .collect();
    assert!(expected.len() > organization.admin_api_keys.len());
    let sim = Simulator::new(scenario, SimConfig::default());
    let uri = "/v1/organization/admin_api_keys?limit=100";
    let (status, answer) = call(&sim, Method::GET, uri, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let errors: Vec<String> = schema_errors(&spec["components"], &list.response_schema, &answer);
    assert!(
        errors.is_empty(),
        "{}\n    answer: {answer}",
        errors.join("; ")
    );
    let mut listed: Vec<String> = answer["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|k| k["id"].as_str().expect("an id").to_owned())
        .collect();
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected);
}
