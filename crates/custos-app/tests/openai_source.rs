//! The OpenAI source end to end through the application layer, against the demo organization
//! served by the simulator: a scan under its lock, the findings recorded and listed, and what the
//! scan stored agreeing with the kinds the source declares.

use custos_app::ValidConfig;
use custos_app::evaluate::record_scan_findings;
use custos_app::findings::{FindingsQuery, StatusFilter, list_findings};
use custos_app::provider::{Providers, ScanRequest, Target};
use custos_model::scenario::Access;
use custos_sim::server::{SimConfig, Simulator};
use secrecy::SecretString;
use std::collections::BTreeSet;
use std::path::Path;

#[tokio::test(flavor = "multi_thread")]
async fn a_scan_through_the_openai_source_stores_its_kinds_and_records_findings() {
    let scenario = custos_sim::demo::demo_scenario();
    let org = scenario.organizations[0].clone();
    let now = scenario.now.expect("the demo scenario has a clock");
    let read_key = org
        .credentials
        .iter()
        .find(|c| c.access == Some(Access::ReadOnly))
        .map(|c| SecretString::from(c.secret.clone()))
        .expect("the demo has a read-only key");
    let sim = Simulator::new(scenario, SimConfig::default())
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let config = ValidConfig::parse(Path::new("custos.toml"), "").unwrap();
    let source = Providers::builtin().get("openai").unwrap();
    let target = Target {
        source,
        id: org.id.clone(),
        name: org.name.clone(),
        base_url: sim.base_url().to_owned(),
        read_key,
        project_keys: Vec::new(),
    };
    let request = ScanRequest {
        settings: custos_config::ScanSettings {
            // As good as unlimited: the simulator has no limit here.
            requests_per_second: Some(10_000),
            ..Default::default()
        },
        keep_emails: false,
        now,
        progress: None,
        checkpoint: None,
    };
    let store = custos_store::open("sqlite::memory:").await.unwrap();
    let summary = custos_app::scan::scan_target(
        &target,
        store.as_ref(),
        &request,
        "the openai_source test",
        std::future::pending(),
    )
    .await
    .unwrap();

    let declared: BTreeSet<&str> = source.kinds().iter().map(|k| k.name()).collect();
    let objects = store.objects(summary.scan_id, None).await.unwrap();
    assert!(!objects.is_empty());
    for object in &objects {
        assert!(
            declared.contains(object.kind.as_str()),
            "the scan stored a {} the source does not declare",
            object.kind
        );
    }

    let run = store.scan(summary.scan_id).await.unwrap().unwrap();
    let recorded = record_scan_findings(&config, store.as_ref(), &run)
        .await
        .unwrap();
    assert!(recorded.changes.opened > 0);
    let query = FindingsQuery {
        orgs: Vec::new(),
        as_of: None,
        min_severity: None,
        policies: Vec::new(),
        project: None,
        status: StatusFilter::All,
    };
    let list = list_findings(&config, store.as_ref(), &query)
        .await
        .unwrap();
    assert_eq!(list.orgs, std::slice::from_ref(&org.id));
    assert_eq!(list.findings.len() as u64, recorded.changes.opened);
    for finding in &list.findings {
        assert!(finding.policy_id.starts_with(source.policy_namespace()));
    }
    let ranks: Vec<_> = list.findings.iter().map(|f| f.severity_rank).collect();
    assert!(ranks.is_sorted(), "most severe first");

    // The finished scan released the organization's lock: the next one runs.
    let again = custos_app::scan::scan_target(
        &target,
        store.as_ref(),
        &ScanRequest {
            now: now + 60,
            ..request
        },
        "the openai_source test",
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_ne!(again.scan_id, summary.scan_id);
}

#[tokio::test]
async fn a_stopped_scan_is_closed_as_failed_with_the_reason() {
    let scenario = custos_sim::demo::demo_scenario();
    let org = scenario.organizations[0].clone();
    let sim = Simulator::new(scenario, SimConfig::default())
        .spawn("127.0.0.1:0")
        .await
        .unwrap();
    let target = Target {
        source: Providers::builtin().default_source(),
        id: org.id.clone(),
        name: None,
        base_url: sim.base_url().to_owned(),
        read_key: SecretString::from("sk-admin-demo-ro".to_owned()),
        project_keys: Vec::new(),
    };
    let request = ScanRequest {
        settings: custos_config::ScanSettings::default(),
        keep_emails: false,
        now: 1_700_000_000,
        progress: None,
        checkpoint: None,
    };
    let store = custos_store::open("sqlite::memory:").await.unwrap();
    let error = custos_app::scan::scan_target(
        &target,
        store.as_ref(),
        &request,
        "the openai_source test",
        std::future::ready("stopped by the test".to_owned()),
    )
    .await
    .unwrap_err();
    assert_eq!(error.to_string(), "stopped by the test");
    let scans = store.scans(Some(&org.id)).await.unwrap();
    for scan in &scans {
        assert_eq!(scan.status, custos_store::ScanStatus::Failed, "{scan:?}");
    }
}
