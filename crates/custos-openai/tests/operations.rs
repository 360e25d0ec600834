//! `endpoints::OPERATIONS` is exactly the operation set of `openapi.admin.yaml`, read from the
//! copy vendored in `spec/`; and nothing in the workspace reads outside the repository
//! ([`stands_alone`]).

mod stands_alone;

use custos_openai::endpoints::{OPERATIONS, PROJECT_KEY_OPERATIONS};
use serde_yaml_ng::Value;
use std::collections::BTreeSet;

const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../spec/openai-admin-api/openapi.admin.yaml"
);

type Triple = (String, String, String);

/// (method, path, operationId) of every operation in the spec.
fn spec_operations() -> Vec<Triple> {
    let text = std::fs::read_to_string(SPEC).unwrap_or_else(|e| panic!("reading {SPEC}: {e}"));
    let spec: Value = serde_yaml_ng::from_str(&text).expect("the spec is YAML");
    let paths = spec["paths"].as_mapping().expect("`paths` is a mapping");
    let mut operations = Vec::new();
    for (path, item) in paths {
        let path = path.as_str().expect("a path is a string");
        let item = item.as_mapping().expect("a path item is a mapping");
        for (method, operation) in item {
            let method = method.as_str().expect("a method is a string");
            if !matches!(
                method,
                "get" | "put" | "post" | "delete" | "patch" | "head" | "options"
            ) {
                continue;
            }
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            operations.push((method.to_uppercase(), path.to_owned(), id.to_owned()));
        }
    }
    operations
}

fn table() -> Vec<Triple> {
    OPERATIONS
        .iter()
        .map(|op| {
            (
                op.method.to_owned(),
                op.path.to_owned(),
                op.operation_id.to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_table_is_exactly_the_spec() {
    let spec = spec_operations();
    assert_eq!(spec.len(), 119, "the spec has 119 operations");
    let table = table();
    assert_eq!(table.len(), 119, "OPERATIONS has 119 rows");

    let spec: BTreeSet<Triple> = spec.into_iter().collect();
    let ours: BTreeSet<Triple> = table.into_iter().collect();
    assert_eq!(ours.len(), 119, "OPERATIONS has duplicate rows");
    let missing: Vec<_> = spec.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&spec).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing from OPERATIONS: {missing:#?}\nnot in the spec: {extra:#?}"
    );
}

#[test]
fn write_is_true_exactly_for_post_and_delete() {
    for op in OPERATIONS.iter().chain(PROJECT_KEY_OPERATIONS) {
        let expected = matches!(op.method, "POST" | "DELETE");
        assert_eq!(op.write, expected, "{} {}", op.method, op.path);
    }
    let writes = OPERATIONS.iter().filter(|op| op.write).count();
    let deletes = OPERATIONS.iter().filter(|op| op.method == "DELETE").count();
    assert!(
        writes > deletes && deletes > 0,
        "{writes} writes, {deletes} deletes"
    );
}

#[test]
fn project_key_operations_are_not_admin_operations() {
    let spec: BTreeSet<(String, String)> = spec_operations()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    for op in PROJECT_KEY_OPERATIONS {
        let key = (op.method.to_owned(), op.path.to_owned());
        assert!(
            !spec.contains(&key),
            "{} {} is in the admin spec",
            op.method,
            op.path
        );
    }
}
