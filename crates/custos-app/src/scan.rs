//! One scan of a target under its organization's lock, closed as failed when it errs or is
//! stopped, and closing the scan a dead process left running.

use crate::config::ValidConfig;
use crate::evaluate::{Recorded, record_scan_findings};
use crate::provider::{ScanRequest, Target};
use crate::{Error, Result};
use custos_scan::scan::ScanSummary;
use custos_store::{ScanRun, ScanStatus, Store};
use std::future::Future;
use std::time::Instant;

/// The reason recorded on a scan found running by the next one.
const INTERRUPTED: &str =
    "its process stopped before the scan finished (killed, or the machine went down)";

/// A scan and what recording its findings did.
#[derive(Debug)]
pub struct Scanned {
    pub summary: ScanSummary,
    /// The scan as stored: its status, times and endpoints.
    pub run: ScanRun,
    pub recorded: Recorded,
}

/// What `custos scan` and the server's scheduler do: [`scan_target`], then the scan's findings
/// evaluated and their lifecycle recorded ([`record_scan_findings`]).
pub async fn scan_and_record(
    config: &ValidConfig,
    target: &Target,
    store: &dyn Store,
    request: &ScanRequest,
    holder: &str,
    stop: impl Future<Output = String>,
) -> Result<Scanned> {
    let summary = scan_target(target, store, request, holder, stop).await?;
    let run = store.scan(summary.scan_id).await?.ok_or_else(|| {
        Error::Selection(format!(
            "scan {} just recorded is not in the store",
            summary.scan_id
        ))
    })?;
    let recorded = record_scan_findings(config, store, &run).await?;
    Ok(Scanned {
        summary,
        run,
        recorded,
    })
}

/// Who holds a scan lock, as a second scan's refusal shows it: `command` (`custos scan`),
/// this process and host, and when it started (`now`).
pub fn lock_holder(command: &str, now: i64) -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .map_or_else(String::new, |h| format!(" on {h}"));
    format!(
        "{command} (pid {}{host}, started {})",
        std::process::id(),
        crate::rfc3339(Some(now))
    )
}

/// Scans `target` through its provider into `store`. `holder` says who holds the lock (a
/// second scan's refusal shows it); `stop` resolves, with what happened, when the caller wants
/// the scan stopped (a signal, a cancelled request); the scan is then closed as failed.
pub async fn scan_target(
    target: &Target,
    store: &dyn Store,
    request: &ScanRequest,
    holder: &str,
    stop: impl Future<Output = String>,
) -> Result<ScanSummary> {
    let now = request.now;
    // One scan of an organization at a time: a second is refused here, before any request.
    let lock = store.lock_organization(&target.id, holder).await?;
    let started = Instant::now();
    let clock = || now.saturating_add(i64::try_from(started.elapsed().as_secs()).unwrap_or(0));
    // Holding the lock, any scan of this organization still running was left by a process
    // that died: it is closed as interrupted rather than shown as running forever.
    store
        .close_running_scans(&lock, now, ScanStatus::Interrupted, INTERRUPTED)
        .await?;
    let outcome = tokio::select! {
        result = target.source.scan(target, store, request) => result.map_err(|source| Error::Scan {
            org_id: target.id.clone(),
            source: Box::new(source),
        }),
        stopped = stop => Err(Error::Stopped(stopped)),
    };
    match outcome {
        Ok(summary) => {
            lock.release().await?;
            Ok(summary)
        }
        Err(error) => {
            // The scan this process started (the only one running, under the lock) ends as
            // failed with its reason; if even that write fails, the next scan closes it.
            let reason = crate::error_chain(&error);
            if let Err(e) = store
                .close_running_scans(&lock, clock(), ScanStatus::Failed, &reason)
                .await
            {
                tracing::warn!(error = %e, "could not record the scan as failed");
            }
            if let Err(e) = lock.release().await {
                tracing::warn!(error = %e, "could not release the scan lock");
            }
            Err(error)
        }
    }
}
