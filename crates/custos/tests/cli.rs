//! The command-line contract, driven through the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn custos() -> Command {
    Command::new(env!("CARGO_BIN_EXE_custos"))
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("custos-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn sim_serve_prints_its_url_first_and_answers() {
    let mut child = custos()
        .args(["sim", "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn custos sim serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("first line");
    let url = first.trim().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/v1"),
        "{url}"
    );
    let stats_url = url.trim_end_matches("/v1").to_owned() + "/_sim/stats";
    let _ = rustls::crypto::ring::default_provider().install_default();
    let answer = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async { reqwest::get(&stats_url).await?.text().await })
    })
    .join()
    .expect("thread");
    child.kill().expect("kill");
    let _ = child.wait();
    let body = answer.expect("the simulator answers /_sim/stats");
    assert!(body.contains("\"requests\""), "{body}");
}

#[test]
fn sim_generate_is_deterministic_and_validates() {
    let dir = temp_dir("generate");
    let generate = |seed: &str, file: &str| {
        let path = dir.join(file);
        let status = custos()
            .args([
                "sim",
                "generate",
                "--users",
                "40",
                "--projects",
                "5",
                "--days",
                "5",
            ])
            .args(["--seed", seed, "--out"])
            .arg(&path)
            .status()
            .expect("run generate");
        assert!(status.success());
        std::fs::read(path).expect("generated file")
    };
    let first = generate("3", "a.json");
    assert_eq!(first, generate("3", "b.json"), "same seed, same bytes");
    assert_ne!(
        first,
        generate("4", "c.json"),
        "another seed, another organization"
    );
    let output = custos()
        .args(["sim", "validate"])
        .arg(dir.join("a.json"))
        .output()
        .expect("run validate");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_bad_scenario_exits_1_naming_file_path_and_expectation() {
    let dir = temp_dir("bad");
    let path = dir.join("broken.json");
    std::fs::write(
        &path,
        r#"{"format": "custos-scenario/1", "organizations": [{"id": "org-x", "users": [
            {"object": "organization.user", "id": "user_1", "added_at": "yesterday"}]}]}"#,
    )
    .expect("write");
    let output = custos()
        .args(["sim", "validate"])
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.json"), "{stderr}");
    assert!(
        stderr.contains("organizations[0].users[0].added_at"),
        "{stderr}"
    );
    assert!(stderr.contains("Unix seconds"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let output = custos()
        .args(["sim", "serve", "--fault-rate", "7"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn the_demo_lists_every_kind_without_leaking_secrets() {
    let output = custos()
        .args(["demo", "--no-serve"])
        .output()
        .expect("run demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for kind in [
        "users",
        "invites",
        "admin API keys",
        "project API keys",
        "audit events",
        "usage: completions",
        "cost results",
    ] {
        assert!(
            stdout.contains(kind),
            "the demo does not list {kind}:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("unknown:"),
        "the demo walk failed somewhere:\n{stdout}"
    );
    // Every secret the simulator accepts stays out of what the demo prints.
    let scenario = custos_sim::demo::demo_scenario();
    for credential in scenario.organizations.iter().flat_map(|o| &o.credentials) {
        assert!(!stdout.contains(&credential.secret) && !stderr.contains(&credential.secret));
    }
}

/// Issue 21, failure 8: 100,000 `[` took 35 s to refuse; a policy file at the 1 MiB limit is
/// refused by the nesting check before the YAML parser sees it.
#[test]
fn policies_validate_refuses_deeply_nested_yaml_naming_the_file_and_the_limit() {
    let dir = temp_dir("deep-yaml");
    std::fs::write(dir.join("deep.yaml"), "[".repeat(1 << 20)).unwrap();
    let output = custos()
        .args(["policies", "validate"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("deep.yaml:1:"), "{text}");
    assert!(text.contains("limit of 48 levels"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
