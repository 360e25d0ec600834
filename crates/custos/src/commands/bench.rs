//! `custos bench`: the performance targets of the issues as rerunnable measurements. They print
//! figures; they never assert on time (that is for a person reading them, with `--release`).

use crate::cli::BenchCommand;
use anyhow::Context;
use custos_model::api::User;
use custos_openai::{ClientConfig, NextAfter, Query, ReadClient};
use custos_sim::generate::{GenerateOptions, default_now, generate};
use custos_sim::server::{SimConfig, Simulator};
use futures::TryStreamExt;
use secrecy::SecretString;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub async fn run(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Sim {
            requests,
            concurrency,
        } => bench_sim(requests, concurrency).await?,
        BenchCommand::Client { users } => bench_client(users).await?,
        BenchCommand::Scan {
            users,
            projects,
            latency_ms,
            rate_limit,
        } => bench_scan(users, projects, latency_ms, rate_limit).await?,
        BenchCommand::Generate {
            users,
            projects,
            keys_per_project,
            days,
        } => bench_generate(&GenerateOptions {
            users,
            projects,
            keys_per_project,
            days,
            // The generator's own default: about five audit events per user.
            audit_events: None,
            ..options_for_users(0)
        })?,
    }
    Ok(ExitCode::SUCCESS)
}

fn options_for_users(users: usize) -> GenerateOptions {
    GenerateOptions {
        users,
        projects: 1,
        keys_per_project: 1,
        days: 1,
        seed: 1,
        now: default_now(),
        audit_events: Some(0),
        orgs: 1,
    }
}

/// A simulator serving `users` users, with its read-write admin secret.
async fn simulator_with_users(
    users: usize,
) -> anyhow::Result<(custos_sim::server::RunningSimulator, SecretString)> {
    simulator_for(&options_for_users(users), SimConfig::default()).await
}

/// A simulator serving a generated organization, with its admin secret.
async fn simulator_for(
    options: &GenerateOptions,
    config: SimConfig,
) -> anyhow::Result<(custos_sim::server::RunningSimulator, SecretString)> {
    let mut document = Vec::new();
    generate(options, &mut document)?;
    let text = String::from_utf8(document).context("the generator wrote invalid UTF-8")?;
    let scenario = custos_sim::scenario::load_str("generated", &text)?;
    let secret = scenario
        .organizations
        .first()
        .and_then(|org| {
            org.credentials
                .iter()
                .find(|c| c.admin_api_key_id.is_some())
        })
        .map(|c| SecretString::from(c.secret.clone()))
        .context("the generated scenario has no admin credential")?;
    let running = Simulator::new(scenario, config)
        .spawn("127.0.0.1:0")
        .await?;
    Ok((running, secret))
}

/// A whole scan of a generated organization through a slow, rate-limited simulator, against
/// its lower bound: the requests it needs divided by the rate limit.
async fn bench_scan(
    users: usize,
    projects: usize,
    latency_ms: u64,
    rate_limit: u32,
) -> anyhow::Result<()> {
    let options = GenerateOptions {
        users,
        projects,
        keys_per_project: 10,
        days: 90,
        audit_events: None,
        ..options_for_users(0)
    };
    let config = SimConfig {
        latency_ms,
        latency_jitter_ms: latency_ms / 5,
        rate_limit: Some(rate_limit),
        ..SimConfig::default()
    };
    let (sim, secret) = simulator_for(&options, config).await?;
    let mut client_config = ClientConfig::new(sim.base_url(), secret);
    // Just under the server's rate, with enough requests in flight to cover the latency.
    client_config.requests_per_second = std::num::NonZeroU32::new(rate_limit * 98 / 100);
    client_config.max_concurrency = 32;
    let client = ReadClient::new(client_config)?;
    let store = custos_store::open("sqlite::memory:").await?;
    let mut scan_options = custos_scan::scan::ScanOptions::new(options.now);
    scan_options.project_concurrency = 16;
    let started = Instant::now();
    let summary =
        custos_scan::scan::scan(&client, store.as_ref(), "org-bench", None, &scan_options).await?;
    let seconds = started.elapsed().as_secs_f64();
    let served = sim.simulator().stats();
    let bound = summary.requests as f64 / f64::from(rate_limit);
    println!(
        "scan of {users} users, {projects} projects ({} objects, status {}): {} requests, {} throttled, \
         {seconds:.1} s; lower bound {bound:.1} s; ratio {:.3}",
        summary.objects,
        summary.status,
        summary.requests,
        served.throttled,
        seconds / bound
    );
    Ok(())
}

async fn bench_sim(requests: usize, concurrency: usize) -> anyhow::Result<()> {
    let (sim, secret) = simulator_with_users(10_000).await?;
    let url = format!("{}/organization/users?limit=100", sim.base_url());
    let http = reqwest::Client::new();
    let auth = format!("Bearer {}", secrecy::ExposeSecret::expose_secret(&secret));
    let remaining = Arc::new(AtomicUsize::new(requests));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (http, url, auth, remaining) =
                (http.clone(), url.clone(), auth.clone(), remaining.clone());
            tokio::spawn(async move {
                let mut bytes = 0usize;
                while remaining
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                    .is_ok()
                {
                    let body = http
                        .get(&url)
                        .header("authorization", &auth)
                        .send()
                        .await?
                        .error_for_status()?
                        .bytes()
                        .await?;
                    bytes += body.len();
                }
                Ok::<usize, reqwest::Error>(bytes)
            })
        })
        .collect();
    let mut bytes = 0;
    for worker in workers {
        bytes += worker.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "simulator: {requests} list pages of 100 users in {elapsed:.2} s = {:.0} requests/s ({:.1} MB/s, concurrency {concurrency})",
        requests as f64 / elapsed,
        bytes as f64 / elapsed / 1e6
    );
    Ok(())
}

async fn bench_client(users: usize) -> anyhow::Result<()> {
    let (sim, secret) = simulator_with_users(users).await?;
    let client = ReadClient::new(ClientConfig::new(sim.base_url(), secret))?;
    let mut query = Query::new();
    query.push("limit", 100);
    let started = Instant::now();
    let collected: Vec<User> = client
        .paginate_id("/organization/users", query, NextAfter::LastId)
        .try_collect()
        .await?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "client: paged {} users in {elapsed:.2} s = {:.0} objects/s",
        collected.len(),
        collected.len() as f64 / elapsed
    );
    Ok(())
}

fn bench_generate(options: &GenerateOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut sink = CountingSink::default();
    generate(options, &mut sink)?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "generator: {} users, {} projects, {} keys, {} days: {:.1} MB in {elapsed:.2} s, peak memory {}",
        options.users,
        options.projects,
        options.projects * options.keys_per_project,
        options.days,
        sink.bytes as f64 / 1e6,
        peak_memory()
    );
    Ok(())
}

/// Counts what the generator writes without keeping it, so the figure is the generator's own.
#[derive(Default)]
struct CountingSink {
    bytes: usize,
}

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Peak resident memory of this process (Linux `VmHWM`).
pub fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}
