//! The generator: deterministic, valid, with the requested counts; the demo is up to date.

use custos_sim::generate::{GenerateOptions, generate};
use custos_sim::scenario::load_str;

fn small() -> GenerateOptions {
    GenerateOptions {
        users: 300,
        projects: 30,
        keys_per_project: 5,
        days: 20,
        seed: 42,
        audit_events: None,
        orgs: 2,
        ..GenerateOptions::default()
    }
}

fn generated(options: &GenerateOptions) -> String {
    let mut out = Vec::new();
    generate(options, &mut out).expect("generate");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn the_output_loads_and_validates_with_the_requested_counts() {
    let options = small();
    let text = generated(&options);
    let scenario = load_str("generated.json", &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scenario.organizations.len(), 2);
    for org in &scenario.organizations {
        assert_eq!(org.users.len(), options.users);
        assert_eq!(org.projects.len(), options.projects);
        let keys: usize = org.projects.iter().map(|p| p.api_keys.len()).sum();
        assert_eq!(keys, options.projects * options.keys_per_project);
        assert_eq!(org.audit_logs.len(), options.users * 5);
        assert_eq!(org.usage.len(), 10, "every usage kind");
    }
}

/// The performance target (100,000 users, 10,000 projects, 200,000 keys, 90 days), as a
/// measurement to run by hand: `cargo test --release -p custos-sim --test generate -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a test: run it in release mode"]
fn generate_at_target_scale() {
    let options = GenerateOptions {
        users: 100_000,
        projects: 10_000,
        keys_per_project: 20,
        days: 90,
        ..GenerateOptions::default()
    };
    let started = std::time::Instant::now();
    let bytes = custos_sim::generate::generate_to_sink(&options).expect("generate");
    println!(
        "generated {:.1} MB in {:.2} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let options = GenerateOptions { orgs: 1, ..small() };
    let first = generated(&options);
    assert_eq!(first, generated(&options), "same seed, different output");
    let other = generated(&GenerateOptions {
        seed: 43,
        ..options.clone()
    });
    assert_ne!(first, other, "another seed gave the same output");
}

#[test]
fn tiny_and_empty_organizations_still_validate() {
    for (users, projects, keys) in [(0, 0, 0), (1, 1, 1), (3, 2, 0), (0, 3, 2)] {
        let options = GenerateOptions {
            users,
            projects,
            keys_per_project: keys,
            days: 2,
            audit_events: Some(10),
            ..GenerateOptions::default()
        };
        let text = generated(&options);
        load_str("tiny.json", &text).unwrap_or_else(|e| panic!("{users}/{projects}/{keys}: {e}"));
    }
}

#[test]
fn generated_organizations_trip_policies_at_realistic_rates() {
    let options = GenerateOptions {
        users: 2_000,
        projects: 200,
        keys_per_project: 10,
        days: 14,
        orgs: 1,
        audit_events: Some(3_000),
        ..GenerateOptions::default()
    };
    let scenario = load_str("big.json", &generated(&options)).expect("valid");
    let org = &scenario.organizations[0];
    let archived = org
        .projects
        .iter()
        .filter(|p| p.project.is_archived())
        .count();
    assert!((10..=35).contains(&archived), "{archived} archived of 200");
    let keys = org.projects.iter().flat_map(|p| &p.api_keys);
    let never_used = keys.clone().filter(|k| k.last_used_at.is_none()).count();
    let inactive = keys
        .clone()
        .filter(|k| k.owner_project_access.as_deref() == Some("inactive"))
        .count();
    assert!(
        never_used > 100 && inactive > 100,
        "{never_used} {inactive}"
    );
    let external = org
        .users
        .iter()
        .filter(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.ends_with("@gmail.com"))
        })
        .count();
    assert!(external > 0);
    let failed = org
        .audit_logs
        .iter()
        .filter(|e| e.kind == "login.failed")
        .count();
    assert!(failed > 100, "{failed}");
    let completions = &org.usage[&custos_model::api::UsageKind::Completions];
    assert!(
        completions.iter().any(|r| r.user_id.is_none()),
        "service-account keys"
    );
    assert!(!org.costs.is_empty());
}

#[test]
fn demo_json_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/demo.json");
    let expected = custos_sim::demo::demo_document();
    if std::env::var_os("CUSTOS_BLESS").is_some() {
        std::fs::write(&path, &expected).expect("write demo.json");
    }
    let actual = std::fs::read_to_string(&path).expect("read demo.json");
    assert!(
        actual == expected,
        "scenarios/demo.json is out of date: run `CUSTOS_BLESS=1 cargo test -p custos-sim --test generate demo_json_is_up_to_date`"
    );
    assert!(
        actual.len() < 3_000_000,
        "demo.json is {} bytes",
        actual.len()
    );
    let scenario = custos_sim::demo::demo_scenario();
    assert_eq!(scenario.organizations[0].id, "org-demo");
}

/// Spot-checks of the problems `scenarios/README.md` lists (the full expected findings come
/// from the policy tests).
#[test]
fn the_demo_contains_the_planted_problems() {
    use custos_model::unix::DAY;
    use custos_sim::demo::DEMO_NOW as NOW;
    let scenario = custos_sim::demo::demo_scenario();
    let org = &scenario.organizations[0];
    let project = |id: &str| {
        org.projects
            .iter()
            .find(|p| p.project.id == id)
            .unwrap_or_else(|| panic!("no {id}"))
    };
    let owners = |id: &str| {
        project(id)
            .users
            .iter()
            .filter(|u| u.role == "owner")
            .count()
    };
    let org_owners = org
        .users
        .iter()
        .filter(|u| u.role.as_deref() == Some("owner"));
    assert_eq!(org_owners.count(), 7);
    assert_eq!(owners("proj_claims"), 12);
    assert_eq!(owners("proj_fraud"), 0);
    assert_eq!(project("proj_marketing").api_keys.len(), 23);
    assert_eq!(project("proj_sales").service_accounts[0].role, "owner");
    assert!(project("proj_legacy").model_permissions.is_none());
    assert!(project("proj_etl").spend_limit.is_none());
    assert!(project("proj_pricing").project.is_archived());
    assert_eq!(project("proj_pricing").api_keys[0].id, "key_pricing_01");

    let invite = org
        .invites
        .iter()
        .find(|i| i.id == "invite-demo-owner")
        .expect("invite");
    assert_eq!(
        (invite.status.as_str(), invite.role.as_str()),
        ("pending", "owner")
    );
    let key = |id: &str| {
        org.projects
            .iter()
            .flat_map(|p| &p.api_keys)
            .find(|k| k.id == id)
            .unwrap_or_else(|| panic!("no {id}"))
    };
    assert_eq!(
        key("key_claims_04").owner_project_access.as_deref(),
        Some("inactive")
    );
    assert!(key("key_search_04").last_used_at.is_none());
    let legacy_ci = org
        .admin_api_keys
        .iter()
        .find(|k| k.id == "key_admin_legacy_ci")
        .expect("key");
    assert!(legacy_ci.expires_at.is_none() && legacy_ci.created_at <= NOW - 90 * DAY);
    let expiring = org
        .certificates
        .iter()
        .find(|c| c.id == "cert_demo_partner_api")
        .expect("cert");
    assert!(
        expiring
            .certificate_details
            .expires_at
            .is_some_and(|t| t > NOW && t <= NOW + 30 * DAY)
    );

    let files = |id: &str| project(id).files[0].content.clone().unwrap_or_default();
    assert!(files("proj_claims").contains("IBAN"));
    assert!(files("proj_etl").contains("sk-proj-"));
    assert!(
        project("proj_search").vector_stores[0]
            .expires_after
            .is_none()
    );

    let burst = org
        .audit_logs
        .iter()
        .filter(|e| {
            e.kind == "login.failed"
                && e.actor.as_ref().and_then(|a| a.user_id()) == Some("user-demo12")
        })
        .count();
    assert_eq!(burst, 6);
    let completions = &org.usage[&custos_model::api::UsageKind::Completions];
    assert!(completions.iter().any(|r| {
        r.model.as_deref() == Some("gpt-3.5-turbo-instruct")
            && r.start_time.is_some_and(|t| t >= NOW - 7 * DAY)
    }));
    let spike = completions
        .iter()
        .find(|r| {
            r.api_key_id.as_deref() == Some("key_translation_01") && r.start_time == Some(NOW - DAY)
        })
        .expect("the spike day");
    assert_eq!(spike.num_model_requests, Some(4_000));
    let month_to_date: f64 = org
        .costs
        .iter()
        .filter(|c| c.start_time.is_some_and(|t| t >= NOW - 19 * DAY))
        .map(|c| c.amount.value)
        .sum();
    let limit = org
        .spend_limit
        .as_ref()
        .expect("an org spend limit")
        .threshold_amount as f64
        / 100.0;
    assert!(
        month_to_date * 30.0 / 19.0 > limit,
        "forecast under the limit"
    );
}
