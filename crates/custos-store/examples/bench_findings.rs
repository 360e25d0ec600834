//! Measures recording findings: `cargo run --release -p custos-store --example bench_findings
//! -- [URL...] [--count N]` (default: 100,000 findings on a temporary SQLite file, plus
//! PostgreSQL at `CUSTOS_PG_URL` or `CUSTOS_TEST_POSTGRES_URL` when one is set and reachable).
//!
//! For each store, three evaluations of one organization: the first opens every finding; the
//! second changes 10% (a tenth of them stop firing and are resolved, as many new ones open, and
//! the messages of another tenth change); the third (a complete scan that finds nothing)
//! resolves them all. Point a URL at a scratch store: every run adds scans and findings (on
//! PostgreSQL, use `options=-c search_path=...` naming an empty schema).

use custos_store::{FindingObservation, ScanStatus, Store};
use serde_json::json;
use std::time::Instant;

fn observation(i: usize, message: &str) -> FindingObservation {
    let project = format!("proj_{:04}", i / 1_000);
    FindingObservation {
        policy_id: format!("policy.{:02}", i % 40),
        resource_id: format!("{project}/key_{i:09}"),
        resource_kind: "project_api_key".into(),
        project_id: Some(project.clone()),
        severity: ["low", "medium", "high", "critical"][i % 4].into(),
        result: if i.is_multiple_of(50) {
            "indeterminate"
        } else {
            "fail"
        }
        .into(),
        title: "API key unused for 90 days".into(),
        message: format!("key_{i:09} {message}"),
        evidence: serde_json::value::to_raw_value(&json!({
            "key_id": format!("key_{i:09}"),
            "project_id": project,
            "last_used_at": 1_690_000_000 + i,
            "threshold_days": 90,
        }))
        .unwrap_or_else(|e| panic!("evidence: {e}")),
    }
}

/// One evaluation: a finished scan, then its findings; returns seconds in `record_findings`.
async fn evaluate(
    store: &dyn Store,
    at: i64,
    observed: &[FindingObservation],
    complete: bool,
) -> Result<f64, Box<dyn std::error::Error>> {
    let scan = store.begin_scan("org-bench", at).await?;
    store
        .finish_scan(scan, at + 1, ScanStatus::Complete)
        .await?;
    let started = Instant::now();
    let changes = store
        .record_findings("org-bench", scan, at + 2, complete, observed)
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "  {:>7} observed: {seconds:6.2} s  opened {} reopened {} resolved {} still open {} suppressed {}",
        observed.len(),
        changes.opened,
        changes.reopened,
        changes.resolved,
        changes.still_open,
        changes.suppressed
    );
    Ok(seconds)
}

async fn bench(url: &str, count: usize) -> Result<(), Box<dyn std::error::Error>> {
    let store = custos_store::open(url).await?;
    println!("{} ({count} findings):", store.backend());
    let first: Vec<_> = (0..count).map(|i| observation(i, "unused")).collect();
    evaluate(&*store, 1_000, &first, true).await?;

    let tenth = count / 10;
    let second: Vec<_> = (tenth..count + tenth)
        .map(|i| {
            let message = if i < 2 * tenth {
                "still unused"
            } else {
                "unused"
            };
            observation(i, message)
        })
        .collect();
    evaluate(&*store, 2_000, &second, true).await?;
    evaluate(&*store, 3_000, &[], true).await?;
    let events = store.finding_events("org-bench", None, None).await?.len();
    println!("  events: {events}");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut urls = Vec::new();
    let mut count = 100_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--count" {
            count = args.next().ok_or("--count needs a number")?.parse()?;
        } else {
            urls.push(arg);
        }
    }
    let _scratch;
    if urls.is_empty() {
        let dir = tempfile::tempdir()?;
        urls.push(format!(
            "sqlite://{}",
            dir.path().join("bench.db").display()
        ));
        _scratch = dir;
        let postgres = std::env::var("CUSTOS_PG_URL")
            .or_else(|_| std::env::var("CUSTOS_TEST_POSTGRES_URL"))
            .ok();
        if let Some(base) = postgres {
            match fresh_schema(&base).await {
                Ok(url) => urls.push(url),
                Err(e) => println!("PostgreSQL at {base} skipped: {e}"),
            }
        }
    }
    for url in &urls {
        bench(url, count).await?;
    }
    Ok(())
}

/// A new empty schema for this run, and the URL that selects it.
async fn fresh_schema(base: &str) -> Result<String, Box<dyn std::error::Error>> {
    let (client, connection) = tokio_postgres::connect(base, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let schema = "custos_bench_findings";
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"
        ))
        .await?;
    let separator = if base.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{base}{separator}options=-c%20search_path%3D{schema}"
    ))
}
