//! `custos bench`: the performance targets of the issues as rerunnable measurements. They print
//! figures; they never assert on time (that is for a person reading them, with `--release`).

use crate::cli::BenchCommand;
use anyhow::Context;
use custos_model::api::User;
use custos_openai::{Client, ClientConfig, NextAfter, Query};
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
    let mut document = Vec::new();
    generate(&options_for_users(users), &mut document)?;
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
    let running = Simulator::new(scenario, SimConfig::default())
        .spawn("127.0.0.1:0")
        .await?;
    Ok((running, secret))
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
    let client = Client::new(ClientConfig::new(sim.base_url(), secret))?;
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
