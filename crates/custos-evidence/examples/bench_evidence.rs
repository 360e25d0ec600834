//! Evidence pack benchmark: a month of audit events (1,000,000 by default) in an SQLite file
//! store, then an export and a verification, each with its time and peak memory.
//!
//! ```text
//! cargo run --release -p custos-evidence --example bench_evidence [-- EVENTS]
//! ```
//!
//! Targets: export < 15 s, verify < 5 s, < 500 MB peak resident memory.
//!
//! With `BENCH_EVIDENCE_DB=PATH` the store is kept in that file and filled only once, so that
//! export and verify can be measured again without waiting for the inserts.

use custos_evidence::{ExportRequest, SigningKey, export, keygen, verify};
use custos_model::unix::DAY;
use custos_store::{AuditEventRecord, ObjectRecord, ScanStatus};
use serde_json::json;
use std::error::Error;
use std::time::Instant;

const ORG: &str = "org-bench";
/// 2026-10-01T00:00:00Z.
const FROM: i64 = 1_790_812_800;
const TO: i64 = FROM + 31 * DAY;
const KINDS: [&str; 6] = [
    "api_key.created",
    "api_key.updated",
    "login.succeeded",
    "project.updated",
    "user.updated",
    "rate_limit.updated",
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let events: u64 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 1_000_000,
    };
    let dir = tempfile::tempdir()?;
    let db = std::env::var("BENCH_EVIDENCE_DB")
        .unwrap_or_else(|_| dir.path().join("bench.db").display().to_string());
    let store = custos_store::open(&db).await?;
    if store.latest_scan(ORG).await?.is_none() {
        fill(&*store, events).await?;
    }
    let pair = keygen(None)?;
    let key = SigningKey::from_text(&pair.secret, None)?;
    let path = dir.path().join("pack.tar.gz");
    // Exported after the period: the pack a closed month gives.
    let request = ExportRequest::new(ORG, FROM, TO, TO, env!("CARGO_PKG_VERSION"));

    reset_peak_memory();
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let manifest = export(&*store, &request, [], [], &key, out).await?;
    let export_seconds = started.elapsed().as_secs_f64();
    let export_cpu = cpu_seconds() - cpu;
    let export_peak = peak_memory_mb();
    let archive_mb = std::fs::metadata(&path)?.len() as f64 / 1e6;
    let raw_mb = manifest.files.iter().map(|f| f.bytes).sum::<u64>() as f64 / 1e6;
    println!(
        "export: {export_seconds:.1} s ({export_cpu:.1} s CPU), archive {archive_mb:.1} MB ({raw_mb:.1} MB of JSON lines), peak RSS {export_peak:.0} MB"
    );

    reset_peak_memory();
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let input = std::io::BufReader::new(std::fs::File::open(&path)?);
    let verified = verify(input, key.public_key(), None)?;
    let verify_seconds = started.elapsed().as_secs_f64();
    let verify_cpu = cpu_seconds() - cpu;
    println!(
        "verify: {verify_seconds:.1} s ({verify_cpu:.1} s CPU), {} event lines, peak RSS {:.0} MB",
        verified
            .manifest
            .file("events.jsonl")
            .map_or(0, |f| f.lines),
        peak_memory_mb()
    );
    Ok(())
}

async fn fill(store: &dyn custos_store::Store, events: u64) -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    let scan = store.begin_scan(ORG, FROM + DAY).await?;
    store.put_objects(scan, &snapshot()).await?;
    store
        .finish_scan(scan, FROM + 86_460, ScanStatus::Complete)
        .await?;
    let spacing = ((TO - FROM) as u64 * 1_000 / events.max(1)).max(1);
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..events {
        batch.push(event(i, FROM + (i * spacing / 1_000) as i64));
        if batch.len() == batch.capacity() {
            store.append_audit_events(ORG, &batch).await?;
            batch.clear();
        }
    }
    store.append_audit_events(ORG, &batch).await?;
    println!(
        "store: {events} audit events written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn snapshot() -> Vec<ObjectRecord> {
    let object = |kind: &str, id: String, project: Option<String>, data| ObjectRecord {
        kind: kind.into(),
        id,
        project_id: project,
        data,
    };
    let mut objects = Vec::new();
    for u in 0..2_000 {
        objects.push(object(
            "user",
            format!("user_{u:05}"),
            None,
            json!({"object": "organization.user", "id": format!("user_{u:05}"), "role": "reader",
                   "email": null, "email_sha256": format!("{u:064x}"), "email_prefix": "user",
                   "email_domain": "example.com", "added_at": FROM}),
        ));
    }
    for p in 0..100 {
        let project = format!("proj_{p:03}");
        objects.push(object(
            "project",
            project.clone(),
            Some(project.clone()),
            json!({"object": "organization.project", "id": project, "name": format!("Project {p}"),
                   "status": "active", "created_at": FROM}),
        ));
        for k in 0..10 {
            objects.push(object(
                "project_api_key",
                format!("key_{p:03}_{k}"),
                Some(project.clone()),
                json!({"object": "organization.project.api_key", "id": format!("key_{p:03}_{k}"),
                       "redacted_value": "sk-proj-...abcd", "created_at": FROM}),
            ));
        }
    }
    objects
}

/// An audit event of a realistic size (about 400 bytes of JSON).
fn event(i: u64, at: i64) -> AuditEventRecord {
    let kind = KINDS[(i % KINDS.len() as u64) as usize];
    let id = format!("audit_log-{i:012x}");
    AuditEventRecord {
        data: json!({
            "id": id, "type": kind, "effective_at": at,
            "project": {"id": format!("proj_{:03}", i % 100), "name": format!("Project {}", i % 100)},
            "actor": {"type": "session", "session": {
                "user": {"id": format!("user_{:05}", i % 2_000), "email": null,
                         "email_sha256": format!("{:064x}", i % 2_000), "email_prefix": "user",
                         "email_domain": "example.com"},
                "ip_address": format!("10.0.{}.{}", i % 256, (i / 256) % 256),
                "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"}},
            kind: {"id": format!("key_{:03}_{}", i % 100, i % 10), "data": {"scopes": ["/v1/*"]}}
        }),
        id,
        effective_at: at,
        kind: kind.into(),
    }
}

/// CPU seconds (user and system) used by this process so far: a figure that, unlike wall time,
/// other work on a shared machine does not inflate.
fn cpu_seconds() -> f64 {
    // Fields 14 and 15 of /proc/self/stat, in clock ticks (100 per second on Linux); the
    // command name (field 2) may hold spaces, so count from its closing parenthesis.
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // After the state letter: ppid, pgrp, session, tty, tpgid (may be -1), flags,
            // four fault counters, then utime and stime.
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
            let mut ticks = || fields.next()?.parse::<u64>().ok();
            Some((ticks()? + ticks()?) as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

/// Resets VmHWM (Linux: writing 5 to `clear_refs`), so that each phase reports its own peak.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// VmHWM, the peak resident set size, in MB (0 where /proc is missing).
fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1e3)
}
