//! What a pack holds, and that it is the same bytes every time.

mod common;

use common::*;
use custos_evidence::{ENTRY_ORDER, ExportError, ExportRequest, FORMAT, verify};
use serde_json::Value;

#[tokio::test]
async fn the_same_store_and_request_give_identical_bytes() {
    let key = signing_key();
    let store = store().await;
    let first = export(&*store, &request(), &key).await;
    let second = export(&*store, &request(), &key).await;
    assert!(first == second, "two exports differ");
    // Appending an event outside the period changes nothing; inside it changes the pack.
    store
        .append_audit_events(ORG, &[event("evt_later", TO + 10, "x")])
        .await
        .unwrap();
    assert!(export(&*store, &request(), &key).await == first);
    store
        .append_audit_events(ORG, &[event("evt_inside", FROM + 5, "x")])
        .await
        .unwrap();
    assert!(export(&*store, &request(), &key).await != first);
}

#[tokio::test]
async fn the_archive_has_fixed_order_owners_modes_and_times() {
    let archive = pack(&signing_key()).await;
    // gzip: no file name flag, mtime 0.
    assert_eq!(&archive[..4], &[0x1f, 0x8b, 8, 0]);
    assert_eq!(&archive[4..8], &[0, 0, 0, 0]);
    let entries = entries(&archive);
    let names: Vec<String> = entries.iter().map(Entry::name).collect();
    assert_eq!(names, ENTRY_ORDER);
    for entry in &entries {
        let header = &entry.header;
        assert_eq!(header.entry_type(), tar::EntryType::Regular);
        assert_eq!(header.mode().unwrap(), 0o644);
        assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
        assert_eq!(header.mtime().unwrap(), TO as u64);
        assert_eq!(header.username().unwrap(), Some(""));
    }
}

#[tokio::test]
async fn the_manifest_describes_the_period_and_every_file() {
    let key = signing_key();
    let archive = pack(&key).await;
    let verified = verify(archive.as_slice(), key.public_key(), None).unwrap();
    let manifest = verified.manifest;
    assert_eq!(manifest.format, FORMAT);
    assert_eq!(manifest.organization, ORG);
    assert_eq!(manifest.period.from, "2026-10-01T00:00:00Z");
    assert_eq!(manifest.period.to, "2026-11-01T00:00:00Z");
    assert_eq!(manifest.generated_at, manifest.period.to);
    assert_eq!(manifest.custos_version, "0.1.0-test");
    assert_eq!(manifest.previous_manifest_sha256, None);
    let snapshot = manifest.snapshot.unwrap();
    assert_eq!(snapshot.status, "partial");
    assert_eq!(snapshot.started_at, "2026-10-11T00:00:00Z");
    assert_eq!(snapshot.unknown_kinds, ["invite"]);
    for file in &manifest.files {
        let data = content(&archive, &file.name);
        assert_eq!(file.bytes, data.len() as u64, "{}", file.name);
        assert_eq!(file.lines, lines(&archive, &file.name).len() as u64);
        assert!(file.lines > 0, "{} is empty in the fixture", file.name);
    }
    let manifest_bytes = content(&archive, "manifest.json");
    assert_eq!(verified.manifest_sha256, sha256_hex(&manifest_bytes));
}

#[tokio::test]
async fn snapshot_files_hold_the_state_at_the_end_of_the_period() {
    let archive = pack(&signing_key()).await;
    let ids = |name: &str| -> Vec<String> {
        lines(&archive, name)
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // The scan of day 10 (partial), not the one before the period nor the one after it.
    assert_eq!(ids("users.jsonl"), ["user_a", "user_b", "user_clear"]);
    assert_eq!(ids("projects.jsonl"), ["proj_1"]);
    assert_eq!(ids("api_keys.jsonl"), ["admin_1", "key_1"]);
    let user = &lines(&archive, "users.jsonl")[0];
    assert_eq!(user["kind"], "user");
    assert_eq!(user["project_id"], Value::Null);
    assert!(user["scan_id"].is_i64());
    let key = &lines(&archive, "api_keys.jsonl")[1];
    assert_eq!(key["kind"], "project_api_key");
    assert_eq!(key["project_id"], "proj_1");
    assert_eq!(key["data"]["redacted_value"], "sk-proj-...abcd");
    assert!(key["data"].get("value").is_none());
}

#[tokio::test]
async fn no_key_value_and_no_clear_email_leave_the_store() {
    let archive = pack(&signing_key()).await;
    let tar = gunzip(&archive);
    let text = String::from_utf8_lossy(&tar);
    assert!(!text.contains(CANARY));
    assert!(!text.to_lowercase().contains(&CLEAR_EMAIL.to_lowercase()));
    // Hashed as the store hashes at ingest.
    let (hash, _) = custos_store::email_hash(CLEAR_EMAIL);
    let user = lines(&archive, "users.jsonl")
        .into_iter()
        .find(|u| u["id"] == "user_clear")
        .unwrap();
    assert_eq!(user["data"]["email_sha256"], hash.as_str());
    assert_eq!(user["data"]["email_domain"], "example.org");
    let finding = &lines(&archive, "findings.jsonl")[1];
    assert_eq!(finding["evidence"]["email_sha256"], hash.as_str());
}

#[tokio::test]
async fn events_and_scans_are_those_of_the_period_in_order() {
    let archive = pack(&signing_key()).await;
    let events: Vec<String> = lines(&archive, "events.jsonl")
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events, ["evt_first", "evt_a", "evt_b", "evt_late"]);
    let scans: Vec<(i64, String)> = lines(&archive, "scans.jsonl")
        .iter()
        .map(|s| {
            (
                s["started_at"].as_i64().unwrap(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        scans,
        [
            (FROM + 10 * DAY, "partial".to_owned()),
            (FROM + 20 * DAY, "abandoned".to_owned())
        ]
    );
    // Caller-provided records keep their order.
    let findings = lines(&archive, "findings.jsonl");
    assert_eq!(findings[0]["policy_id"], "admin-key-unused");
    assert_eq!(lines(&archive, "actions.jsonl")[0]["id"], "act_1");
}

#[tokio::test]
async fn a_period_without_snapshot_gives_empty_snapshot_files() {
    let key = signing_key();
    let early = ExportRequest::new(ORG, FROM - 30 * DAY, FROM - 20 * DAY, NOW, "0.1.0");
    let archive = export(&*store().await, &early, &key).await;
    let verified = verify(archive.as_slice(), key.public_key(), None).unwrap();
    assert_eq!(verified.manifest.snapshot, None);
    for name in [
        "users.jsonl",
        "projects.jsonl",
        "api_keys.jsonl",
        "events.jsonl",
    ] {
        assert!(content(&archive, name).is_empty(), "{name}");
    }
}

#[tokio::test]
async fn invalid_requests_are_refused_before_anything_is_written() {
    let key = signing_key();
    let store = store().await;
    let cases = [
        ExportRequest::new(ORG, TO, FROM, NOW, "0.1.0"),
        ExportRequest::new("org with space", FROM, TO, NOW, "0.1.0"),
        ExportRequest {
            previous_manifest_sha256: Some("not-a-hash".into()),
            ..request()
        },
        ExportRequest::new(ORG, FROM, i64::MAX, i64::MAX, "0.1.0"),
    ];
    for case in cases {
        let mut out = Vec::new();
        let result = custos_evidence::export(&*store, &case, [], [], &key, &mut out).await;
        assert!(
            matches!(result, Err(ExportError::InvalidRequest(_))),
            "{case:?}"
        );
        assert!(out.is_empty());
    }
}

/// Exporting the running month: nothing in the pack is dated after the export, and the same
/// store exported at the same moment still gives the same bytes.
#[tokio::test]
async fn a_running_period_is_dated_when_it_was_exported_not_in_the_future() {
    let key = signing_key();
    let store = store().await;
    let now = FROM + 10 * DAY;
    let running = ExportRequest::new(ORG, FROM, TO, now, "0.1.0");
    assert!(running.is_partial() && !request().is_partial());
    let archive = export(&*store, &running, &key).await;
    let manifest = verify(archive.as_slice(), key.public_key(), None)
        .unwrap()
        .manifest;
    assert_eq!(manifest.generated_at, "2026-10-11T00:00:00Z");
    assert_eq!(manifest.period.to, "2026-11-01T00:00:00Z");
    for entry in entries(&archive) {
        assert_eq!(
            entry.header.mtime().unwrap(),
            now as u64,
            "{}",
            entry.name()
        );
    }
    assert!(export(&*store, &running, &key).await == archive);

    // A period that has not begun has nothing to prove.
    let future = ExportRequest::new(ORG, FROM, TO, FROM - 1, "0.1.0");
    let mut out = Vec::new();
    let refused = custos_evidence::export(&*store, &future, [], [], &key, &mut out).await;
    assert!(
        matches!(&refused, Err(ExportError::InvalidRequest(m)) if m.contains("has not started")),
        "{refused:?}"
    );
    assert!(out.is_empty());
}
