//! Fixture builders for the checks' tests. Objects are written as JSON so that a fixture reads
//! like the API payload it stands for, nulls and missing fields included.

use crate::meta::PolicyMeta;
use crate::outcome::{Keep, Outcome, Verdict};
use crate::registry::{Builtin, Check};
use crate::settings::Params;
use crate::shared::time::DAY;
use custos_model::api::{CostResult, UsageKind, UsageResult};
use custos_model::inventory::{Coverage, EndpointFailure, ProjectInventory, Snapshot};
use custos_model::page::Bucket;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// 2025-06-15T12:00:00Z: mid-day, so "the last full day" differs from "the last 24 hours".
pub const AS_OF: i64 = 1_749_988_800;
pub const ORG: &str = "org-test";

/// Parses a fixture object; a broken fixture is a bug in the test.
pub fn obj<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("fixture parses")
}

/// An organization with full coverage of every time series and nothing in it.
pub fn snapshot() -> Snapshot {
    Snapshot {
        org_id: ORG.to_owned(),
        collected_at: AS_OF,
        coverage: Coverage {
            audit_from: Some(0),
            usage_from: Some(0),
            costs_from: Some(0),
        },
        ..Default::default()
    }
}

pub fn user(id: &str, role: &str, added_at: i64) -> custos_model::api::User {
    obj(json!({"id": id, "role": role, "added_at": added_at, "email": format!("{id}@example.com")}))
}

pub fn project(id: &str) -> ProjectInventory {
    ProjectInventory::new(obj(json!({"id": id, "created_at": 0, "status": "active"})))
}

pub fn archived_project(id: &str) -> ProjectInventory {
    ProjectInventory::new(obj(
        json!({"id": id, "created_at": 0, "status": "archived", "archived_at": 10}),
    ))
}

pub fn failure(endpoint: &str, project_id: Option<&str>, status: u16) -> EndpointFailure {
    EndpointFailure {
        endpoint: format!("GET {endpoint}"),
        project_id: project_id.map(str::to_owned),
        status: Some(status),
        message: "simulated failure".to_owned(),
    }
}

/// Adds one usage record in a daily bucket starting at `start`.
pub fn add_usage(snapshot: &mut Snapshot, kind: UsageKind, start: i64, record: Value) {
    let record: UsageResult = obj(record);
    snapshot
        .inventory
        .usage
        .entry(kind)
        .or_default()
        .push(Bucket {
            object: "bucket".to_owned(),
            start_time: start,
            end_time: start + DAY,
            results: vec![record],
        });
}

/// Adds one cost record in a daily bucket starting at `start`.
pub fn add_cost(snapshot: &mut Snapshot, start: i64, project_id: &str, value: f64, currency: &str) {
    let record: CostResult = obj(json!({
        "object": "organization.costs.result",
        "amount": {"value": value, "currency": currency},
        "project_id": project_id,
    }));
    snapshot.inventory.costs.push(Bucket {
        object: "bucket".to_owned(),
        start_time: start,
        end_time: start + DAY,
        results: vec![record],
    });
}

/// Evaluates `check` with its defaults overridden by `overrides` (a JSON object).
pub fn run(check: &Builtin, snapshot: &Snapshot, as_of: i64, overrides: Value) -> Vec<Outcome> {
    let layer: BTreeMap<String, Value> = obj(overrides);
    let params = Params::resolve(check.meta, &[&layer]).expect("valid overrides");
    check.outcomes(snapshot, as_of, &params, Keep::All)
}

/// Evaluates with default parameters.
pub fn run_default(check: &Builtin, snapshot: &Snapshot, as_of: i64) -> Vec<Outcome> {
    run(check, snapshot, as_of, json!({}))
}

/// The verdict for one resource; panics (in tests) unless there is exactly one.
pub fn verdict(outcomes: &[Outcome], resource_id: &str) -> Verdict {
    let matching: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.resource_id == resource_id)
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "expected one outcome for {resource_id}, got {outcomes:#?}"
    );
    matching[0].result
}

/// The outcome for one resource.
pub fn outcome<'a>(outcomes: &'a [Outcome], resource_id: &str) -> &'a Outcome {
    outcomes
        .iter()
        .find(|o| o.resource_id == resource_id)
        .unwrap_or_else(|| panic!("no outcome for {resource_id} in {outcomes:#?}"))
}

/// The `missing` list of an indeterminate outcome, joined.
pub fn missing(outcome: &Outcome) -> String {
    assert_eq!(outcome.result, Verdict::Indeterminate, "{outcome:#?}");
    outcome.evidence.to_value()["missing"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

/// Checks what every outcome must satisfy: the policy id, a message naming the resource, an
/// evidence object.
pub fn assert_well_formed(meta: &PolicyMeta, outcomes: &[Outcome]) {
    for outcome in outcomes {
        assert_eq!(outcome.policy_id, meta.id);
        assert!(outcome.evidence.to_value().is_object(), "{outcome:#?}");
        assert!(
            outcome.message.contains(&outcome.resource_id),
            "message must name the resource: {outcome:#?}"
        );
    }
}
