//! A server over a fresh SQLite file, configured with the two organizations of a generated
//! scenario served by the simulator, and three principals (admin, operator, viewer).

use custos_actions::principal::{self, NewPrincipal};
use custos_app::ValidConfig;
use custos_model::scenario::Access;
use custos_server::{Server, ServerError, ServerOptions};
use custos_sim::generate::{GenerateOptions, generate};
use custos_sim::server::{RunningSimulator, SimConfig, Simulator};
use custos_store::{PrincipalRole, ScanStatus, Store};
use secrecy::ExposeSecret;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a test waits for the scheduler before it fails.
const PATIENCE: Duration = Duration::from_secs(180);

pub struct Tokens {
    pub admin: String,
    pub operator: String,
    pub viewer: String,
}

pub struct Fixture {
    pub url: String,
    pub db: String,
    pub config_text: String,
    pub orgs: Vec<String>,
    pub tokens: Tokens,
    pub store: Arc<dyn Store>,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    served: Option<JoinHandle<Result<(), ServerError>>>,
    _sim: RunningSimulator,
}

/// An empty folder of its own for `name` in this process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("custos-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn config(text: &str) -> ValidConfig {
    ValidConfig::parse(Path::new("custos.toml"), text).expect("the test config is valid")
}

pub fn options(db: &str, schedule: bool) -> ServerOptions {
    ServerOptions {
        db: db.to_owned(),
        master_key_file: PathBuf::from("/nonexistent/custos.key"),
        schedule,
    }
}

impl Fixture {
    /// A server whose config has `[scheduler]` `scheduler` (TOML lines).
    pub async fn start(name: &str, scheduler: &str) -> Fixture {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = temp_dir(name);
        let sizes = GenerateOptions {
            users: 25,
            projects: 4,
            keys_per_project: 2,
            days: 10,
            seed: 15,
            audit_events: Some(40),
            orgs: 2,
            ..GenerateOptions::default()
        };
        let mut bytes = Vec::new();
        generate(&sizes, &mut bytes).expect("generate");
        let scenario =
            custos_sim::scenario::load_str("generated", std::str::from_utf8(&bytes).unwrap())
                .expect("the generated scenario loads");
        let sim = Simulator::new(scenario.clone(), SimConfig::default())
            .spawn("127.0.0.1:0")
            .await
            .expect("the simulator starts");
        let mut config_text =
            format!("[scan]\nrequests_per_second = 10000\n\n[scheduler]\n{scheduler}\n");
        let mut orgs = Vec::new();
        for org in &scenario.organizations {
            let key = org
                .credentials
                .iter()
                .find(|c| c.access == Some(Access::ReadOnly))
                .expect("a read-only key");
            let key_file = dir.join(format!("{}.key", org.id));
            std::fs::write(&key_file, &key.secret).unwrap();
            config_text.push_str(&format!(
                "\n[[organizations]]\nid = \"{}\"\nbase_url = \"{}\"\nread_key = {{ file = \"{}\" }}\n",
                org.id,
                sim.base_url(),
                key_file.display()
            ));
            orgs.push(org.id.clone());
        }
        let db = dir.join("custos.db").display().to_string();
        let server = Server::new(config(&config_text), options(&db, true))
            .await
            .expect("the server starts");
        let store = server.store();
        let tokens = principals(store.as_ref()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(server.serve(listener, async {
            let _ = stopped.await;
        }));
        Fixture {
            url,
            db,
            config_text,
            orgs,
            tokens,
            store,
            client: reqwest::Client::new(),
            stop: Some(stop),
            served: Some(served),
            _sim: sim,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the server answers")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &str) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the server answers")
    }

    /// Waits until every organization has at least `count` finished scans (complete or
    /// partial: visible), the findings of its latest recorded, and no scan runs; returns them.
    pub async fn wait_for_scans(&self, count: usize) -> Vec<custos_store::ScanRun> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let scans = self.store.scans(None).await.unwrap();
            let mut done = !scans.iter().any(|s| s.status == ScanStatus::Running);
            for org in &self.orgs {
                let visible: Vec<_> = scans
                    .iter()
                    .filter(|s| &s.org_id == org && s.status.is_visible())
                    .collect();
                // A scan becomes visible before its findings are recorded: the generated
                // organizations always have some, so the latest scan's show up in them.
                let recorded = match visible.last() {
                    Some(latest) => self
                        .store
                        .findings(Some(org))
                        .await
                        .unwrap()
                        .iter()
                        .any(|f| f.last_scan_id == latest.id),
                    None => false,
                };
                done &= visible.len() >= count && recorded;
            }
            if done {
                return scans;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the scheduler did not scan every organization {count} time(s): {scans:#?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Stops the server as SIGTERM does, and returns how serving ended.
    pub async fn shut_down(mut self) -> Result<(), ServerError> {
        let _ = self.stop.take().expect("running").send(());
        let served = self.served.take().expect("running");
        tokio::time::timeout(Duration::from_secs(60), served)
            .await
            .expect("the server stops within a minute")
            .expect("the server task does not panic")
    }
}

/// The bootstrap admin, an operator and a viewer, with their tokens.
async fn principals(store: &dyn Store) -> Tokens {
    let now = 1_790_000_000;
    let new = |name: &str, role| NewPrincipal {
        name: name.to_owned(),
        role,
        email: format!("{name}@example.com"),
        manager: None,
    };
    let (admin, anchor) = principal::bootstrap(store, &new("alice", PrincipalRole::Admin), now)
        .await
        .unwrap();
    let actor = principal::authenticate(store, &admin).await.unwrap();
    let add = async |name, role| {
        principal::add_principal(store, &anchor, &actor, &new(name, role), now)
            .await
            .unwrap()
            .expose_secret()
            .to_owned()
    };
    let operator = add("oscar", PrincipalRole::Operator).await;
    let viewer = add("vera", PrincipalRole::Viewer).await;
    Tokens {
        admin: admin.expose_secret().to_owned(),
        operator,
        viewer,
    }
}
