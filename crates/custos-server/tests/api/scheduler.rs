//! The scheduler: both organizations scanned on start and again after the interval, findings
//! recorded as `custos scan` records them, a clean stop, and one scheduler per SQLite file.

use crate::common::{Fixture, config, options};
use custos_server::{Server, ServerError};
use custos_store::ScanStatus;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn both_organizations_are_scanned_on_start_and_again_at_the_interval() {
    let fixture = Fixture::start("interval", "interval = \"2s\"\njitter = 0").await;
    let scans = fixture.wait_for_scans(2).await;
    for org in &fixture.orgs {
        let complete = scans
            .iter()
            .filter(|s| &s.org_id == org && s.status == ScanStatus::Complete)
            .count();
        assert!(complete >= 2, "{org}: {scans:#?}");
    }
    // The findings were recorded by each scan: they are the lifecycle's, seen again.
    let findings = fixture.store.findings(None).await.unwrap();
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|f| f.last_seen >= f.first_seen));
    // The API lists the same scans.
    let listed: Vec<Value> = fixture
        .get("/api/v1/scans?limit=1", Some(&fixture.tokens.viewer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], scans[0].id);
    let users = fixture
        .get(
            &format!("/api/v1/inventory/user?org={}&limit=5", fixture.orgs[0]),
            Some(&fixture.tokens.viewer),
        )
        .await;
    assert_eq!(users.status(), 200);
    assert!(users.headers().contains_key("link"));
    let users: Vec<Value> = users.json().await.unwrap();
    assert_eq!(users.len(), 5);
    assert!(users.iter().all(|u| u["kind"] == "user"));
    fixture.shut_down().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stop_ends_running_scans_and_frees_the_store_for_the_next_scheduler() {
    let fixture = Fixture::start("shutdown", "jitter = 0").await;
    let db = fixture.db.clone();
    let text = fixture.config_text.clone();
    let store = std::sync::Arc::clone(&fixture.store);

    // A second scheduler on the same file is refused, naming the lock; an API-only one is fine.
    let refused = Server::new(config(&text), options(&db, true))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ServerError::SchedulerRunning { .. }),
        "{refused}"
    );
    let message = refused.to_string();
    assert!(
        message.contains("another custos serve schedules scans on"),
        "{message}"
    );
    assert!(message.contains(".scheduler.lock"), "{message}");
    assert!(message.contains("custos serve (pid"), "{message}");
    assert!(message.contains("--api-only"), "{message}");
    let api_only = Server::new(config(&text), options(&db, false))
        .await
        .unwrap();
    drop(api_only);

    // Stopped while the scans of the start run (or just after): it ends cleanly and no scan
    // is left running.
    fixture.shut_down().await.unwrap();
    let scans = store.scans(None).await.unwrap();
    assert!(
        scans.iter().all(|s| s.status != ScanStatus::Running),
        "{scans:#?}"
    );
    for stopped in scans.iter().filter(|s| s.status == ScanStatus::Failed) {
        assert!(
            stopped
                .error
                .as_deref()
                .unwrap()
                .contains("the server was stopped"),
            "{stopped:#?}"
        );
    }
    let next = Server::new(config(&text), options(&db, true)).await;
    assert!(next.is_ok(), "the lock is released with the server");
}
