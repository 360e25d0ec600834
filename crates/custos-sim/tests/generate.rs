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
