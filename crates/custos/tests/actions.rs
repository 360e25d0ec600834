//! `custos users` and `custos actions` through the binary against `custos sim serve`: the
//! bootstrap admin, a request, the refusals of self-approval and of an operator approving, an
//! approval, a dry run, an execution verified, and the journal verified.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

const RO: &str = "sk-admin-demo-ro";
const RW: &str = "sk-admin-demo-rw";

fn custos(dir: &std::path::Path, token: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_custos"));
    command
        .current_dir(dir)
        .env("CUSTOS_DB", dir.join("custos.db"))
        .env("CUSTOS_CONFIG", dir.join("custos.toml"))
        .env("CUSTOS_TEST_RO", RO)
        .env("CUSTOS_TEST_RW", RW)
        .env_remove("CUSTOS_TOKEN")
        .env_remove("OPENAI_ADMIN_KEY");
    if let Some(token) = token {
        command.env("CUSTOS_TOKEN", token);
    }
    command
}

fn ok(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn failed(output: Output) -> String {
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn request_approve_execute_and_verify_the_journal() {
    let dir = std::env::temp_dir().join(format!("custos-actions-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.as_path();
    let mut sim = Command::new(env!("CARGO_BIN_EXE_custos"))
        .args(["sim", "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(sim.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_owned();
    std::fs::write(
        dir.join("custos.toml"),
        format!(
            "[[organizations]]\nid = \"org-demo\"\nbase_url = \"{url}\"\n\
             read_key = {{ env = \"CUSTOS_TEST_RO\" }}\nwrite_key = {{ env = \"CUSTOS_TEST_RW\" }}\n"
        ),
    )
    .unwrap();
    let now = custos_sim::demo::DEMO_NOW.to_string();
    ok(custos(dir, None)
        .args(["scan", "--org", "org-demo", "--now", &now])
        .output()
        .unwrap());

    let org = &custos_sim::demo::demo_scenario().organizations[0];
    let owner = org
        .users
        .iter()
        .find(|u| u.role.as_deref() == Some("owner"))
        .unwrap();
    let alice = ok(custos(dir, None)
        .args(["users", "add", "alice", "--role", "admin", "--email"])
        .arg(owner.email.as_deref().unwrap())
        .output()
        .unwrap())
    .trim()
    .to_owned();
    // Without a token, the second principal is refused.
    let err = failed(
        custos(dir, None)
            .args([
                "users",
                "add",
                "bob",
                "--role",
                "operator",
                "--email",
                "bob@x.example",
            ])
            .output()
            .unwrap(),
    );
    assert!(err.contains("no custos token"), "{err}");
    let bob = ok(custos(dir, Some(&alice))
        .args([
            "users",
            "add",
            "bob",
            "--role",
            "operator",
            "--email",
            "bob@x.example",
            "--manager",
            "alice",
        ])
        .output()
        .unwrap())
    .trim()
    .to_owned();
    assert!(!alice.is_empty() && !bob.is_empty());
    let listed = ok(custos(dir, Some(&bob))
        .args(["users", "list", "--format", "csv"])
        .output()
        .unwrap());
    assert!(
        listed.contains("alice,admin") && listed.contains("bob,operator,alice"),
        "{listed}"
    );

    let requested = ok(custos(dir, Some(&bob))
        .args([
            "actions",
            "request",
            "delete-invite",
            "--target",
            "invite-demo-stale",
            "--reason",
            "stale invite",
        ])
        .output()
        .unwrap());
    assert!(
        requested.contains("DELETE /organization/invites/invite-demo-stale"),
        "{requested}"
    );
    let id = requested
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches(':')
        .to_owned();

    let err = failed(
        custos(dir, Some(&bob))
            .args(["actions", "approve", &id])
            .output()
            .unwrap(),
    );
    assert!(err.contains("cannot approve its own request"), "{err}");
    ok(custos(dir, Some(&alice))
        .args(["actions", "approve", &id, "--comment", "ok"])
        .output()
        .unwrap());
    let dry = ok(custos(dir, Some(&alice))
        .args(["actions", "execute", &id, "--dry-run"])
        .output()
        .unwrap());
    assert!(dry.contains("1 call(s) would be sent"), "{dry}");
    let executed = ok(custos(dir, Some(&alice))
        .args(["actions", "execute", &id])
        .output()
        .unwrap());
    assert!(executed.contains("verified"), "{executed}");
    let shown = ok(custos(dir, Some(&bob))
        .args(["actions", "show", &id])
        .output()
        .unwrap());
    assert!(
        shown.contains("approve by alice") && shown.contains("call 0: done"),
        "{shown}"
    );
    let journal = ok(custos(dir, Some(&bob))
        .args(["actions", "journal", "verify"])
        .output()
        .unwrap());
    assert!(journal.contains("journal intact"), "{journal}");
    // The head it prints is an anchor: checked back, it holds; one beyond the journal is a
    // truncation.
    let head = journal
        .lines()
        .find_map(|line| line.strip_prefix("head: "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no head in {journal}"))
        .to_owned();
    let anchored = ok(custos(dir, Some(&bob))
        .args(["actions", "journal", "verify", "--expect", &head])
        .output()
        .unwrap());
    assert!(
        anchored.contains("1 anchor(s) found unchanged"),
        "{anchored}"
    );
    let (seq, hash) = head.split_once(':').unwrap();
    let beyond = format!("{}:{hash}", seq.parse::<i64>().unwrap() + 1);
    let truncated = failed(
        custos(dir, Some(&bob))
            .args(["actions", "journal", "verify", "--expect", &beyond])
            .output()
            .unwrap(),
    );
    assert!(
        truncated.contains("TAMPERED") && truncated.contains("truncated"),
        "{truncated}"
    );
    let malformed = failed(
        custos(dir, Some(&bob))
            .args(["actions", "journal", "verify", "--expect", "7"])
            .output()
            .unwrap(),
    );
    assert!(malformed.contains("SEQ:HASH"), "{malformed}");

    sim.kill().unwrap();
    let _ = sim.wait();
    let _ = std::fs::remove_dir_all(dir);
}
