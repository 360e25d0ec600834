//! Times one custom CEL policy over 500,000 project keys (10,000 projects of 50 keys), and
//! prints the time and the peak resident memory.
//!
//! `cargo run --release -p custos-policy --example bench_custom`
//! Target: under 2 s.

mod common;

use custos_model::api::{KeyOwnerUser, Project, ProjectApiKey, ProjectApiKeyOwner};
use custos_model::inventory::{ProjectInventory, Snapshot};
use custos_policy::{Registry, SettingsMap, Verdict, custom};
use std::path::Path;

const PROJECTS: usize = 10_000;
const KEYS_PER_PROJECT: usize = 50;
use custos_model::unix::DAY;
/// 2025-06-15T12:00:00Z.
const AS_OF: i64 = 1_749_988_800;

const POLICY: &str = r#"id: bench-old-user-keys
title: Old key of a user
resource: project_api_key
severity: medium
filters:
  - 'resource.owner.type == "user"'
  - 'age_days(resource.created_at) > params.max_age'
params: { max_age: 90 }
message: "Key {{resource.id}} in {{project.name}} is {{age_days(resource.created_at)}} days old"
"#;

fn key(project: usize, index: usize) -> ProjectApiKey {
    ProjectApiKey {
        object: "organization.project.api_key".into(),
        id: format!("key-{project:05}-{index:02}"),
        name: Some(format!("key {index}")),
        redacted_value: Some("sk-...abcd".into()),
        created_at: AS_OF - ((project * 7 + index * 13) % 200) as i64 * DAY,
        last_used_at: (!index.is_multiple_of(3)).then_some(AS_OF - DAY),
        also_listed_as_admin_key: false,
        owner_project_access: Some("active".into()),
        owner: ProjectApiKeyOwner {
            kind: Some("user".into()),
            user: Some(KeyOwnerUser {
                id: format!("user-{:06}", (project * KEYS_PER_PROJECT + index) % 100_000),
                email: None,
                name: None,
                created_at: None,
                role: Some("owner".into()),
                extra: Default::default(),
            }),
            service_account: None,
            extra: Default::default(),
        },
        extra: Default::default(),
    }
}

fn build() -> Snapshot {
    let projects = (0..PROJECTS)
        .map(|p| {
            let mut inventory = ProjectInventory::new(Project {
                object: "organization.project".into(),
                id: format!("proj-{p:05}"),
                name: Some(format!("Project {p}")),
                created_at: 0,
                archived_at: None,
                status: Some("active".into()),
                extra: Default::default(),
            });
            inventory.api_keys = (0..KEYS_PER_PROJECT).map(|k| key(p, k)).collect();
            inventory
        })
        .collect();
    let mut snapshot = Snapshot {
        org_id: "org-bench".into(),
        collected_at: AS_OF,
        ..Default::default()
    };
    snapshot.inventory.projects = projects;
    snapshot
}

fn main() {
    let snapshot = build();
    let policy = match custom::load_str(Path::new("bench.yaml"), POLICY) {
        Ok(policy) => policy,
        Err(errors) => panic!("{errors:?}"),
    };
    let registry = match Registry::default().with_custom([policy]) {
        Ok(registry) => registry,
        Err(error) => panic!("{error}"),
    };
    let resolved = match registry.resolve(&SettingsMap::new(), &SettingsMap::new()) {
        Ok(resolved) => resolved,
        Err(errors) => panic!("{errors:?}"),
    };
    let rss_after_build = common::peak_rss_kb().unwrap_or(0);
    let keep = common::keep_from_args();
    let evaluated = common::evaluate(&resolved, &snapshot, AS_OF, keep);
    println!(
        "one custom CEL policy over {} keys ({}): {} pass, {} fail, {} indeterminate in {:.3} s",
        PROJECTS * KEYS_PER_PROJECT,
        common::handling(keep),
        evaluated.count(Verdict::Pass),
        evaluated.count(Verdict::Fail),
        evaluated.count(Verdict::Indeterminate),
        evaluated.elapsed.as_secs_f64()
    );
    println!(
        "peak RSS (VmHWM): {} MB (after building the snapshot: {} MB)",
        common::peak_rss_kb().unwrap_or(0) / 1024,
        rss_after_build / 1024
    );
}
