//! Scenario loading errors: every message names the source, the JSON path and what was expected;
//! no input panics.

use custos_sim::scenario::{ScenarioError, load_reader, load_str};
use serde_json::{Value, json};

const FILE: &str = "demo.json";
const T: i64 = 1_700_000_000;

/// A small valid scenario: 4 projects (the last with two keys), every reference kind once.
fn minimal() -> Value {
    let projects: Vec<Value> = (0..4)
        .map(|p| {
            json!({
                "project": {"object": "organization.project", "id": format!("proj_{p}"), "name": format!("P{p}"), "created_at": T, "status": "active"},
                "users": [{"object": "organization.project.user", "id": "user_1", "role": "owner", "added_at": T}],
                "service_accounts": [{"id": format!("svc_acct_{p}"), "name": "bot", "role": "member", "created_at": T}],
                "api_keys": (0..=p / 3).map(|k| json!({
                    "object": "organization.project.api_key", "id": format!("key_{p}_{k}"), "created_at": T,
                    "last_used_at": null, "owner_project_access": "active",
                    "owner": {"type": "user", "user": {"id": "user_1", "email": "ada@northwind.example", "name": "Ada", "created_at": T, "role": "owner"}}
                })).collect::<Vec<_>>(),
                "rate_limits": [{"object": "project.rate_limit", "id": "rl-gpt-4o", "model": "gpt-4o", "max_requests_per_1_minute": 500, "max_tokens_per_1_minute": 30000}],
                "certificate_ids": ["cert_1"],
                "roles": [{"object": "role", "id": format!("role_p{p}"), "name": "Project reader", "permissions": []}],
                "role_assignments": {"users": {"user_2": [format!("role_p{p}"), "role_1"]}},
                "files": [{"object": "file", "id": format!("file-{p}"), "bytes": 10, "created_at": T, "filename": "a.jsonl", "purpose": "fine-tune", "content": "hello"}],
                "vector_stores": [{"object": "vector_store", "id": format!("vs_{p}"), "name": "docs", "created_at": T}]
            })
        })
        .collect();
    json!({
        "format": "custos-scenario/1",
        "now": T + 86_400,
        "organizations": [{
            "id": "org-a",
            "name": "A",
            "credentials": [
                {"secret": "sk-admin-a-rw", "admin_api_key_id": "key_admin_1", "access": "read_write"},
                {"secret": "sk-proj-a", "project_id": "proj_0"}
            ],
            "users": [
                {"object": "organization.user", "id": "user_1", "email": "ada@northwind.example", "role": "owner", "added_at": T},
                {"object": "organization.user", "id": "user_2", "email": "bob@northwind.example", "role": "reader", "added_at": T},
                {"object": "organization.user", "id": "user_3", "email": "cy@northwind.example", "role": "reader", "added_at": T}
            ],
            "invites": [{"object": "organization.invite", "id": "invite-1", "email": "new@northwind.example", "role": "reader", "status": "pending", "created_at": T, "projects": []}],
            "admin_api_keys": [{"object": "organization.admin_api_key", "id": "key_admin_1", "name": "ci", "created_at": T, "expires_at": null, "owner": {"type": "user", "id": "user_1"}}],
            "certificates": [{"object": "organization.certificate", "id": "cert_1", "name": "mtls", "created_at": T, "certificate_details": {"valid_at": T, "expires_at": T + 1_000_000}, "active": true}],
            "groups": [{"object": "group", "id": "group_1", "name": "Data", "created_at": T, "user_ids": ["user_1", "user_2"]}],
            "roles": [{"object": "role", "id": "role_1", "name": "Auditor", "permissions": ["api.groups.read"]}],
            "role_assignments": {"users": {"user_1": ["role_1"]}, "groups": {"group_1": ["role_1"]}},
            "spend_alerts": [{"object": "organization.spend_alert", "id": "alert_1", "threshold_amount": 10000, "currency": "USD", "interval": "month", "notification_channel": {"type": "email", "recipients": ["ops@northwind.example"]}}],
            "projects": projects,
            "audit_logs": [{"id": "audit_log-1", "type": "login.succeeded", "effective_at": T, "actor": {"type": "session", "session": {"user": {"id": "user_1", "email": "ada@northwind.example"}, "ip_address": "10.0.0.1"}}}],
            "usage": {"completions": [{"object": "organization.usage.completions.result", "start_time": T, "project_id": "proj_0", "input_tokens": 10, "output_tokens": 5, "num_model_requests": 1, "model": "gpt-4o"}]},
            "costs": [{"object": "organization.costs.result", "start_time": T, "amount": {"value": 0.5, "currency": "usd"}, "line_item": "gpt-4o, input", "project_id": "proj_0"}]
        }]
    })
}

/// Applies `change` to the minimal document and loads it, expecting an error.
fn error_after(change: impl FnOnce(&mut Value)) -> String {
    let mut doc = minimal();
    change(&mut doc);
    let text = serde_json::to_string_pretty(&doc).expect("serialize");
    let error = load_str(FILE, &text).expect_err("the change must be refused");
    let message = error.to_string();
    assert!(message.starts_with("demo.json: "), "{message}");
    assert!(
        !message.contains("sk-"),
        "a message leaks a secret: {message}"
    );
    message
}

fn at<'a>(doc: &'a mut Value, pointer: &str) -> &'a mut Value {
    doc.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the fixture"))
}

/// Replaces the value at `pointer`, or adds it to its parent object.
fn set(doc: &mut Value, pointer: &str, value: Value) {
    if let Some(slot) = doc.pointer_mut(pointer) {
        *slot = value;
        return;
    }
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    at(doc, parent)
        .as_object_mut()
        .expect("an object")
        .insert(key.to_owned(), value);
}

fn push(doc: &mut Value, pointer: &str, value: Value) {
    at(doc, pointer)
        .as_array_mut()
        .expect("an array")
        .push(value);
}

#[test]
fn a_minimal_valid_file_loads() {
    let text = serde_json::to_string_pretty(&minimal()).expect("serialize");
    let scenario = load_str(FILE, &text).expect("the minimal scenario is valid");
    assert_eq!(scenario.organizations[0].projects.len(), 4);
    let streamed = load_reader(FILE, text.as_bytes()).expect("streamed");
    assert_eq!(streamed, scenario);
}

#[test]
fn a_wrong_type_names_the_path_and_the_expectation() {
    let message = error_after(|d| {
        set(
            d,
            "/organizations/0/projects/3/api_keys/1/created_at",
            json!("2024-01-01"),
        )
    });
    assert_eq!(
        message,
        "demo.json: organizations[0].projects[3].api_keys[1].created_at: expected an integer (Unix seconds), found a string \"2024-01-01\""
    );
}

#[test]
fn other_wrong_types_read_plainly() {
    let message = error_after(|d| set(d, "/organizations/0/users", json!({"a": 1})));
    assert_eq!(
        message,
        "demo.json: organizations[0].users: expected an array, found an object"
    );
    let message = error_after(|d| set(d, "/organizations/0/users/1/email", json!(5)));
    assert!(
        message.contains("organizations[0].users[1].email: expected a string, found the number 5"),
        "{message}"
    );
    let message = error_after(|d| set(d, "/organizations/0/credentials/0/access", json!("rw")));
    assert!(
        message.contains("organizations[0].credentials[0].access: unknown value \"rw\"; expected one of: read_write, read_only"),
        "{message}"
    );
}

#[test]
fn a_missing_field_names_the_object() {
    let message = error_after(|d| {
        at(d, "/organizations/0/users/2")
            .as_object_mut()
            .expect("object")
            .remove("added_at");
    });
    assert_eq!(
        message,
        "demo.json: organizations[0].users[2]: missing field \"added_at\""
    );
}

#[test]
fn fields_of_flattened_objects_are_still_named() {
    let message = error_after(|d| {
        set(
            d,
            "/organizations/0/groups/0/created_at",
            json!("yesterday"),
        )
    });
    assert!(message.contains("organizations[0].groups[0]"), "{message}");
    assert!(
        message.contains("expected an integer (Unix seconds), found a string \"yesterday\""),
        "{message}"
    );
    let message = error_after(|d| {
        at(d, "/organizations/0/projects/1/files/0")
            .as_object_mut()
            .expect("object")
            .remove("created_at");
    });
    assert!(
        message.contains("organizations[0].projects[1].files[0]: missing field \"created_at\""),
        "{message}"
    );
}

#[test]
fn an_unknown_field_lists_the_allowed_ones() {
    let message = error_after(|d| set(d, "/organizations/0/projects/0/api_key", json!([])));
    assert!(
        message.contains("organizations[0].projects[0]"),
        "{message}"
    );
    assert!(message.contains("unknown field \"api_key\""), "{message}");
    assert!(
        message.contains("allowed fields: project, users, service_accounts, api_keys"),
        "{message}"
    );
}

#[test]
fn an_unknown_usage_kind_lists_the_ten_kinds() {
    let message = error_after(|d| set(d, "/organizations/0/usage/completion", json!([])));
    assert!(message.contains("organizations[0].usage"), "{message}");
    assert!(
        message.contains("unknown usage kind \"completion\""),
        "{message}"
    );
    for kind in custos_model::api::UsageKind::ALL {
        assert!(message.contains(kind.name()), "{kind:?} missing: {message}");
    }
}

#[test]
fn a_wrong_format_names_the_expected_one() {
    let message = error_after(|d| set(d, "/format", json!("custos-scenario/2")));
    assert_eq!(
        message,
        "demo.json: format: expected \"custos-scenario/1\", found \"custos-scenario/2\" (a document of another format or version)"
    );
    // A newer document with fields this version does not know still gets the format message.
    let message = error_after(|d| {
        set(d, "/format", json!("custos-scenario/2"));
        set(d, "/organizations/0/future_field", json!(1));
    });
    assert!(
        message.contains("format: expected \"custos-scenario/1\""),
        "{message}"
    );
    let message = error_after(|d| {
        d.as_object_mut().expect("object").remove("format");
    });
    assert_eq!(message, "demo.json: missing field \"format\"");
}

#[test]
fn duplicate_ids_name_both_places() {
    let message = error_after(|d| set(d, "/organizations/0/users/2/id", json!("user_1")));
    assert_eq!(
        message,
        "demo.json: organizations[0].users[2].id: duplicate id \"user_1\" (first at organizations[0].users[0])"
    );
    let message = error_after(|d| {
        set(
            d,
            "/organizations/0/projects/3/api_keys/1/id",
            json!("key_0_0"),
        )
    });
    assert!(
        message.contains("organizations[0].projects[3].api_keys[1].id: duplicate id \"key_0_0\" (first at organizations[0].projects[0].api_keys[0])"),
        "{message}"
    );
    let message = error_after(|d| {
        let org = at(d, "/organizations/0").clone();
        push(d, "/organizations", org);
    });
    assert!(
        message.contains("organizations[1].id: duplicate id \"org-a\" (first at organizations[0])"),
        "{message}"
    );
    // Project-level duplicates stay within their project.
    let message = error_after(|d| {
        let sa = at(d, "/organizations/0/projects/2/service_accounts/0").clone();
        push(d, "/organizations/0/projects/2/service_accounts", sa);
    });
    assert!(
        message.contains(
            "organizations[0].projects[2].service_accounts[1].id: duplicate id \"svc_acct_2\""
        ),
        "{message}"
    );
}

#[test]
fn every_dangling_reference_kind_is_named() {
    let cases: [(&str, Value, &str); 11] = [
        (
            "/organizations/0/credentials/0/admin_api_key_id",
            json!("key_nope"),
            "organizations[0].credentials[0].admin_api_key_id: admin API key \"key_nope\" does not exist",
        ),
        (
            "/organizations/0/credentials/1/project_id",
            json!("proj_nope"),
            "organizations[0].credentials[1].project_id: project \"proj_nope\" does not exist",
        ),
        (
            "/organizations/0/projects/1/certificate_ids/0",
            json!("cert_nope"),
            "organizations[0].projects[1].certificate_ids[0]: organization certificate \"cert_nope\" does not exist",
        ),
        (
            "/organizations/0/role_assignments/users/user_9",
            json!(["role_1"]),
            "organizations[0].role_assignments.users.user_9: user \"user_9\" does not exist",
        ),
        (
            "/organizations/0/role_assignments/groups/group_9",
            json!(["role_1"]),
            "organizations[0].role_assignments.groups.group_9: group \"group_9\" does not exist",
        ),
        (
            "/organizations/0/role_assignments/users/user_1",
            json!(["role_p0"]),
            "organizations[0].role_assignments.users.user_1[0]: organization role \"role_p0\" does not exist",
        ),
        (
            "/organizations/0/projects/0/role_assignments/users/user_2",
            json!(["role_p1"]),
            "organizations[0].projects[0].role_assignments.users.user_2[0]: project or organization role \"role_p1\" does not exist",
        ),
        (
            "/organizations/0/projects/0/role_assignments/groups",
            json!({"group_x": []}),
            "organizations[0].projects[0].role_assignments.groups.group_x: group \"group_x\" does not exist",
        ),
        (
            "/organizations/0/groups/0/user_ids/1",
            json!("user_9"),
            "organizations[0].groups[0].user_ids[1]: user \"user_9\" does not exist",
        ),
        (
            "/organizations/0/projects/2/users/0/id",
            json!("user_9"),
            "organizations[0].projects[2].users[0].id: project user \"user_9\" is not an organization user",
        ),
        (
            "/organizations/0/credentials/1/access",
            json!("read_only"),
            "",
        ),
    ];
    for (pointer, value, expected) in cases {
        let mut doc = minimal();
        set(&mut doc, pointer, value);
        let text = serde_json::to_string(&doc).expect("serialize");
        let result = load_str(FILE, &text);
        if expected.is_empty() {
            // `access` on a project credential is ignored, not an error.
            assert!(result.is_ok(), "{pointer}: {result:?}");
            continue;
        }
        let message = result.expect_err(pointer).to_string();
        assert!(
            message.contains(&format!("demo.json: {expected}")),
            "{pointer}: {message}"
        );
    }
}

#[test]
fn credentials_need_exactly_one_target_and_admin_ones_an_access() {
    let message = error_after(|d| {
        set(
            d,
            "/organizations/0/credentials/1/admin_api_key_id",
            json!("key_admin_1"),
        )
    });
    assert!(
        message.contains(
            "organizations[0].credentials[1]: expected exactly one of \"admin_api_key_id\""
        ),
        "{message}"
    );
    let message = error_after(|d| {
        at(d, "/organizations/0/credentials/0")
            .as_object_mut()
            .expect("object")
            .remove("access");
    });
    assert!(
        message.contains("organizations[0].credentials[0]: missing field \"access\""),
        "{message}"
    );
    let message = error_after(|d| {
        set(
            d,
            "/organizations/0/credentials/1/secret",
            json!("sk-admin-a-rw"),
        )
    });
    assert!(
        message.contains("organizations[0].credentials[1].secret: the same secret as organizations[0].credentials[0]"),
        "{message}"
    );
}

#[test]
fn object_tags_must_match_their_kind() {
    let message = error_after(|d| {
        set(
            d,
            "/organizations/0/users/1/object",
            json!("organization.invite"),
        )
    });
    assert_eq!(
        message,
        "demo.json: organizations[0].users[1].object: expected \"organization.user\", found \"organization.invite\" (an object of another kind)"
    );
    let message = error_after(|d| {
        set(
            d,
            "/organizations/0/usage/completions/0/object",
            json!("organization.usage.embeddings.result"),
        )
    });
    assert!(
        message.contains("organizations[0].usage.completions[0].object: expected \"organization.usage.completions.result\""),
        "{message}"
    );
}

#[test]
fn usage_and_cost_records_need_a_start_time() {
    let message = error_after(|d| {
        at(d, "/organizations/0/usage/completions/0")
            .as_object_mut()
            .expect("object")
            .remove("start_time");
        at(d, "/organizations/0/costs/0")
            .as_object_mut()
            .expect("object")
            .remove("start_time");
    });
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 2, "{message}");
    assert!(
        lines[0].starts_with(
            "demo.json: organizations[0].usage.completions[0]: missing field \"start_time\""
        ),
        "{message}"
    );
    assert!(
        lines[1].starts_with("demo.json: organizations[0].costs[0]: missing field \"start_time\""),
        "{message}"
    );
}

#[test]
fn validation_reports_every_problem_up_to_a_limit() {
    let error = {
        let mut doc = minimal();
        let users = at(&mut doc, "/organizations/0/users")
            .as_array_mut()
            .expect("array");
        let first = users[0].clone();
        users.extend(std::iter::repeat_n(first, 30));
        load_str(FILE, &doc.to_string()).expect_err("duplicates")
    };
    let ScenarioError::Invalid {
        problems, omitted, ..
    } = &error
    else {
        panic!("expected a validation error: {error}");
    };
    assert_eq!(problems.len(), custos_sim::scenario::MAX_PROBLEMS);
    assert_eq!(*omitted, 30 - problems.len());
    assert!(
        error
            .to_string()
            .ends_with("demo.json: ... and 10 more problem(s) not listed")
    );
}

#[test]
fn a_document_cut_anywhere_is_a_syntax_error_with_a_position() {
    let text = serde_json::to_string_pretty(&minimal()).expect("serialize");
    let step = (text.len() / 400).max(1);
    for cut in (0..text.len()).step_by(step).chain([1, 2, text.len() - 1]) {
        for result in [
            load_str(FILE, &text[..cut]),
            load_reader(FILE, &text.as_bytes()[..cut]),
        ] {
            let error = result.expect_err("a cut document");
            let message = error.to_string();
            assert!(
                matches!(error, ScenarioError::Syntax { .. }),
                "cut at {cut}: {message}"
            );
            assert!(message.starts_with("demo.json: "), "{message}");
            assert!(
                message.contains("(line ") && message.contains(", column "),
                "{message}"
            );
        }
    }
}

#[test]
fn garbage_never_panics() {
    let inputs: [&[u8]; 9] = [
        b"",
        b"null",
        b"[]",
        b"{\"format\": 5}",
        b"{\"format\": \"custos-scenario/1\", \"organizations\": {}}",
        b"{\"format\": \"custos-scenario/1\", \"organizations\": []} trailing",
        b"\xff\xfe{}",
        b"{\"format\": \"custos-scenario/1\", \"organizations\": [{\"id\": \"o\", \"users\": [{\"id\": \"u\", \"added_at\": 1e300}]}]}",
        &[b'['; 10_000],
    ];
    for input in inputs {
        let error = load_reader(FILE, input).expect_err("garbage");
        assert!(error.to_string().starts_with("demo.json: "), "{error}");
    }
    let error = load_str(FILE, "5").expect_err("a number");
    assert_eq!(
        error.to_string(),
        "demo.json: expected an object, found the number 5"
    );
}

#[test]
fn an_unreadable_file_is_named() {
    let missing = std::path::Path::new("/nonexistent/custos/scenario.json");
    let error = custos_sim::scenario::load_file(missing).expect_err("missing file");
    // The cause is the error's source, printed after it in a chain (as the binary does), once.
    let cause = std::error::Error::source(&error).expect("the I/O error as the source");
    let message = format!("{error}: {cause}");
    assert!(
        message.starts_with("/nonexistent/custos/scenario.json: cannot read the scenario: "),
        "{message}"
    );
}

#[test]
fn json_objects_need_a_kind_read_as_json_and_string_ids() {
    let provider =
        |id: Value| json!({"id": id, "object": "organization.workload_identity_provider"});
    let message = error_after(|d| {
        set(
            d,
            "/organizations/0/json_objects",
            json!({
                "user": [{"id": "user_9"}],
                "workload_identity_provider": [provider(json!("wip_1")), provider(json!(7)), provider(json!("wip_1"))],
            }),
        )
    });
    assert!(
        message.contains(
            "organizations[0].json_objects.user: \"user\" is not a kind of the organization \
             read as JSON; expected \"workload_identity_provider\" or "
        ),
        "{message}"
    );
    let json_kinds = custos_model::kind::Kind::ALL
        .iter()
        .filter(|k| k.info().json);
    for kind in json_kinds {
        assert!(message.contains(&format!("\"{kind}\"")), "{message}");
    }
    assert!(
        message.contains(
            "organizations[0].json_objects.workload_identity_provider[1].id: missing field \"id\""
        ),
        "{message}"
    );
    assert!(
        message.contains(
            "organizations[0].json_objects.workload_identity_provider[2].id: duplicate id \"wip_1\""
        ),
        "{message}"
    );
    let unknown = error_after(|d| set(d, "/organizations/0/json_objects", json!({"gizmo": []})));
    assert!(
        unknown.contains("organizations[0].json_objects"),
        "{unknown}"
    );
    assert!(unknown.contains("gizmo"), "{unknown}");
}
