//! `custos scan`: one organization through the Admin API into a new snapshot.

use super::context;
use super::output;
use crate::cli::ScanArgs;
use anyhow::bail;
use custos_app::ValidConfig;
use custos_app::provider::{ScanRequest, Target};
use custos_app::scan::Scanned;
use custos_config::ScanSettings;
use custos_scan::scan::{ScanSummary, Stage};
use custos_store::Store;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// A test hook: set to a [`Stage`] name, the process aborts there (as `kill -9` would), so that
/// tests can check what a crash at that point leaves behind.
const CRASH_AT: &str = "CUSTOS_CRASH_AT";

pub async fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let config = context::load_config(&args.config)?;
    let store = context::open_store(&args.store).await?;
    let target = context::target(
        &config,
        store.as_ref(),
        args.org.id.as_deref(),
        args.api.base_url.as_deref(),
        &args.api.master_key.file,
    )
    .await?;
    let now = args.now.unwrap_or_else(super::now_unix);
    let started = Instant::now();
    let scanned =
        scan_and_record(&target, store.as_ref(), &config, &config.config().scan, now).await?;
    let summary = scanned.summary;
    context::warn_policy_errors(&config);
    let recorded = scanned.recorded;
    let changes = recorded.changes;
    if args.json.enabled {
        let mut json = summary_json(&target, &summary);
        json["findings"] = serde_json::to_value(changes)?;
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print_summary(&target, &summary, started.elapsed().as_secs_f64());
        println!(
            "findings: {} new, {} reopened, {} still open, {} resolved, {} suppressed (`custos findings`)",
            changes.opened,
            changes.reopened,
            changes.still_open,
            changes.resolved,
            changes.suppressed
        );
    }
    let unloaded = recorded.policy_errors.len();
    if unloaded > 0 && !args.allow_policy_errors {
        bail!(
            "{unloaded} problem(s) in custom policy files (listed above): those policies did not run and their findings were kept open as indeterminate; fix the files, or pass --allow-policy-errors"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Scans `target` into `store` with the `settings` of `[scan]`, a progress bar on a terminal,
/// the crash hook of the tests, and Ctrl-C or SIGTERM stopping it, and records its findings.
pub async fn scan_and_record(
    target: &Target,
    store: &dyn Store,
    config: &ValidConfig,
    settings: &ScanSettings,
    now: i64,
) -> anyhow::Result<Scanned> {
    let bar = progress_bar();
    let request = ScanRequest {
        settings: settings.clone(),
        keep_emails: config.config().privacy.store_emails,
        now,
        progress: Some(progress_reporter(bar.clone())),
        checkpoint: crash_hook(),
    };
    let stop = async { stop_signal().await.to_owned() };
    let holder = custos_app::scan::lock_holder("custos scan", now);
    let outcome =
        custos_app::scan::scan_and_record(config, target, store, &request, &holder, stop).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(outcome?)
}

/// Resolves when the user stops the process (Ctrl-C, or SIGTERM on Unix), with what happened.
pub async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut terminate) = signal(SignalKind::terminate()) else {
            return interrupted().await;
        };
        tokio::select! {
            stopped = interrupted() => stopped,
            _ = terminate.recv() => "the scan was stopped by SIGTERM",
        }
    }
    #[cfg(not(unix))]
    interrupted().await
}

async fn interrupted() -> &'static str {
    match tokio::signal::ctrl_c().await {
        Ok(()) => "the scan was interrupted (Ctrl-C)",
        // No signal handler: never resolve, the scan runs to its end.
        Err(_) => std::future::pending().await,
    }
}

/// A bar on a terminal; elsewhere the log says how far the walk is.
fn progress_bar() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    Some(bar)
}

fn progress_reporter(bar: Option<ProgressBar>) -> custos_scan::collect::Progress {
    Arc::new(move |what: &str, done: usize, total: usize| match &bar {
        Some(bar) => {
            bar.set_message(what.to_owned());
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
        None => {
            // Every tenth of the walk, so that a long scan shows life without flooding logs.
            let step = (total / 10).max(1);
            if done == total || done.is_multiple_of(step) {
                tracing::info!(what, done, total, "scan progress");
            }
        }
    })
}

fn crash_hook() -> Option<custos_scan::scan::Checkpoint> {
    let at = std::env::var(CRASH_AT).ok()?;
    Some(Arc::new(move |stage: Stage| {
        if stage.name() == at {
            eprintln!("{CRASH_AT}={at}: aborting the process at this stage");
            std::process::abort();
        }
    }))
}

pub fn print_summary(target: &Target, summary: &ScanSummary, seconds: f64) {
    let name = target
        .name
        .as_deref()
        .map_or_else(String::new, |n| format!(" ({})", output::safe(n)));
    println!(
        "scan {} of {}{name}: {} ({} objects, {} requests, {seconds:.1} s)",
        summary.scan_id, target.id, summary.status, summary.objects, summary.requests
    );
    let rate = summary.rate.map_or_else(
        || "unlimited".to_owned(),
        |rate| format!("{rate} requests/s"),
    );
    println!(
        "pace: settled at {rate}, {} request(s) answered 429",
        summary.throttled
    );
    let rows: Vec<Vec<String>> = summary
        .counts
        .iter()
        .map(|(kind, n)| vec![(*kind).to_owned(), n.to_string()])
        .collect();
    println!("{}", output::table(&["kind", "count"], &rows));
    println!(
        "audit events: {} read, {} new; usage rows: {}; cost rows: {}",
        summary.audit_events_read, summary.audit_events_new, summary.usage_rows, summary.cost_rows
    );
    if !summary.failures.is_empty() {
        println!(
            "\n{} endpoint(s) failed; what they provide is unknown in this snapshot (not deleted):",
            summary.failures.len()
        );
        for failure in &summary.failures {
            let scope = failure.project_id.as_deref().unwrap_or("organization");
            println!(
                "  {} [{}]: {}",
                failure.endpoint,
                output::safe(scope),
                output::safe(&failure.message)
            );
        }
    }
}

fn summary_json(target: &Target, summary: &ScanSummary) -> serde_json::Value {
    serde_json::json!({
        "scan_id": summary.scan_id,
        "org_id": target.id,
        "status": summary.status,
        "objects": summary.objects,
        "requests": summary.requests,
        "throttled": summary.throttled,
        "rate": summary.rate,
        "counts": summary.counts.iter().map(|(k, n)| (k.to_string(), *n)).collect::<BTreeMap<_, _>>(),
        "audit_events_read": summary.audit_events_read,
        "audit_events_new": summary.audit_events_new,
        "usage_rows": summary.usage_rows,
        "cost_rows": summary.cost_rows,
        "failures": summary.failures,
        "windows": {
            "audit_since": summary.windows.audit_since,
            "usage_from": summary.windows.usage_from.iter().map(|(k, v)| (k.name().to_owned(), *v)).collect::<BTreeMap<_, _>>(),
            "costs_from": summary.windows.costs_from,
        },
    })
}
