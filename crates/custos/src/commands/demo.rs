//! `custos demo`: the built-in demo organization, served by the simulator on loopback, walked by
//! the client exactly as a real organization would be. No key, no network.

use crate::cli::DemoArgs;
use anyhow::Context;
use custos_openai::{Client, ClientConfig};
use custos_scan::collect::{CollectOptions, collect_inventory};
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

    let client = Client::new(ClientConfig::new(sim.base_url(), read_key))?;
    let started = Instant::now();
    let mut project_clients = std::collections::BTreeMap::new();
    for (project_id, key) in project_keys {
        project_clients.insert(
            project_id,
            Client::new(ClientConfig::new(sim.base_url(), key))?,
        );
    }
    let options = CollectOptions {
        now: as_of.unwrap_or_else(now_unix),
        project_clients,
        ..CollectOptions::default()
    };
    let collected = collect_inventory(&client, &options).await;
    let elapsed = started.elapsed();

    let summary = collected.inventory.summary();
    let width = summary
        .iter()
        .map(|(kind, _)| kind.len())
        .max()
        .unwrap_or(0);
    println!("{:width$}  {:>7}", "kind", "count");
    for (kind, count) in &summary {
        println!("{kind:width$}  {count:>7}");
    }
    for failure in &collected.failures {
        println!("unknown: {} ({})", failure.endpoint, failure.message);
    }
    let stats = client.stats();
    println!(
        "\n{} requests in {:.2} s; {} retried.",
        stats.requests,
        elapsed.as_secs_f64(),
        stats.retries
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

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
