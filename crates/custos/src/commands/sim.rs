//! `custos sim serve|generate|validate`.

use crate::cli::{FaultArgs, GenerateArgs, ServeArgs, SimCommand};
use anyhow::Context;
use custos_sim::generate::{GenerateOptions, default_now, generate};
use custos_sim::scenario;
use custos_sim::server::{SimConfig, Simulator};
use std::io::Write;
use std::process::ExitCode;

pub async fn run(command: SimCommand) -> anyhow::Result<ExitCode> {
    match command {
        SimCommand::Serve(args) => serve(args).await,
        SimCommand::Generate(args) => generate_command(&args),
        SimCommand::Validate { file } => {
            let loaded = scenario::load_file(&file)?;
            let orgs = loaded.organizations.len();
            println!(
                "{}: valid custos-scenario/1 with {orgs} organization(s)",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn sim_config(faults: &FaultArgs) -> SimConfig {
    SimConfig {
        latency_ms: faults.latency_ms,
        latency_jitter_ms: faults.latency_ms / 5,
        rate_limit: faults.rate_limit,
        fault_rate: faults.fault_rate,
        seed: faults.seed,
        ..SimConfig::default()
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let scenario = match &args.scenario {
        Some(path) => scenario::load_file(path)?,
        None => custos_sim::demo::demo_scenario(),
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // The URL is the first stdout line: scripts and tests read it to find the port.
    println!("http://{addr}/v1");
    std::io::stdout().flush()?;
    let simulator = Simulator::new(scenario, sim_config(&args.faults));
    tokio::select! {
        served = simulator.serve(listener) => served.context("the simulator stopped")?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn generate_command(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let options = GenerateOptions {
        users: args.users,
        projects: args.projects,
        keys_per_project: args.keys_per_project,
        days: args.days,
        seed: args.seed,
        now: args.now.unwrap_or_else(default_now),
        audit_events: args.audit_events,
        orgs: args.orgs,
    };
    match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            generate(&options, &mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            generate(&options, &mut out)
                .and_then(|()| out.flush())
                .context("cannot write the scenario to stdout")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
