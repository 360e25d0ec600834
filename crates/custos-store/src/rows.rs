//! Rows as both backends read them, and their conversion into the public records; so that the
//! decoding rules (status names, JSON, counts) exist once.

use crate::lifecycle::FindingState;
use crate::{
    AuditEventRecord, CostRecord, EndpointRun, Error, FindingEvent, FindingRecord, ObjectRecord,
    Result, ScanId, ScanRun, ScanStatus, Suppression, UsageRecord,
};
use serde_json::Value;

/// Parses a stored JSON document.
pub(crate) fn json(what: &'static str, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::corrupt(what, e))
}

/// A `scans` row.
pub(crate) struct ScanRow {
    pub id: ScanId,
    pub org_id: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub status: String,
    pub error: Option<String>,
}

/// A `scan_endpoints` row.
pub(crate) struct EndpointRow {
    pub scan_id: ScanId,
    pub endpoint: String,
    pub scope: Option<String>,
    pub kinds: String,
    pub ok: bool,
    pub error: Option<String>,
    pub requests: i64,
    pub items: i64,
    pub status: Option<i64>,
}

/// Joins scans (by id) with their endpoints (by scan id, then recording order).
pub(crate) fn scan_runs(scans: Vec<ScanRow>, endpoints: Vec<EndpointRow>) -> Result<Vec<ScanRun>> {
    let mut endpoints = endpoints.into_iter().peekable();
    scans
        .into_iter()
        .map(|row| {
            let mut run = ScanRun {
                id: row.id,
                org_id: row.org_id,
                started_at: row.started_at,
                finished_at: row.finished_at,
                status: row.status.parse()?,
                error: row.error,
                endpoints: Vec::new(),
            };
            // Endpoints of scans absent from `scans` (none, as both queries share a filter)
            // are skipped rather than attached to the wrong scan.
            while endpoints.next_if(|e| e.scan_id < run.id).is_some() {}
            while let Some(e) = endpoints.next_if(|e| e.scan_id == run.id) {
                run.endpoints.push(EndpointRun {
                    endpoint: e.endpoint,
                    scope: e.scope,
                    kinds: serde_json::from_str(&e.kinds)
                        .map_err(|err| Error::corrupt("endpoint kinds", err))?,
                    ok: e.ok,
                    error: e.error,
                    requests: to_u64("request count", e.requests)?,
                    items: to_u64("item count", e.items)?,
                    status: e
                        .status
                        .map(|s| {
                            u16::try_from(s).map_err(|err| Error::corrupt("endpoint status", err))
                        })
                        .transpose()?,
                });
            }
            Ok(run)
        })
        .collect()
}

/// The `kinds` column of an endpoint run.
pub(crate) fn kinds_json(run: &EndpointRun) -> String {
    // A list of strings always serializes.
    serde_json::to_string(&run.kinds).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn object(
    kind: String,
    id: String,
    project_id: Option<String>,
    data: &str,
) -> Result<ObjectRecord> {
    Ok(ObjectRecord {
        kind,
        id,
        project_id,
        data: json("object", data)?,
    })
}

pub(crate) fn audit_event(
    id: String,
    effective_at: i64,
    kind: String,
    data: &str,
) -> Result<AuditEventRecord> {
    Ok(AuditEventRecord {
        id,
        effective_at,
        kind,
        data: json("audit event", data)?,
    })
}

pub(crate) fn usage(
    kind: String,
    bucket_start: i64,
    bucket_end: i64,
    group_key: String,
    data: &str,
) -> Result<UsageRecord> {
    Ok(UsageRecord {
        kind,
        bucket_start,
        bucket_end,
        group_key,
        data: json("usage bucket", data)?,
    })
}

/// A `costs` row without its JSON, which [`cost`] parses.
pub(crate) struct CostRow {
    pub bucket_start: i64,
    pub bucket_end: i64,
    pub project_id: Option<String>,
    pub line_item: Option<String>,
    pub amount: f64,
    pub currency: String,
    pub data: String,
}

pub(crate) fn cost(row: CostRow) -> Result<CostRecord> {
    Ok(CostRecord {
        bucket_start: row.bucket_start,
        bucket_end: row.bucket_end,
        project_id: row.project_id,
        line_item: row.line_item,
        amount: row.amount,
        currency: row.currency,
        data: json("cost", &row.data)?,
    })
}

/// Checks the rows of a usage replace: of `kind`, inside `window`.
pub(crate) fn check_usage(kind: &str, window: (i64, i64), rows: &[UsageRecord]) -> Result<()> {
    if let Some(other) = rows.iter().find(|r| r.kind != kind) {
        return Err(Error::InvalidInput(format!(
            "a usage row of kind {:?} was given to replace {kind:?} usage",
            other.kind
        )));
    }
    check_window("usage", window, rows.iter().map(|r| r.bucket_start))
}

/// Refuses a batch that names one `(kind, id)` twice, before anything is written, so that
/// both backends report it the same way.
pub(crate) fn check_unique(scan: ScanId, objects: &[ObjectRecord]) -> Result<()> {
    let mut seen = std::collections::HashSet::with_capacity(objects.len());
    match objects
        .iter()
        .find(|o| !seen.insert((o.kind.as_str(), o.id.as_str())))
    {
        Some(o) => Err(Error::DuplicateObject {
            scan,
            kind: o.kind.clone(),
            id: o.id.clone(),
        }),
        None => Ok(()),
    }
}

/// Checks a window and the buckets that a replace puts in it.
pub(crate) fn check_window(
    what: &str,
    window: (i64, i64),
    starts: impl IntoIterator<Item = i64>,
) -> Result<()> {
    let (from, to) = window;
    if from > to {
        return Err(Error::InvalidInput(format!(
            "{what} window [{from}, {to}) ends before it starts"
        )));
    }
    match starts.into_iter().find(|s| !(from..to).contains(s)) {
        Some(start) => Err(Error::InvalidInput(format!(
            "a {what} bucket starting at {start} lies outside the replaced window [{from}, {to})"
        ))),
        None => Ok(()),
    }
}

/// Converts a count for a signed 64-bit column.
pub(crate) fn to_i64(what: &'static str, value: u64) -> Result<i64> {
    i64::try_from(value).map_err(|_| Error::InvalidInput(format!("{what} {value} is too large")))
}

/// Converts a count read from a signed 64-bit column.
pub(crate) fn to_u64(what: &'static str, value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| Error::corrupt(what, format!("negative count {value}")))
}

/// Refuses `Running` as the end state of a scan.
pub(crate) fn check_final(status: ScanStatus) -> Result<()> {
    match status {
        ScanStatus::Complete | ScanStatus::Partial | ScanStatus::Abandoned => Ok(()),
        other => Err(Error::InvalidInput(format!(
            "a scan finishes complete, partial or abandoned, not {other} (a failed or \
             interrupted scan is closed, with its reason, by the holder of its lock)"
        ))),
    }
}

/// Refuses a status [`crate::Store::close_running_scans`] cannot set, or a blank reason.
pub(crate) fn check_closing(status: ScanStatus, reason: &str) -> Result<()> {
    if !matches!(status, ScanStatus::Failed | ScanStatus::Interrupted) {
        return Err(Error::InvalidInput(format!(
            "running scans are closed as failed or interrupted, not {status}"
        )));
    }
    if reason.trim().is_empty() {
        return Err(Error::InvalidInput(
            "a failed or interrupted scan needs its reason".into(),
        ));
    }
    Ok(())
}

/// Typed access to the columns of a result row, implemented by each backend for its driver's
/// row, so that the findings decoders below exist once.
pub(crate) trait Columns {
    fn text(&self, i: usize) -> Result<String>;
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
    fn int(&self, i: usize) -> Result<i64>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
}

/// The four suppression columns starting at `first`: all set (`until` optional) or all NULL.
fn suppression(r: &impl Columns, first: usize) -> Result<Option<Suppression>> {
    let (reason, author) = (r.opt_text(first)?, r.opt_text(first + 1)?);
    let (at, until) = (r.opt_int(first + 2)?, r.opt_int(first + 3)?);
    match (reason, author, at) {
        (Some(reason), Some(author), Some(at)) => Ok(Some(Suppression {
            reason,
            author,
            at,
            until,
        })),
        (None, None, None) if until.is_none() => Ok(None),
        _ => Err(Error::corrupt(
            "finding suppression",
            "reason, author and time are not all set",
        )),
    }
}

/// A row of `sql::FINDING_STATES`.
pub(crate) fn finding_state(r: &impl Columns) -> Result<FindingState> {
    Ok(FindingState {
        policy_id: r.text(0)?,
        resource_id: r.text(1)?,
        status: r.text(2)?.parse()?,
        last_seen: r.int(3)?,
        resolved_at: r.opt_int(4)?,
        suppression: suppression(r, 5)?,
    })
}

/// A row of `sql::FINDINGS`.
pub(crate) fn finding(r: &impl Columns) -> Result<FindingRecord> {
    Ok(FindingRecord {
        org_id: r.text(0)?,
        policy_id: r.text(1)?,
        resource_id: r.text(2)?,
        resource_kind: r.text(3)?,
        project_id: r.opt_text(4)?,
        severity: r.text(5)?,
        result: r.text(6)?,
        title: r.text(7)?,
        message: r.text(8)?,
        evidence: json("finding evidence", &r.text(9)?)?,
        status: r.text(10)?.parse()?,
        first_seen: r.int(11)?,
        last_seen: r.int(12)?,
        resolved_at: r.opt_int(13)?,
        last_scan_id: r.int(14)?,
        suppression: suppression(r, 15)?,
    })
}

/// A row of `sql::FINDING_EVENTS`.
pub(crate) fn finding_event(r: &impl Columns) -> Result<FindingEvent> {
    Ok(FindingEvent {
        org_id: r.text(0)?,
        policy_id: r.text(1)?,
        resource_id: r.text(2)?,
        at: r.int(3)?,
        event: r.text(4)?.parse()?,
        scan_id: r.opt_int(5)?,
        detail: json("finding event detail", &r.text(6)?)?,
    })
}

/// The suppression columns to bind: reason, author, at, until.
pub(crate) fn suppression_columns(
    s: Option<&Suppression>,
) -> (Option<&str>, Option<&str>, Option<i64>, Option<i64>) {
    match s {
        Some(s) => (Some(&s.reason), Some(&s.author), Some(s.at), s.until),
        None => (None, None, None, None),
    }
}
