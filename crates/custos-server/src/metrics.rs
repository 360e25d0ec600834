//! `GET /metrics` in the Prometheus text format (version 0.0.4): open findings and the time of
//! the last complete scan read from the store at each scrape (so they survive a restart), and
//! what this process counted: scans by result, their duration and requests, API answers.

use crate::AppState;
use crate::auth::{Signed, Viewer};
use crate::problem::Problem;
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use custos_store::{FindingStatus, ScanStatus};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// What this process counted.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    /// Answers by (route, status): how many, and their seconds added up.
    requests: BTreeMap<(String, u16), (u64, f64)>,
    /// Scheduled scans by (organization, result).
    scans: BTreeMap<(String, &'static str), u64>,
    /// Requests sent to the provider by the scheduled scans of each organization.
    scan_requests: BTreeMap<String, u64>,
    /// How long the latest scheduled scan of each organization took, in seconds.
    last_duration: BTreeMap<String, f64>,
}

/// The result of a scheduled scan that did not run to a snapshot.
pub(crate) const FAILED: &str = "failed";

impl Metrics {
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn count_request(&self, route: &str, status: u16, took: Duration) {
        let mut counts = self.counts();
        let entry = counts
            .requests
            .entry((route.to_owned(), status))
            .or_default();
        entry.0 += 1;
        entry.1 += took.as_secs_f64();
    }

    /// A scheduled scan of `org` ended with `result` (a scan status, or [`FAILED`]) after
    /// `took`, having sent `requests`.
    pub(crate) fn count_scan(
        &self,
        org: &str,
        result: &'static str,
        took: Duration,
        requests: u64,
    ) {
        let mut counts = self.counts();
        *counts.scans.entry((org.to_owned(), result)).or_default() += 1;
        *counts.scan_requests.entry(org.to_owned()).or_default() += requests;
        counts
            .last_duration
            .insert(org.to_owned(), took.as_secs_f64());
    }
}

/// The metrics, behind a viewer's token unless `[server] metrics_open`.
#[utoipa::path(
    get,
    path = "/metrics",
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 401, description = "No or a bad token (unless [server] metrics_open)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn scrape(
    State(shared): State<AppState>,
    mut parts: Parts,
) -> Result<Response, Problem> {
    if !shared.config.config().server.metrics_open {
        Signed::<Viewer>::from_request_parts(&mut parts, &shared).await?;
    }
    let mut text = String::new();
    let mut open: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for f in shared.store.findings(None).await? {
        if f.status == FindingStatus::Open {
            *open.entry((f.org_id, f.policy_id, f.severity)).or_default() += 1;
        }
    }
    family(
        &mut text,
        "custos_open_findings",
        "gauge",
        "Open findings by organization, policy and severity.",
        open.iter().map(|((org, policy, severity), n)| {
            (
                labels(&[("org", org), ("policy", policy), ("severity", severity)]),
                *n as f64,
            )
        }),
    );
    let mut last_complete: BTreeMap<String, i64> = BTreeMap::new();
    for run in shared.store.scans(None).await? {
        if let (ScanStatus::Complete, Some(at)) = (run.status, run.finished_at) {
            let latest = last_complete.entry(run.org_id).or_insert(at);
            *latest = (*latest).max(at);
        }
    }
    family(
        &mut text,
        "custos_last_complete_scan_timestamp_seconds",
        "gauge",
        "When the latest complete scan of each organization finished (Unix seconds).",
        last_complete
            .iter()
            .map(|(org, at)| (labels(&[("org", org)]), *at as f64)),
    );
    let counts = shared.metrics.counts();
    family(
        &mut text,
        "custos_scans_total",
        "counter",
        "Scans the scheduler ran, by organization and result (complete, partial, failed).",
        counts
            .scans
            .iter()
            .map(|((org, result), n)| (labels(&[("org", org), ("result", result)]), *n as f64)),
    );
    family(
        &mut text,
        "custos_scan_duration_seconds",
        "gauge",
        "How long the latest scheduled scan of each organization took.",
        counts
            .last_duration
            .iter()
            .map(|(org, s)| (labels(&[("org", org)]), *s)),
    );
    family(
        &mut text,
        "custos_scan_requests_total",
        "counter",
        "Requests the scheduled scans sent to the provider, retries included, by organization.",
        counts
            .scan_requests
            .iter()
            .map(|(org, n)| (labels(&[("org", org)]), *n as f64)),
    );
    family(
        &mut text,
        "custos_http_requests_total",
        "counter",
        "Answers of this server by route and status.",
        counts.requests.iter().map(|((route, status), (n, _))| {
            (
                labels(&[("route", route), ("status", &status.to_string())]),
                *n as f64,
            )
        }),
    );
    family(
        &mut text,
        "custos_http_request_seconds_total",
        "counter",
        "Time spent answering, by route and status.",
        counts
            .requests
            .iter()
            .map(|((route, status), (_, seconds))| {
                (
                    labels(&[("route", route), ("status", &status.to_string())]),
                    *seconds,
                )
            }),
    );
    drop(counts);
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// One metric family: its help and type lines, then a sample per label set.
fn family(
    text: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    samples: impl Iterator<Item = (String, f64)>,
) {
    let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(text, "{name}{{{labels}}} {value}");
    }
}

/// `name="value",...` with values escaped as the format wants (backslash, quote, newline).
fn labels(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| {
            let escaped = value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{name}=\"{escaped}\"")
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            labels(&[("org", "a\"b\\c\nd"), ("x", "y")]),
            "org=\"a\\\"b\\\\c\\nd\",x=\"y\""
        );
    }
}
