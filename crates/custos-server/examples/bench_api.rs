//! Measures the API: `cargo run --release -p custos-server --example bench_api -- [--findings N]
//! [--clients C] [--seconds S]` (default 100,000 open findings in a temporary SQLite file, 50
//! clients, 20 s). The clients ask `GET /api/v1/findings?severity=high` (the first page, 500
//! findings) as fast as they can; prints requests per second, p50 and p99 latency, and the
//! process's peak memory. The scheduler is off: only the API is measured.

use custos_actions::principal::{self, NewPrincipal};
use custos_server::{Server, ServerOptions};
use custos_store::{FindingObservation, PrincipalRole, ScanStatus};
use secrecy::ExposeSecret;
use serde_json::json;
use std::time::{Duration, Instant};

fn flag(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| {
            v.parse().unwrap_or_else(|e| panic!("{name} {v}: {e}"))
        })
}

/// The process's peak resident memory so far (`VmHWM`).
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_owned()))
        })
        .unwrap_or_default()
}

fn observation(i: u64) -> FindingObservation {
    let project = format!("proj_{:04}", i / 1_000);
    FindingObservation {
        policy_id: format!("policy.{:02}", i % 40),
        resource_id: format!("{project}/key_{i:09}"),
        resource_kind: "project_api_key".into(),
        project_id: Some(project.clone()),
        severity: ["low", "medium", "high", "critical"][(i % 4) as usize].into(),
        result: "fail".into(),
        title: "API key unused for 90 days".into(),
        message: format!("key_{i:09} was last used more than 90 days ago"),
        evidence: serde_json::value::to_raw_value(
            &json!({"key_id": format!("key_{i:09}"), "threshold_days": 90}),
        )
        .unwrap_or_else(|e| panic!("evidence: {e}")),
    }
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let findings = flag("--findings", 100_000);
    let clients = flag("--clients", 50);
    let seconds = flag("--seconds", 20);
    let dir = std::env::temp_dir().join(format!("custos-bench-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let db = dir.join("custos.db").display().to_string();
    let config = custos_app::ValidConfig::parse(std::path::Path::new("custos.toml"), "")
        .unwrap_or_else(|e| panic!("config: {e}"));
    let options = ServerOptions {
        db,
        master_key_file: dir.join("custos.key"),
        schedule: false,
    };
    let server = Server::new(config, options)
        .await
        .unwrap_or_else(|e| panic!("server: {e}"));
    let store = server.store();
    let org = "org-bench";
    let scan = store
        .begin_scan(org, 1_790_000_000)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .finish_scan(scan, 1_790_000_100, ScanStatus::Complete)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let observed: Vec<FindingObservation> = (0..findings).map(observation).collect();
    store
        .record_findings(org, scan, 1_790_000_000, true, &observed)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let admin = NewPrincipal {
        name: "bench".into(),
        role: PrincipalRole::Admin,
        email: "bench@example.com".into(),
        manager: None,
    };
    let (token, _) = principal::bootstrap(store.as_ref(), &admin, 1_790_000_000)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let token = token.expose_secret().to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}/api/v1/findings?severity=high",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    tokio::spawn(server.serve(listener, std::future::pending()));

    let client = reqwest::Client::new();
    let first = client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.status(), 200);
    let page: Vec<serde_json::Value> = first.json().await.unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{findings} open findings; first page holds {}; peak memory before the clients: {}",
        page.len(),
        peak_memory()
    );

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                let answer = client
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(answer.status(), 200);
                let _ = answer.bytes().await.unwrap_or_else(|e| panic!("{e}"));
                latencies.push(started.elapsed());
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap_or_else(|e| panic!("{e}")));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_owned)
        })
        .unwrap_or_default();
    println!(
        "{clients} clients, {:.1} s: {} requests, {:.1} requests/s, p50 {:.0} ms, p99 {:.0} ms; peak memory {peak}",
        elapsed,
        latencies.len(),
        latencies.len() as f64 / elapsed,
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
