//! Issue 4 acceptance: a generated organization scanned through a slow, throttling, faulty
//! simulator into the store equals the scenario object for object, with the fewest requests;
//! a second scan reads audit logs, usage and costs only from its overlap and re-fetch windows;
//! a stored scan reads back as the inventory it came from.

use custos_model::api::UsageKind;
use custos_model::inventory::Listed;
use custos_model::kind::{IdRule, Kind, Scope};
use custos_model::scenario::{JsonObjects, Scenario};
use custos_openai::{ClientConfig, ReadClient, RetryPolicy};
use custos_scan::collect::start_of_day;
use custos_scan::records::records;
use custos_scan::scan::{ScanOptions, scan};
use custos_scan::snapshot::load_snapshot;
use custos_sim::generate::{GenerateOptions, generate};
use custos_sim::server::{RunningSimulator, SimConfig, Simulator};
use custos_store::{ObjectRecord, ScanStatus};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

const NOW: i64 = 1_795_132_800; // 2026-11-20T00:00:00Z
use custos_model::unix::DAY;

fn generated(users: usize, projects: usize, keys: usize, days: u32) -> Scenario {
    let options = GenerateOptions {
        users,
        projects,
        keys_per_project: keys,
        days,
        seed: 11,
        now: NOW,
        audit_events: None,
        orgs: 1,
    };
    let mut document = Vec::new();
    generate(&options, &mut document).expect("generate");
    custos_sim::scenario::load_str("scan", std::str::from_utf8(&document).expect("utf-8"))
        .expect("the generated scenario loads")
}

fn admin_key(scenario: &Scenario) -> SecretString {
    let credential = scenario.organizations[0]
        .credentials
        .iter()
        .find(|c| c.admin_api_key_id.is_some())
        .expect("an admin credential");
    SecretString::from(credential.secret.clone())
}

async fn serve(scenario: &Scenario, config: SimConfig) -> RunningSimulator {
    Simulator::new(scenario.clone(), config)
        .spawn("127.0.0.1:0")
        .await
        .expect("simulator")
}

fn client(sim: &RunningSimulator, key: SecretString, rps: Option<u32>) -> ReadClient {
    let mut config = ClientConfig::new(sim.base_url(), key);
    config.requests_per_second = rps.and_then(std::num::NonZeroU32::new);
    config.max_concurrency = 8;
    config.retry = RetryPolicy {
        max_retries: 10,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(500),
        ..RetryPolicy::default()
    };
    ReadClient::new(config).expect("client")
}

fn options(now: i64) -> ScanOptions {
    let mut options = ScanOptions::new(now);
    options.keep_emails = true;
    options.project_concurrency = 8;
    options
}

/// `items` as JSON values sorted by id, for comparisons that ignore the API's order.
fn by_id<T: Serialize>(items: impl IntoIterator<Item = T>) -> Vec<Value> {
    let mut values: Vec<Value> = items
        .into_iter()
        .map(|item| serde_json::to_value(item).expect("serialize"))
        .collect();
    values.sort_by(|a, b| a["id"].to_string().cmp(&b["id"].to_string()));
    values
}

fn pages(items: usize, limit: usize) -> u64 {
    items.div_ceil(limit).max(1) as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_organization_is_scanned_exactly_with_the_fewest_requests() {
    let scenario = generated(2_000, 300, 10, 90);
    let org = &scenario.organizations[0];
    let key = admin_key(&scenario);

    // A fault-free walk gives the request count per endpoint.
    let clean_sim = serve(&scenario, SimConfig::default()).await;
    let clean_client = client(&clean_sim, key.clone(), None);
    let clean_store = custos_store::open("sqlite::memory:").await.unwrap();
    let clean = scan(
        &clean_client,
        clean_store.as_ref(),
        &org.id,
        None,
        &options(NOW),
    )
    .await
    .unwrap();
    assert_eq!(clean.status, ScanStatus::Complete, "{:?}", clean.failures);
    let by_endpoint = clean_client.requests_by_endpoint();
    let count = |endpoint: &str| by_endpoint.get(endpoint).copied().unwrap_or(0);
    assert_eq!(count("GET /organization/users"), pages(2_000, 100));
    assert_eq!(
        count("GET /organization/invites"),
        pages(org.invites.len(), 100)
    );
    assert_eq!(
        count("GET /organization/projects"),
        pages(org.projects.len(), 100)
    );
    let key_pages: u64 = org
        .projects
        .iter()
        .map(|p| pages(p.api_keys.len(), 100))
        .sum();
    assert_eq!(
        count("GET /organization/projects/{project_id}/api_keys"),
        key_pages
    );
    assert_eq!(
        count("GET /organization/audit_logs"),
        pages(org.audit_logs.len(), 100)
    );
    // 91 daily buckets (90 days and today) at 31 per page; costs take 180 per page.
    for kind in UsageKind::ALL {
        assert_eq!(count(&format!("GET {}", kind.path())), 3, "{kind:?}");
    }
    assert_eq!(count("GET /organization/costs"), 1);

    // The acceptance run: slow, throttled and faulty.
    let noisy_sim = serve(
        &scenario,
        SimConfig {
            latency_ms: 20,
            latency_jitter_ms: 4,
            rate_limit: Some(200),
            fault_rate: 0.05,
            seed: 5,
            ..SimConfig::default()
        },
    )
    .await;
    let noisy_client = client(&noisy_sim, key.clone(), Some(200));
    let store = custos_store::open("sqlite::memory:").await.unwrap();
    let first = scan(&noisy_client, store.as_ref(), &org.id, None, &options(NOW))
        .await
        .unwrap();
    assert_eq!(first.status, ScanStatus::Complete, "{:?}", first.failures);
    let served = noisy_sim.simulator().stats();
    assert!(served.faults > 0, "the simulator injected no fault");
    assert_eq!(
        served.requests - served.throttled - served.faults,
        clean.requests,
        "every request beyond the fault-free walk's is a retry of a throttled or faulted one"
    );

    // Object for object, the scenario.
    let run = store.latest_scan(&org.id).await.unwrap().expect("a scan");
    let snapshot = load_snapshot(store.as_ref(), &run, 120).await.unwrap();
    let inventory = &snapshot.inventory;
    assert_eq!(by_id(&inventory.users), by_id(&org.users));
    assert_eq!(by_id(&inventory.invites), by_id(&org.invites));
    assert_eq!(by_id(&inventory.admin_api_keys), by_id(&org.admin_api_keys));
    assert_eq!(
        by_id(inventory.projects.iter().map(|p| &p.project)),
        by_id(org.projects.iter().map(|p| &p.project))
    );
    for expected in &org.projects {
        let id = &expected.project.id;
        let got = inventory
            .projects
            .iter()
            .find(|p| &p.project.id == id)
            .expect("every project");
        assert_eq!(by_id(&got.api_keys), by_id(&expected.api_keys), "{id} keys");
        // The API refuses to list the members of an archived project.
        if !expected.project.is_archived() {
            assert_eq!(by_id(&got.users), by_id(&expected.users), "{id} users");
            assert_eq!(
                by_id(&got.service_accounts),
                by_id(&expected.service_accounts),
                "{id}"
            );
        }
        assert_eq!(
            by_id(&got.rate_limits),
            by_id(&expected.rate_limits),
            "{id}"
        );
        assert_eq!(got.spend_limit, expected.spend_limit, "{id}");
        assert_eq!(got.model_permissions, expected.model_permissions, "{id}");
    }
    assert_eq!(by_id(&inventory.audit_logs), by_id(&org.audit_logs));
    let usage_results: usize = inventory.usage[&UsageKind::Completions]
        .iter()
        .map(|b| b.results.len())
        .sum();
    assert!(usage_results > 0);
    // The API sums cost records per day, project and line item (what the scan groups by).
    let groups: std::collections::BTreeSet<(i64, Option<&str>, Option<&str>)> = org
        .costs
        .iter()
        .filter(|c| c.start_time.is_some_and(|t| t < NOW))
        .map(|c| {
            (
                start_of_day(c.start_time.unwrap_or_default()),
                c.project_id.as_deref(),
                c.line_item.as_deref(),
            )
        })
        .collect();
    assert_eq!(first.cost_rows, groups.len());
    let total = |values: &mut dyn Iterator<Item = f64>| values.sum::<f64>();
    let stored = store.costs(&org.id, 0, NOW).await.unwrap();
    let expected = total(
        &mut org
            .costs
            .iter()
            .filter(|c| c.start_time.is_some_and(|t| t < NOW))
            .map(|c| c.amount.value),
    );
    let got = total(&mut stored.iter().map(|c| c.amount));
    assert!(
        (expected - got).abs() < 1e-6 * expected.max(1.0),
        "{expected} != {got}"
    );
    assert_eq!(
        snapshot.coverage.usage_from,
        Some(start_of_day(NOW) - 90 * DAY)
    );

    // A day later, the second scan reads only from its windows.
    noisy_sim.simulator().reset_stats();
    let later = NOW + DAY + 3_600;
    let second = scan(
        &noisy_client,
        store.as_ref(),
        &org.id,
        None,
        &options(later),
    )
    .await
    .unwrap();
    assert_eq!(second.status, ScanStatus::Complete, "{:?}", second.failures);
    assert_eq!(
        second.audit_events_new, 0,
        "the same events again are not new"
    );
    let earliest = noisy_sim.simulator().stats().earliest_time;
    let newest_event = org.audit_logs.iter().map(|e| e.effective_at).max().unwrap();
    assert_eq!(
        earliest["GET /v1/organization/audit_logs"],
        newest_event - 3_600,
        "audit logs from the newest stored event less the overlap"
    );
    let refetch_from = start_of_day(NOW) - 3 * DAY;
    for (route, from) in &earliest {
        if route.contains("/usage/") || route.ends_with("/costs") {
            assert_eq!(
                *from, refetch_from,
                "{route} reads from the re-fetch window"
            );
        }
    }
    assert_eq!(earliest.len(), 12, "audit logs, ten usage kinds and costs");
    // Usage before the window is still there, untouched.
    let kept = store
        .usage(&org.id, Some("completions"), 0, refetch_from)
        .await
        .unwrap();
    assert!(!kept.is_empty());
    let run = store.latest_scan(&org.id).await.unwrap().unwrap();
    let snapshot = load_snapshot(store.as_ref(), &run, 120).await.unwrap();
    assert_eq!(
        snapshot.coverage.usage_from,
        Some(start_of_day(NOW) - 90 * DAY)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_scan_reads_back_as_the_inventory_it_came_from() {
    // The demo and, since it has none, the objects of the kinds read as JSON: every kind.
    let mut scenario = custos_sim::demo::demo_scenario();
    scenario.organizations[0].json_objects = json_objects();
    let org = &scenario.organizations[0];
    let sim = serve(&scenario, SimConfig::default()).await;
    let read_key = org
        .credentials
        .iter()
        .find(|c| c.admin_api_key_id.is_some())
        .map(|c| SecretString::from(c.secret.clone()))
        .unwrap();
    let admin = client(&sim, read_key, None);
    let mut options = options(scenario.now.unwrap_or(NOW));
    for credential in org.credentials.iter().filter(|c| c.project_id.is_some()) {
        let project = credential.project_id.clone().unwrap();
        let key = SecretString::from(credential.secret.clone());
        options
            .project_clients
            .insert(project, client(&sim, key, None));
    }
    let store = custos_store::open("sqlite::memory:").await.unwrap();
    let summary = scan(
        &admin,
        store.as_ref(),
        &org.id,
        org.name.as_deref(),
        &options,
    )
    .await
    .unwrap();
    assert_eq!(summary.status, ScanStatus::Complete);
    let run = store.scan(summary.scan_id).await.unwrap().unwrap();
    let snapshot = load_snapshot(store.as_ref(), &run, 400).await.unwrap();
    // The demo defines no project roles.
    let no_project_roles = [
        Kind::ProjectRole,
        Kind::ProjectUserRole,
        Kind::ProjectGroupRole,
    ];
    let objects = store.objects(run.id, None).await.unwrap();
    records_follow_the_registry(&org.id, &objects, &no_project_roles);

    let direct = custos_scan::collect::collect_inventory(
        &admin,
        &custos_scan::collect::CollectOptions {
            windows: summary.windows.clone(),
            project_clients: options.project_clients.clone(),
            ..custos_scan::collect::CollectOptions::new(options.now, 90)
        },
    )
    .await;
    let sorted = |inventory| {
        let mut r = records(&org.id, inventory, true);
        r.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
        r
    };
    assert_eq!(sorted(&snapshot.inventory), sorted(&direct.inventory));
    let files: Vec<_> = snapshot
        .inventory
        .projects
        .iter()
        .filter(|p| p.files.is_some())
        .collect();
    assert!(
        !files.is_empty(),
        "projects with a key have their files read"
    );
    assert_eq!(
        by_id(&snapshot.inventory.audit_logs),
        by_id(&direct.inventory.audit_logs)
    );
    assert!(snapshot.failures.is_empty());
}

/// The objects of the kinds read as JSON of the simulator's schema fixture (which that fixture
/// validates against `spec/openai-admin-api/sdk-additions.json`).
fn json_objects() -> JsonObjects {
    let fixture = include_str!("../../custos-sim/tests/fixtures/full.json");
    let fixture: Scenario = serde_json::from_str(fixture).expect("the fixture is a scenario");
    fixture.organizations[0].json_objects.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinds_read_as_json_are_stored_by_id_and_a_failed_list_hides_its_kind_only() {
    let mut scenario = generated(5, 1, 1, 1);
    let objects = json_objects();
    let mut json_kinds = Kind::ALL.iter().filter(|kind| kind.info().json);
    assert!(
        json_kinds.all(|kind| objects.contains_key(kind)),
        "the fixture has every kind"
    );
    scenario.organizations[0].json_objects = objects.clone();
    let org_id = scenario.organizations[0].id.clone();
    let store = custos_store::open("sqlite::memory:").await.unwrap();
    let sim = serve(&scenario, SimConfig::default()).await;
    let admin = client(&sim, admin_key(&scenario), None);
    let summary = scan(&admin, store.as_ref(), &org_id, None, &options(NOW))
        .await
        .unwrap();
    assert_eq!(summary.status, ScanStatus::Complete);
    // The store, and so a snapshot, lists a kind's objects by id.
    let as_listed = |objects: &JsonObjects| -> Listed {
        let by_id = |list: &Vec<_>| {
            let mut list: Vec<Value> = list.iter().cloned().map(Value::Object).collect();
            list.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
            list
        };
        objects
            .iter()
            .map(|(kind, list)| (*kind, by_id(list)))
            .collect()
    };
    let stored = store.objects(summary.scan_id, None).await.unwrap();
    for (kind, list) in &as_listed(&objects) {
        let of_kind: Vec<&ObjectRecord> = stored.iter().filter(|o| o.kind == kind.name()).collect();
        let ids: Vec<&str> = of_kind.iter().map(|o| o.id.as_str()).collect();
        let expected: Vec<&str> = list.iter().filter_map(|o| o["id"].as_str()).collect();
        assert_eq!(ids, expected, "{kind}");
        for (record, object) in of_kind.iter().zip(list) {
            assert_eq!(record.project_id, None, "{kind}");
            assert_eq!(&record.data, object, "{kind}");
        }
        assert!(
            summary.counts.contains(&(kind.name(), list.len())),
            "{kind}: {:?}",
            summary.counts
        );
    }
    let run = store.scan(summary.scan_id).await.unwrap().unwrap();
    let snapshot = load_snapshot(store.as_ref(), &run, 10).await.unwrap();
    assert_eq!(snapshot.inventory.listed, as_listed(&objects));

    // One provider id twice: that list cannot be stored, so it fails, whole and alone.
    let mut broken = scenario.clone();
    let providers = broken.organizations[0]
        .json_objects
        .get_mut(&Kind::WorkloadIdentityProvider)
        .unwrap();
    providers.push(providers[0].clone());
    let sim = serve(&broken, SimConfig::default()).await;
    let admin = client(&sim, admin_key(&broken), None);
    let summary = scan(&admin, store.as_ref(), &org_id, None, &options(NOW + 60))
        .await
        .unwrap();
    assert_eq!(summary.status, ScanStatus::Partial);
    let endpoint = "GET /organization/workload_identity_providers";
    let failed: Vec<&str> = summary
        .failures
        .iter()
        .map(|f| f.endpoint.as_str())
        .collect();
    assert_eq!(failed, [endpoint]);
    let run = store.scan(summary.scan_id).await.unwrap().unwrap();
    let recorded = run
        .endpoints
        .iter()
        .find(|e| e.endpoint == endpoint)
        .unwrap();
    assert!(!recorded.ok);
    assert_eq!(recorded.kinds, ["workload_identity_provider"]);
    let snapshot = load_snapshot(store.as_ref(), &run, 10).await.unwrap();
    assert!(snapshot.failed("/organization/workload_identity_providers", None));
    let mut external_keys_only = objects.clone();
    external_keys_only.remove(&Kind::WorkloadIdentityProvider);
    assert_eq!(snapshot.inventory.listed, as_listed(&external_keys_only));
}

/// The stored objects of a scan are of the registry's kinds, every one but `absent`, each in the
/// scope and under the id its entry says.
fn records_follow_the_registry(org_id: &str, objects: &[ObjectRecord], absent: &[Kind]) {
    let mut seen = BTreeSet::new();
    for object in objects {
        let kind: Kind = object.kind.parse().expect("a kind of the registry");
        let info = kind.info();
        let what = format!("{kind} {}", object.id);
        seen.insert(kind);
        let in_project = info.scope == Scope::Project || kind == Kind::Project;
        assert_eq!(object.project_id.is_some(), in_project, "{what}");
        let ancestors = std::iter::successors(info.parent, |p| p.info().parent).count();
        let parts: Vec<&str> = object.id.split('/').collect();
        match info.id {
            IdRule::Own => assert_eq!(parts.len(), 1, "{what}"),
            IdRule::UnderParent => assert_eq!(parts.len(), ancestors + 1, "{what}"),
            IdRule::Owner => {
                let owner = object.project_id.as_deref().unwrap_or(org_id);
                assert_eq!(object.id, owner, "{what}");
            }
        }
    }
    let missing: Vec<Kind> = Kind::ALL
        .iter()
        .copied()
        .filter(|k| !seen.contains(k))
        .collect();
    assert_eq!(missing, absent, "kinds the scan recorded no object of");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_endpoint_makes_the_scan_partial_and_its_data_unknown() {
    let scenario = generated(30, 3, 2, 5);
    let org = &scenario.organizations[0];
    let sim = serve(&scenario, SimConfig::default()).await;
    // A key of another organization's shape that the simulator refuses: every endpoint fails
    // with 401, which the client does not retry.
    let bad = client(
        &sim,
        SecretString::from("sk-admin-not-a-key".to_owned()),
        None,
    );
    let good = client(&sim, admin_key(&scenario), None);
    let store = custos_store::open("sqlite::memory:").await.unwrap();
    let first = scan(&good, store.as_ref(), &org.id, None, &options(NOW))
        .await
        .unwrap();
    assert_eq!(first.status, ScanStatus::Complete);
    let second = scan(&bad, store.as_ref(), &org.id, None, &options(NOW + 60))
        .await
        .unwrap();
    assert_eq!(second.status, ScanStatus::Partial);
    let run = store.scan(second.scan_id).await.unwrap().unwrap();
    let users = run
        .endpoints
        .iter()
        .find(|e| e.endpoint == "GET /organization/users")
        .expect("the users endpoint is recorded");
    assert!(!users.ok);
    assert_eq!(users.status, Some(401));
    assert!(users.kinds.contains(&"user_role".to_owned()));
    // The drift between the two says nothing about users: they are unknown, not removed.
    let before = store.objects(first.scan_id, None).await.unwrap();
    let after = store.objects(second.scan_id, None).await.unwrap();
    let from = store.scan(first.scan_id).await.unwrap().unwrap();
    let diff = custos_scan::diff::diff(&from, &before, &run, &after);
    assert!(
        diff.drift.is_empty(),
        "{:?}",
        &diff.drift[..diff.drift.len().min(3)]
    );
    assert!(diff.unknown.contains(&"user".to_owned()));
    // The audit mark did not move, so the next good scan reads the log from where it was.
    let mark = store.sync_mark(&org.id, "audit_logs").await.unwrap();
    let third = scan(&good, store.as_ref(), &org.id, None, &options(NOW + 120))
        .await
        .unwrap();
    assert_eq!(third.status, ScanStatus::Complete);
    assert_eq!(third.windows.audit_since, mark.map(|m| m - 3_600));
}

/// The stored objects of one scan of `scenario`, and the items its admin-key list received.
async fn scanned_objects(scenario: &Scenario) -> (Vec<ObjectRecord>, u64) {
    let org_id = &scenario.organizations[0].id;
    let store = custos_store::open("sqlite::memory:").await.unwrap();
    let sim = serve(scenario, SimConfig::default()).await;
    let admin = client(&sim, admin_key(scenario), None);
    let summary = scan(&admin, store.as_ref(), org_id, None, &options(NOW))
        .await
        .unwrap();
    assert_eq!(
        summary.status,
        ScanStatus::Complete,
        "{:?}",
        summary.failures
    );
    let run = store.scan(summary.scan_id).await.unwrap().unwrap();
    let admin_list = run
        .endpoints
        .iter()
        .find(|e| e.endpoint == "GET /organization/admin_api_keys")
        .expect("the admin-key list was read");
    let objects = store.objects(summary.scan_id, None).await.unwrap();
    (objects, admin_list.items)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_keys_the_admin_key_list_also_shows_are_stored_once_as_project_keys() {
    let plain = generated(10, 3, 2, 1);
    let mut quirky = plain.clone();
    quirky.organizations[0].quirks.project_keys_in_admin_keys = true;
    let project_keys: usize = plain.organizations[0]
        .projects
        .iter()
        .map(|p| p.api_keys.len())
        .sum();
    assert!(project_keys > 0);

    let (expected, plain_items) = scanned_objects(&plain).await;
    let (stored, quirky_items) = scanned_objects(&quirky).await;
    // The simulator listed every project key as an admin key too ...
    assert_eq!(quirky_items, plain_items + project_keys as u64);
    // ... and the scan stored the same objects, no phantom admin key among them, each project
    // key marked as also listed; without the quirk no record carries the mark.
    assert_eq!(stored.len(), expected.len());
    for (stored, expected) in stored.iter().zip(&expected) {
        let mut marked = expected.clone();
        if marked.kind == "project_api_key" {
            marked.data["also_listed_as_admin_key"] = Value::Bool(true);
        }
        assert!(expected.data.get("also_listed_as_admin_key").is_none());
        assert_eq!(stored, &marked, "{} {}", expected.kind, expected.id);
    }
}
