//! `custos bench`: the performance targets of the issues as rerunnable measurements. They print
//! figures; they never assert on time (that is for a person reading them, with `--release`).

use crate::cli::BenchCommand;
use anyhow::Context;
use custos_model::api::User;
use custos_openai::{ClientConfig, NextAfter, Pacing, Query, ReadClient};
use custos_sim::generate::{GenerateOptions, default_now, generate};
use custos_sim::server::{SimConfig, Simulator};
use futures::TryStreamExt;
use secrecy::SecretString;
use std::num::NonZeroU32;
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
            route_limit,
            rate_limit_headers,
        } => {
            let config = SimConfig {
                latency_ms,
                latency_jitter_ms: latency_ms / 5,
                rate_limit: Some(rate_limit),
                route_rate_limits: route_limit.into_iter().collect(),
                rate_limit_headers,
                ..SimConfig::default()
            };
            bench_scan(users, projects, config).await?
        }
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
async fn bench_scan(users: usize, projects: usize, config: SimConfig) -> anyhow::Result<()> {
    let options = GenerateOptions {
        users,
        projects,
        keys_per_project: 10,
        days: 90,
        audit_events: None,
        ..options_for_users(0)
    };
    let rate_limit = config.rate_limit.unwrap_or(u32::MAX);
    let route_limits = config.route_rate_limits.clone();
    let (sim, secret) = simulator_for(&options, config).await?;
    let settings = custos_config::ScanSettings::default();
    let mut adaptive = ClientConfig::new(sim.base_url(), secret.clone());
    adaptive.pacing = Pacing::Adaptive;
    adaptive.requests_per_second = settings.requests_per_second.and_then(NonZeroU32::new);
    // Enough in flight to cover 100 ms of latency at 320 requests/s twice over: adaptive
    // pacing keeps fewer when fewer cover it (the figures in docs/admin-api-notes.md ran so).
    adaptive.max_concurrency = 64;
    let (paced, seconds) = bench_one_scan(adaptive, settings.concurrency, options.now).await?;
    let served = sim.simulator().stats();
    // The server allows the limit per second and a burst of as many at the start.
    let bound = paced.summary.requests as f64 / f64::from(rate_limit);
    println!(
        "scan of {users} users, {projects} projects ({} objects, status {}), adaptive pacing: \
         {} requests, {} answered 429 ({:.2} %), {seconds:.1} s; lower bound {bound:.1} s; \
         ratio {:.3}; settled at {} requests/s",
        paced.summary.objects,
        paced.summary.status,
        paced.summary.requests,
        served.throttled,
        100.0 * served.throttled as f64 / paced.summary.requests.max(1) as f64,
        seconds / bound,
        paced
            .summary
            .rate
            .map_or("unlimited".to_owned(), |r| r.to_string()),
    );
    for (route, limit) in &route_limits {
        let limited = served.by_route.get(route).copied().unwrap_or(0);
        let others = served.requests - limited;
        println!(
            "  {route} (limited to {limit}/s): {limited} requests, {:.1} s at its limit; \
             the other routes: {others} requests at {:.1} requests/s",
            limited as f64 / f64::from(*limit),
            others as f64 / seconds,
        );
    }

    sim.simulator().reset_stats();
    let mut fixed = ClientConfig::new(sim.base_url(), secret);
    // Just under the server's rate, with enough requests in flight to cover the latency.
    fixed.requests_per_second = NonZeroU32::new(rate_limit.saturating_mul(98) / 100);
    fixed.max_concurrency = 32;
    let (reference, fixed_seconds) = bench_one_scan(fixed, 16, options.now).await?;
    let same = reference.inventory == paced.inventory;
    println!(
        "  the same scan at a fixed {} requests/s: {} requests, {fixed_seconds:.1} s; \
         inventory equal object for object: {same}",
        rate_limit.saturating_mul(98) / 100,
        reference.summary.requests,
    );
    anyhow::ensure!(
        same,
        "the paced scan's inventory differs from the fixed-rate scan's"
    );
    Ok(())
}

/// A scan's summary and the inventory it stored.
struct BenchScan {
    summary: custos_scan::scan::ScanSummary,
    inventory: custos_model::inventory::Inventory,
}

/// Scans through a client of `config` into a fresh store; with its wall time.
async fn bench_one_scan(
    config: ClientConfig,
    project_concurrency: usize,
    now: i64,
) -> anyhow::Result<(BenchScan, f64)> {
    let client = ReadClient::new(config)?;
    let store = custos_store::open("sqlite::memory:").await?;
    let mut scan_options = custos_scan::scan::ScanOptions::new(now);
    scan_options.project_concurrency = project_concurrency;
    let started = Instant::now();
    let summary =
        custos_scan::scan::scan(&client, store.as_ref(), "org-bench", None, &scan_options).await?;
    let seconds = started.elapsed().as_secs_f64();
    let run = store
        .scan(summary.scan_id)
        .await?
        .context("the bench scan is not in the store")?;
    let snapshot = custos_scan::snapshot::load_snapshot(store.as_ref(), &run, 90).await?;
    Ok((
        BenchScan {
            summary,
            inventory: snapshot.inventory,
        },
        seconds,
    ))
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
