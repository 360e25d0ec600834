//! Builds every report from a year of data read back from an SQLite store, and times each.
//!
//! A year of daily costs for 1,000 projects × 5 line items (1,825,000 rows) and daily
//! completions usage grouped by project, user, key and model (2 models per project: 730,000
//! rows). Run with `cargo run --release -p custos-report --example bench_reports [DB_PATH]`;
//! the target is under 2 s per report.

use std::time::Instant;

use custos_model::api::Project;
use custos_report::{
    OrgData, REPORTS, ReportInput, ReportOptions, build, to_csv, to_svg, to_table,
};
use custos_store::{CostRecord, ObjectRecord, ScanStatus, UsageRecord};
use serde_json::json;

const ORG: &str = "org-bench";
const PROJECTS: usize = 1_000;
const LINE_ITEMS: [&str; 5] = [
    "gpt-4o, input",
    "gpt-4o, output",
    "gpt-4o-mini, input",
    "gpt-4o-mini, output",
    "file search",
];
const MODELS: [&str; 2] = ["gpt-4o", "gpt-4o-mini"];
const DAYS: i64 = 365;
use custos_model::unix::DAY;
/// 2026-11-20T12:00:00Z.
const AS_OF: i64 = 1_795_176_000;

/// A deterministic pseudo-random number in `[0, 1)` (splitmix64), so every run has the same data.
fn noise(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

fn costs_of_day(day_start: i64) -> Vec<CostRecord> {
    let mut rows = Vec::with_capacity(PROJECTS * LINE_ITEMS.len());
    for project in 0..PROJECTS {
        for (item_index, item) in LINE_ITEMS.iter().enumerate() {
            let seed = (day_start as u64) ^ ((project as u64) << 20) ^ item_index as u64;
            let amount = (noise(seed) * 20.0 * 1e6).round() / 1e6;
            let project_id = format!("proj_{project:04}");
            rows.push(CostRecord {
                bucket_start: day_start,
                bucket_end: day_start + DAY,
                project_id: Some(project_id.clone()),
                line_item: Some((*item).to_owned()),
                amount,
                currency: "usd".to_owned(),
                data: json!({
                    "object": "organization.costs.result",
                    "amount": {"value": amount, "currency": "usd"},
                    "line_item": item,
                    "project_id": project_id,
                }),
            });
        }
    }
    rows
}

fn usage_of_day(day_start: i64) -> Vec<UsageRecord> {
    let mut rows = Vec::with_capacity(PROJECTS * MODELS.len());
    for project in 0..PROJECTS {
        for (model_index, model) in MODELS.iter().enumerate() {
            let seed = (day_start as u64) ^ ((project as u64) << 24) ^ (model_index as u64 + 7);
            let requests = (noise(seed) * 500.0) as i64;
            let project_id = format!("proj_{project:04}");
            let key = json!({
                "project_id": project_id,
                "user_id": format!("user-{:03}", project % 300),
                "api_key_id": format!("key_{project:04}_{model_index}"),
                "model": model,
            });
            let mut data = key.clone();
            let fields = data.as_object_mut().expect("an object");
            fields.insert(
                "object".into(),
                json!("organization.usage.completions.result"),
            );
            fields.insert("input_tokens".into(), json!(requests * 900));
            fields.insert("output_tokens".into(), json!(requests * 300));
            fields.insert("input_cached_tokens".into(), json!(requests * 100));
            fields.insert("num_model_requests".into(), json!(requests));
            rows.push(UsageRecord {
                kind: "completions".to_owned(),
                bucket_start: day_start,
                bucket_end: day_start + DAY,
                group_key: key.to_string(),
                data,
            });
        }
    }
    rows
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/custos-bench-reports.db".to_owned());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let store = custos_store::open(&format!("sqlite://{path}")).await?;
    store.upsert_organization(ORG, Some("Bench Org")).await?;
    let first_day = AS_OF / DAY * DAY - (DAYS - 1) * DAY;
    let window = (first_day, first_day + DAYS * DAY);

    let started = Instant::now();
    let scan = store.begin_scan(ORG, AS_OF).await?;
    let projects: Vec<ObjectRecord> = (0..PROJECTS)
        .map(|p| ObjectRecord {
            kind: "project".to_owned(),
            id: format!("proj_{p:04}"),
            project_id: None,
            data: json!({"object": "organization.project", "id": format!("proj_{p:04}"), "name": format!("Project {p}"), "created_at": 0, "status": "active"}),
        })
        .collect();
    store.put_objects(scan, &projects).await?;
    store.finish_scan(scan, AS_OF, ScanStatus::Complete).await?;
    // A month per transaction keeps each write a few hundred thousand rows.
    let mut cost_rows = 0;
    let mut usage_rows = 0;
    for month in (0..DAYS).step_by(30) {
        let from = first_day + month * DAY;
        let to = (from + 30 * DAY).min(window.1);
        let costs: Vec<CostRecord> = (from..to)
            .step_by(DAY as usize)
            .flat_map(costs_of_day)
            .collect();
        let usage: Vec<UsageRecord> = (from..to)
            .step_by(DAY as usize)
            .flat_map(usage_of_day)
            .collect();
        cost_rows += costs.len();
        usage_rows += usage.len();
        store.replace_costs(ORG, (from, to), &costs).await?;
        store
            .replace_usage(ORG, "completions", (from, to), &usage)
            .await?;
    }
    println!(
        "wrote {cost_rows} cost rows and {usage_rows} usage rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let projects: Vec<Project> = store
        .objects(scan, Some("project"))
        .await?
        .into_iter()
        .map(|object| serde_json::from_value(object.data))
        .collect::<Result<_, _>>()?;
    let costs = store.costs(ORG, window.0, window.1).await?;
    let usage = store.usage(ORG, None, window.0, window.1).await?;
    println!(
        "read back {} projects, {} cost rows, {} usage rows in {:.1} s",
        projects.len(),
        costs.len(),
        usage.len(),
        started.elapsed().as_secs_f64()
    );
    let input = ReportInput {
        orgs: vec![OrgData {
            org_id: ORG.to_owned(),
            name: Some("Bench Org".to_owned()),
            projects,
            costs,
            usage,
            costs_from: Some(window.0),
            usage_from: Some(window.0),
            spend_limit: Some((50_000_000.0, "USD".to_owned())),
        }],
    };
    let options = ReportOptions::new(AS_OF);

    println!(
        "{:<24} {:>10} {:>10} {:>8}",
        "report", "build ms", "render ms", "rows"
    );
    let mut slowest = 0.0_f64;
    for info in REPORTS {
        let started = Instant::now();
        let report = build(info.name, &input, &options)?;
        let built = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let rendered = to_table(&report).len() + to_csv(&report)?.len() + to_svg(&report).len();
        let render = started.elapsed().as_secs_f64();
        slowest = slowest.max(built);
        println!(
            "{:<24} {:>10.1} {:>10.1} {:>8}",
            info.name,
            built * 1e3,
            render * 1e3,
            report.rows.len()
        );
        assert!(rendered > 0);
    }
    println!(
        "slowest report: {:.1} ms (target: under 2,000 ms){}",
        slowest * 1e3,
        if slowest < 2.0 {
            ""
        } else {
            " — OVER TARGET"
        }
    );
    Ok(())
}
