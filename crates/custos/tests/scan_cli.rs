//! `custos scan`, `scans`, `inventory`, `diff` and `orgs` through the real binary against the
//! simulator, including a process killed at every stage of a scan.

mod common;

use common::{Sim, custos, postgres_schema, temp_dir};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const ORG: &str = "org-demo";

fn admin_key() -> String {
    let scenario = custos_sim::demo::demo_scenario();
    scenario.organizations[0]
        .credentials
        .iter()
        .find(|c| c.access == Some(custos_model::scenario::Access::ReadWrite))
        .or_else(|| {
            scenario.organizations[0]
                .credentials
                .iter()
                .find(|c| c.admin_api_key_id.is_some())
        })
        .expect("an admin key")
        .secret
        .clone()
}

fn run(command: &mut Command) -> Output {
    command.output().expect("run custos")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A config beside the store that lets scans of the local simulator go at full speed.
fn fast_config(db: &Path) -> PathBuf {
    let path = db.with_file_name("custos.toml");
    std::fs::write(&path, "[scan]\nrequests_per_second = 5000\n").expect("config");
    path
}

fn scan(db: &Path, sim: &Sim) -> Command {
    scan_url(db, &sim.url)
}

/// A scan of the simulator at `url`.
fn scan_url(db: &Path, url: &str) -> Command {
    let mut command = custos();
    command
        .args(["scan", "--org", ORG, "--base-url", url, "--db"])
        .arg(db)
        .arg("--config")
        .arg(fast_config(db))
        .env("OPENAI_ADMIN_KEY", admin_key());
    command
}

fn scans(db: &Path) -> Vec<serde_json::Value> {
    let output = run(custos().args(["scans", "--format", "json", "--db"]).arg(db));
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("scans JSON")
}

#[test]
fn scan_inventory_scans_and_diff_through_the_binary() {
    let dir = temp_dir("scan", "flow");
    let db = dir.join("custos.db");
    let sim = Sim::start();
    let first = run(&mut scan(&db, &sim));
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("complete"), "{}", stdout(&first));

    let users = run(custos()
        .args(["inventory", "user", "--format", "csv", "--db"])
        .arg(&db));
    assert!(users.status.success(), "{}", stderr(&users));
    let csv = stdout(&users);
    assert_eq!(csv.lines().count(), 61, "a header and 60 users");
    assert!(csv.lines().next().unwrap().contains("email_sha256"));
    assert!(!csv.contains("@northwind"), "emails are hashed at ingest");

    let keys = run(custos()
        .args(["inventory", "project_api_key", "--format", "json", "--db"])
        .arg(&db));
    let keys: Vec<serde_json::Value> = serde_json::from_slice(&keys.stdout).expect("JSON");
    assert!(keys.len() > 10);
    assert!(keys.iter().all(|k| k["data"].get("value").is_none()));

    let unknown = run(custos().args(["inventory", "usr", "--db"]).arg(&db));
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("unknown kind \"usr\""),
        "{}",
        stderr(&unknown)
    );

    // An invite deleted between two scans is drift.
    let scenario = custos_sim::demo::demo_scenario();
    let invite = scenario.organizations[0]
        .invites
        .iter()
        .find(|i| i.status == "pending")
        .expect("a pending invite")
        .id
        .clone();
    let url = format!("{}/organization/invites/{invite}", sim.url);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let key = admin_key();
    let deleted = std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            reqwest::Client::new()
                .delete(&url)
                .bearer_auth(key)
                .send()
                .await
                .map(|r| r.status())
        })
    })
    .join()
    .unwrap()
    .expect("delete the invite");
    assert!(deleted.is_success(), "{deleted}");
    let second = run(&mut scan(&db, &sim));
    assert!(second.status.success(), "{}", stderr(&second));
    let diff = run(custos().args(["diff", "--format", "json", "--db"]).arg(&db));
    assert!(diff.status.success(), "{}", stderr(&diff));
    let diff: serde_json::Value = serde_json::from_slice(&diff.stdout).expect("diff JSON");
    let removed: Vec<&serde_json::Value> = diff["drift"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["change"] == "removed")
        .collect();
    assert_eq!(removed.len(), 1, "{diff}");
    assert_eq!(removed[0]["id"], invite.as_str());
    assert_eq!(removed[0]["kind"], "invite");

    let runs = scans(&db);
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|r| r["status"] == "complete"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_audit_event_of_a_type_custos_does_not_know_is_stored_verbatim() {
    let dir = temp_dir("scan", "unknown-audit-type");
    let db = dir.join("custos.db");
    let mut scenario = custos_sim::demo::demo_scenario();
    let organization = &mut scenario.organizations[0];
    let latest = organization
        .audit_logs
        .iter()
        .map(|log| log.effective_at)
        .max()
        .expect("the demo has audit events");
    let event = serde_json::json!({
        "id": "audit_log-not-yet-known",
        "type": "garden.planted",
        "effective_at": latest,
        "garden.planted": {"id": "garden_1", "beds": [{"rows": 3}, {"rows": null}]},
        "context_nobody_documented": {"depth": {"deeper": true}},
    });
    organization
        .audit_logs
        .push(serde_json::from_value(event.clone()).expect("an audit event"));
    let file = dir.join("scenario.json");
    std::fs::write(&file, serde_json::to_vec(&scenario).unwrap()).expect("scenario");
    let sim = Sim::serving(Some(&file));
    let scanned = run(&mut scan(&db, &sim));
    assert!(scanned.status.success(), "{}", stderr(&scanned));

    let events = run(custos()
        .args(["inventory", "audit_event", "--format", "json", "--db"])
        .arg(&db));
    assert!(events.status.success(), "{}", stderr(&events));
    let events: Vec<serde_json::Value> = serde_json::from_slice(&events.stdout).expect("JSON");
    let stored = events
        .iter()
        .find(|e| e["id"] == event["id"])
        .expect("the unknown event is stored");
    assert_eq!(stored["data"], event);
}

#[test]
fn a_scan_killed_at_any_stage_leaves_the_previous_snapshot_and_the_next_one_completes() {
    let sim = Sim::start();
    for stage in ["begun", "collected", "objects", "series", "marks"] {
        let dir = temp_dir("scan", &format!("crash-{stage}"));
        let db = dir.join("custos.db");
        assert!(run(&mut scan(&db, &sim)).status.success());
        let users_before = stdout(&run(custos()
            .args(["inventory", "user", "--format", "csv", "--db"])
            .arg(&db)));

        let crashed = run(scan(&db, &sim).env("CUSTOS_CRASH_AT", stage));
        assert!(!crashed.status.success(), "{stage}: the hook aborts");
        assert!(
            stderr(&crashed).contains(&format!("CUSTOS_CRASH_AT={stage}")),
            "{stage}: {}",
            stderr(&crashed)
        );
        // The store opens; the latest snapshot is still the first scan's.
        let runs = scans(&db);
        assert_eq!(runs.len(), 2, "{stage}");
        assert_eq!(runs[1]["status"], "running", "{stage}");
        let users_after = run(custos()
            .args(["inventory", "user", "--format", "csv", "--db"])
            .arg(&db));
        assert!(
            users_after.status.success(),
            "{stage}: {}",
            stderr(&users_after)
        );
        assert_eq!(stdout(&users_after), users_before, "{stage}");

        let rerun = run(&mut scan(&db, &sim));
        assert!(rerun.status.success(), "{stage}: {}", stderr(&rerun));
        let runs = scans(&db);
        let statuses: Vec<&str> = runs.iter().map(|r| r["status"].as_str().unwrap()).collect();
        // The rerun, holding the lock, closed the dead process's scan as interrupted.
        assert_eq!(statuses, ["complete", "interrupted", "complete"], "{stage}");
        let events = run(custos()
            .args(["inventory", "audit_event", "--format", "json", "--db"])
            .arg(&db));
        let events: Vec<serde_json::Value> = serde_json::from_slice(&events.stdout).unwrap();
        let ids: std::collections::BTreeSet<&str> =
            events.iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids.len(),
            events.len(),
            "{stage}: audit events stay deduplicated"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn stored_keys_are_encrypted_rotated_and_refused_under_a_wrong_master_key() {
    let dir = temp_dir("scan", "orgs");
    let db = dir.join("custos.db");
    let master = dir.join("master.key");
    let sim = Sim::start();
    let key = admin_key();
    let mut add = custos()
        .args([
            "orgs",
            "add",
            ORG,
            "--name",
            "Northwind",
            "--key-stdin",
            "--db",
        ])
        .arg(&db)
        .arg("--master-key-file")
        .arg(&master)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("orgs add");
    writeln!(add.stdin.take().unwrap(), "{key}").unwrap();
    let added = add.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stderr(&added).contains("created the master key file"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&master).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let raw = std::fs::read(&db).unwrap();
    assert!(
        !raw.windows(key.len()).any(|w| w == key.as_bytes()),
        "the key is not stored in clear"
    );

    let scan_stored = |master: &Path| {
        run(custos()
            .args(["scan", "--org", ORG, "--base-url", &sim.url, "--db"])
            .arg(&db)
            .arg("--config")
            .arg(fast_config(&db))
            .arg("--master-key-file")
            .arg(master)
            .env_remove("OPENAI_ADMIN_KEY"))
    };
    let scanned = scan_stored(&master);
    assert!(scanned.status.success(), "{}", stderr(&scanned));
    let list = run(custos().args(["orgs", "list", "--db"]).arg(&db));
    assert!(
        stdout(&list).contains("stored org/org-demo/read"),
        "{}",
        stdout(&list)
    );

    let new_master = dir.join("new.key");
    let rotated = run(custos()
        .args(["orgs", "rotate-master-key", "--db"])
        .arg(&db)
        .arg("--master-key-file")
        .arg(&master)
        .arg("--new-key-file")
        .arg(&new_master));
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let old = scan_stored(&master);
    assert_eq!(old.status.code(), Some(1));
    assert!(
        stderr(&old).to_lowercase().contains("master key"),
        "a wrong master key is named: {}",
        stderr(&old)
    );
    assert!(!stderr(&old).contains(&key));
    assert!(scan_stored(&new_master).status.success());

    let removed = run(custos().args(["orgs", "remove", ORG, "--db"]).arg(&db));
    assert!(removed.status.success(), "{}", stderr(&removed));
    let gone = scan_stored(&new_master);
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        stderr(&gone).contains("OPENAI_ADMIN_KEY"),
        "{}",
        stderr(&gone)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_store_is_refused_and_left_untouched() {
    let dir = temp_dir("scan", "corrupt");
    let db = dir.join("custos.db");
    let garbage = b"this is not a database, and custos must not overwrite it".repeat(100);
    std::fs::write(&db, &garbage).unwrap();
    let output = run(custos().args(["scans", "--db"]).arg(&db));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("custos.db"), "{}", stderr(&output));
    assert_eq!(std::fs::read(&db).unwrap(), garbage);
    let _ = std::fs::remove_dir_all(&dir);
}

const CANARY: &str = "CANARY-pg-s3cr3t";

/// Every output of a run, for canary checks.
fn all_output(output: &Output) -> String {
    format!("{}{}", stdout(output), stderr(output))
}

#[test]
fn store_urls_and_base_urls_never_show_their_credentials() {
    let dir = temp_dir("scan", "canary");
    let db_urls = [
        format!("postgres://custos:{CANARY}@127.0.0.1:1/custos"),
        format!("postgres://custos@127.0.0.1:1/custos?password={CANARY}&sslmode=disable"),
        format!("postgresql://custos:{CANARY}@[bad/custos"),
        format!("host=127.0.0.1 user=custos password={CANARY}"),
    ];
    let commands: [&[&str]; 14] = [
        &["scans"],
        &["inventory", "user"],
        &["diff"],
        &["findings"],
        &["report", "spend-by-project"],
        &["segment", "active-projects"],
        &["orgs", "list"],
        &["orgs", "remove", ORG],
        &["orgs", "rotate-master-key", "--new-key-file", "new.key"],
        &["scan", "--org", ORG, "--base-url", "http://127.0.0.1:1/v1"],
        &["users", "list"],
        &["actions", "list"],
        &["actions", "journal"],
        &[
            "evidence",
            "export",
            "--month",
            "2026-10",
            "--out",
            "pack.tar.gz",
        ],
    ];
    for db in &db_urls {
        for args in commands {
            let output = run(custos()
                .current_dir(&dir)
                .arg("-vv")
                .args(args)
                .arg("--db")
                .arg(db)
                .env("OPENAI_ADMIN_KEY", "sk-admin-test"));
            let shown = all_output(&output);
            assert!(!output.status.success(), "{args:?} {db}: {shown}");
            assert!(!shown.contains(CANARY), "{args:?} {db}: {shown}");
        }
    }
    // A connection string is refused, not created as a file named after the password.
    assert!(
        std::fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(CANARY))
    );

    // A base URL with a key in its query, on the command line: refused, the key not shown.
    let db = dir.join("custos.db");
    for base_url in [
        format!("http://127.0.0.1:1/v1?key={CANARY}"),
        format!("http://127.0.0.1:1/v1?api_key={CANARY}#frag"),
        format!("http://{CANARY}@127.0.0.1:1/v1"),
    ] {
        let output = run(custos()
            .arg("-vv")
            .args(["scan", "--org", ORG, "--base-url", &base_url, "--db"])
            .arg(&db)
            .env("OPENAI_ADMIN_KEY", "sk-admin-test"));
        let shown = all_output(&output);
        assert!(!output.status.success(), "{base_url}: {shown}");
        assert!(!shown.contains(CANARY), "{base_url}: {shown}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `custos sim serve` with latency, so that a scan lasts long enough to be raced.
fn slow_sim(latency_ms: u64) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = custos()
        .args(["sim", "serve", "--latency-ms", &latency_ms.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the simulator");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_owned())
}

/// Waits (up to 60 s) until the scan of process `pid` holds its lock on the store at `db`:
/// the lock file beside it names that process.
fn wait_for_lock_holder(db: &Path, pid: u32) {
    let wanted = format!("custos scan (pid {pid}");
    let dir = db.parent().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().ends_with(".lock") {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                if holder.contains(&wanted) {
                    return;
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the scan of pid {pid} did not take the lock within 60 s");
}

#[test]
fn a_second_scan_of_an_organization_is_refused_at_once_and_the_first_completes() {
    let dir = temp_dir("scan", "lock");
    let db = dir.join("custos.db");
    let (mut sim_child, url) = slow_sim(300);
    let mut first = scan_url(&db, &url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_lock_holder(&db, first.id());

    let second = run(&mut scan_url(&db, &url));
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    assert!(
        stderr(&second).contains(&format!(
            "organization {ORG} is already being scanned by custos scan (pid {}",
            first.id()
        )),
        "{}",
        stderr(&second)
    );
    assert!(
        first.try_wait().unwrap().is_none(),
        "the second scan was refused while the first still ran"
    );

    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    let runs = scans(&db);
    assert_eq!(runs.len(), 1, "the refused scan recorded nothing: {runs:?}");
    assert_eq!(runs[0]["status"], "complete");
    assert!(
        runs[0]["finished_at"].as_i64().unwrap() > runs[0]["started_at"].as_i64().unwrap(),
        "a scan through 300 ms of latency per request lasts seconds: {}",
        runs[0]
    );
    let _ = sim_child.kill();
    let _ = sim_child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_stopped_scan_is_recorded_failed_with_its_reason_and_the_snapshot_before_it_stays() {
    let dir = temp_dir("scan", "stopped");
    let db = dir.join("custos.db");
    let fast = Sim::start();
    assert!(run(&mut scan(&db, &fast)).status.success());
    let users_before = stdout(&run(custos()
        .args(["inventory", "user", "--format", "csv", "--db"])
        .arg(&db)));

    let (mut sim_child, url) = slow_sim(500);
    let child = scan_url(&db, &url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_lock_holder(&db, child.id());
    // Past the next whole second, so that the recorded end differs from the start.
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    let signalled = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    let stopped = child.wait_with_output().unwrap();
    assert_eq!(stopped.status.code(), Some(1), "{}", stderr(&stopped));
    assert!(
        stderr(&stopped).contains("interrupted (Ctrl-C)"),
        "{}",
        stderr(&stopped)
    );

    let runs = scans(&db);
    assert_eq!(runs.len(), 2);
    let failed = &runs[1];
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("the scan was interrupted (Ctrl-C)"),
        "{failed}"
    );
    assert!(
        failed["finished_at"].as_i64().unwrap() > failed["started_at"].as_i64().unwrap(),
        "{failed}"
    );
    let table = stdout(&run(custos().args(["scans", "--db"]).arg(&db)));
    assert!(table.contains("failed"), "{table}");
    assert!(
        table.contains("interrupted (Ctrl-C)"),
        "the reason is shown: {table}"
    );
    let users_after = stdout(&run(custos()
        .args(["inventory", "user", "--format", "csv", "--db"])
        .arg(&db)));
    assert_eq!(
        users_after, users_before,
        "the snapshot before it is the latest"
    );
    // The lock went with the process: the next scan runs.
    assert!(run(&mut scan(&db, &fast)).status.success());
    let _ = sim_child.kill();
    let _ = sim_child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn read_commands_neither_create_nor_write_a_store() {
    let dir = temp_dir("scan", "readonly");
    let missing = dir.join("typo.db");
    for args in [
        &["scans"][..],
        &["inventory", "user"],
        &["findings"],
        &["orgs", "list"],
    ] {
        let output = run(custos().args(args).arg("--db").arg(&missing));
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&output).contains("there is no store at") && stderr(&output).contains("typo.db"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing was created"
    );

    // A store one migration behind this build: a reader says so and writes nothing (opening
    // it to write would migrate it).
    let db = dir.join("custos.db");
    let sim = Sim::start();
    assert!(run(&mut scan(&db, &sim)).status.success());
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "DELETE FROM schema_version WHERE version = ?1",
            [custos_store::SCHEMA_VERSION],
        )
        .unwrap();
    let bytes = std::fs::read(&db).unwrap();
    for args in [
        &["scans"][..],
        &["inventory", "user"],
        &["findings"],
        &["report", "spend-by-project"],
    ] {
        let output = run(custos().args(args).arg("--db").arg(&db));
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            stdout(&output)
        );
        assert!(
            stderr(&output).contains(&format!(
                "older than this build's {}, and was opened read-only",
                custos_store::SCHEMA_VERSION
            )),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "reading wrote nothing");
    // A writer migrates it; then it reads again.
    assert!(run(&mut scan(&db, &sim)).status.success());
    assert_eq!(scans(&db).len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_failed_master_key_rotation_leaves_no_new_key_file() {
    let dir = temp_dir("scan", "rotate");
    let db = dir.join("custos.db");
    let master = dir.join("master.key");
    let add = |org: &str, env_key: Option<&str>| {
        let mut command = custos();
        command
            .args(["orgs", "add", org, "--key-env", "ADMIN_KEY", "--db"])
            .arg(&db)
            .arg("--master-key-file")
            .arg(&master)
            .env("ADMIN_KEY", "sk-admin-rotate");
        if let Some(key) = env_key {
            command.env("CUSTOS_MASTER_KEY", key);
        }
        let output = run(&mut command);
        assert!(output.status.success(), "{}", stderr(&output));
    };
    add("org-a", None);
    // One key sealed under another master key: the current one cannot open it.
    add("org-b", Some(&"ab".repeat(32)));
    let new_key = dir.join("new.key");
    let rotated = run(custos()
        .args(["orgs", "rotate-master-key", "--db"])
        .arg(&db)
        .arg("--master-key-file")
        .arg(&master)
        .arg("--new-key-file")
        .arg(&new_key));
    assert_eq!(rotated.status.code(), Some(1), "{}", stdout(&rotated));
    assert!(
        stderr(&rotated).contains("nothing was re-encrypted"),
        "{}",
        stderr(&rotated)
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".key") || n.ends_with(".partial"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["master.key"],
        "no new (or partial) key file is left"
    );
    // The old key still opens what it sealed.
    let list = run(custos().args(["orgs", "list", "--db"]).arg(&db));
    assert!(list.status.success(), "{}", stderr(&list));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn debug_logs_on_postgres_never_hold_sealed_keys() {
    let Some(url) = postgres_schema("sealed_logs") else {
        return;
    };
    let dir = temp_dir("scan", "sealed-logs");
    let added = run(custos()
        .arg("-vv")
        .args(["orgs", "add", ORG, "--key-env", "ADMIN_KEY", "--db", &url])
        .arg("--master-key-file")
        .arg(dir.join("master.key"))
        .env("ADMIN_KEY", "sk-admin-sealed-logs"));
    assert!(added.status.success(), "{}", stderr(&added));
    let logs = stderr(&added);
    assert!(
        logs.contains("executing statement"),
        "-vv logs the driver's statements with their parameters: {logs}"
    );
    let sealed = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = custos_store::open(&url).await.unwrap();
        store.secrets().await.unwrap()
    });
    assert_eq!(sealed.len(), 1);
    let (_, sealed) = &sealed[0];
    for (what, bytes) in [("nonce", &sealed.nonce), ("ciphertext", &sealed.ciphertext)] {
        let logged = format!("{bytes:?}");
        let inner = logged.trim_matches(['[', ']']);
        assert!(!logs.contains(inner), "the {what} is in the logs: {logs}");
    }
    assert!(logs.contains("(sealed, not logged)"), "{logs}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `custos report NAME`, `segment NAME` and `inventory KIND` still work for one release: the
/// same bytes on stdout as the `show` that replaces them, and one note on stderr.
#[test]
fn deprecated_bare_names_print_what_show_prints_with_a_note() {
    let dir = temp_dir("scan", "deprecated");
    let db = dir.join("custos.db");
    let sim = Sim::start();
    let scanned = run(&mut scan(&db, &sim));
    assert!(scanned.status.success(), "{}", stderr(&scanned));
    for (command, name, flags) in [
        ("inventory", "user", &["--format", "csv"][..]),
        (
            "report",
            "costs-last-30-days",
            &["--format", "json", "--as-of", "2026-11-20"],
        ),
        ("segment", "active-projects", &["--format", "json"]),
    ] {
        let show = run(custos()
            .args([command, "show", name])
            .args(flags)
            .arg("--db")
            .arg(&db));
        assert!(show.status.success(), "{command} show: {}", stderr(&show));
        assert!(!show.stdout.is_empty(), "{command} show {name}");
        assert!(
            !stderr(&show).contains("deprecated"),
            "{command} show: {}",
            stderr(&show)
        );
        let bare = run(custos()
            .args([command, name])
            .args(flags)
            .arg("--db")
            .arg(&db));
        assert!(bare.status.success(), "{command}: {}", stderr(&bare));
        assert_eq!(stdout(&bare), stdout(&show), "custos {command} {name}");
        assert_eq!(
            stderr(&bare),
            format!(
                "note: 'custos {command} {name}' is deprecated; use 'custos {command} show {name}'\n{}",
                stderr(&show)
            )
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
