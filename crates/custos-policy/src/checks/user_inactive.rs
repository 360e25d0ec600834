//! `openai-user-inactive`: accounts nobody uses are accounts nobody watches.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::{audit_gaps, endpoint_gap, endpoints, usage_gaps};
use crate::shared::records::usage_in;
use crate::shared::time::{Window, age_in_days, date, older_than};
use custos_model::inventory::Snapshot;
use serde_json::json;
use std::collections::HashMap;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-user-inactive",
    title: "User is inactive",
    severity: Severity::Medium,
    category: "identity",
    resource_kind: "user",
    needs: &[Need::Admin, Need::Usage, Need::Audit],
    params: &[ParamSpec {
        name: "inactive_days",
        doc: "Days without activity after which a user is inactive.",
        default: "90",
        kind: ParamKind::Integer {
            min: 1,
            max: i64::MAX,
        },
    }],
    description: "A user was added at least `inactive_days` days ago and has no activity in the last `inactive_days` days: no usage record with their `user_id` and no audit event they acted in, other than `login.failed`.",
    remediation: "Remove the user from the organization, or confirm with their manager that they still need access.",
    controls: controls::ACCOUNT_LIFECYCLE,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

/// A failed login is not activity: someone who cannot log in is not using the account.
const LOGIN_FAILED: &str = "login.failed";

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let inactive_days = params.integer("inactive_days");
    let window = Window::last_days(as_of, inactive_days);
    if let Some(gap) = endpoint_gap(snapshot, endpoints::USERS, None) {
        out.indeterminate(Subject::organization(&snapshot.org_id), vec![gap]);
        return;
    }
    let last_activity = last_activity_by_user(snapshot, window);
    // Found activity proves a user active even if some data is missing; only the absence of
    // activity needs complete data.
    let mut gaps = usage_gaps(snapshot, window.start);
    gaps.extend(audit_gaps(snapshot, window.start));
    for user in &snapshot.inventory.users {
        let subject = Subject::new("user", &user.id, None);
        let last = last_activity.get(user.id.as_str()).copied();
        let evidence = || {
            json!({
                "added_at": user.added_at,
                "last_activity_at": last,
                "inactive_days": inactive_days,
            })
        };
        let id = &user.id;
        if !older_than(user.added_at, as_of, inactive_days) {
            let age = age_in_days(user.added_at, as_of);
            out.pass(subject, || {
                format!("User {id} was added {age} days ago, less than {inactive_days} days")
            });
        } else if let Some(last) = last {
            out.pass(subject, || {
                format!("User {id} was last active on {}", date(last))
            });
        } else if !gaps.is_empty() {
            out.indeterminate(subject, gaps.clone());
        } else {
            let message = format!("User {id} has had no activity in the last {inactive_days} days");
            out.fail(subject, message, evidence());
        }
    }
}

/// The latest activity of each user inside `window`.
fn last_activity_by_user(snapshot: &Snapshot, window: Window) -> HashMap<&str, i64> {
    let mut last: HashMap<&str, i64> = HashMap::new();
    for (t, record) in usage_in(snapshot, window) {
        if let Some(user) = record.user_id.as_deref() {
            let entry = last.entry(user).or_insert(t);
            *entry = (*entry).max(t);
        }
    }
    for event in &snapshot.inventory.audit_logs {
        if event.kind == LOGIN_FAILED || !window.contains(event.effective_at) {
            continue;
        }
        if let Some(user) = event.actor.as_ref().and_then(|a| a.user_id()) {
            let entry = last.entry(user).or_insert(event.effective_at);
            *entry = (*entry).max(event.effective_at);
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::time::days;
    use crate::testing::*;
    use custos_model::api::UsageKind;
    use custos_model::unix::DAY;

    const WINDOW_START: i64 = AS_OF - 90 * DAY;

    fn audit(id: &str, kind: &str, user: &str, at: i64) -> custos_model::api::AuditLog {
        obj(json!({
            "id": id, "type": kind, "effective_at": at,
            "actor": {"type": "session", "session": {"user": {"id": user}}},
        }))
    }

    fn base() -> Snapshot {
        let mut snapshot = snapshot();
        snapshot.inventory.users = vec![
            user("new-at-boundary", "reader", WINDOW_START + 1),
            user("old-idle", "reader", WINDOW_START),
            user("usage-at-window-start", "reader", 0),
            user("usage-before-window", "reader", 0),
            user("usage-at-as-of", "reader", 0),
            user("audit-active", "reader", 0),
            user("api-key-actor", "reader", 0),
            user("only-login-failures", "reader", 0),
        ];
        add_usage(
            &mut snapshot,
            UsageKind::Completions,
            WINDOW_START,
            json!({"object": "x", "user_id": "usage-at-window-start"}),
        );
        add_usage(
            &mut snapshot,
            UsageKind::Embeddings,
            WINDOW_START - 1,
            json!({"object": "x", "user_id": "usage-before-window"}),
        );
        add_usage(
            &mut snapshot,
            UsageKind::Completions,
            AS_OF,
            json!({"object": "x", "user_id": "usage-at-as-of"}),
        );
        snapshot.inventory.audit_logs = vec![
            audit("e1", "project.created", "audit-active", AS_OF - 1),
            audit("e2", "login.failed", "only-login-failures", AS_OF - 10),
            obj(json!({
                "id": "e3", "type": "api_key.created", "effective_at": AS_OF - days(1),
                "actor": {"type": "api_key", "api_key": {"type": "user", "user": {"id": "api-key-actor"}}},
            })),
        ];
        snapshot
    }

    #[test]
    fn activity_and_age_boundaries() {
        let outcomes = run_default(&CHECK, &base(), AS_OF);
        assert_well_formed(&META, &outcomes);
        for (id, expected) in [
            ("new-at-boundary", Verdict::Pass),
            ("old-idle", Verdict::Fail),
            ("usage-at-window-start", Verdict::Pass),
            ("usage-before-window", Verdict::Fail),
            ("usage-at-as-of", Verdict::Fail),
            ("audit-active", Verdict::Pass),
            ("api-key-actor", Verdict::Pass),
            ("only-login-failures", Verdict::Fail),
        ] {
            assert_eq!(verdict(&outcomes, id), expected, "{id}");
        }
    }

    #[test]
    fn missing_history_makes_idle_users_indeterminate_but_not_active_ones() {
        let mut snapshot = base();
        snapshot.coverage.usage_from = Some(WINDOW_START + 1);
        snapshot.coverage.audit_from = None;
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        let gaps = missing(outcome(&outcomes, "old-idle"));
        assert!(gaps.contains("usage records cover only from"), "{gaps}");
        assert!(gaps.contains("audit events were not collected"), "{gaps}");
        assert_eq!(verdict(&outcomes, "audit-active"), Verdict::Pass);
        assert_eq!(verdict(&outcomes, "new-at-boundary"), Verdict::Pass);

        let mut snapshot = base();
        snapshot.coverage.usage_from = Some(WINDOW_START);
        snapshot
            .failures
            .push(failure("/organization/usage/completions", None, 500));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert!(missing(outcome(&outcomes, "old-idle")).contains("usage/completions"));
    }

    #[test]
    fn failed_user_list_is_indeterminate() {
        let mut snapshot = base();
        snapshot.failures.push(failure(endpoints::USERS, None, 500));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_eq!(outcomes.len(), 1);
        assert_eq!(outcomes[0].result, Verdict::Indeterminate);
    }
}
