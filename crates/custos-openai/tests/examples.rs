//! Every example payload of the spec (`spec/openai-admin-api/examples/`, manifest
//! `INDEX.json`) parses into the type the client uses for it, and re-serializes without losing
//! a field. A file no check covers fails the test: nothing is skipped silently.

use custos_model::api::{
    AdminApiKey, AdminApiKeyCreated, AssignedRole, AuditLog, Certificate, CostResult,
    DataRetention, Deleted, ErrorBody, ErrorResponse, Group, GroupMember, GroupRoleAssignment,
    GroupSummary, GroupUpdated, GroupUserAssignment, HostedToolPermissions, Invite,
    ModelPermissions, Project, ProjectApiKey, ProjectGroup, ProjectUser, RateLimit, Role,
    ServiceAccount, ServiceAccountApiKey, ServiceAccountCreated, SpendAlert, SpendLimit, UsageKind,
    UsageResult, User, UserRoleAssignment,
};
use custos_model::page::{BucketPage, DataList, IdCursorPage, NextCursorPage};
use custos_openai::endpoints::{
    AdminApiKeyCreateRequest, CreateGroupBody, CreateGroupUserBody,
    CreateProjectServiceAccountApiKeyBody, CreateSpendAlertBody, InviteProjectGroupBody,
    InviteRequest, ModifyCertificateRequest, ProjectCreateRequest,
    ProjectHostedToolPermissionsUpdateRequest, ProjectModelPermissionsUpdateRequest,
    ProjectRateLimitUpdateRequest, ProjectServiceAccountCreateRequest, ProjectUpdateRequest,
    ProjectUserCreateRequest, ProjectUserUpdateRequest, PublicAssignOrganizationGroupRoleBody,
    PublicCreateOrganizationRoleBody, PublicUpdateOrganizationRoleBody, ToggleCertificatesRequest,
    UpdateGroupBody, UpdateOrganizationDataRetentionBody, UpdateProjectDataRetentionBody,
    UpdateProjectServiceAccountBody, UpdateSpendLimitBody, UploadCertificateRequest,
    UserRoleUpdateRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const API_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/openai-admin-api");

/// Parses an example and returns the typed value serialized again.
type Check = fn(&str) -> Result<Value, String>;

fn typed<T: DeserializeOwned + Serialize>(text: &str) -> Result<Value, String> {
    let value: T = serde_json::from_str(text).map_err(|e| e.to_string())?;
    serde_json::to_value(&value).map_err(|e| e.to_string())
}

/// `UsageResponse` is one schema for eleven endpoints: each result is typed by its `object`.
fn usage_page(text: &str) -> Result<Value, String> {
    let mut page: BucketPage<Value> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    for bucket in &mut page.data {
        for result in &mut bucket.results {
            let tag = result["object"].as_str().unwrap_or_default().to_owned();
            let text = result.to_string();
            *result = if tag == "organization.costs.result" {
                typed::<CostResult>(&text)?
            } else if UsageKind::ALL.iter().any(|k| k.result_object() == tag) {
                typed::<UsageResult>(&text)?
            } else {
                return Err(format!("unknown usage result object {tag:?}"));
            };
        }
    }
    serde_json::to_value(&page).map_err(|e| e.to_string())
}

/// The spec's error envelope, or the bare `{code, message}` of the two rate-limit examples
/// (`docs/admin-api-notes.md` "Errors and retries"): the client reads the inner object either way.
fn error_body(text: &str) -> Result<Value, String> {
    let body = serde_json::from_str::<ErrorResponse>(text)
        .map(|response| response.error)
        .or_else(|_| serde_json::from_str::<ErrorBody>(text))
        .map_err(|e| e.to_string())?;
    if body.message.is_empty() {
        return Err("the error has no message".to_owned());
    }
    serde_json::to_value(&body).map_err(|e| e.to_string())
}

/// Schema name (response, object or request) → the check of the Rust type the client uses.
/// Inline schemas are named `inline:<operationId>`.
fn rust_type(schema: &str) -> Option<Check> {
    let check: Check = match schema {
        "ApiKeyList" => typed::<IdCursorPage<AdminApiKey>>,
        "AdminApiKey" => typed::<AdminApiKey>,
        "AdminApiKeyCreateResponse" => typed::<AdminApiKeyCreated>,
        "ListAuditLogsResponse" => typed::<IdCursorPage<AuditLog>>,
        "AuditLog" => typed::<AuditLog>,
        "ListCertificatesResponse" | "ListProjectCertificatesResponse" => {
            typed::<IdCursorPage<Certificate>>
        }
        "Certificate" => typed::<Certificate>,
        "OrganizationCertificateActivationResponse"
        | "OrganizationCertificateDeactivationResponse"
        | "OrganizationProjectCertificateActivationResponse"
        | "OrganizationProjectCertificateDeactivationResponse" => typed::<DataList<Certificate>>,
        "UsageResponse" => usage_page,
        "CostsResult" => typed::<CostResult>,
        "UsageCompletionsResult"
        | "UsageEmbeddingsResult"
        | "UsageModerationsResult"
        | "UsageImagesResult"
        | "UsageAudioSpeechesResult"
        | "UsageAudioTranscriptionsResult"
        | "UsageVectorStoresResult"
        | "UsageCodeInterpreterSessionsResult"
        | "UsageFileSearchCallsResult"
        | "UsageWebSearchCallsResult" => typed::<UsageResult>,
        "OrganizationDataRetention" | "ProjectDataRetention" => typed::<DataRetention>,
        "GroupListResource" => typed::<NextCursorPage<Group>>,
        "GroupResponse" => typed::<Group>,
        "Group" => typed::<GroupSummary>,
        "GroupResourceWithSuccess" => typed::<GroupUpdated>,
        "RoleListResource" => typed::<NextCursorPage<AssignedRole>>,
        "AssignedRoleDetails" => typed::<AssignedRole>,
        "GroupRoleAssignment" => typed::<GroupRoleAssignment>,
        "UserRoleAssignment" => typed::<UserRoleAssignment>,
        "UserListResource" => typed::<NextCursorPage<GroupMember>>,
        "GroupMemberUser" => typed::<GroupMember>,
        "GroupUserAssignment" => typed::<GroupUserAssignment>,
        "InviteListResponse" => typed::<IdCursorPage<Invite>>,
        "Invite" => typed::<Invite>,
        "ProjectListResponse" => typed::<IdCursorPage<Project>>,
        "Project" => typed::<Project>,
        "ProjectApiKeyListResponse" => typed::<IdCursorPage<ProjectApiKey>>,
        "ProjectApiKey" => typed::<ProjectApiKey>,
        "ProjectGroupListResource" => typed::<NextCursorPage<ProjectGroup>>,
        "ProjectGroup" => typed::<ProjectGroup>,
        "ProjectHostedToolPermissions" => typed::<HostedToolPermissions>,
        "ProjectModelPermissions" => typed::<ModelPermissions>,
        "ProjectRateLimitListResponse" => typed::<IdCursorPage<RateLimit>>,
        "ProjectRateLimit" => typed::<RateLimit>,
        "ProjectServiceAccountListResponse" => typed::<IdCursorPage<ServiceAccount>>,
        "ProjectServiceAccount" => typed::<ServiceAccount>,
        "ProjectServiceAccountCreateResponse" => typed::<ServiceAccountCreated>,
        "ServiceAccountApiKeyBody" => typed::<ServiceAccountApiKey>,
        "OrganizationSpendAlertListResource" | "ProjectSpendAlertListResource" => {
            typed::<IdCursorPage<SpendAlert>>
        }
        "OrganizationSpendAlert" | "ProjectSpendAlert" => typed::<SpendAlert>,
        "OrganizationSpendLimitResource" | "ProjectSpendLimitResource" => typed::<SpendLimit>,
        "ProjectUserListResponse" => typed::<IdCursorPage<ProjectUser>>,
        "ProjectUser" => typed::<ProjectUser>,
        "PublicRoleListResource" => typed::<NextCursorPage<Role>>,
        "Role" => typed::<Role>,
        "UserListResponse" => typed::<IdCursorPage<User>>,
        "User" => typed::<User>,
        "inline:admin-api-keys-delete"
        | "DeleteCertificateResponse"
        | "GroupDeletedResource"
        | "DeletedRoleAssignmentResource"
        | "GroupUserDeletedResource"
        | "InviteDeleteResponse"
        | "ProjectApiKeyDeleteResponse"
        | "ProjectGroupDeletedResource"
        | "ProjectModelPermissionsDeleteResponse"
        | "ProjectServiceAccountDeleteResponse"
        | "OrganizationSpendAlertDeletedResource"
        | "ProjectSpendAlertDeletedResource"
        | "OrganizationSpendLimitDeletedResource"
        | "ProjectSpendLimitDeletedResource"
        | "ProjectUserDeleteResponse"
        | "RoleDeletedResource"
        | "UserDeleteResponse" => typed::<Deleted>,
        // Request bodies.
        "inline:admin-api-keys-create" => typed::<AdminApiKeyCreateRequest>,
        "UploadCertificateRequest" => typed::<UploadCertificateRequest>,
        "ToggleCertificatesRequest" => typed::<ToggleCertificatesRequest>,
        "ModifyCertificateRequest" => typed::<ModifyCertificateRequest>,
        "UpdateOrganizationDataRetentionBody" => typed::<UpdateOrganizationDataRetentionBody>,
        "UpdateProjectDataRetentionBody" => typed::<UpdateProjectDataRetentionBody>,
        "CreateGroupBody" => typed::<CreateGroupBody>,
        "UpdateGroupBody" => typed::<UpdateGroupBody>,
        "CreateGroupUserBody" => typed::<CreateGroupUserBody>,
        "PublicAssignOrganizationGroupRoleBody" => typed::<PublicAssignOrganizationGroupRoleBody>,
        "InviteRequest" => typed::<InviteRequest>,
        "ProjectCreateRequest" => typed::<ProjectCreateRequest>,
        "ProjectUpdateRequest" => typed::<ProjectUpdateRequest>,
        "InviteProjectGroupBody" => typed::<InviteProjectGroupBody>,
        "ProjectHostedToolPermissionsUpdateRequest" => {
            typed::<ProjectHostedToolPermissionsUpdateRequest>
        }
        "ProjectModelPermissionsUpdateRequest" => typed::<ProjectModelPermissionsUpdateRequest>,
        "ProjectRateLimitUpdateRequest" => typed::<ProjectRateLimitUpdateRequest>,
        "ProjectServiceAccountCreateRequest" => typed::<ProjectServiceAccountCreateRequest>,
        "UpdateProjectServiceAccountBody" => typed::<UpdateProjectServiceAccountBody>,
        "CreateProjectServiceAccountApiKeyBody" => typed::<CreateProjectServiceAccountApiKeyBody>,
        "CreateSpendAlertBody" => typed::<CreateSpendAlertBody>,
        "UpdateOrganizationSpendLimitBody" | "UpdateProjectSpendLimitBody" => {
            typed::<UpdateSpendLimitBody>
        }
        "ProjectUserCreateRequest" => typed::<ProjectUserCreateRequest>,
        "ProjectUserUpdateRequest" => typed::<ProjectUserUpdateRequest>,
        "PublicCreateOrganizationRoleBody" => typed::<PublicCreateOrganizationRoleBody>,
        "PublicUpdateOrganizationRoleBody" => typed::<PublicUpdateOrganizationRoleBody>,
        "UserRoleUpdateRequest" => typed::<UserRoleUpdateRequest>,
        _ => return None,
    };
    Some(check)
}

/// How an example must come back after the round trip through its type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fidelity {
    /// Responses: every field of the example is still there with its value (a field that was
    /// `null` may be left out; defaults may be added).
    Keeps,
    /// Request bodies: byte-for-byte the same JSON value, so no field name is wrong.
    Exact,
}

/// One file to check against one schema.
struct Case {
    file: String,
    schema: String,
    fidelity: Fidelity,
}

fn read(relative: &str) -> String {
    let path = Path::new(API_DIR).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn schema_name(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// (METHOD, path) → request schema name, from the spec.
fn request_schemas() -> BTreeMap<(String, String), String> {
    let spec: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&read("openapi.admin.yaml")).expect("the spec is YAML");
    let mut out = BTreeMap::new();
    let paths = spec["paths"].as_mapping().expect("`paths` is a mapping");
    for (path, item) in paths {
        let (Some(path), Some(item)) = (path.as_str(), item.as_mapping()) else {
            continue;
        };
        for (method, operation) in item {
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            let (Some(method), false) = (method.as_str(), schema.is_null()) else {
                continue;
            };
            let name = match schema["$ref"].as_str() {
                Some(reference) => schema_name(reference).to_owned(),
                None => format!(
                    "inline:{}",
                    operation["operationId"].as_str().unwrap_or_default()
                ),
            };
            out.insert((method.to_uppercase(), path.to_owned()), name);
        }
    }
    out
}

/// Every file the manifest names, with the schema it must parse as.
fn cases(index: &Value) -> Vec<Case> {
    let requests = request_schemas();
    let mut cases = Vec::new();
    let mut push = |file: &Value, schema: String, fidelity| {
        if let Some(file) = file.as_str() {
            cases.push(Case {
                file: file.to_owned(),
                schema,
                fidelity,
            });
        }
    };
    for op in index["operations"].as_array().expect("operations") {
        let id = op["operationId"].as_str().unwrap_or_default();
        let response = match op["response_schema"].as_str().unwrap_or_default() {
            "inline" => format!("inline:{id}"),
            reference => schema_name(reference).to_owned(),
        };
        push(&op["file"], response, Fidelity::Keeps);
        push(
            &op["error_file"],
            "ErrorResponse".to_owned(),
            Fidelity::Keeps,
        );
        let key = (
            op["method"].as_str().unwrap_or_default().to_owned(),
            op["path"].as_str().unwrap_or_default().to_owned(),
        );
        let request = requests.get(&key).cloned().unwrap_or_default();
        push(&op["request_file"], request, Fidelity::Exact);
    }
    for object in index["objects"].as_array().expect("objects") {
        let schema = object["schema"].as_str().unwrap_or_default().to_owned();
        let fidelity = if schema.ends_with("Body") {
            Fidelity::Exact
        } else {
            Fidelity::Keeps
        };
        push(&object["file"], schema, fidelity);
    }
    cases
}

/// `Some(reason)` when `before` has something `after` lost or changed.
fn lost(before: &Value, after: &Value, at: &str) -> Option<String> {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => b.iter().find_map(|(key, value)| {
            let at = format!("{at}/{key}");
            match a.get(key) {
                Some(kept) => lost(value, kept, &at),
                None if value.is_null() => None,
                None => Some(format!("{at} is missing")),
            }
        }),
        (Value::Array(b), Value::Array(a)) if b.len() == a.len() => b
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (b, a))| lost(b, a, &format!("{at}/{i}"))),
        (Value::Number(b), Value::Number(a)) if b.as_f64() == a.as_f64() => None,
        (b, a) if b == a => None,
        (b, a) => Some(format!("{at}: {b} became {a}")),
    }
}

fn check_case(case: &Case) -> Result<(), String> {
    let check = rust_type(&case.schema)
        .or_else(|| (case.schema == "ErrorResponse").then_some(error_body as Check))
        .ok_or_else(|| format!("no Rust type is mapped for schema {:?}", case.schema))?;
    let text = read(&format!("examples/{}", case.file));
    let original: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let again = check(&text).map_err(|e| format!("as {}: {e}", case.schema))?;
    let problem = match case.fidelity {
        Fidelity::Keeps => lost(&original, &again, ""),
        Fidelity::Exact => (original != again).then(|| format!("became {again}")),
    };
    problem.map_or(Ok(()), |p| Err(format!("as {}: {p}", case.schema)))
}

/// Removes the commas that stand right before `}` or `]`, outside strings.
fn without_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            (in_string, escaped) = (escaped || c != '"', !escaped && c == '\\');
        } else if c == '"' {
            in_string = true;
        } else if c == ',' {
            let next = text[i + 1..].trim_start().chars().next();
            if matches!(next, Some('}' | ']')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn example_files() -> BTreeSet<String> {
    let root = PathBuf::from(API_DIR).join("examples");
    let mut files = BTreeSet::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("examples/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(relative) = path.strip_prefix(&root) {
                files.insert(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files
}

#[test]
fn every_example_parses_into_the_clients_type_and_keeps_its_fields() {
    let index: Value = serde_json::from_str(&read("examples/INDEX.json")).expect("INDEX.json");
    let cases = cases(&index);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check_case(case)
                .err()
                .map(|e| format!("{}: {e}", case.file))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Nothing in examples/ goes unchecked.
    let mut covered: BTreeSet<String> = cases.iter().map(|c| c.file.clone()).collect();
    covered.insert("INDEX.json".to_owned());
    for op in index["operations"].as_array().expect("operations") {
        if let Some(verbatim) = op["verbatim_file"].as_str() {
            covered.insert(verbatim.to_owned());
        }
    }
    let unchecked: Vec<String> = example_files().difference(&covered).cloned().collect();
    assert!(
        unchecked.is_empty(),
        "examples no test covers: {unchecked:?}"
    );
    assert!(cases.len() > 200, "only {} cases", cases.len());
}

#[test]
fn verbatim_examples_are_the_trailing_comma_variants() {
    let index: Value = serde_json::from_str(&read("examples/INDEX.json")).expect("INDEX.json");
    let mut seen = 0;
    for op in index["operations"].as_array().expect("operations") {
        let (Some(verbatim), Some(file)) = (op["verbatim_file"].as_str(), op["file"].as_str())
        else {
            continue;
        };
        seen += 1;
        let original = read(&format!("examples/{verbatim}"));
        assert!(
            serde_json::from_str::<Value>(&original).is_err(),
            "{verbatim} is valid JSON, so it is not a repaired example"
        );
        let repaired: Value = serde_json::from_str(&without_trailing_commas(&original))
            .unwrap_or_else(|e| panic!("{verbatim} without trailing commas: {e}"));
        let json: Value = serde_json::from_str(&read(&format!("examples/{file}"))).expect(file);
        assert_eq!(
            repaired, json,
            "{verbatim} is not {file} with trailing commas"
        );
    }
    assert_eq!(
        seen, 7,
        "docs/admin-api-notes.md \"Spec quirks\" lists 7 repaired examples"
    );
}

#[test]
fn audit_log_session_extras_survive_a_round_trip() {
    let text = read("examples/list_audit_logs.json");
    let page: IdCursorPage<AuditLog> = serde_json::from_str(&text).expect("audit log page");
    let session = page.data[1]
        .actor
        .as_ref()
        .and_then(|actor| actor.session.as_ref())
        .expect("the second event has a session actor");
    for extra in ["user_agent", "ja3", "ja4", "ip_address_details"] {
        assert!(session.extra.contains_key(extra), "{extra} was dropped");
    }
    assert_eq!(session.extra["ja3"], "a497151ce4338a12c4418c44d375173e");
    assert!(page.data[1].extra.contains_key("api_key.updated"));

    let again = serde_json::to_value(&page).expect("serializes");
    let session = &again["data"][1]["actor"]["session"];
    assert_eq!(session["ip_address_details"]["city"], "San Francisco");
    assert_eq!(again["data"][0]["project.archived"]["id"], "proj_abc");
}

#[test]
fn secrets_do_not_reach_debug_output() {
    let created: AdminApiKeyCreated =
        serde_json::from_str(&read("examples/create_admin_api_key.json")).expect("admin key");
    assert_eq!(created.value, "sk-admin-1234abcd");
    assert!(!created.key.extra.contains_key("value"));
    assert!(!format!("{created:?}").contains("sk-admin-1234abcd"));

    let account: ServiceAccountCreated =
        serde_json::from_str(&read("examples/create_project_service_account.json"))
            .expect("service account");
    assert!(account.api_key.is_some());
    assert!(!format!("{account:?}").contains("sk-abcdefghijklmnop123"));
}
