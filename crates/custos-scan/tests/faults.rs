//! Issue 3 acceptance: the client walking the simulator under faults and a tight rate limit
//! collects exactly what a fault-free walk collects.

use custos_openai::{ClientConfig, Pacing, ReadClient, RetryPolicy};
use custos_scan::collect::{CollectOptions, Collected, collect_inventory};
use custos_sim::generate::{GenerateOptions, generate};
use custos_sim::server::{SimConfig, Simulator};
use secrecy::SecretString;
use std::time::Duration;

const NOW: i64 = 1_795_132_800; // 2026-11-20T00:00:00Z

fn scenario() -> custos_model::scenario::Scenario {
    let options = GenerateOptions {
        users: 120,
        projects: 9,
        keys_per_project: 4,
        days: 12,
        seed: 7,
        now: NOW,
        audit_events: Some(300),
        orgs: 1,
    };
    let mut document = Vec::new();
    generate(&options, &mut document).expect("generate");
    custos_sim::scenario::load_str("faults", std::str::from_utf8(&document).expect("utf-8"))
        .expect("the generated scenario loads")
}

fn admin_secret(scenario: &custos_model::scenario::Scenario) -> SecretString {
    let secret = scenario.organizations[0]
        .credentials
        .iter()
        .find(|c| c.admin_api_key_id.is_some())
        .expect("an admin credential")
        .secret
        .clone();
    SecretString::from(secret)
}

/// The collection, the client's retries, and the simulator's throttled and faulted answers.
async fn collect(
    sim: SimConfig,
    retry: RetryPolicy,
    rps: Option<u32>,
    pacing: Pacing,
) -> (Collected, u64, u64, u64) {
    let scenario = scenario();
    let key = admin_secret(&scenario);
    let running = Simulator::new(scenario, sim)
        .spawn("127.0.0.1:0")
        .await
        .expect("simulator");
    let mut config = ClientConfig::new(running.base_url(), key);
    config.retry = retry;
    config.requests_per_second = rps.and_then(std::num::NonZeroU32::new);
    config.pacing = pacing;
    let client = ReadClient::new(config).expect("client");
    let options = CollectOptions::new(NOW, 10);
    let collected = collect_inventory(&client, &options).await;
    let served = running.simulator().stats();
    (
        collected,
        client.stats().retries,
        served.throttled,
        served.faults,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_throttling_do_not_change_the_inventory() {
    let (clean, clean_retries, _, _) = collect(
        SimConfig::default(),
        RetryPolicy::default(),
        None,
        Pacing::Fixed,
    )
    .await;
    assert!(
        clean.is_complete(),
        "fault-free walk failed: {:?}",
        clean.failures
    );
    assert_eq!(clean_retries, 0);
    assert!(clean.inventory.users.len() >= 100);

    // 30 % of answers are 500, 502, 503 or truncated, and the server throttles at 40
    // requests/s while the client paces itself a little above that, as a scan configured
    // with a wrong rate would: 429 and Retry-After must be absorbed, not surface. Twelve
    // retries make a run of faults that exhausts them (0.3^13 per request) practically
    // impossible.
    let faulty = SimConfig {
        fault_rate: 0.3,
        rate_limit: Some(40),
        seed: 42,
        ..SimConfig::default()
    };
    let retry = patient_retry();
    let (noisy, noisy_retries, throttled, faults) =
        collect(faulty, retry, Some(48), Pacing::Fixed).await;
    assert!(
        noisy.is_complete(),
        "faulty walk failed: {:?}",
        noisy.failures
    );
    assert!(noisy_retries > 0, "the client never retried");
    assert!(faults > 0, "the simulator injected no fault");
    assert!(throttled > 0, "the simulator never throttled");
    assert_eq!(noisy.inventory, clean.inventory);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adaptive_pacing_under_faults_and_limits_does_not_change_the_inventory() {
    let (clean, _, _, _) = collect(
        SimConfig::default(),
        RetryPolicy::default(),
        None,
        Pacing::Fixed,
    )
    .await;
    // The same faults, a global limit the pacer must find, and one route limited on its own,
    // with the rate-limit headers off as the Admin API sends none.
    let faulty = SimConfig {
        fault_rate: 0.3,
        rate_limit: Some(40),
        route_rate_limits: [(
            "GET /v1/organization/projects/{project_id}/users".to_owned(),
            5,
        )]
        .into(),
        rate_limit_headers: false,
        seed: 42,
        ..SimConfig::default()
    };
    let retry = patient_retry();
    let (paced, _, throttled, faults) = collect(faulty, retry, None, Pacing::Adaptive).await;
    assert!(
        paced.is_complete(),
        "paced walk failed: {:?}",
        paced.failures
    );
    assert!(
        faults > 0 && throttled > 0,
        "{faults} faults, {throttled} 429s"
    );
    assert_eq!(paced.inventory, clean.inventory);
}

/// The fault tests' retries: twelve, with short waits so that the tests stay quick.
fn patient_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 12,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(200),
        ..RetryPolicy::default()
    }
}
