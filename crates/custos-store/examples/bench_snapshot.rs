//! Measures writing one snapshot: `cargo run --release -p custos-store --example bench_snapshot
//! -- URL [COUNT] [BATCH]` (defaults: 1,000,000 objects in batches of 5,000).
//!
//! Point it at a scratch store (a new file, or a PostgreSQL URL whose
//! `options=-c search_path=...` names an empty schema): every run adds a snapshot. Objects are
//! written batch by batch, as a scan produces them, each 300-500 bytes of JSON. Prints the
//! write rate and the peak resident memory of the whole process (`VmHWM`).

use custos_store::{ObjectRecord, ScanStatus};
use serde_json::json;
use std::fmt::Write as _;
use std::time::Instant;

const KINDS: [&str; 4] = ["user", "project_user", "service_account", "project_api_key"];

fn object(i: usize) -> ObjectRecord {
    let kind = KINDS[i % KINDS.len()];
    let project = format!("proj_{:06}", i / 3_000);
    // A varying description keeps sizes spread over the 300-500 byte range.
    let padding = "lorem ipsum ".repeat(i % 17);
    ObjectRecord {
        kind: kind.to_owned(),
        id: format!("{project}/{kind}_{i:09}"),
        project_id: Some(project.clone()),
        data: json!({
            "object": format!("organization.project.{kind}"),
            "id": format!("{kind}_{i:09}"),
            "name": format!("Generated {kind} number {i}"),
            "email_sha256": format!("{:064x}", (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            "email_prefix": "user",
            "role": if i.is_multiple_of(7) { "owner" } else { "member" },
            "created_at": 1_700_000_000 + i,
            "project_id": project,
            "description": padding,
        }),
    }
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: bench_snapshot URL [COUNT] [BATCH]")?;
    let count: usize = args.next().map_or(Ok(1_000_000), |a| a.parse())?;
    let batch: usize = args.next().map_or(Ok(5_000), |a| a.parse())?;

    let sizes: Vec<usize> = (0..1_000)
        .map(|i| object(i).data.to_string().len())
        .collect();
    let store = custos_store::open(&url).await?;
    let started = Instant::now();
    let scan = store.begin_scan("org-bench", 1).await?;
    let mut in_store = started.elapsed();
    // One batch is generated up front and its ids rewritten for each write, so that the
    // figures measure the store rather than the building of JSON values.
    let mut objects: Vec<_> = (0..batch.min(count)).map(object).collect();
    let mut written = 0;
    while written < count {
        let n = batch.min(count - written);
        objects.truncate(n);
        for (i, o) in objects.iter_mut().enumerate() {
            o.id.clear();
            write!(
                o.id,
                "{}/{}_{:09}",
                o.project_id.as_deref().unwrap_or(""),
                o.kind,
                written + i
            )?;
        }
        let put = Instant::now();
        store.put_objects(scan, &objects).await?;
        in_store += put.elapsed();
        written += n;
    }
    let finish = Instant::now();
    store.finish_scan(scan, 2, ScanStatus::Complete).await?;
    in_store += finish.elapsed();
    let elapsed = started.elapsed().as_secs_f64();
    let in_store = in_store.as_secs_f64();

    println!("backend:      {}", store.backend());
    println!(
        "objects:      {count} in batches of {batch}, JSON {}-{} bytes each",
        sizes.iter().min().unwrap_or(&0),
        sizes.iter().max().unwrap_or(&0)
    );
    println!("wall time:    {elapsed:.2} s (begin_scan to finish_scan)");
    println!("store time:   {in_store:.2} s (inside the store's calls)");
    println!(
        "rate:         {:.0} objects/s (store time)",
        count as f64 / in_store
    );
    match peak_rss_mib() {
        Some(mib) => println!("peak RSS:     {mib:.0} MiB"),
        None => println!("peak RSS:     unknown (no /proc/self/status)"),
    }
    Ok(())
}
