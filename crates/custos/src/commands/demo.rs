//! `custos demo`: the built-in demo organization, served by the simulator on loopback, walked by
//! the client exactly as a real organization would be, and scanned into a temporary in-memory
//! store. No key, no network.

use super::context::Target;
use super::scan;
use crate::cli::DemoArgs;
use anyhow::Context;
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
    let target = Target {
        id: org_id.clone(),
        name: Some(org_name.clone()),
        base_url: sim.base_url().to_owned(),
        read_key,
        project_keys,
    };
    let started = Instant::now();
    let settings = custos_config::ScanSettings {
        // The simulator is local: no need to pace requests as for api.openai.com.
        requests_per_second: 0,
        ..Default::default()
    };
    let now = as_of.unwrap_or_else(super::now_unix);
    let summary = scan::scan_target(&target, store.as_ref(), &settings, false, now).await?;
    scan::print_summary(&target, &summary, started.elapsed().as_secs_f64());
    if !args.no_serve {
        println!(
            "\nThe simulator keeps serving at {} (admin key: see the demo scenario); Ctrl-C stops it.",
            sim.base_url()
        );
        tokio::signal::ctrl_c().await?;
    }
    Ok(ExitCode::SUCCESS)
}
