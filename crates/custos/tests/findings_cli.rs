//! Issue 5 end to end: the demo organization served by the simulator, scanned through the
//! binary into SQLite and PostgreSQL, gives exactly the findings derived by hand from the
//! scenario's planted problems (`crates/custos-sim/scenarios/README.md`), byte for byte the same
//! JSON on both backends and on every run, and valid OCSF and SARIF.

mod common;

use common::{Sim, custos, postgres_schema, temp_dir};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Every planted problem the catalogue must report as `fail`, and nothing else.
const EXPECTED_FAILURES: &[(&str, &str)] = &[
    ("openai-admin-key-no-expiry", "key_admin_legacy_ci"),
    ("openai-admin-key-not-rotated", "key_admin_legacy_ci"),
    ("openai-admin-key-not-rotated", "key_admin_okta_sync"),
    ("openai-admin-key-unused", "key_admin_okta_sync"),
    ("openai-audit-login-failures", "user-demo12"),
    ("openai-certificate-expired", "cert_demo_legacy_vpn"),
    ("openai-certificate-expiring", "cert_demo_partner_api"),
    ("openai-invite-external-domain", "invite-demo-external"),
    ("openai-invite-high-privilege", "invite-demo-owner"),
    ("openai-invite-stale", "invite-demo-expired"),
    ("openai-invite-stale", "invite-demo-stale"),
    ("openai-key-in-archived-project", "key_pricing_01"),
    ("openai-key-orphaned", "key_admin_billing_export"),
    ("openai-key-orphaned", "key_claims_04"),
    ("openai-key-orphaned", "key_sales_04"),
    ("openai-key-usage-spike", "key_translation_01"),
    ("openai-model-not-allowed", "proj_legacy"),
    ("openai-org-cost-forecast-over-limit", "org-demo"),
    ("openai-org-too-many-owners", "org-demo"),
    ("openai-project-cost-over-budget", "proj_research"),
    ("openai-project-cost-spike", "proj_docs"),
    ("openai-project-key-not-rotated", "key_fraud_03"),
    ("openai-project-key-not-rotated", "key_onboarding_01"),
    ("openai-project-key-not-rotated", "key_search_03"),
    ("openai-project-key-not-rotated", "key_search_04"),
    ("openai-project-key-sprawl", "proj_marketing"),
    ("openai-project-key-unused", "key_fraud_03"),
    ("openai-project-key-unused", "key_onboarding_01"),
    ("openai-project-key-unused", "key_search_04"),
    ("openai-project-no-owner", "proj_fraud"),
    ("openai-project-no-spend-limit", "proj_etl"),
    ("openai-project-stale", "proj_onboarding"),
    ("openai-project-too-many-owners", "proj_claims"),
    ("openai-project-unrestricted-models", "proj_legacy"),
    ("openai-service-account-owner", "svc_acct_sales_deploy"),
    ("openai-user-external", "user-demo07"),
    ("openai-user-external", "user-demo08"),
    ("openai-user-inactive", "user-demo09"),
    ("openai-user-inactive", "user-demo10"),
    ("openai-vector-store-no-expiry", "vs_demo_search_index"),
];

/// Policies whose data sources (directory, DLP, ChatGPT) are not configured: indeterminate.
const EXPECTED_INDETERMINATE: &[&str] = &[
    "openai-chatgpt-file-dlp",
    "openai-conversation-malicious",
    "openai-file-pii",
    "openai-file-sensitive",
    "openai-gpt-code-interpreter",
    "openai-gpt-custom-actions",
    "openai-gpt-public-link",
    "openai-gpt-public-store",
    "openai-gpt-web-browsing",
    "openai-user-guest",
    "openai-user-not-in-directory",
    "openai-user-offboarded",
];

/// The demo organization with its read key and project keys from the environment, and the
/// parameters the planted problems need.
fn write_config(dir: &Path, sim: &Sim) -> (PathBuf, Vec<(String, String)>) {
    let scenario = custos_sim::demo::demo_scenario();
    let org = &scenario.organizations[0];
    let mut env = Vec::new();
    let read = org
        .credentials
        .iter()
        .find(|c| c.access == Some(custos_model::scenario::Access::ReadOnly))
        .expect("a read-only key");
    env.push(("DEMO_READ_KEY".to_owned(), read.secret.clone()));
    let mut project_keys = String::new();
    for (n, credential) in org
        .credentials
        .iter()
        .filter(|c| c.project_id.is_some())
        .enumerate()
    {
        let var = format!("DEMO_PROJECT_KEY_{n}");
        project_keys.push_str(&format!(
            "[[organizations.project_keys]]\nproject_id = {:?}\nkey = {{ env = {var:?} }}\n",
            credential.project_id.as_deref().unwrap_or_default()
        ));
        env.push((var, credential.secret.clone()));
    }
    let config = format!(
        r#"[scan]
requests_per_second = 5000

[policies.openai-user-external]
params = {{ allowed_domains = ["northwind.example"] }}

[policies.openai-invite-external-domain]
params = {{ allowed_domains = ["northwind.example"] }}

[policies.openai-model-not-allowed]
params = {{ allowed_models = ["gpt-4o*", "gpt-4.1*", "o3*", "o4-mini*", "text-embedding-3-*", "omni-moderation-*", "gpt-image-1", "gpt-4o-mini-tts", "whisper-1"] }}

[[organizations]]
id = "org-demo"
name = "Northwind Analytics"
base_url = "{}"
read_key = {{ env = "DEMO_READ_KEY" }}
{project_keys}"#,
        sim.url
    );
    let path = dir.join("custos.toml");
    std::fs::write(&path, config).expect("config");
    (path, env)
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("run custos");
    assert!(
        output.status.success() || output.status.code() == Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Scans the demo into `db` at the scenario's time and returns `findings --format FORMAT`.
fn scan_and_list(db: &str, dir: &Path, sim: &Sim, formats: &[&str]) -> Vec<Vec<u8>> {
    let (config, env) = write_config(dir, sim);
    let now = custos_sim::demo::demo_scenario()
        .now
        .expect("the demo has a clock");
    let mut scan = custos();
    scan.args(["scan", "--db", db, "--now", &now.to_string()])
        .arg("--config")
        .arg(&config)
        .envs(env);
    run(&mut scan);
    formats
        .iter()
        .map(|format| {
            run(custos()
                .args([
                    "findings", "--status", "all", "--format", format, "--db", db,
                ])
                .arg("--config")
                .arg(&config))
            .stdout
        })
        .collect()
}

fn check_findings(json: &[u8]) {
    let findings: Vec<serde_json::Value> = serde_json::from_slice(json).expect("findings JSON");
    let failures: BTreeSet<(String, String)> = findings
        .iter()
        .filter(|f| f["result"] == "fail")
        .map(|f| {
            (
                f["policy_id"].as_str().unwrap().to_owned(),
                f["resource_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = EXPECTED_FAILURES
        .iter()
        .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
        .collect();
    assert_eq!(
        failures.difference(&expected).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "unexpected findings"
    );
    assert_eq!(
        expected.difference(&failures).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "missed findings"
    );
    let indeterminate: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f["result"] == "indeterminate")
        .map(|f| f["policy_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        indeterminate,
        EXPECTED_INDETERMINATE
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
    );
    for f in &findings {
        for field in [
            "policy_id",
            "title",
            "severity",
            "status",
            "result",
            "org_id",
            "resource_kind",
            "resource_id",
            "project_id",
            "message",
            "evidence",
            "first_seen",
            "last_seen",
            "controls",
            "remediation",
        ] {
            assert!(f.get(field).is_some(), "{field} missing in {f}");
        }
        assert_eq!(f["status"], "open");
        assert!(f["evidence"].is_object());
        assert!(!f["controls"].as_array().unwrap().is_empty(), "{f}");
    }
}

fn check_ocsf(ocsf: &[u8], count: usize) {
    let events: Vec<serde_json::Value> = serde_json::from_slice(ocsf).expect("OCSF JSON");
    assert_eq!(events.len(), count);
    for e in &events {
        // The required attributes of the Compliance Finding class (2003).
        assert_eq!(e["class_uid"], 2003);
        assert_eq!(e["category_uid"], 2);
        let activity = e["activity_id"].as_u64().expect("activity_id");
        assert_eq!(e["type_uid"].as_u64(), Some(2003 * 100 + activity));
        assert!((1..=5).contains(&e["severity_id"].as_u64().expect("severity_id")));
        assert!(e["time"].as_i64().expect("time") > 0);
        assert!(e["metadata"]["version"].as_str().unwrap().starts_with("1."));
        assert_eq!(e["metadata"]["product"]["vendor_name"], "custos");
        assert!(
            e["finding_info"]["uid"]
                .as_str()
                .is_some_and(|u| !u.is_empty())
        );
        assert!(
            e["finding_info"]["title"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
        let standards = e["compliance"]["standards"].as_array().expect("standards");
        assert!(!standards.is_empty());
    }
}

fn check_sarif(sarif: &[u8], count: usize) {
    let log: serde_json::Value = serde_json::from_slice(sarif).expect("SARIF JSON");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules: BTreeSet<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), count);
    for r in results {
        assert!(rules.contains(r["ruleId"].as_str().unwrap()));
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
    }
}

#[test]
fn the_demo_findings_are_exact_identical_on_both_backends_and_export_to_ocsf_and_sarif() {
    let sim = Sim::start();
    let dir = temp_dir("findings", "e2e");
    let db = dir.join("custos.db").display().to_string();
    let outputs = scan_and_list(&db, &dir, &sim, &["json", "json", "ocsf", "sarif"]);
    check_findings(&outputs[0]);
    assert_eq!(
        outputs[0], outputs[1],
        "same data and as_of: byte-identical JSON"
    );
    let count = serde_json::from_slice::<Vec<serde_json::Value>>(&outputs[0])
        .unwrap()
        .len();
    check_ocsf(&outputs[2], count);
    check_sarif(&outputs[3], count);

    // Re-evaluated at the scan's own time, the findings are the recorded ones.
    let now = custos_sim::demo::demo_scenario()
        .now
        .expect("the demo has a clock");
    let as_of = jiff::Timestamp::from_second(now).unwrap().to_string();
    let (config, _) = write_config(&dir, &sim);
    let reevaluated = run(custos()
        .args([
            "findings", "--status", "all", "--format", "json", "--as-of", &as_of, "--db", &db,
        ])
        .arg("--config")
        .arg(&config))
    .stdout;
    check_findings(&reevaluated);
    let identities = |json: &[u8]| -> Vec<(String, String, String)> {
        let findings: Vec<serde_json::Value> = serde_json::from_slice(json).unwrap();
        findings
            .iter()
            .map(|f| {
                let field = |name: &str| f[name].as_str().unwrap_or_default().to_owned();
                (field("policy_id"), field("resource_id"), field("message"))
            })
            .collect()
    };
    assert_eq!(identities(&reevaluated), identities(&outputs[0]));

    // `--fail-on high` exits 3: open high findings exist.
    let fail_on = custos()
        .args([
            "findings",
            "--fail-on",
            "high",
            "--format",
            "json",
            "--db",
            &db,
        ])
        .output()
        .unwrap();
    assert_eq!(fail_on.status.code(), Some(3));

    if let Some(url) = postgres_schema("findings_e2e") {
        let pg = scan_and_list(&url, &dir, &sim, &["json"]);
        assert_eq!(
            String::from_utf8_lossy(&pg[0]),
            String::from_utf8_lossy(&outputs[0]),
            "PostgreSQL and SQLite give the same findings"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn demo_now() -> i64 {
    custos_sim::demo::demo_scenario()
        .now
        .expect("the demo has a clock")
}

/// `custos scan` of the demo at `now` with `extra` arguments.
fn scan_at(db: &str, config: &Path, env: &[(String, String)], now: i64, extra: &[&str]) -> Output {
    custos()
        .args(["scan", "--db", db, "--now", &now.to_string()])
        .args(extra)
        .arg("--config")
        .arg(config)
        .envs(env.iter().cloned())
        .output()
        .expect("run custos scan")
}

fn findings_json(db: &str, config: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let output = run(custos()
        .args([
            "findings", "--status", "all", "--format", "json", "--db", db,
        ])
        .args(extra)
        .arg("--config")
        .arg(config));
    serde_json::from_slice(&output.stdout).expect("findings JSON")
}

/// Issue 21, failure 7: a first scan with a wrong key used to fail with "policy
/// openai-key-orphaned observed org-demo twice in one evaluation", record nothing, and leave
/// `findings --fail-on low` exiting 0 on an empty table.
#[test]
fn a_first_scan_with_a_wrong_key_records_what_it_could_not_read_and_is_never_clean() {
    let sim = Sim::start();
    let dir = temp_dir("findings", "wrong-key");
    let db = dir.join("custos.db").display().to_string();
    let (config, env) = write_config(&dir, &sim);
    let wrong: Vec<(String, String)> = env
        .into_iter()
        .map(|(name, _)| (name, "sk-admin-wrong-key".to_owned()))
        .collect();
    let scan = scan_at(&db, &config, &wrong, demo_now(), &[]);
    let stderr = String::from_utf8_lossy(&scan.stderr);
    assert!(!stderr.contains("twice"), "{stderr}");

    let findings = findings_json(&db, &config, &[]);
    assert!(
        !findings.is_empty(),
        "the failed scan's results are recorded"
    );
    assert!(findings.iter().all(|f| f["result"] == "indeterminate"));
    let orphaned: Vec<_> = findings
        .iter()
        .filter(|f| f["policy_id"] == "openai-key-orphaned")
        .collect();
    assert_eq!(orphaned.len(), 1, "{orphaned:#?}");
    assert_eq!(orphaned[0]["resource_id"], "org-demo");

    let fail_on = custos()
        .args(["findings", "--fail-on", "low", "--db", &db])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(fail_on.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&fail_on.stderr);
    assert!(stderr.contains("org-demo has no complete scan"), "{stderr}");

    // A store that has scanned nothing cannot pass `--fail-on` either; nor can a store that is
    // not there (read commands never create one).
    let empty = dir.join("empty.db").display().to_string();
    let fail_on_empty = || {
        custos()
            .args(["findings", "--fail-on", "low", "--db", &empty])
            .output()
            .unwrap()
    };
    let missing = fail_on_empty();
    assert_eq!(missing.status.code(), Some(1), "{missing:?}");
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("there is no store at"),
        "{missing:?}"
    );
    // `orgs remove` opens the store for writing, which creates it with nothing scanned.
    custos()
        .args(["orgs", "remove", "org-none", "--db", &empty])
        .output()
        .unwrap();
    assert!(std::path::Path::new(&empty).exists());
    let nothing = fail_on_empty();
    assert_eq!(nothing.status.code(), Some(4), "{nothing:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

const EVERY_PROJECT: &str = "id: acme-every-project\ntitle: Every project\nresource: project\nseverity: low\nfilters: ['resource.id != \"\"']\nmessage: 'Project {{resource.id}}'\n";

/// Issue 21, failure 6: one typo in a custom policy (`severity: urgent`) was a warning, the scan
/// exited 0 and the policy's open findings became `resolved`.
#[test]
fn a_custom_policy_that_stops_loading_keeps_its_findings_open_and_fails_the_scan() {
    let sim = Sim::start();
    let dir = temp_dir("findings", "unloaded-policy");
    let db = dir.join("custos.db").display().to_string();
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    let policy_file = policies.join("every-project.yaml");
    std::fs::write(&policy_file, EVERY_PROJECT).unwrap();
    let (config, env) = write_config(&dir, &sim);
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!(
            "custom_policies = {:?}\n{text}",
            policies.display().to_string()
        ),
    )
    .unwrap();
    let mine = ["--policy", "acme-every-project"];

    let first = scan_at(&db, &config, &env, demo_now(), &[]);
    assert!(first.status.success(), "{first:?}");
    let before = findings_json(&db, &config, &mine);
    assert!(!before.is_empty());
    assert!(
        before
            .iter()
            .all(|f| f["status"] == "open" && f["result"] == "fail")
    );

    std::fs::write(
        &policy_file,
        EVERY_PROJECT.replace("severity: low", "severity: urgent"),
    )
    .unwrap();
    let broken = scan_at(&db, &config, &env, demo_now() + 60, &[]);
    assert!(!broken.status.success(), "{broken:?}");
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(stderr.contains("unknown severity"), "{stderr}");
    assert!(stderr.contains("--allow-policy-errors"), "{stderr}");
    let after = findings_json(&db, &config, &mine);
    assert_eq!(after.len(), before.len(), "nothing resolved, nothing lost");
    for finding in &after {
        assert_eq!(finding["status"], "open", "{finding}");
        assert_eq!(finding["result"], "indeterminate", "{finding}");
        let message = finding["message"].as_str().unwrap();
        assert!(message.contains("did not load"), "{message}");
        assert!(message.contains("unknown severity"), "{message}");
    }
    // The built-in findings were recorded by the same scan as usual.
    let all = findings_json(&db, &config, &[]);
    assert!(
        all.iter()
            .any(|f| f["policy_id"] == "openai-org-too-many-owners" && f["status"] == "open")
    );

    let allowed = scan_at(
        &db,
        &config,
        &env,
        demo_now() + 120,
        &["--allow-policy-errors"],
    );
    assert!(allowed.status.success(), "{allowed:?}");
    let still = findings_json(&db, &config, &mine);
    assert!(still.iter().all(|f| f["status"] == "open"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 21, failure 2, through a real scan: the 10 GB `join` aborted the process after the
/// snapshot had committed, so the scan's findings were never recorded. Both runaway policies now
/// end as indeterminate results and every other finding is recorded.
#[test]
fn runaway_custom_policies_do_not_stop_a_scan_from_recording_its_findings() {
    let sim = Sim::start();
    let dir = temp_dir("findings", "runaway");
    let db = dir.join("custos.db").display().to_string();
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    let long = "x".repeat(100_000);
    for (id, filter) in [
        (
            "acme-pairs",
            r#"params.s.split("").all(a, params.s.split("").all(b, a == b))"#,
        ),
        (
            "acme-join",
            r#"size(params.s.split("").map(a, params.s).join("")) > 0"#,
        ),
    ] {
        std::fs::write(
            policies.join(format!("{id}.yaml")),
            format!(
                "id: {id}\ntitle: Runaway\nresource: project\nseverity: low\nparams: {{ s: '{long}' }}\nfilters: ['{filter}']\nmessage: m\n"
            ),
        )
        .unwrap();
    }
    let (config, env) = write_config(&dir, &sim);
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!(
            "custom_policies = {:?}\n{text}",
            policies.display().to_string()
        ),
    )
    .unwrap();
    let scan = scan_at(&db, &config, &env, demo_now(), &[]);
    assert!(scan.status.success(), "{scan:?}");
    let findings = findings_json(&db, &config, &[]);
    for id in ["acme-pairs", "acme-join"] {
        let mine: Vec<_> = findings.iter().filter(|f| f["policy_id"] == id).collect();
        assert!(!mine.is_empty(), "{id}");
        for finding in mine {
            assert_eq!(finding["result"], "indeterminate", "{finding}");
            // Stopped by its budget, or (on a slow debug build) by the policy's time.
            let message = finding["message"].as_str().unwrap();
            assert!(
                message.contains("stopped: the ") || message.contains("ran out of its time"),
                "{message}"
            );
        }
    }
    let recorded: BTreeSet<(String, String)> = findings
        .iter()
        .filter(|f| f["result"] == "fail")
        .map(|f| {
            (
                f["policy_id"].as_str().unwrap().to_owned(),
                f["resource_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (policy, resource) in EXPECTED_FAILURES {
        assert!(
            recorded.contains(&((*policy).to_owned(), (*resource).to_owned())),
            "{policy} on {resource} recorded"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
