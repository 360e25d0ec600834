//! `openai-audit-login-failures`: a burst of failed logins for one account looks like password
//! guessing.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::{Outcomes, Subject};
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::data::{audit_gaps, endpoint_gap, endpoints};
use crate::shared::time::{Window, date};
use custos_model::inventory::Snapshot;
use serde_json::json;
use std::collections::BTreeMap;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-audit-login-failures",
    title: "Burst of failed logins",
    severity: Severity::Medium,
    category: "logging",
    resource_kind: "user",
    needs: &[Need::Audit],
    params: &[
        ParamSpec {
            name: "threshold",
            doc: "How many failed logins make a burst.",
            default: "5",
            kind: ParamKind::Integer {
                min: 1,
                max: i64::MAX,
            },
        },
        ParamSpec {
            name: "window_minutes",
            doc: "The most minutes between the first and last failed login of a burst.",
            default: "60",
            kind: ParamKind::Integer {
                min: 0,
                max: i64::MAX,
            },
        },
    ],
    description: "In the last 7 days, at least `threshold` `login.failed` events of the same actor fall within `window_minutes` minutes of each other (first to last, inclusive).",
    remediation: "Confirm with the user; reset their password and review sign-in settings (SSO, MFA) if they did not fail these logins.",
    controls: controls::MONITORING,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

const WINDOW_DAYS: i64 = 7;
const LOGIN_FAILED: &str = "login.failed";

/// The tightest run of `threshold` consecutive failures: (first, last).
fn tightest_burst(times: &[i64], threshold: usize) -> Option<(i64, i64)> {
    let span = threshold.checked_sub(1)?;
    times
        .windows(span + 1)
        .map(|run| (run[0], run[span]))
        .min_by_key(|(first, last)| last.saturating_sub(*first))
}

fn evaluate(snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
    let threshold = params.integer("threshold");
    let window_minutes = params.integer("window_minutes");
    let max_span = window_minutes.saturating_mul(60);
    let window = Window::last_days(as_of, WINDOW_DAYS);
    let mut failures: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for event in &snapshot.inventory.audit_logs {
        if event.kind != LOGIN_FAILED || !window.contains(event.effective_at) {
            continue;
        }
        if let Some(user) = event.actor.as_ref().and_then(|a| a.user_id()) {
            failures.entry(user).or_default().push(event.effective_at);
        }
    }
    // Users with no failure are checked too, when the user list is known.
    if endpoint_gap(snapshot, endpoints::USERS, None).is_none() {
        for user in &snapshot.inventory.users {
            failures.entry(user.id.as_str()).or_default();
        }
    }
    let gaps = audit_gaps(snapshot, window.start);
    let threshold_count = usize::try_from(threshold).unwrap_or(usize::MAX);
    for (user, mut times) in failures {
        times.sort_unstable();
        let subject = Subject::new("user", user, None);
        let burst = tightest_burst(&times, threshold_count);
        let fires = burst.is_some_and(|(first, last)| last.saturating_sub(first) <= max_span);
        if !fires && !gaps.is_empty() {
            out.indeterminate(subject, gaps.clone());
            continue;
        }
        out.judge(
            subject,
            fires,
            |fires| match burst {
                Some((first, last)) if fires => format!(
                    "User {user} failed to log in {threshold} times within {} minutes on {}",
                    last.saturating_sub(first) / 60,
                    date(first)
                ),
                _ => format!(
                    "User {user} had {} failed login(s) in the last {WINDOW_DAYS} days, no burst of {threshold} within {window_minutes} minutes",
                    times.len()
                ),
            },
            || json!({
                "failed_logins": times.len(),
                "burst_first_at": burst.filter(|_| fires).map(|b| b.0),
                "burst_last_at": burst.filter(|_| fires).map(|b| b.1),
                "threshold": threshold,
                "window_minutes": window_minutes,
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::shared::time::days;
    use crate::testing::*;

    fn login_failed(snapshot: &mut Snapshot, user: &str, at: i64) {
        let id = format!("evt-{}", snapshot.inventory.audit_logs.len());
        snapshot.inventory.audit_logs.push(obj(json!({
            "id": id, "type": "login.failed", "effective_at": at,
            "actor": {"type": "session", "session": {"user": {"id": user}}},
        })));
    }

    #[test]
    fn burst_span_and_window_boundaries() {
        let mut snapshot = snapshot();
        snapshot.inventory.users = vec![user("quiet", "reader", 0)];
        let t = AS_OF - days(1);
        // Five failures spanning exactly 60 minutes: a burst.
        for i in 0..5 {
            login_failed(&mut snapshot, "at-span", t + i * 900);
        }
        // Five failures spanning 60 minutes and 1 second: not a burst.
        for i in 0..4 {
            login_failed(&mut snapshot, "over-span", t + i * 900);
        }
        login_failed(&mut snapshot, "over-span", t + 3600 + 1);
        // Four failures: below the threshold.
        for i in 0..4 {
            login_failed(&mut snapshot, "below-threshold", t + i);
        }
        // The first of five falls one second before the 7-day window.
        let start = AS_OF - days(7);
        login_failed(&mut snapshot, "partly-outside", start - 1);
        for i in 0..4 {
            login_failed(&mut snapshot, "partly-outside", start + i);
        }
        // Exactly at the window start counts.
        for i in 0..5 {
            login_failed(&mut snapshot, "at-window-start", start + i);
        }
        // Other event types are not failures.
        snapshot.inventory.audit_logs.push(obj(json!({
            "id": "ok", "type": "login.succeeded", "effective_at": t,
            "actor": {"session": {"user": {"id": "quiet"}}},
        })));
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_well_formed(&META, &outcomes);
        for (id, expected) in [
            ("at-span", Verdict::Fail),
            ("over-span", Verdict::Pass),
            ("below-threshold", Verdict::Pass),
            ("partly-outside", Verdict::Pass),
            ("at-window-start", Verdict::Fail),
            ("quiet", Verdict::Pass),
        ] {
            assert_eq!(verdict(&outcomes, id), expected, "{id}");
        }
    }

    #[test]
    fn missing_history_is_indeterminate_unless_a_burst_is_found() {
        let mut snapshot = snapshot();
        snapshot.inventory.users = vec![user("quiet", "reader", 0)];
        for i in 0..5 {
            login_failed(&mut snapshot, "burst", AS_OF - 100 + i);
        }
        snapshot.coverage.audit_from = Some(AS_OF - days(7) + 1);
        let outcomes = run_default(&CHECK, &snapshot, AS_OF);
        assert_eq!(verdict(&outcomes, "burst"), Verdict::Fail);
        assert!(missing(outcome(&outcomes, "quiet")).contains("audit events cover only"));
    }

    #[test]
    fn tightest_burst_handles_short_and_zero_thresholds() {
        assert_eq!(tightest_burst(&[1, 2], 3), None);
        assert_eq!(tightest_burst(&[1, 2], 0), None);
        assert_eq!(tightest_burst(&[1, 5, 6, 20], 2), Some((5, 6)));
    }
}
