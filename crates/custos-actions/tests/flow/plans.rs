//! What the 16 templates plan, against a snapshot whose ids hold `/`, `%` and spaces: every
//! call is a write of the operation table, its path that operation's template filled with the
//! target's ids percent-encoded (a golden of every call), and a stored plan reads back as the
//! same calls. And only custos-actions builds the client that sends them.

use custos_actions::plan::DEFAULT_TTL_SECONDS;
use custos_actions::{Plan, PlanRequest, SnapshotView, Source, Template, build_plan};
use custos_openai::endpoints::{Fill, OPERATIONS, PROJECT_KEY_OPERATIONS, operation_of};
use custos_store::ObjectRecord;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const PROJECT: &str = "proj a/1";

fn record(kind: &str, id: &str, project: Option<&str>, data: Value) -> ObjectRecord {
    ObjectRecord {
        kind: kind.into(),
        id: id.into(),
        project_id: project.map(Into::into),
        data,
    }
}

/// One object of every kind a template acts on, each with an id that must be encoded.
fn snapshot() -> SnapshotView {
    let in_project = Some(PROJECT);
    SnapshotView::new(
        "org-1",
        7,
        1_000,
        vec![
            record(
                "project",
                PROJECT,
                in_project,
                json!({"id": PROJECT, "name": "A", "status": "active"}),
            ),
            record("certificate", "cert 1/%", None, json!({"name": "c"})),
            record(
                "project_certificate",
                &format!("{PROJECT}/cert 1/%"),
                in_project,
                json!({"id": "cert 1/%", "active": true}),
            ),
            record("user", "user 1/%", None, json!({"role": "reader"})),
            record("user", "owner 1", None, json!({"role": "owner"})),
            record("user", "owner 2/x", None, json!({"role": "owner"})),
            record(
                "invite",
                "inv 1/%",
                None,
                json!({"status": "pending", "role": "reader"}),
            ),
            record("admin_api_key", "key 1/%", None, json!({"name": "k"})),
            record(
                "project_api_key",
                "sk key/%",
                in_project,
                json!({"name": "ci", "owner": {"type": "user"}}),
            ),
            record("file", "file 1/%", in_project, json!({"filename": "f"})),
            record(
                "project_user",
                &format!("{PROJECT}/user 1/%"),
                in_project,
                json!({"id": "user 1/%", "role": "owner"}),
            ),
            record(
                "service_account",
                "sa 1/%",
                in_project,
                json!({"name": "bot", "role": "member"}),
            ),
        ],
    )
}

fn plan(template: Template, target: Option<&str>, params: &[(&str, &str)]) -> Plan {
    let request = PlanRequest {
        template,
        targets: target.map(str::to_owned).into_iter().collect(),
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        source: if target.is_some() {
            Source::Targets
        } else {
            Source::Provisioning
        },
        requested_by: "bob".into(),
        reason: "golden".into(),
        now: 2_000,
        ttl_seconds: DEFAULT_TTL_SECONDS,
    };
    build_plan(&snapshot(), &request).unwrap_or_else(|e| panic!("{template}: {e}"))
}

fn pem() -> String {
    format!(
        "-----BEGIN CERTIFICATE-----\nMII{}=\n-----END CERTIFICATE-----",
        "A".repeat(64)
    )
}

/// A template, its target (none: provisioning) and its parameters.
type Case<'a> = (Template, Option<&'a str>, Vec<(&'a str, &'a str)>);

#[test]
fn every_planned_call_is_a_write_of_the_table_with_its_ids_encoded() {
    let project_user = format!("{PROJECT}/user 1/%");
    let project_certificate = format!("{PROJECT}/cert 1/%");
    let pem = pem();
    let cases: Vec<Case<'_>> = vec![
        (Template::ArchiveProject, Some(PROJECT), vec![]),
        (Template::DeleteOrgCertificate, Some("cert 1/%"), vec![]),
        (
            Template::DeleteProjectCertificate,
            Some(&project_certificate),
            vec![],
        ),
        (Template::DeleteUser, Some("user 1/%"), vec![]),
        (Template::DeleteInvite, Some("inv 1/%"), vec![]),
        (Template::DeleteAdminKey, Some("key 1/%"), vec![]),
        (Template::DeleteProjectKey, Some("sk key/%"), vec![]),
        (Template::DeleteFile, Some("file 1/%"), vec![]),
        (Template::RemoveProjectUser, Some(&project_user), vec![]),
        (Template::DowngradeOwner, Some("owner 2/x"), vec![]),
        (Template::DowngradeOwner, Some(&project_user), vec![]),
        (Template::DeleteServiceAccount, Some("sa 1/%"), vec![]),
        (
            Template::SetProjectSpendLimit,
            Some(PROJECT),
            vec![("amount_usd", "250")],
        ),
        (Template::CreateProject, None, vec![("name", "New/1 %")]),
        (
            Template::CreateAdminKey,
            None,
            vec![("name", "k"), ("expires_in_seconds", "3600")],
        ),
        (
            Template::UploadOrgCertificate,
            None,
            vec![("name", "c"), ("pem", &pem)],
        ),
        (
            Template::InviteUser,
            None,
            vec![
                ("email", "new@example.com"),
                ("role", "owner"),
                ("projects", "proj a/1:member"),
            ],
        ),
    ];
    let covered: BTreeSet<&str> = cases.iter().map(|(t, _, _)| t.name()).collect();
    let all: BTreeSet<&str> = Template::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(covered, all, "every template has a case");

    let mut planned = Vec::new();
    for (template, target, params) in &cases {
        let plan = plan(*template, *target, params);
        for call in &plan.calls {
            let request = &call.request;
            let op = request.operation();
            assert!(
                OPERATIONS.contains(op) || PROJECT_KEY_OPERATIONS.contains(op),
                "{template}: {op:?} is not in the table"
            );
            assert!(op.write, "{template}: {op:?} is a read");
            assert_eq!(request.method(), op.method, "{template}");
            // The path is the operation's template filled with the ids, and reads back as it.
            let ids: Vec<&str> = request.ids().iter().map(String::as_str).collect();
            assert_eq!(request.path(), op.fill(&ids).unwrap(), "{template}");
            assert_eq!(
                operation_of(op.method, request.path()),
                Some(op),
                "{template}"
            );
            let body = request.body().map_or("".to_owned(), |b| format!(" {b}"));
            planned.push(format!(
                "{template}: {} {} {}{body}",
                op.operation_id,
                request.method(),
                request.path()
            ));
        }
        // A stored plan loads back as the same calls, with the same hash.
        let stored = serde_json::to_string(&plan).unwrap();
        let loaded: Plan = serde_json::from_str(&stored).unwrap();
        assert_eq!(loaded, plan, "{template}");
        assert_eq!(loaded.hash(), plan.hash(), "{template}");
    }
    let certificate = serde_json::to_string(&pem).unwrap();
    let golden = [
        "archive-project: archive-project POST /organization/projects/proj%20a%2F1/archive",
        r#"delete-org-certificate: deactivateOrganizationCertificates POST /organization/certificates/deactivate {"certificate_ids":["cert 1/%"]}"#,
        "delete-org-certificate: deleteCertificate DELETE /organization/certificates/cert%201%2F%25",
        r#"delete-project-certificate: deactivateProjectCertificates POST /organization/projects/proj%20a%2F1/certificates/deactivate {"certificate_ids":["cert 1/%"]}"#,
        "delete-user: delete-user DELETE /organization/users/user%201%2F%25",
        "delete-invite: delete-invite DELETE /organization/invites/inv%201%2F%25",
        "delete-admin-key: admin-api-keys-delete DELETE /organization/admin_api_keys/key%201%2F%25",
        "delete-project-key: delete-project-api-key DELETE /organization/projects/proj%20a%2F1/api_keys/sk%20key%2F%25",
        "delete-file: deleteFile DELETE /files/file%201%2F%25",
        "remove-project-user: delete-project-user DELETE /organization/projects/proj%20a%2F1/users/user%201%2F%25",
        r#"downgrade-owner: modify-user POST /organization/users/owner%202%2Fx {"role":"reader"}"#,
        r#"downgrade-owner: modify-project-user POST /organization/projects/proj%20a%2F1/users/user%201%2F%25 {"role":"member"}"#,
        "delete-service-account: delete-project-service-account DELETE /organization/projects/proj%20a%2F1/service_accounts/sa%201%2F%25",
        r#"set-project-spend-limit: Updateprojectspendlimit POST /organization/projects/proj%20a%2F1/spend_limit {"threshold_amount":25000,"currency":"USD","interval":"month"}"#,
        r#"create-project: create-project POST /organization/projects {"name":"New/1 %"}"#,
        r#"create-admin-key: admin-api-keys-create POST /organization/admin_api_keys {"name":"k","expires_in_seconds":3600}"#,
        &format!(
            r#"upload-org-certificate: uploadCertificate POST /organization/certificates {{"certificate":{certificate},"name":"c"}}"#
        ),
        r#"invite-user: inviteUser POST /organization/invites {"email":"new@example.com","role":"owner","projects":[{"id":"proj a/1","role":"member"}]}"#,
    ];
    assert_eq!(planned, golden);
}

#[test]
fn a_planned_call_is_stored_as_the_request_it_sends() {
    // The fields, their order and their spelling are what plans have always been hashed as.
    let plan = plan(Template::DeleteFile, Some("file 1/%"), &[]);
    assert_eq!(
        serde_json::to_string(&plan.calls[0]).unwrap(),
        r#"{"index":0,"target":0,"method":"DELETE","path":"/files/file%201%2F%25","body":null,"project_key":"proj a/1","creates":null}"#
    );
    // A stored call that is not exactly what custos plans (not encoded as custos encodes, not
    // a write of the table) does not load.
    for (method, path) in [
        ("DELETE", "/files/file 1/%"),
        ("DELETE", "/files/file%201%2f%25"),
        ("GET", "/files/file%201%2F%25"),
        ("DELETE", "/organization/nowhere/x"),
    ] {
        let mut stored = serde_json::to_value(&plan).unwrap();
        stored["calls"][0]["method"] = json!(method);
        stored["calls"][0]["path"] = json!(path);
        let error = serde_json::from_value::<Plan>(stored).unwrap_err();
        assert!(error.to_string().contains(path), "{method} {path}: {error}");
    }
}

/// Every `.rs` file below `dir`, outside build output.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_custos_actions_builds_a_write_client() {
    // What Rust's visibility cannot say (public to one crate only) this test holds: outside
    // the client and the actions, no source file of the workspace names the write half.
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let allowed = [crates.join("custos-openai"), crates.join("custos-actions")];
    let mut files = Vec::new();
    rust_files(crates, &mut files);
    let mut found = Vec::new();
    for file in files
        .iter()
        .filter(|f| !allowed.iter().any(|a| f.starts_with(a)))
    {
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            if line.contains("WriteClient") {
                found.push(format!("{}:{}", file.display(), number + 1));
            }
        }
    }
    assert!(files.len() > 100, "the workspace's sources were read");
    assert!(
        found.is_empty(),
        "only custos-actions builds a WriteClient: {found:?}"
    );
}
