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

/// A scanned demo organization served by `custos sim serve`, with alice (admin, an owner) and
/// bob (operator, managed by alice), and the simulator's base URL.
struct Setup {
    dir: std::path::PathBuf,
    sim: std::process::Child,
    url: String,
    alice: String,
    bob: String,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = self.sim.kill();
        let _ = self.sim.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every API request the simulator received, from `/_sim/stats`.
fn sim_requests(url: &str) -> u64 {
    use std::io::{Read, Write};
    let authority = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&authority).unwrap();
    write!(
        stream,
        "GET /_sim/stats HTTP/1.0\r\nHost: {authority}\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    let stats: serde_json::Value = serde_json::from_str(body).unwrap();
    stats["requests"].as_u64().unwrap()
}

fn setup(name: &str) -> Setup {
    let dir = std::env::temp_dir().join(format!("custos-{name}-{}", std::process::id()));
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
    Setup {
        dir: dir.to_owned(),
        sim,
        url,
        alice,
        bob,
    }
}

#[test]
fn request_approve_execute_and_verify_the_journal() {
    let setup = setup("actions-cli");
    let (dir, alice, bob) = (setup.dir.as_path(), setup.alice.clone(), setup.bob.clone());
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
}

#[test]
fn a_database_writer_cannot_execute_and_journal_verify_reports_it() {
    let setup = setup("actions-tamper-cli");
    let (dir, alice, bob) = (setup.dir.as_path(), &setup.alice, &setup.bob);
    let anchor = std::fs::read_to_string(dir.join("custos.anchor")).unwrap();
    assert!(anchor.starts_with("ed25519:"), "{anchor}");
    let requested = ok(custos(dir, Some(bob))
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
    let id: i64 = requested
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches(':')
        .parse()
        .unwrap();
    // bob holds the store file: he approves his own request in its rows.
    let db = rusqlite::Connection::open(dir.join("custos.db")).unwrap();
    db.execute(
        "INSERT INTO approvals (action_id, principal, decision, plan_hash, at, comment) \
         SELECT id, 'alice', 'approve', plan_hash, 0, '' FROM actions WHERE id = ?1",
        [id],
    )
    .unwrap();
    db.execute("UPDATE actions SET status = 'approved' WHERE id = ?1", [id])
        .unwrap();
    drop(db);
    let before = sim_requests(&setup.url);
    let err = failed(
        custos(dir, Some(bob))
            .args(["actions", "execute", &id.to_string()])
            .output()
            .unwrap(),
    );
    assert!(
        err.contains("is not executable, nothing was sent") && err.contains("no signed approval"),
        "{err}"
    );
    assert_eq!(
        sim_requests(&setup.url),
        before,
        "a request reached the API"
    );
    let verify = failed(
        custos(dir, Some(bob))
            .args(["actions", "journal", "verify"])
            .output()
            .unwrap(),
    );
    assert!(
        verify.contains("journal INCONSISTENT")
            && verify.contains(&format!(
                "action {id}: its approve row by alice has no signed approve"
            )),
        "{verify}"
    );
    // Without the anchor nothing can be checked, so nothing is executed.
    std::fs::remove_file(dir.join("custos.anchor")).unwrap();
    let err = failed(
        custos(dir, Some(alice))
            .args(["actions", "execute", &id.to_string()])
            .output()
            .unwrap(),
    );
    assert!(err.contains("no trust anchor"), "{err}");
    let err = failed(
        custos(dir, Some(alice))
            .env("CUSTOS_TRUST_ANCHOR", "ed25519:00")
            .args(["actions", "journal", "verify"])
            .output()
            .unwrap(),
    );
    assert!(err.contains("CUSTOS_TRUST_ANCHOR"), "{err}");
    let verify = failed(
        custos(dir, Some(alice))
            .env("CUSTOS_TRUST_ANCHOR", anchor.trim())
            .args(["actions", "journal", "verify"])
            .output()
            .unwrap(),
    );
    assert!(verify.contains("journal INCONSISTENT"), "{verify}");
}

#[test]
fn suppressing_a_finding_needs_an_operator_and_a_bounded_end() {
    let setup = setup("suppress-cli");
    let dir = setup.dir.as_path();
    ok(custos(dir, Some(&setup.alice))
        .args([
            "users",
            "add",
            "vera",
            "--role",
            "viewer",
            "--email",
            "v@x.example",
        ])
        .output()
        .unwrap());
    // vera's token as `users rekey` re-issues it: the old one must stop working and the new
    // one sign in.
    let vera = ok(custos(dir, Some(&setup.alice))
        .args(["users", "rekey", "vera"])
        .output()
        .unwrap())
    .trim()
    .to_owned();
    let suppress = |token: Option<&str>, until: &[&str]| {
        custos(dir, token)
            .args([
                "findings",
                "suppress",
                "--policy",
                "openai-invite-stale",
                "--resource",
                "invite-demo-stale",
                "--reason",
                "accepted",
            ])
            .args(until)
            .output()
            .unwrap()
    };
    let err = failed(suppress(None, &[]));
    assert!(err.contains("no custos token"), "{err}");
    let err = failed(suppress(Some(&vera), &[]));
    assert!(
        err.contains("vera has the role viewer, which cannot suppress findings"),
        "{err}"
    );
    let err = failed(suppress(Some(&setup.bob), &["--until", "2020-01-01"]));
    assert!(
        err.contains("--until 2020-01-01T00:00:00Z is in the past"),
        "{err}"
    );
    let far = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 400);
    let err = failed(suppress(Some(&setup.bob), &["--until", &far.to_string()]));
    assert!(err.contains("more than 365 days ahead"), "{err}");
    let done = ok(suppress(Some(&setup.bob), &[]));
    assert!(done.contains("suppressed openai-invite-stale"), "{done}");
    // The author is the signed-in principal, not a name given on the command line.
    let events = ok(custos(dir, None)
        .args(["findings", "--status", "suppressed", "--format", "json"])
        .output()
        .unwrap());
    assert!(events.contains("invite-demo-stale"), "{events}");
    let db = rusqlite::Connection::open(dir.join("custos.db")).unwrap();
    let detail: String = db
        .query_row(
            "SELECT detail FROM finding_events WHERE resource_id = 'invite-demo-stale' \
             AND event = 'suppressed' ORDER BY id DESC LIMIT 1",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
    let author = detail["author"].as_str().unwrap_or_default();
    assert_eq!(author, "bob");
}
