//! The action flow against the simulator: every template end to end, the refusals (nothing
//! sent), already-gone targets, failures in the middle of a batch and their resumption.

mod common;
#[path = "flow/plans.rs"]
mod plans;

use common::{Env, ORG};
use custos_actions::{ActionError, Clients, ExecutionKeys, TargetStatus, Template};
use custos_openai::WriteCall;
use custos_openai::endpoints::operations as ops;
use custos_store::ActionStatus;
use secrecy::SecretString;
use serde_json::json;

/// Requests as bob, approves as alice (an organization owner), executes as alice.
async fn run(
    env: &Env,
    template: Template,
    targets: &[&str],
    params: &[(&str, &str)],
) -> custos_actions::ExecutionReport {
    let actions = env.actions();
    let snapshot = env.snapshot().await;
    let request = env.request(template, targets, params);
    let (id, plan) = actions
        .request(&env.bob, &snapshot, &request)
        .await
        .unwrap();
    assert!(!plan.calls.is_empty());
    actions
        .approve(&env.alice, id, &snapshot, env.now + 60, "ok")
        .await
        .unwrap();
    let executor = if template.returns_secret() {
        &env.bob
    } else {
        &env.alice
    };
    let report = actions
        .execute(executor, id, &env.clients(), env.now + 120)
        .await
        .unwrap();
    assert_eq!(
        report.status,
        ActionStatus::Verified,
        "{template}: {report:?}"
    );
    assert_eq!(
        env.store.action(id).await.unwrap().unwrap().status,
        ActionStatus::Verified
    );
    report
}

/// A template, its target and its parameters.
type Case = (Template, String, Vec<(&'static str, &'static str)>);

#[tokio::test]
async fn every_remediation_template_executes_and_verifies() {
    let env = Env::new().await;
    let snapshot = env.snapshot().await;
    let claims_member = snapshot
        .of_kind("project_user")
        .find(|m| m.data["role"] == json!("member"))
        .map(|m| m.id.clone())
        .unwrap();
    let claims_owner = snapshot
        .of_kind("project_user")
        .find(|m| {
            m.project_id.as_deref() == Some("proj_claims") && m.data["role"] == json!("owner")
        })
        .map(|m| m.id.clone())
        .unwrap();
    let cases: Vec<Case> = vec![
        (Template::ArchiveProject, "proj_onboarding".into(), vec![]),
        (
            Template::DeleteOrgCertificate,
            "cert_demo_legacy_vpn".into(),
            vec![],
        ),
        (
            Template::DeleteProjectCertificate,
            "proj_support/cert_demo_gateway".into(),
            vec![],
        ),
        (Template::DeleteUser, "user-demo09".into(), vec![]),
        (Template::DeleteInvite, "invite-demo-stale".into(), vec![]),
        (
            Template::DeleteAdminKey,
            "key_admin_legacy_ci".into(),
            vec![],
        ),
        (Template::DeleteProjectKey, "key_claims_04".into(), vec![]),
        (Template::DeleteFile, "file-demo-support-faq".into(), vec![]),
        (Template::RemoveProjectUser, claims_member, vec![]),
        (Template::DowngradeOwner, "user-demo06".into(), vec![]),
        (Template::DowngradeOwner, claims_owner, vec![]),
        (
            Template::DeleteServiceAccount,
            "svc_acct_sales_deploy".into(),
            vec![],
        ),
        (
            Template::SetProjectSpendLimit,
            "proj_etl".into(),
            vec![("amount_usd", "500")],
        ),
    ];
    for (template, target, params) in &cases {
        let report = run(&env, *template, &[target.as_str()], params).await;
        assert_eq!(report.targets.len(), 1, "{template}");
        assert_eq!(
            report.targets[0].status,
            TargetStatus::Verified,
            "{template}: {report:?}"
        );
    }
    // The journal holds every step, chained.
    let checked = env.actions().verify_journal(&[]).await.unwrap().unwrap();
    assert!(checked.entries > cases.len() as u64 * 4, "{checked:?}");
    let head = checked.head.clone().unwrap();
    assert_eq!(head.seq as u64, checked.entries);
    // Its own head is an anchor the journal holds.
    assert_eq!(
        env.actions().verify_journal(&[head]).await.unwrap(),
        Ok(checked)
    );
    let kinds: Vec<String> = env
        .store
        .journal()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for kind in [
        "request", "approve", "execute", "call", "verify", "verified",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} entry");
    }
}

#[tokio::test]
async fn provisioning_templates_execute_and_verify() {
    let env = Env::new().await;
    let report = run(
        &env,
        Template::CreateProject,
        &[],
        &[("name", "Governed Project")],
    )
    .await;
    assert!(report.created[0].id.starts_with("proj"), "{report:?}");
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\nMII{}\n-----END CERTIFICATE-----",
        "B".repeat(125)
    );
    run(
        &env,
        Template::UploadOrgCertificate,
        &[],
        &[("name", "partner"), ("pem", &pem)],
    )
    .await;
    run(
        &env,
        Template::InviteUser,
        &[],
        &[
            ("email", "new.hire@northwind.example"),
            ("role", "reader"),
            ("projects", "proj_support:member"),
        ],
    )
    .await;
    let report = run(
        &env,
        Template::CreateAdminKey,
        &[],
        &[("name", "terraform-2")],
    )
    .await;
    assert!(
        report.created[0].secret.is_some(),
        "the requester receives the secret once"
    );
}

#[tokio::test]
async fn refusals_send_nothing() {
    let env = Env::new().await;
    let actions = env.actions();
    let snapshot = env.snapshot().await;
    let request = env.request(Template::DeleteProjectKey, &["key_claims_04"], &[]);
    let before = env.writes();

    // A viewer cannot request.
    let err = actions
        .request(&env.vera, &snapshot, &request)
        .await
        .unwrap_err();
    assert!(matches!(err, ActionError::Forbidden { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("vera has the role viewer, which cannot request actions"),
        "{err}"
    );

    let (id, _) = actions
        .request(&env.bob, &snapshot, &request)
        .await
        .unwrap();
    // Executing before approval.
    let err = actions
        .execute(&env.alice, id, &env.clients(), env.now)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("is pending: it needs an approval first"),
        "{err}"
    );
    // Self-approval: bob is not an approver anyway; make alice request and approve.
    let (own, _) = actions
        .request(&env.alice, &snapshot, &request)
        .await
        .unwrap();
    let err = actions
        .approve(&env.alice, own, &snapshot, env.now, "")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot approve its own request"),
        "{err}"
    );
    // An approver who owns nothing in OpenAI.
    let err = actions
        .approve(&env.carol, id, &snapshot, env.now, "")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("carol is not an owner of project(s) proj_claims"),
        "{err}"
    );
    // An operator cannot approve.
    let (by_carol, _) = actions
        .request(&env.carol, &snapshot, &request)
        .await
        .unwrap();
    let err = actions
        .approve(&env.bob, by_carol, &snapshot, env.now, "")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("the role operator cannot approve"),
        "{err}"
    );

    // Expired: approved in time, executed 25 hours later.
    actions
        .approve(&env.alice, id, &snapshot, env.now + 10, "")
        .await
        .unwrap();
    let err = actions
        .execute(&env.alice, id, &env.clients(), env.now + 25 * 3600)
        .await
        .unwrap_err();
    assert!(matches!(err, ActionError::Expired { .. }), "{err}");
    assert_eq!(
        env.store.action(id).await.unwrap().unwrap().status,
        ActionStatus::Expired
    );
    // Approving an expired plan.
    let err = actions
        .approve(&env.alice, by_carol, &snapshot, env.now + 25 * 3600, "")
        .await
        .unwrap_err();
    assert!(matches!(err, ActionError::Expired { .. }), "{err}");

    // The plan edited in the store after approval.
    let (altered, _) = actions
        .request(&env.bob, &snapshot, &request)
        .await
        .unwrap();
    actions
        .approve(&env.alice, altered, &snapshot, env.now, "")
        .await
        .unwrap();
    forge_plan(&env, altered).await;
    let err = actions
        .execute(&env.alice, altered, &env.clients(), env.now)
        .await
        .unwrap_err();
    assert!(matches!(err, ActionError::PlanAltered { .. }), "{err}");

    // A target changed in OpenAI after approval.
    let limit = env.request(
        Template::SetProjectSpendLimit,
        &["proj_etl"],
        &[("amount_usd", "500")],
    );
    let (changed, _) = actions.request(&env.bob, &snapshot, &limit).await.unwrap();
    actions
        .approve(&env.alice, changed, &snapshot, env.now, "")
        .await
        .unwrap();
    let raise = WriteCall::new(
        &ops::UPDATE_PROJECT_SPEND_LIMIT,
        &["proj_etl"],
        Some(json!({"threshold_amount": 12_300, "currency": "USD", "interval": "month"})),
    )
    .unwrap();
    env.api().send(&raise).await.unwrap();
    let behind_our_back = env.writes();
    let err = actions
        .execute(&env.alice, changed, &env.clients(), env.now)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("threshold_amount was null, is now 12300"),
        "{err}"
    );
    assert_eq!(
        env.store.action(changed).await.unwrap().unwrap().status,
        ActionStatus::Stale
    );
    assert_eq!(
        env.writes(),
        behind_our_back,
        "nothing sent for the changed target"
    );

    // No read-write key, or the read-only key as the write key.
    let keys = ExecutionKeys {
        write_key: None,
        ..env.keys()
    };
    let err = Clients::build(&keys, common::quick).unwrap_err();
    assert!(
        err.to_string().contains("has no read-write admin key"),
        "{err}"
    );
    let keys = ExecutionKeys {
        write_key: Some(SecretString::from(common::RO_KEY)),
        ..env.keys()
    };
    let err = Clients::build(&keys, common::quick).unwrap_err();
    assert!(
        err.to_string()
            .contains("the write key is the read-only scan key"),
        "{err}"
    );

    assert_eq!(
        env.writes(),
        before + 1,
        "only the spend limit changed behind custos' back"
    );
    assert!(env.actions().verify_journal(&[]).await.unwrap().is_ok());
}

/// Rewrites the stored plan of `id` behind custos' back, as a forger with access to the
/// database file would (the store itself offers no way to edit a plan).
async fn forge_plan(env: &Env, id: i64) {
    let mut plan = env.store.action(id).await.unwrap().unwrap().plan;
    plan["calls"][0]["path"] = json!("/organization/projects/proj_claims/api_keys/key_claims_01");
    let sql = format!(
        "UPDATE actions SET plan = '{}' WHERE id = {id}",
        plan.to_string().replace('\'', "''")
    );
    let status = std::process::Command::new("sqlite3")
        .arg(&env.db_path)
        .arg(&sql)
        .status()
        .expect("the sqlite3 command line tool");
    assert!(status.success());
}

#[tokio::test]
async fn a_target_already_gone_is_a_verified_no_op() {
    let env = Env::new().await;
    let actions = env.actions();
    let snapshot = env.snapshot().await;
    let request = env.request(Template::DeleteProjectKey, &["key_claims_04"], &[]);
    let (id, _) = actions
        .request(&env.bob, &snapshot, &request)
        .await
        .unwrap();
    actions
        .approve(&env.alice, id, &snapshot, env.now, "")
        .await
        .unwrap();
    let revoke = WriteCall::new(
        &ops::DELETE_PROJECT_API_KEY,
        &["proj_claims", "key_claims_04"],
        None,
    )
    .unwrap();
    env.api().send(&revoke).await.unwrap();
    let writes = env.writes();
    let report = actions
        .execute(&env.alice, id, &env.clients(), env.now)
        .await
        .unwrap();
    assert_eq!(report.status, ActionStatus::Verified);
    assert_eq!(report.calls_sent, 0);
    assert_eq!(report.targets[0].status, TargetStatus::AlreadyDone);
    assert_eq!(env.writes(), writes, "nothing sent");
    let calls = env.store.calls(id).await.unwrap();
    assert_eq!(calls[0].status, custos_store::CallStatus::AlreadyGone);
}

#[tokio::test]
async fn a_5xx_mid_batch_gives_exact_statuses_and_a_safe_resume() {
    let env = Env::new().await;
    let actions = env.actions();
    let snapshot = env.snapshot().await;
    let keys: Vec<String> = snapshot
        .of_kind("project_api_key")
        .filter(|k| k.project_id.as_deref() == Some("proj_marketing"))
        .filter(|k| k.data["owner"]["type"] != json!("service_account"))
        .map(|k| k.id.clone())
        .collect();
    assert!(keys.len() >= 12, "{}", keys.len());
    let failing = [keys[3].clone(), keys[11].clone()];
    *env.failing.lock().unwrap() = failing.to_vec();
    env.fail_enabled
        .store(true, std::sync::atomic::Ordering::SeqCst);

    let targets: Vec<&str> = keys.iter().map(String::as_str).collect();
    let request = env.request(Template::DeleteProjectKey, &targets, &[]);
    let (id, plan) = actions
        .request(&env.bob, &snapshot, &request)
        .await
        .unwrap();
    assert_eq!(plan.calls.len(), keys.len());
    actions
        .approve(&env.alice, id, &snapshot, env.now, "")
        .await
        .unwrap();
    let report = actions
        .execute(&env.alice, id, &env.clients(), env.now)
        .await
        .unwrap();
    assert_eq!(report.status, ActionStatus::Failed);
    for outcome in &report.targets {
        let expected = if failing.contains(&outcome.id) {
            TargetStatus::Failed
        } else {
            TargetStatus::Verified
        };
        assert_eq!(outcome.status, expected, "{outcome:?}");
    }
    let failed: Vec<_> = env
        .store
        .calls(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.status == custos_store::CallStatus::Failed)
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|c| c.http_status == Some(500)));

    // The API recovers; executing again sends only the two failed calls.
    env.fail_enabled
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let dry = actions.dry_run(id).await.unwrap();
    assert_eq!(dry.len(), 2);
    let report = actions
        .execute(&env.alice, id, &env.clients(), env.now + 60)
        .await
        .unwrap();
    assert_eq!(report.status, ActionStatus::Verified);
    assert_eq!(report.calls_sent, 2);
    assert!(env.actions().verify_journal(&[]).await.unwrap().is_ok());
    let _ = ORG;
}

#[tokio::test]
async fn an_interrupted_run_resumes_without_repeating_deletes() {
    let env = Env::new().await;
    let actions = env.actions();
    let snapshot = env.snapshot().await;
    let request = env.request(
        Template::DeleteInvite,
        &["invite-demo-stale", "invite-demo-expired"],
        &[],
    );
    let (id, _) = actions
        .request(&env.bob, &snapshot, &request)
        .await
        .unwrap();
    actions
        .approve(&env.alice, id, &snapshot, env.now, "")
        .await
        .unwrap();
    // The process died after sending the first DELETE, before recording its answer.
    let note = |kind: &str| {
        custos_store::JournalNote::new(env.now, Some("alice"), kind, json!({})).about(id)
    };
    env.store
        .transition_action(
            id,
            &[ActionStatus::Approved],
            ActionStatus::Executing,
            env.now,
            &note("execute"),
        )
        .await
        .unwrap();
    env.store
        .record_call(
            &custos_store::CallRecord {
                action_id: id,
                call_index: 0,
                status: custos_store::CallStatus::Started,
                http_status: None,
                detail: json!({}),
                at: env.now,
            },
            &note("call"),
        )
        .await
        .unwrap();
    let withdraw = WriteCall::new(&ops::DELETE_INVITE, &["invite-demo-expired"], None).unwrap();
    env.api().send(&withdraw).await.unwrap();
    let report = actions
        .execute(&env.alice, id, &env.clients(), env.now)
        .await
        .unwrap();
    assert_eq!(report.status, ActionStatus::Verified, "{report:?}");
    assert_eq!(
        report.calls_sent, 1,
        "the already-applied delete is not sent again"
    );
}
