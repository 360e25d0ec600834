use super::*;
use crate::outcome::Verdict;
use crate::settings::PolicySettings;
use crate::testing::{AS_OF, archived_project, obj, project, snapshot, user};
use crate::{Check, Keep, Registry, evaluate_all};
use custos_model::unix::DAY;
use serde_json::json;
use std::path::Path;

const OLD_KEYS: &str = r#"id: acme-old-user-keys
title: Old key of a user
resource: project_api_key
severity: high
filters:
  - 'resource.owner.type == "user"'
  - age_days(resource.created_at) > params.max_age
params: { max_age: 30 }
message: "Key {{resource.id}} of {{owner.email}} in {{project.name}} is {{age_days(resource.created_at)}} days old"
remediation: Rotate it.
controls: [{framework: "SOC 2", id: "CC6.1"}]
"#;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn errors_of(text: &str) -> Vec<PolicyError> {
    load_str(Path::new("p.yaml"), text).unwrap_err()
}

fn key(id: &str, owner: &str, created_at: i64) -> custos_model::api::ProjectApiKey {
    obj(json!({
        "id": id, "created_at": created_at,
        "owner": {"type": "user", "user": {"id": owner}}
    }))
}

#[test]
fn a_valid_policy_loads_with_its_metadata() {
    let policy = load_str(Path::new("old.yaml"), OLD_KEYS).unwrap();
    let meta = policy.meta();
    assert_eq!(meta.id, "acme-old-user-keys");
    assert_eq!(meta.resource_kind, "project_api_key");
    assert_eq!(meta.severity, crate::Severity::High);
    assert_eq!(meta.params[0].name, "max_age");
    assert_eq!(meta.controls[0].to_string(), "SOC 2 CC6.1");
}

#[test]
fn errors_name_the_file_line_and_column() {
    let cases: [(&str, (usize, usize), &str); 8] = [
        ("id: [unclosed\n", (1, 5), ""),
        (
            &OLD_KEYS.replace("severity: high", "severity: high\nfilter: x"),
            (5, 1),
            "unknown field `filter`",
        ),
        (
            &OLD_KEYS.replace("severity: high", "severity: urgent"),
            (4, 11),
            "unknown severity",
        ),
        (
            &OLD_KEYS.replace("resource: project_api_key", "resource: api_key"),
            (3, 11),
            "unknown variant `api_key`",
        ),
        (
            &OLD_KEYS.replace("params.max_age", "params.max_days"),
            (7, 37),
            "unknown parameter `params.max_days`",
        ),
        (
            &OLD_KEYS.replace(
                "age_days(resource.created_at) > params.max_age",
                "age_days(resource.created_at)",
            ),
            (7, 5),
            "must be true or false",
        ),
        (
            &OLD_KEYS.replace("resource.owner.type == \"user\"", "resource.owner.type =="),
            (6, 28),
            "filters[0]: Syntax error",
        ),
        (
            &OLD_KEYS.replace("{{owner.email}}", "{{owner.}}"),
            (9, 42),
            "message: Syntax error",
        ),
    ];
    for (text, (line, column), wanted) in cases {
        let errors = errors_of(text);
        let error = &errors[0];
        assert_eq!(
            (error.line, error.column),
            (line, column),
            "{wanted}: {errors:?}"
        );
        assert!(error.message.contains(wanted), "{wanted}: {error}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("p.yaml:{line}:{column}: "))
        );
    }
}

#[test]
fn ids_are_checked() {
    let builtin_prefix = OLD_KEYS.replace("acme-old-user-keys", "openai-mine");
    assert!(errors_of(&builtin_prefix)[0].message.contains("reserved"));
    let spaces = OLD_KEYS.replace("acme-old-user-keys", "Acme Keys");
    assert_eq!(errors_of(&spaces)[0].line, 1);
}

#[test]
fn a_directory_loads_what_it_can_and_reports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a_good.yaml", OLD_KEYS);
    write(dir.path(), "b_same_id.yml", OLD_KEYS);
    write(dir.path(), "c_broken.yaml", "id: x\ntitle: [\n");
    write(
        dir.path(),
        "d_builtin_id.yaml",
        &OLD_KEYS.replace("acme-old-user-keys", "openai-user-guest"),
    );
    write(dir.path(), "a_good.test.yaml", "not: a policy");
    write(dir.path(), "notes.txt", "ignored");
    let (policies, errors) = load_dir(dir.path());
    assert_eq!(policies.len(), 1);
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 3, "{messages:#?}");
    assert!(
        messages[0].contains(
            "b_same_id.yml:1:5: id `acme-old-user-keys` is already used by the policy in"
        )
    );
    assert!(messages[1].contains("c_broken.yaml:"));
    assert!(messages[2].contains("reserved") || messages[2].contains("built-in"));
    let (none, missing) = load_dir(&dir.path().join("absent"));
    assert!(none.is_empty() && missing.len() == 1);
}

#[test]
fn hostile_yaml_is_refused_without_a_crash() {
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    assert!(!errors_of(bomb).is_empty());
    assert!(!errors_of(&"[".repeat(10_000)).is_empty());
    assert!(!errors_of("").is_empty());
    let deep = OLD_KEYS.replace(
        "resource.owner.type == \"user\"",
        &format!("{}true{}", "(".repeat(300), ")".repeat(300)),
    );
    assert!(errors_of(&deep)[0].message.contains("brackets nest"));
}

fn organization() -> custos_model::inventory::Snapshot {
    let mut snapshot = snapshot();
    snapshot.inventory.users.push(user("u1", "reader", 0));
    let mut active = project("p1");
    active.project.name = Some("Prod".to_owned());
    active.api_keys = vec![
        key("old", "u1", AS_OF - 31 * DAY),
        key("young", "u1", AS_OF - DAY),
        key("left", "gone", AS_OF - 40 * DAY),
        obj(
            json!({"id": "sa", "created_at": 0, "owner": {"type": "service_account", "service_account": {"id": "s1"}}}),
        ),
    ];
    let mut archived = archived_project("p2");
    archived.api_keys = vec![key("archived", "u1", 0)];
    snapshot.inventory.projects = vec![active, archived];
    snapshot
}

#[test]
fn evaluation_fails_passes_and_renders_the_message() {
    let policy = load_str(Path::new("old.yaml"), OLD_KEYS).unwrap();
    let params = crate::Params::defaults(policy.meta());
    let outcomes = policy.outcomes(&organization(), AS_OF, &params, Keep::All);
    let find = |id: &str| outcomes.iter().find(|o| o.resource_id == id).unwrap();
    assert_eq!(
        outcomes.len(),
        4,
        "archived project out of scope: {outcomes:#?}"
    );
    let old = find("old");
    assert_eq!(old.result, Verdict::Fail);
    assert_eq!(
        old.message,
        "Key old of u1@example.com in Prod is 31 days old"
    );
    assert_eq!(old.project_id.as_deref(), Some("p1"));
    // The evidence holds the values the filters read, as the API object has them: the key's
    // creation time and its owner's type, not the rest of the owner.
    assert_eq!(
        old.evidence.to_value(),
        json!({"created_at": AS_OF - 31 * DAY, "owner": {"type": "user"}})
    );
    assert_eq!(find("young").result, Verdict::Pass);
    assert_eq!(find("sa").result, Verdict::Pass);
    // The owner left: `owner` is null and the message says what it could not render.
    assert!(
        find("left").message.contains("<error:"),
        "{:?}",
        find("left")
    );
}

#[test]
fn runtime_errors_make_that_resource_indeterminate() {
    let text = OLD_KEYS.replace(
        "age_days(resource.created_at) > params.max_age",
        "resource.last_used_at > 5",
    );
    let policy = load_str(Path::new("p.yaml"), &text).unwrap();
    let outcomes = policy.outcomes(
        &organization(),
        AS_OF,
        &crate::Params::defaults(policy.meta()),
        Keep::All,
    );
    let old = outcomes.iter().find(|o| o.resource_id == "old").unwrap();
    assert_eq!(old.result, Verdict::Indeterminate);
    assert!(old.message.contains("filters[1]"), "{}", old.message);
    // A false filter decides, whatever the other says.
    let sa = outcomes.iter().find(|o| o.resource_id == "sa").unwrap();
    assert_eq!(sa.result, Verdict::Pass);
}

#[test]
fn include_archived_brings_archived_projects_in() {
    let text = format!("{OLD_KEYS}include_archived: true\n");
    let policy = load_str(Path::new("p.yaml"), &text).unwrap();
    let outcomes = policy.outcomes(
        &organization(),
        AS_OF,
        &crate::Params::defaults(policy.meta()),
        Keep::All,
    );
    assert!(
        outcomes
            .iter()
            .any(|o| o.resource_id == "archived" && o.result == Verdict::Fail)
    );
}

#[test]
fn custom_policies_run_beside_the_builtins_with_settings() {
    let policy = load_str(Path::new("old.yaml"), OLD_KEYS).unwrap();
    let registry = Registry::builtin().with_custom([policy]).unwrap();
    let settings = crate::SettingsMap::from([(
        "acme-old-user-keys".to_owned(),
        obj::<PolicySettings>(json!({"severity": "low", "params": {"max_age": 0}})),
    )]);
    let resolved = registry.resolve(&settings, &Default::default()).unwrap();
    let outcomes: Vec<_> = evaluate_all(&resolved, &organization(), AS_OF, Keep::All)
        .into_iter()
        .filter(|o| o.policy_id == "acme-old-user-keys")
        .collect();
    assert!(outcomes.iter().all(|o| o.severity == crate::Severity::Low));
    let young = outcomes.iter().find(|o| o.resource_id == "young").unwrap();
    assert_eq!(young.result, Verdict::Fail, "max_age overridden to 0");
    let unknown = crate::SettingsMap::from([(
        "acme-old-user-keys".to_owned(),
        obj::<PolicySettings>(json!({"params": {"max_agee": 1}})),
    )]);
    assert!(registry.resolve(&unknown, &Default::default()).is_err());
    let again = load_str(Path::new("old.yaml"), OLD_KEYS).unwrap();
    assert!(registry.with_custom([again]).is_err());
}

#[test]
fn fixtures_report_each_difference() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old.yaml", OLD_KEYS);
    write(
        dir.path(),
        "old.test.yaml",
        r#"cases:
  - name: thirty-one days fail
    as_of: 1749988800
    users: [{id: u1, added_at: 0, email: a@b.c}]
    resources:
      - {id: k1, created_at: 1747310400, owner: {type: user, user: {id: u1}}}
      - {id: k2, created_at: 1749988800, owner: {type: user, user: {id: u1}}}
    expect:
      - {resource_id: k1, result: fail, message_contains: "31 days"}
      - {resource_id: k2, result: fail}
"#,
    );
    let report = run_tests(dir.path());
    assert_eq!(report.total_cases(), 1);
    assert!(!report.passed());
    let case = &report.files[0].cases[0];
    assert_eq!(case.differences.len(), 1, "{report}");
    assert!(case.differences[0].starts_with("k2: expected fail, got pass"));
    assert!(
        report
            .to_string()
            .contains("FAIL acme-old-user-keys: thirty-one days fail")
    );
}

#[test]
fn the_shipped_examples_load_and_pass_their_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
    let report = run_tests(&dir);
    assert!(report.passed(), "{report}");
    assert_eq!(report.files.len(), 3, "{report}");
    assert!(
        report
            .files
            .iter()
            .all(|f| f.fixture_file.is_some() && !f.cases.is_empty())
    );
}

/// 100,000 `[` took the YAML parser 35 s to refuse; a file at the size limit would take an
/// hour. Both a policy and a fixture at the size limit are refused by the nesting check.
#[test]
fn deeply_nested_yaml_at_the_size_limit_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let limit = usize::try_from(limits::MAX_FILE_BYTES).unwrap();
    let deep = "[".repeat(limit);
    write(dir.path(), "deep.yaml", &deep);
    let (policies, errors) = load_dir(dir.path());
    assert!(policies.is_empty());
    let message = errors[0].to_string();
    assert!(message.contains("deep.yaml:1:"), "{message}");
    assert!(
        message.contains(&format!("limit of {} levels", limits::MAX_YAML_DEPTH)),
        "{message}"
    );

    let fixtures = tempfile::tempdir().unwrap();
    write(fixtures.path(), "old.yaml", OLD_KEYS);
    let deep_case = format!("cases: {}", &deep[..limit - 7]);
    write(fixtures.path(), "old.test.yaml", &deep_case);
    let report = run_tests(fixtures.path());
    let message = report.errors[0].to_string();
    assert!(message.contains("old.test.yaml:1:"), "{message}");
    assert!(message.contains("levels"), "{message}");
}

/// The two attacks of the hostile probe, as written: each passed `policies validate`; the first
/// ran for more than 30 s on one resource, the second tried to allocate 10 GB and aborted the
/// process. Each now ends as an indeterminate result naming the budget, and the other
/// policies' results are all there.
#[test]
fn runaway_expressions_end_as_indeterminate_results() {
    let attack = |id: &str, filter: &str| {
        format!(
            "id: {id}\ntitle: Runaway\nresource: project_api_key\nseverity: low\nparams: {{ s: '' }}\nfilters: ['{filter}']\nmessage: m\n"
        )
    };
    let pairs = load_str(
        Path::new("pairs.yaml"),
        &attack(
            "acme-pairs",
            r#"params.s.split("").all(a, params.s.split("").all(b, a == b))"#,
        ),
    )
    .unwrap();
    let join = load_str(
        Path::new("join.yaml"),
        &attack(
            "acme-join",
            r#"size(params.s.split("").map(a, params.s).join("")) > 0"#,
        ),
    )
    .unwrap();
    let old_keys = load_str(Path::new("old.yaml"), OLD_KEYS).unwrap();
    let registry = Registry::builtin()
        .with_custom([pairs, join, old_keys])
        .unwrap();
    let long = json!({"params": {"s": "x".repeat(100_000)}});
    let settings = crate::SettingsMap::from([
        ("acme-pairs".to_owned(), obj::<PolicySettings>(long.clone())),
        ("acme-join".to_owned(), obj::<PolicySettings>(long)),
    ]);
    let resolved = registry.resolve(&settings, &Default::default()).unwrap();
    let outcomes = evaluate_all(&resolved, &organization(), AS_OF, Keep::All);
    for id in ["acme-pairs", "acme-join"] {
        let results: Vec<_> = outcomes.iter().filter(|o| o.policy_id == id).collect();
        assert_eq!(results.len(), 4, "{results:#?}");
        for outcome in results {
            assert_eq!(outcome.result, Verdict::Indeterminate, "{outcome:?}");
            assert!(
                outcome.message.contains("stopped: the evaluation"),
                "{}",
                outcome.message
            );
        }
    }
    let join_reason = &outcomes
        .iter()
        .find(|o| o.policy_id == "acme-join")
        .unwrap()
        .message;
    assert!(
        join_reason.contains(&format!(
            "more than {} bytes",
            limits::MAX_BYTES_PER_EVALUATION
        )),
        "{join_reason}"
    );
    // The other policies ran as before.
    let old = outcomes
        .iter()
        .find(|o| o.policy_id == "acme-old-user-keys" && o.resource_id == "old")
        .unwrap();
    assert_eq!(old.result, Verdict::Fail);
    assert!(
        outcomes
            .iter()
            .any(|o| o.policy_id.starts_with("openai-") && o.result != Verdict::Pass)
    );
}

#[test]
fn functions_that_build_without_bound_are_refused_when_loading() {
    for (filter, name) in [
        ("resource.id.replace(\"a\", \"aa\") == \"\"", "`replace`"),
        ("\"%s\".format([resource.id]) == \"\"", "`format`"),
    ] {
        let text = OLD_KEYS.replace("resource.owner.type == \"user\"", filter);
        let message = errors_of(&text)[0].to_string();
        assert!(message.contains(name), "{message}");
        assert!(message.contains("not available"), "{message}");
    }
    let bad_pattern = OLD_KEYS.replace(
        "resource.owner.type == \"user\"",
        "resource.id.matches(\"[\")",
    );
    assert!(
        errors_of(&bad_pattern)[0]
            .message
            .contains("cannot be used")
    );
}
