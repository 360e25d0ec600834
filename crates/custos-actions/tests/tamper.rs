//! Someone who can write to the store, but holds no other principal's token, tries to get an
//! action executed: an inserted approval row, a rewritten plan with its hash recomputed, a
//! replaced key of the approver, an approval replayed from another action, an approval by a
//! principal disabled since. Each is refused with no request at all reaching the API, and
//! `journal verify` names what the journal's signatures contradict. Also: a disabled
//! requester's action cannot be approved or executed, and a store made before signed approvals
//! is refused until an admin migrates it.

mod common;

use argon2::password_hash::PasswordHasher;
use common::Env;
use custos_actions::principal::{self, NewPrincipal, authenticate};
use custos_actions::trust::{PrincipalKey, Statement};
use custos_actions::{ActionError, ApprovalRule, Plan, Template};
use custos_store::{ActionId, Decision, JournalNote, PrincipalRecord, PrincipalRole};
use secrecy::SecretString;
use serde_json::json;

/// Every request the simulator received, reads included.
fn requests(env: &Env) -> u64 {
    env.sim.stats().by_route.values().sum()
}

/// Runs SQL on the store file directly, as a database writer would.
fn sql(env: &Env, statement: &str, params: impl rusqlite::Params) {
    let db = rusqlite::Connection::open(&env.db_path).unwrap();
    db.execute(statement, params).unwrap();
}

/// What an attacker does after forging the approval: the row, and the status.
fn mark_approved(env: &Env, id: ActionId, approver: &str, plan_hash: &str) {
    sql(
        env,
        "INSERT INTO approvals (action_id, principal, decision, plan_hash, at, comment) \
         VALUES (?1, ?2, 'approve', ?3, 0, 'forged')",
        rusqlite::params![id, approver, plan_hash],
    );
    sql(
        env,
        "UPDATE actions SET status = 'approved' WHERE id = ?1",
        [id],
    );
}

/// bob's request to delete one project key.
async fn request_delete(env: &Env, key: &str) -> (ActionId, String) {
    let snapshot = env.snapshot().await;
    let request = env.request(Template::DeleteProjectKey, &[key], &[]);
    let (id, plan) = env
        .actions()
        .request(&env.bob, &snapshot, &request)
        .await
        .unwrap();
    (id, plan.hash())
}

/// Executes as bob and expects a refusal with nothing sent; its message.
async fn refused_with_nothing_sent(env: &Env, id: ActionId) -> String {
    let before = requests(env);
    let bob = env.sign_in("bob").await;
    let err = env
        .actions()
        .execute(&bob, id, &env.clients(), env.now + 120)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ActionError::NotAuthorized { .. }),
        "refused for the wrong reason: {err}"
    );
    assert_eq!(requests(env), before, "a request reached the API: {err}");
    err.to_string()
}

/// `journal verify`: the chain holds (nothing committed was lost), and its inconsistencies.
async fn inconsistencies(env: &Env) -> Vec<String> {
    let head = env.actions().verify_journal(&[]).await.unwrap().unwrap();
    head.inconsistencies
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Asserts that `journal verify` reported each of `needles` in one of its findings.
#[track_caller]
fn assert_reported(found: &[String], needles: &[&str]) {
    for needle in needles {
        assert!(
            found.iter().any(|f| f.contains(needle)),
            "{needle:?}: {found:?}"
        );
    }
}

#[tokio::test]
async fn an_inserted_approval_row_is_refused() {
    let env = Env::new().await;
    let (id, hash) = request_delete(&env, "key_claims_04").await;
    assert!(inconsistencies(&env).await.is_empty());
    mark_approved(&env, id, "alice", &hash);
    let err = refused_with_nothing_sent(&env, id).await;
    assert!(err.contains("has no signed approval"), "{err}");
    // A journal entry appended in the same style does not help: it is not signed.
    env.store
        .append_journal(
            &JournalNote::new(
                env.now,
                Some("alice"),
                "approve",
                json!({"plan_hash": hash}),
            )
            .about(id),
        )
        .await
        .unwrap();
    refused_with_nothing_sent(&env, id).await;
    let found = inconsistencies(&env).await;
    assert_reported(
        &found,
        &[
            "approve row by alice has no signed approve",
            "approved without a signed approval",
            "the approve entry is not signed",
        ],
    );
}

#[tokio::test]
async fn a_rewritten_plan_with_a_recomputed_hash_is_refused() {
    let env = Env::new().await;
    let (id, _) = request_delete(&env, "key_claims_04").await;
    env.actions()
        .approve(&env.alice, id, &env.snapshot().await, env.now + 60, "ok")
        .await
        .unwrap();
    // Point the approved delete at another key and make the hash match again.
    let mut plan = env.store.action(id).await.unwrap().unwrap().plan;
    plan["calls"][0]["path"] = json!("/organization/projects/proj_claims/api_keys/key_claims_01");
    let rewritten: Plan = serde_json::from_value(plan.clone()).unwrap();
    let hash = rewritten.hash();
    sql(
        &env,
        "UPDATE actions SET plan = ?1, plan_hash = ?2 WHERE id = ?3",
        rusqlite::params![plan.to_string(), hash, id],
    );
    sql(
        &env,
        "UPDATE approvals SET plan_hash = ?1 WHERE action_id = ?2",
        rusqlite::params![hash, id],
    );
    // The store is self-consistent: only the signatures tell.
    env.actions().load(id).await.unwrap();
    let err = refused_with_nothing_sent(&env, id).await;
    assert!(err.contains("that bob requested"), "{err}");
    let found = inconsistencies(&env).await;
    assert_reported(
        &found,
        &[
            "that bob signed as requested",
            "approve row by alice has no signed approve",
        ],
    );
}

#[tokio::test]
async fn a_replaced_key_of_the_approver_is_refused() {
    let env = Env::new().await;
    let (id, hash) = request_delete(&env, "key_claims_04").await;
    // The attacker makes a token of its own for alice: the row accepts it...
    let forged = SecretString::from("cst_alice_forged");
    let token_hash = argon2::Argon2::default()
        .hash_password(b"cst_alice_forged")
        .unwrap()
        .to_string();
    sql(
        &env,
        "UPDATE principals SET token_hash = ?1 WHERE name = 'alice'",
        [token_hash],
    );
    let fake_alice = authenticate(&*env.store, &forged).await.unwrap();
    // ...and registers that token's key as alice's, signed with that same key.
    let key = PrincipalKey::from_token(&forged);
    let rekey = key.sign(
        "alice",
        Statement::Register {
            name: "alice".into(),
            role: PrincipalRole::Admin,
            public_key: key.public(),
            email_sha256: env.alice.email_sha256.clone(),
            manager: None,
            at: env.now,
        },
    );
    env.store
        .append_journal(&rekey.attach(JournalNote::new(
            env.now,
            Some("alice"),
            "principal_rekeyed",
            json!({"name": "alice"}),
        )))
        .await
        .unwrap();
    // Approving through custos is refused at once.
    let err = env
        .actions()
        .approve(&fake_alice, id, &env.snapshot().await, env.now + 60, "ok")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("its signed registration holds"),
        "{err}"
    );
    // Signing the approval by hand and writing it in does not get it executed.
    let approval = fake_alice.sign(Statement::Decide {
        action_id: id,
        plan_hash: hash.clone(),
        decision: Decision::Approve,
        at: env.now + 60,
    });
    env.store
        .append_journal(
            &approval
                .attach(JournalNote::new(
                    env.now + 60,
                    Some("alice"),
                    "approve",
                    json!({"plan_hash": hash}),
                ))
                .about(id),
        )
        .await
        .unwrap();
    mark_approved(&env, id, "alice", &hash);
    let err = refused_with_nothing_sent(&env, id).await;
    assert!(err.contains("has no signed approval"), "{err}");
    let found = inconsistencies(&env).await;
    assert_reported(
        &found,
        &["the signature of alice does not verify with alice's registered key"],
    );
}

#[tokio::test]
async fn an_approval_replayed_from_another_action_is_refused() {
    let env = Env::new().await;
    let (approved, _) = request_delete(&env, "key_claims_04").await;
    env.actions()
        .approve(
            &env.alice,
            approved,
            &env.snapshot().await,
            env.now + 60,
            "ok",
        )
        .await
        .unwrap();
    let (other, other_hash) = request_delete(&env, "key_claims_03").await;
    // alice's signed approval of the first action, copied into an entry about the second.
    let journal = env.store.journal().await.unwrap();
    let signed = journal
        .iter()
        .find(|e| e.kind == "approve" && e.action_id == Some(approved))
        .unwrap()
        .detail
        .clone();
    env.store
        .append_journal(
            &JournalNote::new(env.now + 60, Some("alice"), "approve", signed).about(other),
        )
        .await
        .unwrap();
    mark_approved(&env, other, "alice", &other_hash);
    let err = refused_with_nothing_sent(&env, other).await;
    assert!(err.contains("has no signed approval"), "{err}");
    let found = inconsistencies(&env).await;
    assert_reported(
        &found,
        &[&format!(
            "is about action {approved}, the entry about {other}"
        )],
    );
}

#[tokio::test]
async fn an_approval_by_a_principal_disabled_since_is_refused() {
    let env = Env::new().await;
    let mut actions = env.actions();
    actions.policy.remediation = ApprovalRule::AnyApprover;
    let (id, _) = request_delete(&env, "key_claims_04").await;
    actions
        .approve(&env.carol, id, &env.snapshot().await, env.now + 60, "ok")
        .await
        .unwrap();
    principal::set_disabled(
        &*env.store,
        &env.anchor,
        &env.alice,
        "carol",
        true,
        env.now + 90,
    )
    .await
    .unwrap();
    let err = refused_with_nothing_sent(&env, id).await;
    assert!(err.contains("(carol) is disabled"), "{err}");
    assert!(inconsistencies(&env).await.is_empty());
    // Enabling carol again in her row changes nothing: the disablement is signed.
    sql(
        &env,
        "UPDATE principals SET disabled = 0 WHERE name = 'carol'",
        [],
    );
    let err = refused_with_nothing_sent(&env, id).await;
    assert!(err.contains("(carol) is disabled"), "{err}");
    let found = inconsistencies(&env).await;
    assert_reported(
        &found,
        &["principal carol: the store's row says status enabled, its signed registration disabled"],
    );
}

#[tokio::test]
async fn a_disabled_requesters_action_is_neither_approved_nor_executed() {
    let env = Env::new().await;
    let snapshot = env.snapshot().await;
    let (pending, _) = request_delete(&env, "key_claims_04").await;
    let (approved, _) = request_delete(&env, "key_claims_03").await;
    env.actions()
        .approve(&env.alice, approved, &snapshot, env.now + 60, "ok")
        .await
        .unwrap();
    principal::set_disabled(
        &*env.store,
        &env.anchor,
        &env.alice,
        "bob",
        true,
        env.now + 90,
    )
    .await
    .unwrap();
    let err = env
        .actions()
        .approve(&env.alice, pending, &snapshot, env.now + 100, "ok")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("its requester bob is disabled"),
        "{err}"
    );
    let before = requests(&env);
    let err = env
        .actions()
        .execute(&env.alice, approved, &env.clients(), env.now + 120)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the requester cannot have it executed: bob is disabled"),
        "{err}"
    );
    assert_eq!(requests(&env), before);
}

/// A store as custos made it before signed approvals: principals and a request journaled
/// without signatures.
#[tokio::test]
async fn a_store_from_before_signed_approvals_is_refused_until_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let store = custos_store::open(dir.path().join("old.db").to_str().unwrap())
        .await
        .unwrap();
    let tokens = ["cst_root_oldtoken", "cst_op_oldtoken"];
    for (name, role, token) in [
        ("root", PrincipalRole::Admin, tokens[0]),
        ("op", PrincipalRole::Operator, tokens[1]),
    ] {
        let record = PrincipalRecord {
            name: name.into(),
            role,
            email_sha256: custos_store::email_hash(&format!("{name}@example.com")).0,
            manager: None,
            token_hash: argon2::Argon2::default()
                .hash_password(token.as_bytes())
                .unwrap()
                .to_string(),
            disabled: false,
            created_at: 1,
        };
        let note = JournalNote::new(1, Some("root"), "principal_added", json!({"name": name}));
        store.add_principal(&record, &note).await.unwrap();
    }
    let root = authenticate(&*store, &SecretString::from(tokens[0]))
        .await
        .unwrap();
    // Nothing signed can be checked: every step refuses, saying what to run.
    let anchor = custos_actions::TrustAnchor(root.key.public());
    let new = NewPrincipal {
        name: "viewer".into(),
        role: PrincipalRole::Viewer,
        email: "v@example.com".into(),
        manager: None,
    };
    let err = principal::add_principal(&*store, &anchor, &root, &new, 2)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`custos users anchor`"), "{err}");
    let verified = custos_actions::Actions::new(&*store, anchor)
        .verify_journal(&[])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(verified.inconsistencies.len(), 2, "{verified:?}");

    // The migration: the admin's key becomes the anchor, op gets a new token.
    let adopted = principal::adopt_anchor(&*store, &root, 3).await.unwrap();
    assert_eq!(adopted, anchor);
    let err = principal::adopt_anchor(&*store, &root, 3)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has an anchor"), "{err}");
    let op = authenticate(&*store, &SecretString::from(tokens[1]))
        .await
        .unwrap();
    let ledger = custos_actions::Actions::new(&*store, anchor)
        .ledger()
        .await
        .unwrap();
    let err = ledger.check_signer(&op, &op.key.public()).unwrap_err();
    assert!(err.to_string().contains("`custos users rekey op`"), "{err}");
    let new_token = principal::rekey(&*store, &anchor, &root, "op", 4)
        .await
        .unwrap();
    assert!(
        authenticate(&*store, &SecretString::from(tokens[1]))
            .await
            .is_err(),
        "the old token stops working"
    );
    let op = authenticate(&*store, &new_token).await.unwrap();
    let ledger = custos_actions::Actions::new(&*store, anchor)
        .ledger()
        .await
        .unwrap();
    ledger.check_signer(&op, &op.key.public()).unwrap();
    principal::add_principal(&*store, &anchor, &root, &new, 5)
        .await
        .unwrap();
    let verified = custos_actions::Actions::new(&*store, anchor)
        .verify_journal(&[])
        .await
        .unwrap()
        .unwrap();
    assert!(verified.inconsistencies.is_empty(), "{verified:?}");
}

#[tokio::test]
async fn rows_reset_after_an_execution_or_an_expiry_do_not_run_it_again() {
    let env = Env::new().await;
    let snapshot = env.snapshot().await;
    let (done, _) = request_delete(&env, "key_claims_04").await;
    env.actions()
        .approve(&env.alice, done, &snapshot, env.now + 60, "ok")
        .await
        .unwrap();
    env.actions()
        .execute(&env.bob, done, &env.clients(), env.now + 120)
        .await
        .unwrap();
    // Back to approved, its call records gone: it would be sent again.
    sql(
        &env,
        "DELETE FROM action_calls WHERE action_id = ?1",
        [done],
    );
    sql(
        &env,
        "UPDATE actions SET status = 'approved' WHERE id = ?1",
        [done],
    );
    let err = refused_with_nothing_sent(&env, done).await;
    assert!(err.contains("executed and verified already"), "{err}");

    // An approved plan past its expiry, marked as a failed run to pass for one under way.
    let (late, _) = request_delete(&env, "key_claims_03").await;
    env.actions()
        .approve(&env.alice, late, &snapshot, env.now + 60, "ok")
        .await
        .unwrap();
    sql(
        &env,
        "UPDATE actions SET status = 'failed' WHERE id = ?1",
        [late],
    );
    let before = requests(&env);
    let bob = env.sign_in("bob").await;
    let err = env
        .actions()
        .execute(&bob, late, &env.clients(), env.now + 25 * 3600)
        .await
        .unwrap_err();
    assert!(matches!(err, ActionError::Expired { .. }), "{err}");
    assert_eq!(requests(&env), before);
}
