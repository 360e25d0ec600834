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

/// The binary with none of the developer's environment pointing it at a store or a config.
fn isolated(dir: &std::path::Path) -> Command {
    let mut command = custos();
    command
        .current_dir(dir)
        .env_remove("CUSTOS_DB")
        .env_remove("CUSTOS_CONFIG")
        .env_remove("CUSTOS_MASTER_KEY")
        .env_remove("CUSTOS_MASTER_KEY_FILE")
        .env_remove("CUSTOS_TOKEN");
    command
}

fn refused(command: &mut Command, code: i32, expected: &[&str]) {
    let output = command.output().expect("run custos");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{command:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for part in expected {
        assert!(
            stderr.contains(part),
            "{command:?}: no {part:?} in {stderr}"
        );
    }
}

#[test]
fn absurd_numbers_dates_and_ids_are_refused_naming_the_key_or_flag_and_the_range() {
    let dir = temp_dir("bounds");
    for (setting, range) in [
        ("concurrency = 2305843009213693952", "1..=256"),
        ("history_days = 100000", "1..=3650"),
    ] {
        let config = dir.join("custos.toml");
        std::fs::write(&config, format!("[scan]\n{setting}\n")).expect("config");
        let key = setting.split(' ').next().expect("key");
        refused(
            isolated(&dir)
                .args(["scan", "--org", "org-x", "--config"])
                .arg(&config)
                .env("OPENAI_ADMIN_KEY", "sk-admin-unused"),
            1,
            &[
                "custos.toml",
                &format!("scan.{key}"),
                range,
                "remove the key",
            ],
        );
    }
    std::fs::remove_file(dir.join("custos.toml")).expect("remove config");
    let bounds = "1970-01-01 to 3000-01-01";
    refused(
        isolated(&dir).args(["findings", "--as-of", "9999-12-31"]),
        2,
        &["--as-of", bounds],
    );
    refused(
        isolated(&dir).args(["report", "monthly", "--as-of", "3000-01-02"]),
        2,
        &["--as-of", bounds],
    );
    refused(
        isolated(&dir).args([
            "evidence",
            "export",
            "--out",
            "p",
            "--from",
            "2026-01-01",
            "--to",
            "99999-01-01",
        ]),
        2,
        &["--to"],
    );
    for ttl in ["0", "100000", "-1"] {
        refused(
            isolated(&dir).args([
                "actions",
                "request",
                "delete-project-key",
                "--reason",
                "r",
                &format!("--ttl-hours={ttl}"),
            ]),
            2,
            &["--ttl-hours", "1..=720"],
        );
    }
    refused(
        isolated(&dir).args(["sim", "serve", "--latency-ms", "18446744073709551615"]),
        2,
        &["--latency-ms", "0..=60000"],
    );
    refused(
        isolated(&dir).args(["sim", "serve", "--rate-limit", "0"]),
        2,
        &["--rate-limit", "1..=1000000"],
    );
    refused(
        isolated(&dir).args(["sim", "generate", "--users", "1000000000000"]),
        2,
        &["--users", "0..=1000000"],
    );
    for id in ["org-a/../b", "org-..", "org-a\nforged", "../../etc"] {
        refused(
            isolated(&dir).args(["orgs", "add", id, "--key-stdin"]),
            2,
            &["is not an organization id"],
        );
    }
    assert!(!dir.join("custos.db").exists(), "nothing was written");
}

/// Issue 13, items 4 and 5: the configuration is validated whole before a store is opened or a
/// request sent: an unknown provider names its line and the known ones, and policy settings
/// are resolved for every configured organization.
#[test]
fn an_unknown_provider_or_bad_organization_settings_are_refused_before_anything_runs() {
    let dir = temp_dir("valid-config");
    let config = dir.join("custos.toml");
    let organization =
        "[[organizations]]\nid = \"org-x\"\nread_key = { env = \"OPENAI_ADMIN_KEY\" }\n";
    for (extra, expected) in [
        (
            "provider = \"anthropic\"\n",
            vec![
                "custos.toml: line 4: organizations[0].provider = \"anthropic\" is not a known provider",
                "known providers: openai",
            ],
        ),
        (
            "[organizations.policies.openai-org-too-many-owners]\nparams = { max_ownres = 3 }\n",
            vec![
                "the policy settings in the config are invalid",
                "organizations[0] (org-x) policies",
                "max_ownres",
            ],
        ),
    ] {
        std::fs::write(&config, format!("{organization}{extra}")).expect("config");
        refused(
            isolated(&dir)
                .args(["scan", "--base-url", "http://127.0.0.1:9", "--config"])
                .arg(&config)
                .env("OPENAI_ADMIN_KEY", "sk-admin-unused"),
            1,
            &expected,
        );
        assert!(!dir.join("custos.db").exists(), "no store was opened");
    }
    std::fs::write(&config, format!("{organization}provider = \"openai\"\n")).expect("config");
    let named = isolated(&dir)
        .args(["policies", "list", "--config"])
        .arg(&config)
        .output()
        .expect("run custos");
    assert!(
        named.status.success(),
        "provider = \"openai\" is accepted: {named:?}"
    );
}

#[test]
fn an_explicit_config_must_exist_and_only_commands_that_read_it_take_it() {
    let dir = temp_dir("config-flag");
    refused(
        isolated(&dir).args(["findings", "--config", "missing.toml"]),
        2,
        &["--config", "missing.toml is not a file"],
    );
    refused(
        isolated(&dir)
            .args(["policies", "list"])
            .env("CUSTOS_CONFIG", dir.join("missing.toml")),
        2,
        &["missing.toml is not a file"],
    );
    // A command that never reads the configuration does not take the flag at all.
    std::fs::write(dir.join("real.toml"), "").expect("config");
    for command in [
        &["scans"][..],
        &["inventory", "user"],
        &["evidence", "keygen"],
    ] {
        refused(
            isolated(&dir).args(command).args(["--config", "real.toml"]),
            2,
            &["unexpected argument '--config'"],
        );
    }
    let listed = isolated(&dir)
        .args(["policies", "list", "--config", "real.toml"])
        .output()
        .expect("run");
    assert!(listed.status.success(), "{listed:?}");
}

/// A hostile organization: a project name with terminal escapes and a newline, one that is a
/// spreadsheet formula, and one of 5 MB. Tables show them neutralised and cut (with a note),
/// CSV quotes the formula, JSON keeps everything whole.
#[test]
fn hostile_api_strings_are_neutralised_quoted_and_cut_on_output() {
    let dir = temp_dir("hostile");
    let escape = "\u{1b}]0;pwned\u{7}\u{1b}[2Jclear\nforged │ row";
    let formula = "=HYPERLINK(\"http://evil.example\")";
    let long = "n".repeat(5 << 20);
    let mut scenario = custos_sim::demo::demo_scenario();
    let projects = &mut scenario.organizations[0].projects;
    projects[0].project.name = Some(escape.to_owned());
    projects[1].project.name = Some(formula.to_owned());
    projects[2].project.name = Some(long.clone());
    let file = dir.join("hostile.json");
    std::fs::write(&file, serde_json::to_vec(&scenario).expect("json")).expect("scenario");
    let key = scenario.organizations[0]
        .credentials
        .iter()
        .find(|c| c.admin_api_key_id.is_some())
        .expect("an admin key")
        .secret
        .clone();
    let org = scenario.organizations[0].id.clone();

    let mut sim = isolated(&dir)
        .args(["sim", "serve", "--scenario"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the simulator");
    let mut url = String::new();
    BufReader::new(sim.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("url");
    std::fs::write(
        dir.join("custos.toml"),
        "[scan]\nrequests_per_second = 5000\n",
    )
    .expect("config");
    let scanned = isolated(&dir)
        .args(["scan", "--org", &org, "--base-url", url.trim()])
        .env("OPENAI_ADMIN_KEY", &key)
        .output()
        .expect("scan");
    let _ = sim.kill();
    let _ = sim.wait();
    assert!(
        scanned.status.success(),
        "{}",
        String::from_utf8_lossy(&scanned.stderr)
    );

    let inventory = |format: &str| {
        let output = isolated(&dir)
            .args(["inventory", "project", "--format", format])
            .output()
            .expect("inventory");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).expect("utf-8")
    };
    let table = inventory("table");
    assert!(
        !table.contains(['\u{1b}', '\u{7}']),
        "a raw escape reached the terminal"
    );
    assert!(
        table.contains("\\u{1b}]0;pwned\\u{7}\\u{1b}[2Jclear\\u{a}forged"),
        "{table}"
    );
    assert!(
        table
            .lines()
            .all(|line| !line.contains("forged") || line.contains("\\u{a}forged")),
        "a newline forged a row:\n{table}"
    );
    assert!(table.len() < 64 << 10, "the table is {} bytes", table.len());
    assert!(
        table.contains("1 cell(s) longer than 200 characters were cut"),
        "{table}"
    );

    let csv = inventory("csv");
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
        "{csv}"
    );
    assert!(csv.contains(&long), "CSV keeps the long name whole");
    let json = inventory("json");
    assert!(
        json.contains(&long) && json.contains("\\u001b]0;pwned"),
        "JSON keeps every value"
    );
}

#[test]
fn list_all_and_show_are_subcommands_that_help_names() {
    let dir = temp_dir("subcommands");
    for (command, subcommands) in [
        ("report", &["list", "all", "show"][..]),
        ("segment", &["list", "show"]),
        ("inventory", &["kinds", "show"]),
    ] {
        let help = isolated(&dir)
            .args([command, "--help"])
            .output()
            .expect("help");
        let help = String::from_utf8_lossy(&help.stdout);
        for subcommand in subcommands {
            assert!(
                help.lines()
                    .any(|line| line.trim_start().starts_with(&format!("{subcommand} "))),
                "custos {command} --help does not list {subcommand}: {help}"
            );
        }
    }
    // Spellings that did not change run without a note.
    for listing in [
        &["report", "list"][..],
        &["segment", "list"],
        &["inventory", "kinds", "--format", "json"],
    ] {
        let output = isolated(&dir).args(listing).output().expect("list");
        assert!(output.status.success(), "{listing:?}");
        assert!(!output.stdout.is_empty(), "{listing:?}");
        assert!(output.stderr.is_empty(), "{listing:?}: {:?}", output.stderr);
    }
    let kinds: Vec<Vec<String>> = serde_json::from_slice(
        &isolated(&dir)
            .args(["inventory", "kinds", "--format", "json"])
            .output()
            .expect("kinds")
            .stdout,
    )
    .expect("kinds as JSON");
    assert!(kinds.iter().any(|row| row[0] == "user"), "{kinds:?}");
    // Each subcommand has its own flags: `report all` needs a folder, `list` takes none, and a
    // command without its subcommand or name is a usage error.
    refused(isolated(&dir).args(["report", "all"]), 2, &["--out <OUT>"]);
    refused(
        isolated(&dir).args(["report", "list", "--format", "json"]),
        2,
        &["unexpected argument '--format'"],
    );
    for bare in ["report", "segment", "inventory"] {
        refused(isolated(&dir).arg(bare), 2, &["Usage:"]);
    }
    // A flag nothing read is gone.
    refused(
        isolated(&dir).args(["demo", "--port", "8080", "--no-serve"]),
        2,
        &["unexpected argument '--port'"],
    );
}

#[test]
fn severities_and_statuses_are_checked_by_the_parser_which_lists_them() {
    let dir = temp_dir("enums");
    let severities = "critical, high, medium, low, info";
    let statuses = "open, resolved, suppressed, all";
    for flag in ["--severity", "--fail-on"] {
        refused(
            isolated(&dir).args(["findings", flag, "severe"]),
            2,
            &[flag, "severe", severities],
        );
    }
    refused(
        isolated(&dir).args(["findings", "--status", "closed"]),
        2,
        &["--status", "closed", statuses],
    );
    let help = isolated(&dir)
        .args(["findings", "--help"])
        .output()
        .expect("help");
    // Clap wraps long lines: compare with the line breaks and indents taken out.
    let help = String::from_utf8_lossy(&help.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(help.contains(severities), "{help}");
    assert!(help.contains(statuses), "{help}");
    assert!(help.contains("[default: open]"), "{help}");
    // Severities are taken in any case, as before; a store that is missing is then the error.
    refused(
        isolated(&dir).args(["findings", "--severity", "HIGH", "--db", "missing.db"]),
        1,
        &["there is no store at"],
    );
}

#[test]
fn completions_and_manual_pages_cover_every_command() {
    let dir = temp_dir("completions");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = isolated(&dir)
            .args(["completions", shell])
            .output()
            .expect("completions");
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        for name in ["report", "segment", "inventory", "kinds", "findings"] {
            assert!(script.contains(name), "{shell} completions lack {name}");
        }
    }
    refused(
        isolated(&dir).args(["completions", "tcsh"]),
        2,
        &["possible values: bash"],
    );
    let top = isolated(&dir).arg("man").output().expect("man");
    assert!(top.status.success());
    let page = String::from_utf8_lossy(&top.stdout);
    assert!(page.contains(".TH custos 1"), "{page}");
    assert!(page.contains("report"), "{page}");

    let pages = dir.join("man");
    let written = isolated(&dir)
        .args(["man", "--out"])
        .arg(&pages)
        .output()
        .expect("man --out");
    assert!(written.status.success(), "{written:?}");
    for page in [
        "custos.1",
        "custos-report.1",
        "custos-report-show.1",
        "custos-inventory-kinds.1",
    ] {
        let text =
            std::fs::read_to_string(pages.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_reader_that_closes_stdout_early_ends_the_command_quietly() {
    // `custos completions bash | head -1`: the script is far larger than a pipe's buffer, so
    // the command is still writing when its reader goes.
    let mut child = custos()
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    assert!(first_line.starts_with("_custos"), "{first_line}");
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(141), "SIGPIPE's status");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "no panic, no error"
    );
}
