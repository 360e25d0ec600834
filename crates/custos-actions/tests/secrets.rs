//! A created admin key's secret is returned once, to the requester, and appears nowhere else:
//! not in the store file, the journal, the call records or any log line. Also: principals'
//! tokens are stored only as argon2 hashes.

mod common;

use common::Env;
use custos_actions::principal::{
    NewPrincipal, add_principal, authenticate, bootstrap, set_disabled,
};
use custos_actions::{ActionError, Template};
use custos_store::PrincipalRole;
use secrecy::ExposeSecret;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Every log line of the process, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_created_secret_appears_nowhere_but_in_the_report() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();

    let env = Env::new().await;
    let actions = env.actions();
    let snapshot = env.snapshot().await;
    let request = env.request(Template::CreateAdminKey, &[], &[("name", "canary-key")]);
    let (id, _) = actions
        .request(&env.bob, &snapshot, &request)
        .await
        .unwrap();
    actions
        .approve(&env.alice, id, &snapshot, env.now, "ok")
        .await
        .unwrap();

    // Only the requester may execute it (and so see the secret).
    let err = actions
        .execute(&env.alice, id, &env.clients(), env.now)
        .await
        .unwrap_err();
    assert!(matches!(err, ActionError::Forbidden { .. }), "{err}");

    let report = actions
        .execute(&env.bob, id, &env.clients(), env.now)
        .await
        .unwrap();
    let secret = report.created[0].secret.as_ref().expect("the secret, once");
    let canary = secret.expose_secret().to_owned();
    assert!(canary.len() > 16, "a real secret was created");

    // The key works: the simulator accepts it.
    let probe = common::client(&env.base_url, &canary);
    probe
        .get::<serde_json::Value>("/organization/users", &custos_openai::Query::new())
        .await
        .unwrap();

    let report_text = format!("{report:?} {}", serde_json::to_string(&report).unwrap());
    let journal = serde_json::to_string(&env.store.journal().await.unwrap()).unwrap();
    let calls = serde_json::to_string(&env.store.calls(id).await.unwrap()).unwrap();
    let actions_rows = serde_json::to_string(&env.store.actions(None).await.unwrap()).unwrap();
    drop(env.store);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(env.db_path.parent().unwrap()).unwrap() {
        files.push(std::fs::read(entry.unwrap().path()).unwrap()); // db, -wal, -shm
    }
    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(logs.contains("sending"), "the logs were captured");
    for (what, text) in [
        ("report (Debug and JSON)", report_text.as_bytes()),
        ("journal", journal.as_bytes()),
        ("call records", calls.as_bytes()),
        ("actions", actions_rows.as_bytes()),
        ("logs", logs.as_bytes()),
    ] {
        assert!(
            !contains(text, canary.as_bytes()),
            "the secret leaked into the {what}"
        );
    }
    for file in &files {
        assert!(
            !contains(file, canary.as_bytes()),
            "the secret is in the store's files"
        );
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn principals_bootstrap_authenticate_and_disable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let store = custos_store::open(path.to_str().unwrap()).await.unwrap();
    let new = |name: &str, role| NewPrincipal {
        name: name.into(),
        role,
        email: format!("{name}@example.com"),
        manager: None,
    };
    // The first principal must be an admin; it needs no token.
    let err = bootstrap(&*store, &new("op", PrincipalRole::Operator), 1)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the first principal must be an admin"),
        "{err}"
    );
    let (root_token, anchor) = bootstrap(&*store, &new("root", PrincipalRole::Admin), 1)
        .await
        .unwrap();
    let root = authenticate(&*store, &root_token).await.unwrap();
    // Later ones need an admin.
    let err = bootstrap(&*store, &new("x", PrincipalRole::Viewer), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, ActionError::Unauthenticated(_)), "{err}");
    let op_token = add_principal(
        &*store,
        &anchor,
        &root,
        &new("op", PrincipalRole::Operator),
        2,
    )
    .await
    .unwrap();
    let op = authenticate(&*store, &op_token).await.unwrap();
    let err = add_principal(&*store, &anchor, &op, &new("y", PrincipalRole::Viewer), 2)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("op has the role operator, which cannot add principals"),
        "{err}"
    );

    // A wrong or forged token fails.
    let forged = secrecy::SecretString::from(format!("{}0", op_token.expose_secret()));
    assert!(authenticate(&*store, &forged).await.is_err());
    assert!(
        authenticate(&*store, &secrecy::SecretString::from("sk-nope"))
            .await
            .is_err()
    );

    set_disabled(&*store, &anchor, &root, "op", true, 3)
        .await
        .unwrap();
    let err = authenticate(&*store, &op_token).await.unwrap_err();
    assert!(err.to_string().contains("op is disabled"), "{err}");
    assert!(
        set_disabled(&*store, &anchor, &root, "root", true, 3)
            .await
            .is_err(),
        "not itself"
    );

    // Only the hash is stored.
    let stored = store.principal("op").await.unwrap().unwrap();
    assert!(stored.token_hash.starts_with("$argon2id$"));
    drop(store);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!contains(&bytes, op_token.expose_secret().as_bytes()));
    }
}
