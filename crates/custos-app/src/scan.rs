//! One scan of a target under its organization's lock, closed as failed when it errs or is
//! stopped, and closing the scan a dead process left running.

use crate::provider::{ScanRequest, Target};
use crate::{Error, Result};
use custos_scan::scan::ScanSummary;
use custos_store::{ScanStatus, Store};
use std::future::Future;
use std::time::Instant;

/// The reason recorded on a scan found running by the next one.
const INTERRUPTED: &str =
    "its process stopped before the scan finished (killed, or the machine went down)";

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
