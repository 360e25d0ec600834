//! `custos demo`: the built-in demo organization, served by the simulator on loopback, walked by
//! the client exactly as a real organization would be, and scanned into a temporary in-memory
//! store. No key, no network.

use super::scan;
use crate::cli::DemoArgs;
use anyhow::Context;
use custos_app::ValidConfig;
use custos_app::evaluate::evaluate_scan;
use custos_app::findings::{Finding, sort};
use custos_app::provider::{Providers, Target};
use custos_policy::Verdict;
use custos_sim::server::{SimConfig, Simulator};
use secrecy::SecretString;
use std::process::ExitCode;
use std::time::Instant;

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let scenario = custos_sim::demo::demo_scenario();
    let org = scenario
        .organizations
        .first()
        .context("the demo scenario has no organization")?;
    let (org_id, org_name) = (org.id.clone(), org.name.clone().unwrap_or_default());
    let read_key = org
        .credentials
        .iter()
        .find(|c| c.access == Some(custos_model::scenario::Access::ReadOnly))
        .or_else(|| {
            org.credentials
                .iter()
                .find(|c| c.admin_api_key_id.is_some())
        })
        .map(|c| SecretString::from(c.secret.clone()))
        .context("the demo scenario has no admin credential")?;
    // Project keys read the project-scoped endpoints (files, vector stores).
    let project_keys: Vec<(String, SecretString)> = org
        .credentials
        .iter()
        .filter_map(|c| {
            let project = c.project_id.clone()?;
            Some((project, SecretString::from(c.secret.clone())))
        })
        .collect();
    let as_of = scenario.now;
    let sim = Simulator::new(scenario, SimConfig::default())
        .spawn("127.0.0.1:0")
        .await?;
    println!(
        "custos demo: simulated OpenAI Admin API at {}",
        sim.base_url()
    );
    println!("organization {org_id} ({org_name}), scanned with a read-only admin key\n");

    let store = custos_store::open("sqlite::memory:").await?;
    let config = ValidConfig::parse(std::path::Path::new("demo.toml"), DEMO_CONFIG)?;
    let target = Target {
        source: Providers::builtin().default_source(),
        id: org_id.clone(),
        name: Some(org_name.clone()),
        base_url: sim.base_url().to_owned(),
        read_key,
        project_keys,
    };
    let started = Instant::now();
    // The simulator is local and unlimited: adaptive pacing climbs to its pace in a second,
    // with no limit to find.
    let settings = custos_config::ScanSettings {
        pacing: custos_config::ScanPacing::Adaptive,
        ..Default::default()
    };
    let now = as_of.unwrap_or_else(super::now_unix);
    let scanned = scan::scan_and_record(&target, store.as_ref(), &config, &settings, now).await?;
    scan::print_summary(&target, &scanned.summary, started.elapsed().as_secs_f64());
    let run = scanned.run;
    print_findings(store.as_ref(), &config, &run, now).await?;

    let reports = std::env::temp_dir().join(format!("custos-demo-reports-{}", std::process::id()));
    std::fs::create_dir_all(&reports)?;
    let input = custos_app::report::report_input(store.as_ref(), now).await?;
    let built = custos_report::build_all(&input, &custos_report::ReportOptions::new(now))?;
    custos_report::write_all(&reports, &built)?;
    println!(
        "\n{} cost and usage reports (SVG charts and CSV): open {}",
        built.len(),
        reports.join("index.html").display()
    );
    if !args.no_serve {
        println!(
            "\nThe simulator keeps serving at {} (admin key: see the demo scenario); Ctrl-C stops it.",
            sim.base_url()
        );
        tokio::signal::ctrl_c().await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The demo organization's settings: its company domain and approved models, so that the
/// policies that need them have something to compare with.
const DEMO_CONFIG: &str = r#"
[policies.openai-user-external]
params = { allowed_domains = ["northwind.example"] }

[policies.openai-invite-external-domain]
params = { allowed_domains = ["northwind.example"] }

[policies.openai-model-not-allowed]
params = { allowed_models = ["gpt-4o*", "gpt-4.1*", "o3*", "o4-mini*", "text-embedding-3-*", "omni-moderation-*", "gpt-image-1", "gpt-4o-mini-tts", "whisper-1"] }
"#;

/// How many of the most severe findings the demo lists.
const SHOWN: usize = 12;

async fn print_findings(
    store: &dyn custos_store::Store,
    config: &ValidConfig,
    run: &custos_store::ScanRun,
    as_of: i64,
) -> anyhow::Result<()> {
    let registry = config.registry();
    let outcomes = evaluate_scan(config, store, run, as_of, custos_policy::Keep::All).await?;
    let mut counts = std::collections::BTreeMap::new();
    let mut findings = Vec::new();
    for outcome in &outcomes {
        let result = outcome.result.as_str();
        *counts.entry((outcome.severity, result)).or_insert(0usize) += 1;
        if outcome.result == Verdict::Fail {
            findings.push(Finding::from_outcome(
                registry,
                &run.org_id,
                outcome,
                "open",
                as_of,
                as_of,
            ));
        }
    }
    sort(&mut findings);
    println!(
        "\nPolicies: {} results over {} policies",
        outcomes.len(),
        registry.len()
    );
    let rows: Vec<Vec<String>> = custos_policy::Severity::ALL
        .iter()
        .map(|severity| {
            let n = |result| {
                counts
                    .get(&(*severity, result))
                    .copied()
                    .unwrap_or(0)
                    .to_string()
            };
            vec![
                severity.to_string(),
                n("fail"),
                n("indeterminate"),
                n("pass"),
            ]
        })
        .collect();
    println!(
        "{}",
        super::output::table(&["severity", "findings", "indeterminate", "passed"], &rows)
    );
    println!("The {SHOWN} most severe findings (all of them: `custos findings`):");
    let rows: Vec<Vec<String>> = findings
        .iter()
        .take(SHOWN)
        .map(|f| {
            vec![
                f.severity.clone(),
                f.policy_id.clone(),
                f.resource_id.clone(),
                f.message.clone(),
            ]
        })
        .collect();
    println!(
        "{}",
        super::output::table(&["severity", "policy", "resource", "message"], &rows)
    );
    Ok(())
}
