//! Times the whole built-in catalogue on a large synthetic organization:
//! 100,000 users, 10,000 projects, 500,000 project keys, 1,000,000 usage results (plus costs and
//! audit events), and prints the time and the peak resident memory.
//!
//! `cargo run --release -p custos-policy --example bench_catalogue`
//! Targets: under 3 s and under 2 GB.

mod common;

use custos_model::api::{
    AuditActor, AuditLog, AuditSession, AuditUser, CostResult, KeyOwnerUser, Project,
    ProjectApiKey, ProjectApiKeyOwner, ProjectUser, UsageKind, UsageResult, User,
};
use custos_model::inventory::{Coverage, ProjectInventory, Snapshot};
use custos_model::page::Bucket;
use custos_model::usage::Amount;
use custos_policy::{PolicySettings, Registry, SettingsMap, Verdict, evaluate_all};
use serde_json::json;
use std::time::Instant;

const USERS: usize = 100_000;
const PROJECTS: usize = 10_000;
const KEYS: usize = 500_000;
const USAGE_RESULTS: usize = 1_000_000;
const DAYS: i64 = 60;
use custos_model::unix::DAY;
/// 2025-06-15T12:00:00Z.
const AS_OF: i64 = 1_749_988_800;
const MODELS: [&str; 5] = [
    "gpt-4o",
    "gpt-4o-mini",
    "o3",
    "text-embedding-3-small",
    "dall-e-3",
];

/// A tiny deterministic generator, so that runs are comparable.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn build() -> Snapshot {
    let mut rng = Lcg(42);
    let start = AS_OF - DAYS * DAY;
    let users: Vec<User> = (0..USERS)
        .map(|i| User {
            object: "organization.user".into(),
            id: format!("user-{i:06}"),
            name: None,
            email: Some(format!(
                "u{i}@{}",
                if i % 50 == 0 {
                    "gmail.com"
                } else {
                    "example.com"
                }
            )),
            role: Some(if i % 10_000 == 0 { "owner" } else { "reader" }.into()),
            added_at: start - (rng.below(400) as i64) * DAY,
            extra: Default::default(),
        })
        .collect();
    let keys_per_project = KEYS / PROJECTS;
    let projects: Vec<ProjectInventory> = (0..PROJECTS)
        .map(|p| {
            let project_id = format!("proj-{p:05}");
            let mut inventory = ProjectInventory::new(Project {
                object: "organization.project".into(),
                id: project_id.clone(),
                name: Some(format!("Project {p}")),
                created_at: start - (rng.below(300) as i64) * DAY,
                archived_at: (p % 20 == 0).then_some(start),
                status: Some(if p % 20 == 0 { "archived" } else { "active" }.into()),
                extra: Default::default(),
            });
            inventory.users = (0..5)
                .map(|u| ProjectUser {
                    object: "organization.project.user".into(),
                    id: format!("user-{:06}", rng.below(USERS)),
                    name: None,
                    email: None,
                    role: if u == 0 { "owner" } else { "member" }.into(),
                    added_at: start,
                    extra: Default::default(),
                })
                .collect();
            inventory.api_keys = (0..keys_per_project)
                .map(|k| ProjectApiKey {
                    object: "organization.project.api_key".into(),
                    id: format!("key-{p:05}-{k:02}"),
                    name: Some(format!("key {k}")),
                    redacted_value: None,
                    created_at: start - (rng.below(200) as i64) * DAY,
                    last_used_at: (k % 3 != 0).then(|| AS_OF - (rng.below(150) as i64) * DAY),
                    also_listed_as_admin_key: false,
                    owner_project_access: Some("active".into()),
                    owner: ProjectApiKeyOwner {
                        kind: Some("user".into()),
                        user: Some(KeyOwnerUser {
                            // Some owners are no longer organization users.
                            id: format!("user-{:06}", rng.below(USERS + USERS / 100)),
                            email: None,
                            name: None,
                            created_at: None,
                            role: None,
                            extra: Default::default(),
                        }),
                        service_account: None,
                        extra: Default::default(),
                    },
                    extra: Default::default(),
                })
                .collect();
            if p % 2 == 0 {
                inventory.model_permissions = Some(
                    serde_json::from_value(json!({"mode": "allow_list", "model_ids": ["gpt-4o"]}))
                        .unwrap_or_else(|e| panic!("model permissions: {e}")),
                );
            }
            inventory
        })
        .collect();

    let per_day = USAGE_RESULTS / DAYS as usize;
    let usage_buckets: Vec<Bucket<UsageResult>> = (0..DAYS)
        .map(|d| Bucket {
            object: "bucket".into(),
            start_time: start + d * DAY,
            end_time: start + (d + 1) * DAY,
            results: (0..per_day)
                .map(|_| {
                    let p = rng.below(PROJECTS);
                    UsageResult {
                        object: "organization.usage.completions.result".into(),
                        start_time: None,
                        project_id: Some(format!("proj-{p:05}")),
                        user_id: Some(format!("user-{:06}", rng.below(USERS))),
                        api_key_id: Some(format!("key-{p:05}-{:02}", rng.below(keys_per_project))),
                        model: Some(MODELS[rng.below(MODELS.len())].into()),
                        input_tokens: Some(1_000),
                        output_tokens: Some(200),
                        num_model_requests: Some(1 + rng.below(2_000) as i64),
                        extra: Default::default(),
                    }
                })
                .collect(),
        })
        .collect();
    let cost_buckets: Vec<Bucket<CostResult>> = (0..DAYS)
        .map(|d| Bucket {
            object: "bucket".into(),
            start_time: start + d * DAY,
            end_time: start + (d + 1) * DAY,
            results: (0..PROJECTS)
                .step_by(2)
                .map(|p| CostResult {
                    object: "organization.costs.result".into(),
                    start_time: None,
                    amount: Amount {
                        value: rng.below(5_000) as f64 / 100.0,
                        currency: "usd".into(),
                    },
                    line_item: Some("gpt-4o, input".into()),
                    project_id: Some(format!("proj-{p:05}")),
                    api_key_id: None,
                    quantity: None,
                    quantity_unit: None,
                    extra: Default::default(),
                })
                .collect(),
        })
        .collect();
    let audit_logs: Vec<AuditLog> = (0..200_000)
        .map(|i| AuditLog {
            id: format!("audit-{i:07}"),
            kind: if i % 7 == 0 {
                "login.failed"
            } else {
                "login.succeeded"
            }
            .into(),
            effective_at: start + (rng.below((DAYS * DAY) as usize) as i64),
            project: None,
            actor: Some(AuditActor {
                kind: Some("session".into()),
                session: Some(AuditSession {
                    user: Some(AuditUser {
                        id: Some(format!("user-{:06}", rng.below(USERS))),
                        email: None,
                        extra: Default::default(),
                    }),
                    ip_address: None,
                    extra: Default::default(),
                }),
                api_key: None,
                extra: Default::default(),
            }),
            extra: Default::default(),
        })
        .collect();

    let mut snapshot = Snapshot {
        org_id: "org-bench".into(),
        collected_at: AS_OF,
        coverage: Coverage {
            audit_from: Some(start),
            usage_from: Some(start),
            costs_from: Some(start),
        },
        ..Default::default()
    };
    snapshot.inventory.users = users;
    snapshot.inventory.projects = projects;
    snapshot
        .inventory
        .usage
        .insert(UsageKind::Completions, usage_buckets);
    snapshot.inventory.costs = cost_buckets;
    snapshot.inventory.audit_logs = audit_logs;
    snapshot
}

fn main() {
    let started = Instant::now();
    let snapshot = build();
    let built_in = started.elapsed();
    let rss_after_build = common::peak_rss_kb().unwrap_or(0);

    // Give the allow-list policies something to evaluate instead of one indeterminate result.
    let global: SettingsMap = [
        (
            "openai-user-external",
            json!({"params": {"allowed_domains": ["example.com"]}}),
        ),
        (
            "openai-invite-external-domain",
            json!({"params": {"allowed_domains": ["example.com"]}}),
        ),
        (
            "openai-model-not-allowed",
            json!({"params": {"allowed_models": ["gpt-4o*", "o3", "text-embedding-*"]}}),
        ),
    ]
    .into_iter()
    .map(|(id, value)| {
        let settings: PolicySettings =
            serde_json::from_value(value).unwrap_or_else(|e| panic!("settings: {e}"));
        (id.to_owned(), settings)
    })
    .collect();
    let resolved = match Registry::builtin().resolve(&global, &SettingsMap::new()) {
        Ok(resolved) => resolved,
        Err(errors) => panic!("settings: {errors:?}"),
    };

    let keep = common::keep_from_args();

    // `--per-policy`: time each policy alone first, to find the slow ones.
    if std::env::args().any(|a| a == "--per-policy") {
        for policy in &resolved {
            let one = Instant::now();
            let outcomes = evaluate_all(std::slice::from_ref(policy), &snapshot, AS_OF, keep);
            println!(
                "{:>8.3} s {:>8} outcomes  {}",
                one.elapsed().as_secs_f64(),
                outcomes.len(),
                policy.check.meta().id
            );
        }
    }

    let evaluated = common::evaluate(&resolved, &snapshot, AS_OF, keep);
    let peak = common::peak_rss_kb().unwrap_or(0);
    println!(
        "snapshot: {USERS} users, {PROJECTS} projects, {KEYS} keys, {USAGE_RESULTS} usage results, built in {:.2} s (peak RSS {} MB)",
        built_in.as_secs_f64(),
        rss_after_build / 1024
    );
    println!(
        "evaluate_each ({}): {} policies, {} outcomes ({} pass, {} fail, {} indeterminate) in {:.3} s",
        common::handling(keep),
        resolved.len(),
        [Verdict::Pass, Verdict::Fail, Verdict::Indeterminate]
            .map(|verdict| evaluated.count(verdict))
            .iter()
            .sum::<usize>(),
        evaluated.count(Verdict::Pass),
        evaluated.count(Verdict::Fail),
        evaluated.count(Verdict::Indeterminate),
        evaluated.elapsed.as_secs_f64()
    );
    println!("peak RSS (VmHWM): {} MB", peak / 1024);
}
