//! The behavioural suite that every backend passes. `tests/sqlite.rs` and `tests/postgres.rs`
//! instantiate it with [`store_suite!`], which turns each `pub async fn` below into a test.

use custos_store::crypto::{self, MasterKey};
use custos_store::{
    ActionStatus, ApprovalRecord, CallRecord, CallStatus, Decision, JournalAnchor, JournalBreak,
    JournalNote, NewAction, PrincipalRecord, PrincipalRole,
};
use custos_store::{
    AuditEventRecord, CostRecord, EndpointRun, Error, FindingChanges, FindingEvent,
    FindingEventKind, FindingObservation, FindingRecord, FindingStatus, ObjectRecord,
    SCHEMA_VERSION, ScanId, ScanStatus, Store, Suppression, UsageRecord,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// What the suite needs from a backend's test harness.
pub trait Backend: Sync {
    /// A URL for this test's private store.
    fn url(&self) -> String;
    /// Runs SQL on the store behind custos' back (to simulate a newer custos, or a forger).
    fn exec_raw(&self, sql: &str) -> impl Future<Output = Result<(), String>> + Send;
    /// The directory of this backend's migrations under `migrations/`.
    fn dialect(&self) -> &'static str;
}

/// The environment variable that turns a run of the test binary into a crash-test child.
pub const CHILD_URL: &str = "CUSTOS_STORE_CRASH_CHILD_URL";
/// Objects per batch in the crash-test child.
const CHILD_BATCH: usize = 500;

/// Generates one `#[tokio::test]` per suite function, plus the crash-test child entry point.
/// `$backend` is an async fn `(test name) -> Option<impl Backend>` (None: skip).
#[macro_export]
macro_rules! store_suite {
    ($backend:path) => {
        $crate::store_suite!(@tests $backend;
            organizations, scan_lifecycle, snapshot_invisible_until_finish, partial_scans_kept,
            abandoned_scans_cleaned, objects_round_trip, duplicate_objects_refused,
            audit_dedup_append_only, usage_replace_window, costs_replace_window, sync_marks,
            secrets_round_trip, bad_input_refused, newer_schema_refused, crash_mid_write,
            findings_lifecycle, findings_suppression, findings_refused,
            finding_events_append_only, findings_survive_migration, principals_round_trip,
            actions_lifecycle, journal_chain_and_tamper, scan_lock_one_holder_per_organization,
            failed_and_interrupted_scans_keep_their_reason, secrets_replaced_together);

        /// Not a test on its own: the child process of `crash_mid_write`.
        #[tokio::test]
        #[ignore = "the child process of crash_mid_write, which runs it"]
        async fn crash_child() {
            if let Ok(url) = std::env::var(suite::CHILD_URL) {
                suite::crash_child(&url).await;
            }
        }
    };
    (@tests $backend:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                if let Some(backend) = $backend(stringify!($name)).await {
                    suite::$name(&backend).await;
                }
            }
        )*
    };
}

async fn open(backend: &impl Backend) -> Box<dyn Store> {
    custos_store::open(&backend.url())
        .await
        .expect("open the store")
}

fn object(kind: &str, id: &str, project: Option<&str>) -> ObjectRecord {
    ObjectRecord {
        kind: kind.into(),
        id: id.into(),
        project_id: project.map(Into::into),
        data: json!({"id": id, "object": kind, "name": format!("{kind} {id}")}),
    }
}

fn endpoint(path: &str, kinds: &[&str], error: Option<&str>) -> EndpointRun {
    EndpointRun {
        endpoint: format!("GET {path}"),
        scope: None,
        kinds: kinds.iter().map(|k| k.to_string()).collect(),
        ok: error.is_none(),
        error: error.map(Into::into),
        status: error.map(|_| 500),
        requests: 3,
        items: 2,
    }
}

/// Runs a whole scan: begin, objects, finish.
async fn full_scan(store: &dyn Store, org: &str, at: i64, objects: &[ObjectRecord]) -> i64 {
    let scan = store.begin_scan(org, at).await.unwrap();
    store.put_objects(scan, objects).await.unwrap();
    store
        .finish_scan(scan, at + 10, ScanStatus::Complete)
        .await
        .unwrap();
    scan
}

/// An error with its causes, `a: b: c`, as `{:#}` prints a chain.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

pub async fn organizations(b: &impl Backend) {
    let store = open(b).await;
    assert!(store.organizations().await.unwrap().is_empty());
    store
        .upsert_organization("org-b", Some("Beta"))
        .await
        .unwrap();
    store.upsert_organization("org-a", None).await.unwrap();
    store.upsert_organization("org-b", None).await.unwrap();
    store
        .upsert_organization("org-a", Some("Alpha"))
        .await
        .unwrap();
    assert_eq!(
        store.organizations().await.unwrap(),
        vec![
            ("org-a".to_string(), Some("Alpha".to_string())),
            ("org-b".to_string(), Some("Beta".to_string()))
        ]
    );
    // Writers register an organization they have not seen.
    store.begin_scan("org-c", 1).await.unwrap();
    assert_eq!(store.organizations().await.unwrap().len(), 3);
}

pub async fn scan_lifecycle(b: &impl Backend) {
    let store = open(b).await;
    assert!(store.latest_scan("org-1").await.unwrap().is_none());
    let scan = store.begin_scan("org-1", 100).await.unwrap();
    let running = store.scan(scan).await.unwrap().unwrap();
    assert_eq!(
        (running.status, running.finished_at),
        (ScanStatus::Running, None)
    );

    store
        .put_objects(
            scan,
            &[object("user", "u2", None), object("user", "u1", None)],
        )
        .await
        .unwrap();
    store
        .put_objects(scan, &[object("project", "p1", Some("p1"))])
        .await
        .unwrap();
    let users = endpoint("/organization/users", &["user"], None);
    let projects = endpoint("/organization/projects", &["project"], None);
    store.record_endpoint(scan, &users).await.unwrap();
    store.record_endpoint(scan, &projects).await.unwrap();
    store
        .finish_scan(scan, 160, ScanStatus::Complete)
        .await
        .unwrap();

    let run = store.scan(scan).await.unwrap().unwrap();
    assert_eq!(run.org_id, "org-1");
    assert_eq!((run.started_at, run.finished_at), (100, Some(160)));
    assert_eq!(run.status, ScanStatus::Complete);
    assert_eq!(run.endpoints, vec![users, projects]);
    assert_eq!(store.latest_scan("org-1").await.unwrap(), Some(run.clone()));

    let ids: Vec<_> = store
        .objects(scan, None)
        .await
        .unwrap()
        .into_iter()
        .map(|o| format!("{}/{}", o.kind, o.id))
        .collect();
    assert_eq!(ids, ["project/p1", "user/u1", "user/u2"]);
    assert_eq!(store.objects(scan, Some("user")).await.unwrap().len(), 2);
    assert!(
        store
            .objects(scan, Some("invite"))
            .await
            .unwrap()
            .is_empty()
    );

    // A finished scan takes no more writes and does not finish twice.
    let late = store.put_objects(scan, &[object("user", "u3", None)]).await;
    assert!(matches!(
        late,
        Err(Error::ScanNotRunning {
            status: ScanStatus::Complete,
            ..
        })
    ));
    assert!(matches!(
        store
            .record_endpoint(scan, &endpoint("/x", &[], None))
            .await,
        Err(Error::ScanNotRunning { .. })
    ));
    assert!(matches!(
        store.finish_scan(scan, 170, ScanStatus::Partial).await,
        Err(Error::ScanNotRunning { .. })
    ));

    // A second scan becomes the latest; history keeps both, oldest first.
    let second = full_scan(&*store, "org-1", 200, &[object("user", "u1", None)]).await;
    assert_eq!(
        store.latest_scan("org-1").await.unwrap().unwrap().id,
        second
    );
    let history: Vec<_> = store
        .scans(Some("org-1"))
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(history, [scan, second]);
    let other = full_scan(&*store, "org-2", 300, &[]).await;
    assert_eq!(store.scans(None).await.unwrap().len(), 3);
    assert!(store.objects(other, None).await.unwrap().is_empty());

    assert!(store.scan(9_999).await.unwrap().is_none());
    assert!(matches!(
        store.objects(9_999, None).await,
        Err(Error::ScanNotFound(9_999))
    ));
    assert!(matches!(
        store.put_objects(9_999, &[object("user", "u", None)]).await,
        Err(Error::ScanNotFound(9_999))
    ));
}

pub async fn snapshot_invisible_until_finish(b: &impl Backend) {
    let store = open(b).await;
    let first = full_scan(&*store, "org-1", 100, &[object("user", "old", None)]).await;
    let scan = store.begin_scan("org-1", 200).await.unwrap();
    store
        .put_objects(scan, &[object("user", "new", None)])
        .await
        .unwrap();

    // Written and committed, yet not visible: the previous snapshot stays the latest.
    assert_eq!(store.latest_scan("org-1").await.unwrap().unwrap().id, first);
    let err = store.objects(scan, None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ScanNotVisible {
                status: ScanStatus::Running,
                ..
            }
        ),
        "{err}"
    );
    // A second handle on the same store sees the same.
    let other = open(b).await;
    assert_eq!(other.latest_scan("org-1").await.unwrap().unwrap().id, first);

    store
        .finish_scan(scan, 210, ScanStatus::Complete)
        .await
        .unwrap();
    assert_eq!(other.latest_scan("org-1").await.unwrap().unwrap().id, scan);
    assert_eq!(other.objects(scan, None).await.unwrap()[0].id, "new");
    assert_eq!(other.objects(first, None).await.unwrap()[0].id, "old");
}

pub async fn partial_scans_kept(b: &impl Backend) {
    let store = open(b).await;
    let scan = store.begin_scan("org-1", 100).await.unwrap();
    store
        .put_objects(scan, &[object("user", "u1", None)])
        .await
        .unwrap();
    let failed = EndpointRun {
        scope: Some("proj_1".into()),
        ..endpoint(
            "/organization/projects/{id}/api_keys",
            &["project_api_key"],
            Some("HTTP 500 after 4 tries"),
        )
    };
    store
        .record_endpoint(scan, &endpoint("/organization/users", &["user"], None))
        .await
        .unwrap();
    store.record_endpoint(scan, &failed).await.unwrap();
    store
        .finish_scan(scan, 150, ScanStatus::Partial)
        .await
        .unwrap();

    let latest = store.latest_scan("org-1").await.unwrap().unwrap();
    assert_eq!((latest.id, latest.status), (scan, ScanStatus::Partial));
    assert_eq!(latest.endpoints[1], failed);
    assert_eq!(store.objects(scan, None).await.unwrap().len(), 1);
}

pub async fn abandoned_scans_cleaned(b: &impl Backend) {
    let store = open(b).await;
    let done = full_scan(&*store, "org-1", 100, &[object("user", "kept", None)]).await;
    let stale = store.begin_scan("org-1", 200).await.unwrap();
    store
        .put_objects(stale, &[object("user", "stale", None)])
        .await
        .unwrap();
    let other_org = store.begin_scan("org-2", 200).await.unwrap();
    store
        .put_objects(other_org, &[object("user", "x", None)])
        .await
        .unwrap();

    // The next scan of org-1 abandons the stale one (and only org-1's).
    let next = store.begin_scan("org-1", 300).await.unwrap();
    let stale_run = store.scan(stale).await.unwrap().unwrap();
    assert_eq!(
        (stale_run.status, stale_run.finished_at),
        (ScanStatus::Abandoned, None)
    );
    assert_eq!(
        store.scan(other_org).await.unwrap().unwrap().status,
        ScanStatus::Running
    );
    assert!(matches!(
        store.objects(stale, None).await,
        Err(Error::ScanNotVisible {
            status: ScanStatus::Abandoned,
            ..
        })
    ));
    // The superseded writer is told, rather than writing rows nobody will see.
    assert!(matches!(
        store
            .put_objects(stale, &[object("user", "late", None)])
            .await,
        Err(Error::ScanNotRunning {
            status: ScanStatus::Abandoned,
            ..
        })
    ));
    assert!(matches!(
        store.finish_scan(stale, 310, ScanStatus::Complete).await,
        Err(Error::ScanNotRunning { .. })
    ));
    assert_eq!(store.latest_scan("org-1").await.unwrap().unwrap().id, done);

    // A scan may also abandon itself.
    store
        .put_objects(next, &[object("user", "n", None)])
        .await
        .unwrap();
    store
        .finish_scan(next, 320, ScanStatus::Abandoned)
        .await
        .unwrap();
    assert_eq!(store.latest_scan("org-1").await.unwrap().unwrap().id, done);
    assert_eq!(store.objects(done, None).await.unwrap()[0].id, "kept");
    assert!(matches!(
        store.finish_scan(next, 330, ScanStatus::Running).await,
        Err(Error::InvalidInput(_))
    ));
}

pub async fn objects_round_trip(b: &impl Backend) {
    let store = open(b).await;
    // Key order, unicode, escapes, big and fractional numbers, nulls, nesting.
    let text = r#"{"zeta":1,"alpha":{"b":[1,2.5,-3e-7,null],"a":"é 😀 \"q\" \\ \n"},"big":18446744073709551615,"neg":-9223372036854775808,"t":true,"empty":{},"list":[]}"#;
    let data: serde_json::Value = serde_json::from_str(text).unwrap();
    let records = vec![
        ObjectRecord {
            kind: "user".into(),
            id: "user-Ä".into(),
            project_id: None,
            data: data.clone(),
        },
        ObjectRecord {
            kind: "project_user".into(),
            id: "proj_1/user_1".into(),
            project_id: Some("proj_1".into()),
            data: json!(null),
        },
        ObjectRecord {
            kind: "user".into(),
            id: "User-B".into(),
            project_id: None,
            data: json!("plain"),
        },
        ObjectRecord {
            kind: "user".into(),
            id: "user-a".into(),
            project_id: None,
            data: json!([1, "two"]),
        },
    ];
    let scan = full_scan(&*store, "org-1", 1, &records).await;
    let back = store.objects(scan, None).await.unwrap();
    // Byte order on both backends: upper case before lower case, ASCII before the rest.
    let ids: Vec<_> = back.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["proj_1/user_1", "User-B", "user-a", "user-Ä"]);
    let user = back.iter().find(|o| o.id == "user-Ä").unwrap();
    assert_eq!(
        serde_json::to_string(&user.data).unwrap(),
        text,
        "JSON preserved exactly"
    );
    assert_eq!(back[0].project_id.as_deref(), Some("proj_1"));
    assert_eq!(back[0].data, json!(null));

    // Many batches, as a scan writes them.
    let scan = store.begin_scan("org-2", 2).await.unwrap();
    let many: Vec<_> = (0..12_000)
        .map(|i| object("user", &format!("u{i:05}"), None))
        .collect();
    for batch in many.chunks(5_000) {
        store.put_objects(scan, batch).await.unwrap();
    }
    store
        .finish_scan(scan, 3, ScanStatus::Complete)
        .await
        .unwrap();
    assert_eq!(store.objects(scan, Some("user")).await.unwrap(), many);
}

pub async fn duplicate_objects_refused(b: &impl Backend) {
    let store = open(b).await;
    let scan = store.begin_scan("org-1", 1).await.unwrap();
    let twice = [
        object("user", "u1", None),
        object("user", "u2", None),
        object("user", "u1", None),
    ];
    let err = store.put_objects(scan, &twice).await.unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateObject { kind, id, .. } if kind == "user" && id == "u1"),
        "{err}"
    );

    store
        .put_objects(scan, &[object("user", "u1", None)])
        .await
        .unwrap();
    let again = [object("user", "u9", None), object("user", "u1", None)];
    let err = store.put_objects(scan, &again).await.unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateObject { id, .. } if id == "u1"),
        "{err}"
    );
    // The same id under another kind is a different object.
    store
        .put_objects(scan, &[object("invite", "u1", None)])
        .await
        .unwrap();
    store
        .finish_scan(scan, 2, ScanStatus::Complete)
        .await
        .unwrap();
    let ids: Vec<_> = store
        .objects(scan, None)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(ids, ["u1", "u1"], "failed batches wrote nothing");
}

fn event(id: &str, at: i64, note: &str) -> AuditEventRecord {
    AuditEventRecord {
        id: id.into(),
        effective_at: at,
        kind: "api_key.created".into(),
        data: json!({"id": id, "note": note}),
    }
}

pub async fn audit_dedup_append_only(b: &impl Backend) {
    let store = open(b).await;
    let first = [
        event("e2", 20, "a"),
        event("e1", 10, "a"),
        event("e3", 20, "a"),
    ];
    assert_eq!(store.append_audit_events("org-1", &first).await.unwrap(), 3);
    // An overlapping re-fetch: known ids insert nothing and change nothing.
    let overlap = [event("e3", 20, "changed"), event("e4", 30, "a")];
    assert_eq!(
        store.append_audit_events("org-1", &overlap).await.unwrap(),
        1
    );
    assert_eq!(
        store.append_audit_events("org-1", &overlap).await.unwrap(),
        0
    );
    assert_eq!(store.append_audit_events("org-1", &[]).await.unwrap(), 0);
    // Another organization's e1 is another event.
    assert_eq!(
        store
            .append_audit_events("org-2", &[event("e1", 10, "b")])
            .await
            .unwrap(),
        1
    );

    let all = store.audit_events("org-1", None, None).await.unwrap();
    let order: Vec<_> = all.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(order, ["e1", "e2", "e3", "e4"]);
    assert_eq!(all[2], event("e3", 20, "a"));
    let window = store
        .audit_events("org-1", Some(20), Some(30))
        .await
        .unwrap();
    assert_eq!(
        window.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["e2", "e3"]
    );
    assert_eq!(
        store
            .audit_events("org-1", Some(25), None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.audit_events("org-2", None, None).await.unwrap()[0].data["note"],
        "b"
    );

    // Not even SQL behind custos' back can rewrite the log.
    for forgery in [
        "UPDATE audit_events SET kind = 'forged'",
        "DELETE FROM audit_events",
    ] {
        let err = b.exec_raw(forgery).await.unwrap_err();
        assert!(err.contains("append-only"), "{err}");
    }
    assert_eq!(store.audit_events("org-1", None, None).await.unwrap(), all);
}

fn bucket(kind: &str, start: i64, group: &str, n: i64) -> UsageRecord {
    UsageRecord {
        kind: kind.into(),
        bucket_start: start,
        bucket_end: start + 100,
        group_key: group.into(),
        data: json!({"input_tokens": n}),
    }
}

pub async fn usage_replace_window(b: &impl Backend) {
    let store = open(b).await;
    // Three buckets of two groups each.
    let days = |kind: &str| -> Vec<UsageRecord> {
        (0..3)
            .flat_map(|d| {
                ["{\"project_id\":\"p1\"}", "{\"project_id\":\"p2\"}"]
                    .map(|g| bucket(kind, d * 100, g, 1))
            })
            .collect()
    };
    let completions = days("completions");
    let embeddings = days("embeddings");
    store
        .replace_usage("org-1", "completions", (0, 300), &completions)
        .await
        .unwrap();
    store
        .replace_usage("org-1", "embeddings", (0, 300), &embeddings)
        .await
        .unwrap();

    // Re-fetch the middle day of one kind, with one group gone and a new one.
    let refetch = [
        bucket("completions", 100, "{\"project_id\":\"p1\"}", 7),
        bucket("completions", 100, "{\"project_id\":\"p3\"}", 7),
    ];
    store
        .replace_usage("org-1", "completions", (100, 200), &refetch)
        .await
        .unwrap();

    let got = store
        .usage("org-1", Some("completions"), 0, 300)
        .await
        .unwrap();
    let mut want: Vec<_> = completions
        .iter()
        .filter(|r| r.bucket_start != 100)
        .cloned()
        .collect();
    want.extend(refetch.iter().cloned());
    want.sort_by(|a, b| (a.bucket_start, &a.group_key).cmp(&(b.bucket_start, &b.group_key)));
    assert_eq!(got, want);
    assert_eq!(
        store
            .usage("org-1", Some("embeddings"), 0, 300)
            .await
            .unwrap(),
        embeddings
    );
    let all = store.usage("org-1", None, 100, 200).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].kind, "completions");
    assert!(store.usage("org-2", None, 0, 300).await.unwrap().is_empty());
}

fn cost(start: i64, project: Option<&str>, item: Option<&str>, amount: f64) -> CostRecord {
    CostRecord {
        bucket_start: start,
        bucket_end: start + 100,
        project_id: project.map(Into::into),
        line_item: item.map(Into::into),
        amount,
        currency: "usd".into(),
        data: json!({"amount": {"value": amount, "currency": "usd"}}),
    }
}

pub async fn costs_replace_window(b: &impl Backend) {
    let store = open(b).await;
    let rows = [
        cost(0, Some("p1"), Some("gpt-4o, input"), 1.25),
        cost(100, Some("p1"), None, 0.1),
        cost(100, None, Some("x"), 0.2),
        cost(200, Some("p2"), Some("y"), 3.0),
    ];
    store.replace_costs("org-1", (0, 300), &rows).await.unwrap();
    let got = store.costs("org-1", 0, 300).await.unwrap();
    // Missing project sorts first; within a project, a missing line item sorts first.
    assert_eq!(
        got,
        [
            rows[0].clone(),
            rows[2].clone(),
            rows[1].clone(),
            rows[3].clone()
        ]
    );

    let late = [cost(100, Some("p1"), Some("late"), 9.5)];
    store
        .replace_costs("org-1", (100, 200), &late)
        .await
        .unwrap();
    let got = store.costs("org-1", 0, 300).await.unwrap();
    assert_eq!(got, [rows[0].clone(), late[0].clone(), rows[3].clone()]);
    assert_eq!(store.costs("org-1", 100, 200).await.unwrap(), late);
    store.replace_costs("org-1", (0, 100), &[]).await.unwrap();
    assert_eq!(store.costs("org-1", 0, 300).await.unwrap().len(), 2);
}

pub async fn sync_marks(b: &impl Backend) {
    let store = open(b).await;
    assert_eq!(store.sync_mark("org-1", "audit_logs").await.unwrap(), None);
    store
        .set_sync_mark("org-1", "audit_logs", 100)
        .await
        .unwrap();
    store
        .set_sync_mark("org-1", "usage/completions", 5)
        .await
        .unwrap();
    store
        .set_sync_mark("org-1", "audit_logs", 150)
        .await
        .unwrap();
    assert_eq!(
        store.sync_mark("org-1", "audit_logs").await.unwrap(),
        Some(150)
    );
    assert_eq!(
        store.sync_mark("org-1", "usage/completions").await.unwrap(),
        Some(5)
    );
    assert_eq!(store.sync_mark("org-2", "audit_logs").await.unwrap(), None);
}

pub async fn secrets_round_trip(b: &impl Backend) {
    let store = open(b).await;
    let key = MasterKey::from_bytes([7; 32]);
    let sealed = crypto::seal(&key, "org-1/read", &SecretString::from("sk-admin-CANARY")).unwrap();
    store.put_secret("org-1/read", &sealed).await.unwrap();
    let other = crypto::seal(&key, "org-1/write", &SecretString::from("sk-admin-W")).unwrap();
    store.put_secret("org-1/write", &other).await.unwrap();

    let back = store.secret("org-1/read").await.unwrap().unwrap();
    assert_eq!(back, sealed);
    assert_eq!(
        crypto::open(&key, "org-1/read", &back)
            .unwrap()
            .expose_secret(),
        "sk-admin-CANARY"
    );
    // Moved under another name, the blob no longer opens.
    assert!(matches!(
        crypto::open(&key, "org-1/write", &back),
        Err(Error::Tampered { .. })
    ));
    // A wrong master key is named as such, and the stored blob is left as it was.
    let wrong = MasterKey::from_bytes([8; 32]);
    let err = crypto::open(&wrong, "org-1/read", &back)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "the master key (id {}) does not match",
            wrong.key_id()
        )),
        "{err}"
    );
    assert!(!err.contains("CANARY"));
    assert_eq!(store.secret("org-1/read").await.unwrap().unwrap(), sealed);

    // Re-sealing (a key rotation) replaces the blob.
    let rotated =
        crypto::seal(&wrong, "org-1/read", &SecretString::from("sk-admin-CANARY")).unwrap();
    store.put_secret("org-1/read", &rotated).await.unwrap();
    let names: Vec<_> = store
        .secrets()
        .await
        .unwrap()
        .into_iter()
        .map(|(n, s)| (n, s.key_id))
        .collect();
    assert_eq!(
        names,
        [
            ("org-1/read".to_string(), wrong.key_id().to_string()),
            ("org-1/write".to_string(), key.key_id().to_string())
        ]
    );
    assert!(store.delete_secret("org-1/read").await.unwrap());
    assert!(!store.delete_secret("org-1/read").await.unwrap());
    assert!(store.secret("org-1/read").await.unwrap().is_none());
}

pub async fn bad_input_refused(b: &impl Backend) {
    let store = open(b).await;
    let outside = [bucket("completions", 500, "{}", 1)];
    let err = store
        .replace_usage("org-1", "completions", (0, 300), &outside)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("outside the replaced window [0, 300)"),
        "{err}"
    );
    let wrong_kind = [bucket("embeddings", 0, "{}", 1)];
    assert!(matches!(
        store
            .replace_usage("org-1", "completions", (0, 300), &wrong_kind)
            .await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        store
            .replace_usage("org-1", "completions", (300, 0), &[])
            .await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        store
            .replace_costs("org-1", (0, 100), &[cost(100, None, None, 1.0)])
            .await,
        Err(Error::InvalidInput(_))
    ));
    let scan = store.begin_scan("org-1", 1).await.unwrap();
    let huge = EndpointRun {
        requests: u64::MAX,
        ..endpoint("/x", &[], None)
    };
    assert!(matches!(
        store.record_endpoint(scan, &huge).await,
        Err(Error::InvalidInput(_))
    ));
    assert!(
        store
            .usage("org-1", None, 0, 1_000)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn newer_schema_refused(b: &impl Backend) {
    let store = open(b).await;
    full_scan(&*store, "org-1", 1, &[object("user", "u1", None)]).await;
    drop(store);
    b.exec_raw("INSERT INTO schema_version (version, applied_at) VALUES (999, 0)")
        .await
        .unwrap();

    let err = custos_store::open(&b.url()).await.unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(
            err,
            Error::NewerSchema {
                found: 999,
                known: SCHEMA_VERSION,
                ..
            }
        ),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "was written by a newer custos (schema 999, this build knows {SCHEMA_VERSION}): upgrade custos"
        )),
        "{message}"
    );

    // Nothing was touched: once the newer version is gone, the data is all there.
    b.exec_raw("DELETE FROM schema_version WHERE version = 999")
        .await
        .unwrap();
    let store = open(b).await;
    let latest = store.latest_scan("org-1").await.unwrap().unwrap();
    assert_eq!(store.objects(latest.id, None).await.unwrap().len(), 1);
}

/// The objects the crash child writes, batch `n`.
fn crash_batch(n: usize) -> Vec<ObjectRecord> {
    (0..CHILD_BATCH)
        .map(|i| ObjectRecord {
            data: json!({"id": i, "payload": "x".repeat(300)}),
            ..object("user", &format!("b{n:06}-{i:04}"), None)
        })
        .collect()
}

/// The child of `crash_mid_write`: starts a scan and writes batches until it is killed
/// (or, so that it always ends, for at most a minute's worth of batches).
pub async fn crash_child(url: &str) {
    let store = custos_store::open(url).await.expect("child: open");
    let _lock = store
        .lock_organization("org-1", "the crash child")
        .await
        .expect("child: lock");
    let scan = store
        .begin_scan("org-1", 1_000)
        .await
        .expect("child: begin");
    println!("began {scan}");
    for n in 0..20_000 {
        store
            .put_objects(scan, &crash_batch(n))
            .await
            .expect("child: write");
        println!("batch {n}");
    }
}

/// Kills a writer with SIGKILL in the middle of a scan, twice: the previous snapshot stays the
/// latest and intact, the store opens, and a new scan completes.
pub async fn crash_mid_write(b: &impl Backend) {
    let store = open(b).await;
    let kept: Vec<_> = (0..50)
        .map(|i| object("user", &format!("kept{i:02}"), None))
        .collect();
    let previous = full_scan(&*store, "org-1", 100, &kept).await;
    drop(store);

    for round in 0..2 {
        let exe = std::env::current_exe().unwrap();
        let mut child = Command::new(exe)
            .args(["--exact", "crash_child", "--ignored", "--nocapture"])
            .env(CHILD_URL, b.url())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the crash child");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        // Round 0 dies right after its first committed batch, round 1 well into writing.
        let wanted = format!("batch {}", round * 20);
        let mut seen = false;
        for line in stdout.lines() {
            if line.expect("read the child's output") == wanted {
                seen = true;
                break;
            }
        }
        assert!(
            seen,
            "the crash child stopped before writing (see its stderr)"
        );
        child.kill().expect("SIGKILL the child");
        child.wait().unwrap();

        let store = open(b).await;
        // The dead child's scan lock died with it (PostgreSQL notices the closed connection
        // within moments).
        let lock = lock_within(&*store, "org-1", std::time::Duration::from_secs(30)).await;
        lock.release().await.unwrap();
        let latest = store.latest_scan("org-1").await.unwrap().unwrap();
        assert_eq!(
            latest.id, previous,
            "round {round}: the previous snapshot is still the latest"
        );
        assert_eq!(store.objects(previous, None).await.unwrap(), kept);
        let stale = store.scans(Some("org-1")).await.unwrap().pop().unwrap();
        assert_eq!(stale.status, ScanStatus::Running);
        assert!(matches!(
            store.objects(stale.id, None).await,
            Err(Error::ScanNotVisible { .. })
        ));
    }

    // The next scan cleans up after the dead ones and completes.
    let store = open(b).await;
    let next = full_scan(&*store, "org-1", 2_000, &crash_batch(0)).await;
    let statuses: Vec<_> = store
        .scans(Some("org-1"))
        .await
        .unwrap()
        .iter()
        .map(|s| s.status)
        .collect();
    assert_eq!(
        statuses,
        [
            ScanStatus::Complete,
            ScanStatus::Abandoned,
            ScanStatus::Abandoned,
            ScanStatus::Complete
        ]
    );
    assert_eq!(store.latest_scan("org-1").await.unwrap().unwrap().id, next);
    assert_eq!(store.objects(next, None).await.unwrap().len(), CHILD_BATCH);
}

/// The scan lock of `org`, retried until `limit` while another holder still has it.
async fn lock_within(
    store: &dyn Store,
    org: &str,
    limit: std::time::Duration,
) -> custos_store::ScanLock {
    let deadline = std::time::Instant::now() + limit;
    loop {
        match store.lock_organization(org, "the test").await {
            Ok(lock) => return lock,
            Err(Error::ScanInProgress { .. }) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the lock of {org} was not released within {limit:?}: {e}"),
        }
    }
}

/// Two handles on one store stand for two processes: the second scan of an organization is
/// refused at once, naming the organization and the holder; other organizations are free, and
/// a released lock can be taken again.
pub async fn scan_lock_one_holder_per_organization(b: &impl Backend) {
    let (first, second) = (open(b).await, open(b).await);
    let lock = first
        .lock_organization("org-1", "custos scan (pid 4242)")
        .await
        .unwrap();
    assert_eq!(lock.org_id(), "org-1");
    let refused = second
        .lock_organization("org-1", "custos scan (pid 5353)")
        .await
        .unwrap_err();
    let message = refused.to_string();
    match &refused {
        Error::ScanInProgress { org_id, holder } => {
            assert_eq!(org_id, "org-1");
            assert!(holder.contains("custos scan (pid 4242)"), "{holder}");
        }
        other => panic!("not a lock refusal: {other}"),
    }
    assert!(
        message.contains("organization org-1 is already being scanned by custos scan (pid 4242)"),
        "{message}"
    );
    // The same handle cannot take it twice either.
    assert!(matches!(
        first.lock_organization("org-1", "again").await,
        Err(Error::ScanInProgress { .. })
    ));
    let other_org = second
        .lock_organization("org-2", "scan of org-2")
        .await
        .unwrap();
    lock.release().await.unwrap();
    let again = second
        .lock_organization("org-1", "custos scan (pid 5353)")
        .await
        .unwrap();
    assert!(matches!(
        first.lock_organization("org-1", "third").await,
        Err(Error::ScanInProgress { holder, .. }) if holder.contains("pid 5353")
    ));
    again.release().await.unwrap();
    other_org.release().await.unwrap();
}

/// The holder of the lock closes a scan that failed (and one found left running) with its
/// reason: not visible, objects gone, no more writes, the previous snapshot still the latest,
/// other organizations untouched.
pub async fn failed_and_interrupted_scans_keep_their_reason(b: &impl Backend) {
    let store = open(b).await;
    let kept = full_scan(&*store, "org-1", 100, &[object("user", "u1", None)]).await;
    let elsewhere = store.begin_scan("org-2", 150).await.unwrap();
    let lock = store.lock_organization("org-1", "the test").await.unwrap();
    let failing = store.begin_scan("org-1", 200).await.unwrap();
    store
        .put_objects(failing, &[object("user", "u2", None)])
        .await
        .unwrap();
    for (status, reason) in [(ScanStatus::Complete, "done"), (ScanStatus::Failed, "  ")] {
        assert!(matches!(
            store.close_running_scans(&lock, 250, status, reason).await,
            Err(Error::InvalidInput(_))
        ));
    }
    assert!(matches!(
        store.finish_scan(failing, 250, ScanStatus::Failed).await,
        Err(Error::InvalidInput(_))
    ));
    let closed = store
        .close_running_scans(
            &lock,
            260,
            ScanStatus::Failed,
            "the scan deadline of 1 h passed",
        )
        .await
        .unwrap();
    assert_eq!(closed, [failing]);
    let run = store.scan(failing).await.unwrap().unwrap();
    assert_eq!(
        (
            run.status,
            run.started_at,
            run.finished_at,
            run.error.as_deref()
        ),
        (
            ScanStatus::Failed,
            200,
            Some(260),
            Some("the scan deadline of 1 h passed")
        )
    );
    assert!(matches!(
        store.objects(failing, None).await,
        Err(Error::ScanNotVisible {
            status: ScanStatus::Failed,
            ..
        })
    ));
    assert!(matches!(
        store
            .put_objects(failing, &[object("user", "u3", None)])
            .await,
        Err(Error::ScanNotRunning {
            status: ScanStatus::Failed,
            ..
        })
    ));
    assert_eq!(store.latest_scan("org-1").await.unwrap().unwrap().id, kept);

    let left = store.begin_scan("org-1", 300).await.unwrap();
    let closed = store
        .close_running_scans(&lock, 310, ScanStatus::Interrupted, "its process died")
        .await
        .unwrap();
    assert_eq!(closed, [left]);
    let run = store.scan(left).await.unwrap().unwrap();
    assert_eq!(
        (run.status, run.error.as_deref()),
        (ScanStatus::Interrupted, Some("its process died"))
    );
    assert!(
        store
            .close_running_scans(&lock, 320, ScanStatus::Interrupted, "again")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.scan(elsewhere).await.unwrap().unwrap().status,
        ScanStatus::Running,
        "another organization's scan is not the lock holder's to close"
    );
    lock.release().await.unwrap();
}

/// Several credentials are stored in one transaction: when one is refused, none changed.
pub async fn secrets_replaced_together(b: &impl Backend) {
    let store = open(b).await;
    let (old, new) = (
        MasterKey::from_bytes([1; 32]),
        MasterKey::from_bytes([2; 32]),
    );
    let seal = |key: &MasterKey, name: &str| {
        (
            name.to_owned(),
            crypto::seal(key, name, &SecretString::from(format!("sk-{name}"))).unwrap(),
        )
    };
    let before = vec![seal(&old, "a"), seal(&old, "b")];
    store.put_secrets(&before).await.unwrap();
    assert_eq!(store.secrets().await.unwrap(), before);
    let refuse_b = match b.dialect() {
        "sqlite" => "CREATE TRIGGER refuse_b BEFORE UPDATE ON secrets WHEN NEW.name = 'b' \
                     BEGIN SELECT RAISE(ABORT, 'refused'); END;"
            .to_owned(),
        _ => "CREATE FUNCTION refuse_b() RETURNS trigger LANGUAGE plpgsql AS \
              $$ BEGIN RAISE EXCEPTION 'refused'; END $$; \
              CREATE TRIGGER refuse_b BEFORE UPDATE ON secrets FOR EACH ROW \
              WHEN (NEW.name = 'b') EXECUTE FUNCTION refuse_b();"
            .to_owned(),
    };
    b.exec_raw(&refuse_b).await.unwrap();
    let after = vec![seal(&new, "a"), seal(&new, "b")];
    assert!(store.put_secrets(&after).await.is_err());
    assert_eq!(
        store.secrets().await.unwrap(),
        before,
        "nothing was replaced"
    );
}

fn finding(policy: &str, resource: &str, message: &str) -> FindingObservation {
    FindingObservation {
        policy_id: policy.into(),
        resource_id: resource.into(),
        resource_kind: "user".into(),
        project_id: None,
        severity: "high".into(),
        result: "fail".into(),
        title: format!("{policy} fails"),
        message: message.into(),
        evidence: serde_json::value::to_raw_value(
            &json!({"resource": resource, "message": message}),
        )
        .unwrap(),
    }
}

/// A finished scan without objects: findings only need one to refer to.
async fn scan(store: &dyn Store, org: &str, at: i64, status: ScanStatus) -> ScanId {
    let scan = store.begin_scan(org, at).await.unwrap();
    store.finish_scan(scan, at + 5, status).await.unwrap();
    scan
}

/// `policy/resource status` of each finding, in the store's order.
async fn statuses(store: &dyn Store, org: &str) -> Vec<String> {
    store
        .findings(Some(org))
        .await
        .unwrap()
        .iter()
        .map(|f| format!("{}/{} {}", f.policy_id, f.resource_id, f.status))
        .collect()
}

async fn one(store: &dyn Store, org: &str, policy: &str, resource: &str) -> FindingRecord {
    store
        .findings(Some(org))
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.policy_id == policy && f.resource_id == resource)
        .expect("the finding is stored")
}

/// `at policy/resource event` of each event, in the store's order.
fn history(events: &[FindingEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| format!("{} {}/{} {}", e.at, e.policy_id, e.resource_id, e.event))
        .collect()
}

fn changes(opened: u64, reopened: u64, resolved: u64, still_open: u64) -> FindingChanges {
    FindingChanges {
        opened,
        reopened,
        resolved,
        still_open,
        suppressed: 0,
    }
}

pub async fn findings_lifecycle(b: &impl Backend) {
    let store = open(b).await;
    let first = scan(&*store, "org-1", 100, ScanStatus::Complete).await;
    let observed = [
        finding("p1", "u2", "m1"),
        finding("p1", "u1", "m1"),
        finding("p2", "u1", "m1"),
    ];
    let got = store
        .record_findings("org-1", first, 110, true, &observed)
        .await
        .unwrap();
    assert_eq!(got, changes(3, 0, 0, 0));
    let stored = store.findings(Some("org-1")).await.unwrap();
    assert_eq!(
        statuses(&*store, "org-1").await,
        ["p1/u1 open", "p1/u2 open", "p2/u1 open"]
    );
    assert_eq!(
        stored[1],
        FindingRecord {
            org_id: "org-1".into(),
            policy_id: "p1".into(),
            resource_id: "u2".into(),
            resource_kind: "user".into(),
            project_id: None,
            severity: "high".into(),
            result: "fail".into(),
            title: "p1 fails".into(),
            message: "m1".into(),
            evidence: serde_json::from_str(observed[0].evidence.get()).unwrap(),
            status: FindingStatus::Open,
            first_seen: 110,
            last_seen: 110,
            resolved_at: None,
            last_scan_id: first,
            suppression: None,
        }
    );

    // Seen again, changed; p1/u2 is not observed, but by a partial scan: nothing resolves.
    let partial = scan(&*store, "org-1", 200, ScanStatus::Partial).await;
    let again = [
        FindingObservation {
            severity: "critical".into(),
            result: "indeterminate".into(),
            project_id: Some("proj_1".into()),
            ..finding("p1", "u1", "m2")
        },
        finding("p2", "u1", "m1"),
    ];
    let got = store
        .record_findings("org-1", partial, 210, false, &again)
        .await
        .unwrap();
    assert_eq!(got, changes(0, 0, 0, 2));
    let u1 = one(&*store, "org-1", "p1", "u1").await;
    assert_eq!(
        (u1.first_seen, u1.last_seen, u1.last_scan_id),
        (110, 210, partial)
    );
    assert_eq!(
        (&*u1.message, &*u1.severity, &*u1.result, u1.project_id),
        ("m2", "critical", "indeterminate", Some("proj_1".into()))
    );
    assert_eq!(
        u1.evidence,
        serde_json::from_str::<serde_json::Value>(again[0].evidence.get()).unwrap()
    );
    let u2 = one(&*store, "org-1", "p1", "u2").await;
    assert_eq!((u2.status, u2.last_seen), (FindingStatus::Open, 110));

    // A complete scan resolves what it no longer observes.
    let complete = scan(&*store, "org-1", 300, ScanStatus::Complete).await;
    let got = store
        .record_findings("org-1", complete, 310, true, &[finding("p1", "u1", "m2")])
        .await
        .unwrap();
    assert_eq!(got, changes(0, 0, 2, 1));
    assert_eq!(
        statuses(&*store, "org-1").await,
        ["p1/u1 open", "p1/u2 resolved", "p2/u1 resolved"]
    );
    let u2 = one(&*store, "org-1", "p1", "u2").await;
    assert_eq!((u2.resolved_at, u2.last_seen), (Some(310), 110));

    // Firing again reopens, keeping first_seen; a resolved finding is not resolved twice.
    let next = scan(&*store, "org-1", 400, ScanStatus::Complete).await;
    let got = store
        .record_findings(
            "org-1",
            next,
            410,
            true,
            &[finding("p1", "u1", "m2"), finding("p1", "u2", "m3")],
        )
        .await
        .unwrap();
    assert_eq!(got, changes(0, 1, 0, 1));
    let u2 = one(&*store, "org-1", "p1", "u2").await;
    assert_eq!(
        (u2.status, u2.first_seen, u2.last_seen, u2.resolved_at),
        (FindingStatus::Open, 110, 410, None)
    );
    // Recording the same scan again (a retry) changes nothing.
    let got = store
        .record_findings(
            "org-1",
            next,
            410,
            true,
            &[finding("p1", "u1", "m2"), finding("p1", "u2", "m3")],
        )
        .await
        .unwrap();
    assert_eq!(got, changes(0, 0, 0, 2));

    let events = store.finding_events("org-1", None, None).await.unwrap();
    assert_eq!(
        history(&events),
        [
            "110 p1/u1 opened",
            "110 p1/u2 opened",
            "110 p2/u1 opened",
            "310 p1/u2 resolved",
            "310 p2/u1 resolved",
            "410 p1/u2 reopened"
        ]
    );
    assert_eq!(
        events[0].detail,
        json!({"severity": "high", "result": "fail", "title": "p1 fails", "message": "m1"})
    );
    assert_eq!(events[3].detail, json!({"last_seen": 110}));
    assert_eq!(events[3].scan_id, Some(complete));
    assert_eq!(events[5].detail["status"], "open");
    let window = store
        .finding_events("org-1", Some(310), Some(410))
        .await
        .unwrap();
    assert_eq!(history(&window), history(&events[3..5]));

    // Organizations are apart; the whole list sorts by organization first.
    let other = scan(&*store, "org-0", 500, ScanStatus::Complete).await;
    store
        .record_findings("org-0", other, 510, true, &[finding("p9", "x", "m")])
        .await
        .unwrap();
    assert_eq!(statuses(&*store, "org-1").await.len(), 3);
    let all = store.findings(None).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].org_id, "org-0");
    assert!(
        store
            .finding_events("org-2", None, None)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn findings_suppression(b: &impl Backend) {
    let store = open(b).await;
    let record = |at: i64, complete: bool, resources: &'static [&'static str]| {
        let store = &store;
        async move {
            let scan = scan(&**store, "org-1", at - 10, ScanStatus::Complete).await;
            let observed: Vec<_> = resources.iter().map(|r| finding("p", r, "m")).collect();
            store
                .record_findings("org-1", scan, at, complete, &observed)
                .await
                .unwrap()
        }
    };
    record(100, true, &["a", "b", "c"]).await;
    let accepted = Suppression {
        reason: "accepted risk".into(),
        author: "alice".into(),
        at: 150,
        until: Some(300),
    };
    store
        .suppress_finding("org-1", "p", "a", &accepted)
        .await
        .unwrap();
    let a = one(&*store, "org-1", "p", "a").await;
    assert_eq!(
        (a.status, a.suppression),
        (FindingStatus::Suppressed, Some(accepted.clone()))
    );

    // Seen again before it expires: still suppressed.
    let got = record(200, true, &["a", "b", "c"]).await;
    assert_eq!(
        got,
        FindingChanges {
            still_open: 2,
            suppressed: 1,
            ..Default::default()
        }
    );

    // Suppressed for ever, then lifted by hand.
    let forever = Suppression {
        until: None,
        at: 210,
        ..accepted.clone()
    };
    store
        .suppress_finding("org-1", "p", "b", &forever)
        .await
        .unwrap();
    store
        .unsuppress_finding("org-1", "p", "b", 220, "bob")
        .await
        .unwrap();
    let b_ = one(&*store, "org-1", "p", "b").await;
    assert_eq!((b_.status, b_.suppression), (FindingStatus::Open, None));

    // At its `until`, the suppression expires and the finding is open again.
    let got = record(300, true, &["a", "b", "c"]).await;
    assert_eq!(got, changes(0, 1, 0, 2));
    let a = one(&*store, "org-1", "p", "a").await;
    assert_eq!((a.status, a.suppression), (FindingStatus::Open, None));

    // A resolved finding may be suppressed: it stays resolved, and comes back suppressed.
    record(400, true, &["a", "b"]).await;
    let later = Suppression {
        at: 410,
        until: None,
        ..accepted.clone()
    };
    store
        .suppress_finding("org-1", "p", "c", &later)
        .await
        .unwrap();
    let c = one(&*store, "org-1", "p", "c").await;
    assert_eq!(
        (c.status, c.resolved_at, c.suppression),
        (FindingStatus::Resolved, Some(400), Some(later.clone()))
    );
    let got = record(500, true, &["a", "b", "c"]).await;
    assert_eq!(
        got,
        FindingChanges {
            still_open: 2,
            suppressed: 1,
            ..Default::default()
        }
    );
    let c = one(&*store, "org-1", "p", "c").await;
    assert_eq!(
        (c.status, c.resolved_at, c.suppression),
        (FindingStatus::Suppressed, None, Some(later.clone()))
    );
    // Suppressed findings resolve too when a complete scan no longer sees them.
    record(600, true, &["a", "b"]).await;
    assert_eq!(
        statuses(&*store, "org-1").await,
        ["p/a open", "p/b open", "p/c resolved"]
    );

    let events = store
        .finding_events("org-1", Some(101), None)
        .await
        .unwrap();
    assert_eq!(
        history(&events),
        [
            "150 p/a suppressed",
            "210 p/b suppressed",
            "220 p/b unsuppressed",
            "300 p/a suppression_expired",
            "400 p/c resolved",
            "410 p/c suppressed",
            "500 p/c reopened",
            "600 p/c resolved"
        ]
    );
    assert_eq!(
        events[0].detail,
        json!({"reason": "accepted risk", "author": "alice", "at": 150, "until": 300})
    );
    assert_eq!(events[0].scan_id, None);
    assert_eq!(events[2].detail["author"], "bob");
    assert_eq!(events[2].detail["lifted"]["author"], "alice");
    assert_eq!(events[3].detail["expired"]["until"], 300);
    assert!(events[3].scan_id.is_some());
    assert_eq!(events[6].detail["status"], "suppressed");

    // What cannot be suppressed or lifted, and why.
    let err = store
        .suppress_finding("org-1", "p", "zzz", &accepted)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::FindingNotFound { resource_id, .. } if resource_id == "zzz"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "organization org-1 has no finding of policy p on zzz: `custos findings` lists them"
    );
    assert!(matches!(
        store
            .unsuppress_finding("org-2", "p", "a", 700, "bob")
            .await,
        Err(Error::FindingNotFound { .. })
    ));
    let err = store
        .unsuppress_finding("org-1", "p", "a", 700, "bob")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is not suppressed"), "{err}");
    for bad in [
        Suppression {
            reason: " ".into(),
            ..accepted.clone()
        },
        Suppression {
            author: String::new(),
            ..accepted.clone()
        },
        Suppression {
            until: Some(150),
            ..accepted.clone()
        },
    ] {
        assert!(matches!(
            store.suppress_finding("org-1", "p", "a", &bad).await,
            Err(Error::InvalidInput(_))
        ));
    }
    assert_eq!(
        store
            .finding_events("org-1", Some(101), None)
            .await
            .unwrap(),
        events,
        "refusals wrote nothing"
    );
}

pub async fn findings_refused(b: &impl Backend) {
    let store = open(b).await;
    let other_org = scan(&*store, "org-2", 10, ScanStatus::Complete).await;
    let partial = scan(&*store, "org-1", 20, ScanStatus::Partial).await;
    let older = scan(&*store, "org-1", 30, ScanStatus::Complete).await;
    let newer = scan(&*store, "org-1", 40, ScanStatus::Complete).await;
    let running = store.begin_scan("org-1", 50).await.unwrap();
    let ok = [finding("p", "a", "m")];

    let invalid = |result: Result<FindingChanges, Error>, wanted: &str| match result {
        Err(Error::InvalidInput(message)) => {
            assert!(message.contains(wanted), "{message}")
        }
        other => panic!("expected InvalidInput with {wanted:?}, got {other:?}"),
    };
    let twice = [
        finding("p", "a", "m"),
        finding("p", "b", "m"),
        finding("p", "a", "other"),
    ];
    invalid(
        store
            .record_findings("org-1", newer, 45, true, &twice)
            .await,
        "policy p observed a twice in one evaluation",
    );
    let pass = [FindingObservation {
        result: "pass".into(),
        ..finding("p", "a", "m")
    }];
    invalid(
        store.record_findings("org-1", newer, 45, true, &pass).await,
        "has result \"pass\"",
    );
    invalid(
        store
            .record_findings("org-1", other_org, 45, true, &ok)
            .await,
        &format!("scan {other_org} is of organization org-2, not org-1"),
    );
    invalid(
        store.record_findings("org-1", partial, 45, true, &ok).await,
        "is partial",
    );
    assert!(matches!(
        store.record_findings("org-1", 9_999, 45, true, &ok).await,
        Err(Error::ScanNotFound(9_999))
    ));
    assert!(matches!(
        store.record_findings("org-1", running, 45, true, &ok).await,
        Err(Error::ScanNotVisible {
            status: ScanStatus::Running,
            ..
        })
    ));
    assert!(store.findings(None).await.unwrap().is_empty());
    assert!(
        store
            .finding_events("org-1", None, None)
            .await
            .unwrap()
            .is_empty()
    );

    // Scans go forward: a partial scan records without resolving, an older one is refused.
    store
        .record_findings("org-1", partial, 25, false, &ok)
        .await
        .unwrap();
    store
        .record_findings("org-1", newer, 45, true, &ok)
        .await
        .unwrap();
    invalid(
        store.record_findings("org-1", older, 35, true, &[]).await,
        "already has findings of scan",
    );
    assert_eq!(statuses(&*store, "org-1").await, ["p/a open"]);
}

pub async fn finding_events_append_only(b: &impl Backend) {
    let store = open(b).await;
    let first = scan(&*store, "org-1", 1, ScanStatus::Complete).await;
    // Key order, unicode, escapes, big and fractional numbers, nulls, nesting.
    let text = r#"{"zeta":1,"alpha":{"b":[1,2.5,-3e-7,null],"a":"é 😀 \"q\" \\ \n"},"big":18446744073709551615,"neg":-9223372036854775808,"t":true,"empty":{},"list":[]}"#;
    let evidence = serde_json::value::RawValue::from_string(text.to_owned()).unwrap();
    let observed = [FindingObservation {
        evidence,
        ..finding("p", "ü/1", "m")
    }];
    store
        .record_findings("org-1", first, 5, true, &observed)
        .await
        .unwrap();
    let stored = store.findings(Some("org-1")).await.unwrap();
    assert_eq!(
        serde_json::to_string(&stored[0].evidence).unwrap(),
        text,
        "evidence preserved exactly"
    );
    let second = scan(&*store, "org-1", 10, ScanStatus::Complete).await;
    store
        .record_findings("org-1", second, 15, true, &[])
        .await
        .unwrap();
    let events = store.finding_events("org-1", None, None).await.unwrap();
    assert_eq!(events.len(), 2);

    // Not even SQL behind custos' back can rewrite the history.
    for forgery in [
        "UPDATE finding_events SET event = 'opened'",
        "DELETE FROM finding_events",
    ] {
        let err = b.exec_raw(forgery).await.unwrap_err();
        assert!(err.contains("append-only"), "{err}");
    }
    assert_eq!(
        store.finding_events("org-1", None, None).await.unwrap(),
        events
    );
    assert_eq!(events[1].event, FindingEventKind::Resolved);
}

/// A store at schema 2 (built from this backend's first two migration files) opens at the
/// current schema with its data intact, and takes findings.
pub async fn findings_survive_migration(b: &impl Backend) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(b.dialect());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    b.exec_raw(
        "CREATE TABLE schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await
    .unwrap();
    for (version, file) in (1..=2).zip(&files) {
        b.exec_raw(&std::fs::read_to_string(file).unwrap())
            .await
            .unwrap();
        b.exec_raw(&format!(
            "INSERT INTO schema_version (version, applied_at) VALUES ({version}, 0)"
        ))
        .await
        .unwrap();
    }
    b.exec_raw(
        "INSERT INTO organizations (org_id, name) VALUES ('org-1', 'Old'); \
         INSERT INTO scans (org_id, started_at, finished_at, status) \
         VALUES ('org-1', 1, 2, 'complete'); \
         INSERT INTO objects (scan_id, kind, id, project_id, data) \
         VALUES ((SELECT MAX(id) FROM scans), 'user', 'u1', NULL, '{\"id\":\"u1\"}'); \
         INSERT INTO scan_endpoints (scan_id, endpoint, scope, kinds, ok, error, requests, items) \
         VALUES ((SELECT MAX(id) FROM scans), 'GET /organization/users', NULL, '[\"user\"]', \
         TRUE, NULL, 1, 1); \
         INSERT INTO audit_events (org_id, id, effective_at, kind, data) \
         VALUES ('org-1', 'e1', 1, 'api_key.created', '{}')",
    )
    .await
    .unwrap();

    let store = open(b).await;
    assert_eq!(
        store.organizations().await.unwrap(),
        [("org-1".to_string(), Some("Old".to_string()))]
    );
    let old = store.latest_scan("org-1").await.unwrap().unwrap();
    // The scans table rebuilt by migration 5 (SQLite) kept its rows and their endpoints.
    assert_eq!(
        (old.started_at, old.finished_at, &old.error),
        (1, Some(2), &None)
    );
    assert_eq!(old.endpoints.len(), 1, "{old:?}");
    assert_eq!(
        store.objects(old.id, None).await.unwrap()[0].data,
        json!({"id": "u1"})
    );
    assert_eq!(
        store.audit_events("org-1", None, None).await.unwrap().len(),
        1
    );
    store
        .record_findings("org-1", old.id, 3, true, &[finding("p", "u1", "m")])
        .await
        .unwrap();
    assert_eq!(statuses(&*store, "org-1").await, ["p/u1 open"]);
    // Schema 3 is recorded: a newer build's row is what gets refused, not ours.
    drop(store);
    b.exec_raw(&format!(
        "INSERT INTO schema_version (version, applied_at) VALUES ({}, 0)",
        SCHEMA_VERSION + 1
    ))
    .await
    .unwrap();
    assert!(matches!(
        custos_store::open(&b.url()).await,
        Err(Error::NewerSchema { found, .. }) if found == SCHEMA_VERSION + 1
    ));
}

fn principal(name: &str, role: PrincipalRole, manager: Option<&str>) -> PrincipalRecord {
    PrincipalRecord {
        name: name.into(),
        role,
        email_sha256: custos_store::email_hash(&format!("{name}@example.com")).0,
        manager: manager.map(Into::into),
        token_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$hash-of-{name}"),
        disabled: false,
        created_at: 10,
    }
}

fn note(kind: &str) -> JournalNote {
    JournalNote::new(20, Some("alice"), kind, json!({"what": kind}))
}

pub async fn principals_round_trip(b: &impl Backend) {
    let store = open(b).await;
    let alice = principal("alice", PrincipalRole::Admin, None);
    let bob = principal("bob", PrincipalRole::Operator, Some("alice"));
    store
        .add_principal(&bob, &note("principal_added"))
        .await
        .unwrap();
    store
        .add_principal(&alice, &note("principal_added"))
        .await
        .unwrap();
    assert_eq!(
        store.principals().await.unwrap(),
        vec![alice.clone(), bob.clone()]
    );

    let again = store.add_principal(&bob, &note("principal_added")).await;
    assert!(
        matches!(&again, Err(Error::InvalidInput(m)) if m.contains("already exists")),
        "{again:?}"
    );
    let bad = PrincipalRecord {
        token_hash: "plain-token".into(),
        ..principal("carol", PrincipalRole::Viewer, None)
    };
    assert!(matches!(
        store.add_principal(&bad, &note("principal_added")).await,
        Err(Error::InvalidInput(_))
    ));

    assert!(
        store
            .set_principal_disabled("bob", true, &note("principal_disabled"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_principal_disabled("nobody", true, &note("x"))
            .await
            .unwrap()
    );
    assert!(store.principal("bob").await.unwrap().unwrap().disabled);
    assert_eq!(store.principal("nobody").await.unwrap(), None);
    // A re-issued token replaces only the hash; a hash that is not argon2 is refused.
    let rekeyed = "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3aGFzaA";
    assert!(
        store
            .set_principal_token("bob", rekeyed, &note("principal_rekeyed"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_principal_token("nobody", rekeyed, &note("x"))
            .await
            .unwrap()
    );
    assert!(matches!(
        store.set_principal_token("bob", "plain", &note("x")).await,
        Err(Error::InvalidInput(_))
    ));
    let bob_now = store.principal("bob").await.unwrap().unwrap();
    assert_eq!(bob_now.token_hash, rekeyed);
    assert!(bob_now.disabled && bob_now.role == PrincipalRole::Operator);
    // Two additions, one disabling and one re-key were journaled; the refusals were not.
    let kinds: Vec<String> = store
        .journal()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "principal_added",
            "principal_added",
            "principal_disabled",
            "principal_rekeyed"
        ]
    );
}

pub async fn actions_lifecycle(b: &impl Backend) {
    let store = open(b).await;
    let plan =
        json!({"template": "delete-project-key", "calls": [{"method": "DELETE"}], "z": 1, "a": 2});
    let new = NewAction {
        org_id: "org-1".into(),
        template: "delete-project-key".into(),
        requested_by: "bob".into(),
        reason: "leaked".into(),
        created_at: 100,
        expires_at: 200,
        plan_hash: "h1".into(),
        plan: plan.clone(),
    };
    let id = store.create_action(&new, &note("request")).await.unwrap();
    let other = store
        .create_action(
            &NewAction {
                org_id: "org-2".into(),
                ..new.clone()
            },
            &note("request"),
        )
        .await
        .unwrap();
    assert!(other > id);
    let stored = store.action(id).await.unwrap().unwrap();
    assert_eq!(stored.status, ActionStatus::Pending);
    assert_eq!(
        serde_json::to_string(&stored.plan).unwrap(),
        plan.to_string(),
        "kept exactly"
    );
    assert_eq!(store.actions(Some("org-1")).await.unwrap().len(), 1);
    assert_eq!(store.actions(None).await.unwrap().len(), 2);
    assert_eq!(store.action(9999).await.unwrap(), None);

    let approval = ApprovalRecord {
        action_id: id,
        principal: "alice".into(),
        decision: Decision::Approve,
        plan_hash: "h1".into(),
        at: 150,
        comment: "ok".into(),
    };
    assert!(
        store
            .decide_action(&approval, ActionStatus::Approved, &note("approve"))
            .await
            .unwrap()
    );
    // A second decision finds it no longer pending and writes nothing.
    assert!(
        !store
            .decide_action(&approval, ActionStatus::Rejected, &note("reject"))
            .await
            .unwrap()
    );
    assert_eq!(store.approvals(id).await.unwrap(), vec![approval]);

    let to_executing = |from: &'static [ActionStatus]| {
        let store = &store;
        async move {
            store
                .transition_action(id, from, ActionStatus::Executing, 160, &note("execute"))
                .await
                .unwrap()
        }
    };
    assert!(!to_executing(&[ActionStatus::Pending]).await);
    assert!(to_executing(&[ActionStatus::Approved, ActionStatus::Failed]).await);
    let stored = store.action(id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.updated_at),
        (ActionStatus::Executing, 160)
    );

    let call = |status, http| CallRecord {
        action_id: id,
        call_index: 0,
        status,
        http_status: http,
        detail: json!({"path": "/x"}),
        at: 161,
    };
    store
        .record_call(&call(CallStatus::Started, None), &note("call"))
        .await
        .unwrap();
    store
        .record_call(&call(CallStatus::Done, Some(200)), &note("call"))
        .await
        .unwrap();
    assert_eq!(
        store.calls(id).await.unwrap(),
        vec![call(CallStatus::Done, Some(200))]
    );
    assert!(store.calls(other).await.unwrap().is_empty());

    let journal = store.journal().await.unwrap();
    let kinds: Vec<&str> = journal.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["request", "request", "approve", "execute", "call", "call"]
    );
    assert_eq!(journal[0].action_id, Some(id), "the new id is filled in");
    assert_eq!(custos_store::verify_journal(&journal), Ok(6));
}

pub async fn journal_chain_and_tamper(b: &impl Backend) {
    let store = open(b).await;
    for i in 0..4 {
        store
            .append_journal(&JournalNote::new(
                i,
                None,
                "call",
                json!({"i": i, "é": "😀"}),
            ))
            .await
            .unwrap();
    }
    let journal = store.journal().await.unwrap();
    assert_eq!(custos_store::verify_journal(&journal), Ok(4));
    let head = JournalAnchor::head(&journal).unwrap();
    assert_eq!(head.seq, 4);
    let second = JournalAnchor {
        seq: 2,
        hash: journal[1].hash.clone(),
    };

    let refused = b.exec_raw("UPDATE journal SET at = 99 WHERE seq = 2").await;
    assert!(refused.unwrap_err().contains("append-only"));
    let refused = b.exec_raw("DELETE FROM journal WHERE seq = 4").await;
    assert!(refused.unwrap_err().contains("append-only"));

    // A forger who drops the triggers is still found out.
    let drop = if b.dialect() == "sqlite" {
        "DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;"
    } else {
        "DROP TRIGGER journal_append_only ON journal;"
    };
    b.exec_raw(drop).await.unwrap();
    b.exec_raw("UPDATE journal SET actor = 'mallory' WHERE seq = 2")
        .await
        .unwrap();
    let tampered = store.journal().await.unwrap();
    assert_eq!(
        custos_store::verify_journal(&tampered),
        Err(JournalBreak::Edited { seq: 2 })
    );
    b.exec_raw("UPDATE journal SET actor = NULL WHERE seq = 2")
        .await
        .unwrap();
    assert_eq!(
        custos_store::verify_journal(&store.journal().await.unwrap()),
        Ok(4)
    );
    // Cutting the tail leaves a valid chain: only an anchor kept elsewhere finds it out.
    b.exec_raw("DELETE FROM journal WHERE seq = 4")
        .await
        .unwrap();
    let cut = store.journal().await.unwrap();
    assert_eq!(custos_store::verify_journal(&cut), Ok(3));
    assert_eq!(
        custos_store::verify_journal_against(&cut, &[second.clone(), head]),
        Err(JournalBreak::Truncated { seq: 4, entries: 3 })
    );
    assert_eq!(
        custos_store::verify_journal_against(&cut, std::slice::from_ref(&second)),
        Ok(3)
    );
    let forged = JournalAnchor {
        seq: 2,
        hash: "0".repeat(64),
    };
    assert!(matches!(
        custos_store::verify_journal_against(&cut, &[forged]),
        Err(JournalBreak::Rewritten { seq: 2, .. })
    ));
    b.exec_raw("DELETE FROM journal WHERE seq = 2")
        .await
        .unwrap();
    assert!(custos_store::verify_journal(&store.journal().await.unwrap()).is_err());
}
