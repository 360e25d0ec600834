//! The demo organization served in-process, scanned into a fresh SQLite store, with four
//! principals: alice (admin, an organization owner), bob (operator, managed by alice), carol
//! (approver, not an owner) and vera (viewer).

#![allow(dead_code)]

use custos_actions::principal::{NewPrincipal, SignedIn, add_principal, authenticate, bootstrap};
use custos_actions::{
    Actions, Clients, ExecutionKeys, PlanRequest, SnapshotView, Source, Template, TrustAnchor,
};
use custos_openai::{ClientConfig, ReadClient, RetryPolicy, WriteClient};
use custos_sim::demo::demo_scenario;
use custos_sim::server::{SimConfig, Simulator};
use custos_store::{PrincipalRole, Store};
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub const ORG: &str = "org-demo";
pub const RW_KEY: &str = "sk-admin-demo-rw";
pub const RO_KEY: &str = "sk-admin-demo-ro";
pub const SUPPORT_KEY: &str = "sk-proj-demo-support";

pub struct Env {
    pub _dir: tempfile::TempDir,
    pub db_path: std::path::PathBuf,
    pub store: Box<dyn Store>,
    pub sim: Simulator,
    pub base_url: String,
    pub now: i64,
    pub alice: SignedIn,
    pub bob: SignedIn,
    pub carol: SignedIn,
    pub vera: SignedIn,
    /// Every principal's token, by name (tests sign in again after changes).
    pub tokens: BTreeMap<String, SecretString>,
    /// alice's public key: the store's trust anchor.
    pub anchor: TrustAnchor,
    /// While set, DELETEs whose path ends with one of these fail with 500.
    pub failing: Arc<std::sync::Mutex<Vec<String>>>,
    pub fail_enabled: Arc<AtomicBool>,
}

/// An organization owner's email in the demo.
pub fn owner_email() -> String {
    let org = &demo_scenario().organizations[0];
    org.users
        .iter()
        .find(|u| u.role.as_deref() == Some("owner"))
        .and_then(|u| u.email.clone())
        .unwrap_or_default()
}

/// A reader's email (not an owner of anything).
pub fn reader_email() -> String {
    let org = &demo_scenario().organizations[0];
    org.users
        .iter()
        .filter(|u| u.role.as_deref() == Some("reader"))
        .find_map(|u| {
            let email = u.email.clone()?;
            let owns_project = org.projects.iter().any(|p| {
                p.users
                    .iter()
                    .any(|m| m.role == "owner" && m.email.as_deref() == Some(&email))
            });
            (!owns_project).then_some(email)
        })
        .unwrap_or_default()
}

impl Env {
    pub async fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("custos.db");
        let store = custos_store::open(db_path.to_str().unwrap()).await.unwrap();
        let sim = Simulator::new(demo_scenario(), SimConfig::default());
        let failing: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        let fail_enabled = Arc::new(AtomicBool::new(false));
        let router = {
            let failing = failing.clone();
            let enabled = fail_enabled.clone();
            sim.router().layer(axum::middleware::from_fn(
                move |request: axum::extract::Request, next: axum::middleware::Next| {
                    let failing = failing.clone();
                    let enabled = enabled.clone();
                    async move {
                        let path = request.uri().path().to_owned();
                        let hit = enabled.load(Ordering::SeqCst)
                            && request.method() == axum::http::Method::DELETE
                            && failing
                                .lock()
                                .unwrap()
                                .iter()
                                .any(|f| path.ends_with(f.as_str()));
                        if hit {
                            return axum::response::IntoResponse::into_response((
                                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                                [("content-type", "application/json")],
                                r#"{"error":{"message":"injected","type":"server_error"}}"#,
                            ));
                        }
                        next.run(request).await
                    }
                },
            ))
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let now = demo_scenario().now.unwrap_or(custos_sim::demo::DEMO_NOW);

        // Scan with the read-only key.
        let read = client(&base_url, RO_KEY);
        let mut options = custos_scan::scan::ScanOptions::new(now);
        options.history_days = 1;
        options.refetch_days = 1;
        options
            .project_clients
            .insert("proj_support".into(), client(&base_url, SUPPORT_KEY));
        custos_scan::scan::scan(&read, &*store, ORG, None, &options)
            .await
            .unwrap();

        let add = |name: &str, role, email: String, manager: Option<&str>| NewPrincipal {
            name: name.into(),
            role,
            email,
            manager: manager.map(Into::into),
        };
        let (alice_token, anchor) = bootstrap(
            &*store,
            &add("alice", PrincipalRole::Admin, owner_email(), None),
            now,
        )
        .await
        .unwrap();
        let alice = authenticate(&*store, &alice_token).await.unwrap();
        let mut tokens = BTreeMap::from([("alice".to_owned(), alice_token)]);
        for (name, role, email, manager) in [
            (
                "bob",
                PrincipalRole::Operator,
                reader_email(),
                Some("alice"),
            ),
            ("carol", PrincipalRole::Approver, reader_email(), None),
            ("vera", PrincipalRole::Viewer, reader_email(), None),
        ] {
            let token = add_principal(
                &*store,
                &anchor,
                &alice,
                &add(name, role, email, manager),
                now,
            )
            .await
            .unwrap();
            tokens.insert(name.to_owned(), token);
        }
        let get = |name: &str| {
            let store = &store;
            let token = tokens[name].clone();
            async move { authenticate(&**store, &token).await.unwrap() }
        };
        Env {
            bob: get("bob").await,
            carol: get("carol").await,
            vera: get("vera").await,
            alice,
            tokens,
            anchor,
            _dir: dir,
            db_path,
            store,
            sim,
            base_url,
            now,
            failing,
            fail_enabled,
        }
    }

    pub fn actions(&self) -> Actions<'_> {
        Actions::new(&*self.store, self.anchor)
    }

    /// `name` signed in again (after a change to its row or registration).
    pub async fn sign_in(&self, name: &str) -> SignedIn {
        authenticate(&*self.store, &self.tokens[name])
            .await
            .unwrap()
    }

    pub async fn snapshot(&self) -> SnapshotView {
        SnapshotView::latest(&*self.store, ORG).await.unwrap()
    }

    pub fn keys(&self) -> ExecutionKeys {
        ExecutionKeys {
            org_id: ORG.into(),
            base_url: self.base_url.clone(),
            read_key: Some(SecretString::from(RO_KEY)),
            write_key: Some(SecretString::from(RW_KEY)),
            project_keys: BTreeMap::from([(
                "proj_support".to_owned(),
                SecretString::from(SUPPORT_KEY),
            )]),
        }
    }

    pub fn clients(&self) -> Clients {
        Clients::build(&self.keys(), quick).unwrap()
    }

    /// An admin client of the API (for changes behind custos' back).
    pub fn api(&self) -> WriteClient {
        let mut config = ClientConfig::new(&self.base_url, SecretString::from(RW_KEY));
        quick(&mut config);
        WriteClient::new(config).unwrap()
    }

    pub fn request(
        &self,
        template: Template,
        targets: &[&str],
        params: &[(&str, &str)],
    ) -> PlanRequest {
        PlanRequest {
            template,
            targets: targets.iter().map(|t| (*t).to_owned()).collect(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            source: if targets.is_empty() {
                Source::Provisioning
            } else {
                Source::Targets
            },
            requested_by: String::new(),
            reason: "governance test".into(),
            now: self.now,
            ttl_seconds: custos_actions::plan::DEFAULT_TTL_SECONDS,
        }
    }

    /// Writes (POST or DELETE) the simulator received so far.
    pub fn writes(&self) -> u64 {
        self.sim
            .stats()
            .by_route
            .iter()
            .filter(|(route, _)| !route.starts_with("GET"))
            .map(|(_, n)| n)
            .sum()
    }
}

/// Fast retries, so that injected failures end quickly.
pub fn quick(config: &mut ClientConfig) {
    config.retry = RetryPolicy {
        max_retries: 1,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(1),
    };
}

pub fn client(base_url: &str, key: &str) -> ReadClient {
    let mut config = ClientConfig::new(base_url, SecretString::from(key));
    quick(&mut config);
    ReadClient::new(config).unwrap()
}
