//! `openai-vector-store-no-expiry`: a vector store without an expiry keeps its documents forever.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::endpoints;
use crate::shared::scope::for_active_projects;
use custos_model::inventory::Snapshot;
use serde_json::json;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-vector-store-no-expiry",
    title: "Vector store never expires",
    severity: Severity::Low,
    category: "data",
    resource_kind: "vector_store",
    needs: &[Need::Files],
    params: &[],
    description: "A vector store of an active project has no `expires_after`. Only projects with a configured project key are read.",
    remediation: "Set an expiry policy (`expires_after`) on the vector store, or delete it when it is no longer needed.",
    controls: controls::DATA_PROTECTION,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

/// Said once for the organization when no project's stores could be read.
const NO_PROJECT_KEY: &str =
    "no project key is configured for any active project, so vector stores were not read";

fn evaluate(snapshot: &Snapshot, _as_of: i64, _params: &Params, out: &mut Outcomes) {
    let mut read_any = false;
    // The listing is only checked for projects with a key: without one nothing was requested.
    let mut visit = |project: &custos_model::inventory::ProjectInventory, out: &mut Outcomes| {
        let Some(stores) = &project.vector_stores else {
            return;
        };
        read_any = true;
        let project_id = project.project.id.as_str();
        for store in stores {
            let expires_after = store.expires_after.as_ref().filter(|v| !v.is_null());
            let label = match store.name.as_deref() {
                Some(name) => format!(
                    "Vector store {} (\"{name}\") of project {project_id}",
                    store.id
                ),
                None => format!("Vector store {} of project {project_id}", store.id),
            };
            out.judge(
                Subject::new("vector_store", &store.id, Some(project_id)),
                expires_after.is_none(),
                |fires| {
                    if fires {
                        format!("{label} never expires")
                    } else {
                        format!("{label} has an expiry policy")
                    }
                },
                || json!({ "expires_after": expires_after, "usage_bytes": store.usage_bytes }),
            );
        }
    };
    for_active_projects(snapshot, out, &[endpoints::VECTOR_STORES], &mut visit);
    let failed_any = snapshot
        .failures_of(endpoints::VECTOR_STORES)
        .next()
        .is_some();
    if !read_any && !failed_any {
        out.indeterminate(
            Subject::organization(&snapshot.org_id),
            vec![NO_PROJECT_KEY.to_owned()],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::testing::*;

    #[test]
    fn stores_without_expires_after_fire() {
        let mut with_key = project("p");
        with_key.vector_stores = Some(vec![
            obj(json!({"id": "vs-null", "created_at": 0, "expires_after": null})),
            obj(json!({"id": "vs-missing", "created_at": 0})),
            obj(
                json!({"id": "vs-set", "created_at": 0, "expires_after": {"anchor": "last_active_at", "days": 7}}),
            ),
        ]);
        let without_key = project("no-key");
        let mut archived = archived_project("old");
        archived.vector_stores = Some(vec![obj(json!({"id": "vs-archived", "created_at": 0}))]);
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![with_key, without_key, archived];
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 3);
        assert_eq!(verdict(&outcomes, "vs-null"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "vs-missing"), Verdict::Fail);
        assert_eq!(verdict(&outcomes, "vs-set"), Verdict::Pass);
    }

    #[test]
    fn no_project_key_or_failed_listing_is_indeterminate() {
        let mut snapshot = snapshot();
        snapshot.inventory.projects = vec![project("p")];
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, ORG)).contains("no project key"));

        snapshot.inventory.projects[0].vector_stores = Some(Vec::new());
        snapshot
            .failures
            .push(failure(endpoints::VECTOR_STORES, Some("p"), 500));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_eq!(outcomes.len(), 1);
        assert!(missing(outcome(&outcomes, "p")).contains("/vector_stores"));
    }
}
