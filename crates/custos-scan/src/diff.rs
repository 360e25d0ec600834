//! Drift between two snapshots: objects added, removed, and changed with the fields that
//! changed. What either scan could not read is unknown, so it is neither added nor removed.

use custos_store::{ObjectRecord, ScanRun};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One changed field: its JSON path (`owner.role`), before and after (`null` when absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// What happened to one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Changed { fields: Vec<FieldChange> },
}

/// One drifted object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    pub kind: String,
    pub id: String,
    pub project_id: Option<String>,
    #[serde(flatten)]
    pub change: Change,
}

/// The drift between two scans, in (kind, id) order, and what could not be compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub from_scan: i64,
    pub to_scan: i64,
    pub drift: Vec<Drift>,
    /// Kinds (with the project when only one project's read failed) that either scan could
    /// not read: their objects were not compared.
    pub unknown: Vec<String>,
}

/// What a scan could not read: whole kinds, or kinds of one project.
#[derive(Debug, Default)]
struct Unknown {
    kinds: BTreeSet<String>,
    scoped: BTreeSet<(String, String)>,
}

impl Unknown {
    fn of(runs: [&ScanRun; 2]) -> Unknown {
        let mut unknown = Unknown::default();
        for endpoint in runs.iter().flat_map(|r| &r.endpoints).filter(|e| !e.ok) {
            for kind in &endpoint.kinds {
                match &endpoint.scope {
                    Some(project) => unknown.scoped.insert((kind.clone(), project.clone())),
                    None => unknown.kinds.insert(kind.clone()),
                };
            }
        }
        // A run for every scope that also failed per scope only marks those scopes.
        for endpoint in runs.iter().flat_map(|r| &r.endpoints) {
            let per_scope = runs
                .iter()
                .flat_map(|r| &r.endpoints)
                .any(|e| !e.ok && e.scope.is_some() && e.endpoint == endpoint.endpoint);
            if !endpoint.ok && endpoint.scope.is_none() && per_scope {
                for kind in &endpoint.kinds {
                    unknown.kinds.remove(kind);
                }
            }
        }
        unknown
    }

    fn covers(&self, record: &ObjectRecord) -> bool {
        self.kinds.contains(&record.kind)
            || record
                .project_id
                .as_ref()
                .is_some_and(|p| self.scoped.contains(&(record.kind.clone(), p.clone())))
    }

    fn describe(&self) -> Vec<String> {
        self.kinds
            .iter()
            .cloned()
            .chain(
                self.scoped
                    .iter()
                    .map(|(kind, project)| format!("{kind} in {project}")),
            )
            .collect()
    }
}

/// The drift from `before` (objects of scan `from`) to `after` (objects of scan `to`).
pub fn diff(from: &ScanRun, before: &[ObjectRecord], to: &ScanRun, after: &[ObjectRecord]) -> Diff {
    let unknown = Unknown::of([from, to]);
    let key = |r: &ObjectRecord| (r.kind.clone(), r.id.clone());
    let old: BTreeMap<_, &ObjectRecord> = before.iter().map(|r| (key(r), r)).collect();
    let new: BTreeMap<_, &ObjectRecord> = after.iter().map(|r| (key(r), r)).collect();
    let keys: BTreeSet<_> = old.keys().chain(new.keys()).collect();
    let mut drift = Vec::new();
    for k in keys {
        let (change, record) = match (old.get(k), new.get(k)) {
            (Some(a), Some(b)) => {
                let mut fields = Vec::new();
                changed_fields("", &a.data, &b.data, &mut fields);
                if fields.is_empty() {
                    continue;
                }
                (Change::Changed { fields }, *b)
            }
            (None, Some(b)) => (Change::Added, *b),
            (Some(a), None) => (Change::Removed, *a),
            (None, None) => continue,
        };
        if unknown.covers(record) {
            continue;
        }
        drift.push(Drift {
            kind: record.kind.clone(),
            id: record.id.clone(),
            project_id: record.project_id.clone(),
            change,
        });
    }
    Diff {
        from_scan: from.id,
        to_scan: to.id,
        drift,
        unknown: unknown.describe(),
    }
}

/// Leaf-level differences; arrays compare whole (their order is the API's).
fn changed_fields(path: &str, a: &Value, b: &Value, out: &mut Vec<FieldChange>) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                changed_fields(
                    &child,
                    a.get(k).unwrap_or(&Value::Null),
                    b.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ if a != b => out.push(FieldChange {
            field: path.to_owned(),
            before: a.clone(),
            after: b.clone(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_store::{EndpointRun, ScanStatus};
    use serde_json::json;

    fn run(id: i64, failed: &[(&str, Option<&str>)]) -> ScanRun {
        ScanRun {
            id,
            org_id: "org-1".into(),
            started_at: id,
            finished_at: Some(id),
            error: None,
            status: ScanStatus::Partial,
            endpoints: failed
                .iter()
                .map(|(kind, scope)| EndpointRun {
                    endpoint: format!("GET /{kind}"),
                    scope: scope.map(str::to_owned),
                    kinds: vec![(*kind).to_owned()],
                    ok: false,
                    error: Some("HTTP 500".into()),
                    status: Some(500),
                    requests: 1,
                    items: 0,
                })
                .collect(),
        }
    }

    fn object(kind: &str, id: &str, project: Option<&str>, data: Value) -> ObjectRecord {
        ObjectRecord {
            kind: kind.into(),
            id: id.into(),
            project_id: project.map(str::to_owned),
            data,
        }
    }

    #[test]
    fn added_removed_and_changed_fields_are_reported() {
        let before = [
            object("user", "u1", None, json!({"role": "reader", "name": "A"})),
            object("user", "u2", None, json!({"role": "reader"})),
        ];
        let after = [
            object("user", "u1", None, json!({"role": "owner", "name": "A"})),
            object("user", "u3", None, json!({"role": "reader"})),
        ];
        let d = diff(&run(1, &[]), &before, &run(2, &[]), &after);
        let changes: Vec<(&str, &Change)> =
            d.drift.iter().map(|x| (x.id.as_str(), &x.change)).collect();
        assert_eq!(
            changes,
            [
                (
                    "u1",
                    &Change::Changed {
                        fields: vec![FieldChange {
                            field: "role".into(),
                            before: json!("reader"),
                            after: json!("owner"),
                        }]
                    }
                ),
                ("u2", &Change::Removed),
                ("u3", &Change::Added),
            ]
        );
    }

    #[test]
    fn nested_fields_are_named_by_path() {
        let before = [object("k", "1", None, json!({"owner": {"role": "member"}}))];
        let after = [object(
            "k",
            "1",
            None,
            json!({"owner": {"role": "owner", "x": 1}}),
        )];
        let d = diff(&run(1, &[]), &before, &run(2, &[]), &after);
        let Change::Changed { fields } = &d.drift[0].change else {
            panic!("expected a change");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["owner.role", "owner.x"]);
    }

    #[test]
    fn what_a_scan_could_not_read_is_never_removed() {
        let before = [
            object("user", "u1", None, json!({})),
            object("project_api_key", "k1", Some("p1"), json!({})),
            object("project_api_key", "k2", Some("p2"), json!({})),
        ];
        let failed = run(2, &[("user", None), ("project_api_key", Some("p1"))]);
        let d = diff(&run(1, &[]), &before, &failed, &[]);
        let removed: Vec<&str> = d.drift.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(removed, ["k2"]);
        assert_eq!(d.unknown, ["user", "project_api_key in p1"]);
    }
}
