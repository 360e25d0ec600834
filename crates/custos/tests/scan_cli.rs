//! `custos scan`, `scans`, `inventory`, `diff` and `orgs` through the real binary against the
//! simulator, including a process killed at every stage of a scan.

mod common;

use common::{Sim, custos, temp_dir};
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
    let mut command = custos();
    command
        .args(["scan", "--org", ORG, "--base-url", &sim.url, "--db"])
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
        assert_eq!(statuses, ["complete", "abandoned", "complete"], "{stage}");
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
