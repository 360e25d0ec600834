//! The scans the server runs by itself: every organization of the configuration every
//! `[scheduler] interval` (plus up to `jitter`), at start when `scan_on_start`, and at once when
//! `POST /api/v1/scans` asks. Each organization has one task, so its scans never overlap (the
//! store's organization lock also refuses a scan run elsewhere at the same time). A scan is
//! what `custos scan` does (`custos_app::scan::scan_and_record`); a failed or partial one is
//! retried after `retry_backoff`, doubled with each failure in a row up to `interval`, and
//! counted as such in the metrics, never as complete.
//!
//! On SQLite one scheduler per store file: [`SchedulerLock`] holds an OS lock on
//! `<db>.scheduler.lock` for the life of the server, so a second `custos serve` on the file is
//! refused at start (it may run with `--api-only`).

use crate::metrics::FAILED;
use crate::problem::Problem;
use crate::{AppState, ServerError};
use axum::http::StatusCode;
use custos_app::ValidConfig;
use custos_app::provider::ScanRequest;
use custos_config::SchedulerSettings;
use custos_store::{Location, LockFileError, ScanStatus};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, watch};

/// The reason recorded on a scan the server stopped.
const STOPPED: &str = "the server was stopped (SIGTERM or Ctrl-C) during the scan";

/// One schedule per configured organization, and the way to ask for a scan now.
#[derive(Debug)]
pub(crate) struct Scheduler {
    settings: SchedulerSettings,
    master_key_file: PathBuf,
    /// Each organization's "scan now" signal.
    now: BTreeMap<String, Arc<Notify>>,
}

impl Scheduler {
    pub(crate) fn new(config: &ValidConfig, master_key_file: PathBuf) -> Scheduler {
        Scheduler {
            settings: config.config().scheduler.clone(),
            master_key_file,
            now: config
                .config()
                .organizations
                .iter()
                .map(|o| (o.id.clone(), Arc::new(Notify::new())))
                .collect(),
        }
    }

    /// Asks for a scan of `org` (every organization when `None`) as soon as its running one,
    /// if any, ends; returns the organizations asked.
    pub(crate) fn queue(&self, org: Option<&str>) -> Result<Vec<String>, Problem> {
        let chosen: Vec<(&String, &Arc<Notify>)> = match org {
            None => self.now.iter().collect(),
            Some(id) => {
                let found = self.now.get_key_value(id).ok_or_else(|| {
                    Problem::new(
                        StatusCode::NOT_FOUND,
                        format!(
                            "organization {id:?} is not in the configuration; it schedules {}",
                            self.now.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    )
                })?;
                vec![found]
            }
        };
        Ok(chosen
            .into_iter()
            .map(|(id, notify)| {
                // A permit is kept if the task is scanning: the scan runs right after.
                notify.notify_one();
                id.clone()
            })
            .collect())
    }

    /// Runs every organization's schedule until `stopped` turns true; the future resolves
    /// when every task has ended (a running scan stopped and closed as failed).
    pub(crate) fn spawn(
        &self,
        shared: AppState,
        stopped: watch::Receiver<bool>,
    ) -> impl Future<Output = ()> + use<> {
        let mut tasks = tokio::task::JoinSet::new();
        for (org, now) in &self.now {
            tasks.spawn(schedule(
                Arc::clone(&shared),
                org.clone(),
                Arc::clone(now),
                self.settings.clone(),
                self.master_key_file.clone(),
                stopped.clone(),
            ));
        }
        async move {
            while let Some(ended) = tasks.join_next().await {
                if let Err(e) = ended {
                    tracing::error!(error = %e, "a schedule ended abnormally");
                }
            }
        }
    }
}

/// Whether a scan left the organization in need of another soon.
enum Outcome {
    Complete,
    Retry,
}

async fn schedule(
    shared: AppState,
    org: String,
    now: Arc<Notify>,
    settings: SchedulerSettings,
    master_key_file: PathBuf,
    mut stopped: watch::Receiver<bool>,
) {
    let interval = settings.interval.0;
    let mut failures: u32 = 0;
    let mut wait = if settings.scan_on_start {
        Duration::ZERO
    } else {
        with_jitter(interval, settings.jitter.0)
    };
    loop {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = now.notified() => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
        let outcome = scan(&shared, &org, &master_key_file, stopped.clone()).await;
        if *stopped.borrow() {
            return;
        }
        wait = match outcome {
            Outcome::Complete => {
                failures = 0;
                with_jitter(interval, settings.jitter.0)
            }
            Outcome::Retry => {
                failures = failures.saturating_add(1);
                backoff(settings.retry_backoff.0, failures, interval)
            }
        };
    }
}

/// `interval` plus a random part of `jitter`.
fn with_jitter(interval: Duration, jitter: Duration) -> Duration {
    let extra = fastrand::u64(0..=u64::try_from(jitter.as_millis()).unwrap_or(u64::MAX));
    interval.saturating_add(Duration::from_millis(extra))
}

/// The wait after the `failures`-th failure in a row: `first`, doubled each time, at most
/// `cap`.
fn backoff(first: Duration, failures: u32, cap: Duration) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(31));
    first.saturating_mul(factor).min(cap)
}

/// One scheduled scan of `org`, as `custos scan` does it, counted in the metrics.
async fn scan(
    shared: &AppState,
    org: &str,
    master_key_file: &std::path::Path,
    mut stopped: watch::Receiver<bool>,
) -> Outcome {
    let store = shared.store.as_ref();
    let config = &shared.config;
    let started = Instant::now();
    let now = crate::now_unix();
    let scanned = async {
        let target =
            custos_app::context::target(config, store, Some(org), None, master_key_file).await?;
        let request = ScanRequest {
            settings: config.config().scan.clone(),
            keep_emails: config.config().privacy.store_emails,
            now,
            progress: None,
            checkpoint: None,
        };
        let holder = custos_app::scan::lock_holder("custos serve", now);
        let stop = async move {
            let _ = stopped.wait_for(|s| *s).await;
            STOPPED.to_owned()
        };
        custos_app::scan::scan_and_record(config, &target, store, &request, &holder, stop).await
    }
    .await;
    match scanned {
        Ok(scanned) => {
            let status = scanned.run.status;
            shared.metrics.count_scan(
                org,
                status.as_str(),
                started.elapsed(),
                scanned.summary.requests,
            );
            let changes = scanned.recorded.changes;
            tracing::info!(
                org,
                scan = scanned.run.id,
                %status,
                opened = changes.opened,
                resolved = changes.resolved,
                "scheduled scan finished"
            );
            if status == ScanStatus::Complete {
                Outcome::Complete
            } else {
                Outcome::Retry
            }
        }
        Err(error) => {
            shared.metrics.count_scan(org, FAILED, started.elapsed(), 0);
            let why = custos_app::error_chain(&error);
            if matches!(error, custos_app::Error::Stopped(_)) {
                tracing::info!(org, why, "scheduled scan stopped");
            } else {
                tracing::warn!(org, error = why, "scheduled scan failed");
            }
            Outcome::Retry
        }
    }
}

/// The OS lock on `<db>.scheduler.lock` that makes a server the only scheduler of an SQLite
/// file; released when it is dropped (or its process dies). PostgreSQL and in-memory stores
/// need none here: each scan still takes its organization's lock in the store.
#[derive(Debug)]
pub(crate) struct SchedulerLock {
    _file: Option<std::fs::File>,
}

impl SchedulerLock {
    pub(crate) fn take(db: &str) -> Result<SchedulerLock, ServerError> {
        let Ok(Location::Sqlite(path)) = Location::parse(db) else {
            return Ok(SchedulerLock { _file: None });
        };
        let mut name = path.into_os_string();
        name.push(".scheduler.lock");
        let path = PathBuf::from(name);
        let holder = custos_app::scan::lock_holder("custos serve", crate::now_unix());
        match custos_store::take_lock_file(&path, &holder) {
            Ok(file) => Ok(SchedulerLock { _file: Some(file) }),
            Err(LockFileError::Held(held_by)) => Err(ServerError::SchedulerRunning {
                db: Location::shown(db),
                lock: path.display().to_string(),
                holder: if held_by.is_empty() {
                    String::new()
                } else {
                    format!(", {held_by}")
                },
            }),
            Err(LockFileError::Io { op, source }) => Err(ServerError::SchedulerLock {
                path: path.display().to_string(),
                op,
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_interval() {
        let minute = Duration::from_secs(60);
        let hour = Duration::from_secs(3600);
        assert_eq!(backoff(minute, 1, hour), minute);
        assert_eq!(backoff(minute, 2, hour), 2 * minute);
        assert_eq!(backoff(minute, 4, hour), 8 * minute);
        assert_eq!(backoff(minute, 7, hour), hour);
        assert_eq!(backoff(minute, u32::MAX, hour), hour);
    }

    #[test]
    fn jitter_adds_at_most_its_length() {
        let interval = Duration::from_secs(10);
        for _ in 0..100 {
            let wait = with_jitter(interval, Duration::from_secs(2));
            assert!(wait >= interval && wait <= interval + Duration::from_secs(2));
        }
        assert_eq!(with_jitter(interval, Duration::ZERO), interval);
    }
}
