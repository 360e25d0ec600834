//! Rows as both backends read and bind them: the conversion of result rows into the public
//! records, and of records into statement parameters; so that the decoding rules (status
//! names, JSON, counts) and the column orders exist once.

use crate::actions::{ActionRecord, ApprovalRecord, CallRecord, JournalEntry, PrincipalRecord};
use crate::db::{Param, Row};
use crate::lifecycle::{FindingState, NewEvent, ObservedFinding, StateChange};
use crate::{
    AuditEventRecord, CostRecord, EndpointRun, Error, FindingEvent, FindingRecord, ObjectRecord,
    Result, ScanId, ScanRun, ScanStatus, SealedSecret, Suppression, UsageRecord,
};
use serde_json::Value;

/// Parses a stored JSON document.
pub(crate) fn json(what: &'static str, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::corrupt(what, e))
}

/// Joins `sql::ScanFilter::scans_sql` rows (by id) with `endpoints_sql` rows (by scan id,
/// then recording order).
pub(crate) fn scan_runs(scans: Vec<Row>, endpoints: Vec<Row>) -> Result<Vec<ScanRun>> {
    let mut endpoints = endpoints
        .into_iter()
        .map(|e| Ok((e.int(0)?, e)))
        .collect::<Result<Vec<(ScanId, Row)>>>()?
        .into_iter()
        .peekable();
    scans
        .into_iter()
        .map(|mut row| {
            let mut run = ScanRun {
                id: row.int(0)?,
                org_id: row.text(1)?,
                started_at: row.int(2)?,
                finished_at: row.opt_int(3)?,
                status: row.str(4)?.parse()?,
                error: row.opt_text(5)?,
                endpoints: Vec::new(),
            };
            // Endpoints of scans absent from `scans` (none, as both queries share a filter)
            // are skipped rather than attached to the wrong scan.
            while endpoints.next_if(|(scan, _)| *scan < run.id).is_some() {}
            while let Some((_, e)) = endpoints.next_if(|(scan, _)| *scan == run.id) {
                run.endpoints.push(endpoint_run(e)?);
            }
            Ok(run)
        })
        .collect()
}

/// A row of `endpoints_sql` (its scan id aside).
fn endpoint_run(mut e: Row) -> Result<EndpointRun> {
    Ok(EndpointRun {
        endpoint: e.text(1)?,
        scope: e.opt_text(2)?,
        kinds: serde_json::from_str(e.str(3)?)
            .map_err(|err| Error::corrupt("endpoint kinds", err))?,
        ok: e.bool(4)?,
        error: e.opt_text(5)?,
        requests: to_u64("request count", e.int(6)?)?,
        items: to_u64("item count", e.int(7)?)?,
        status: e
            .opt_int(8)?
            .map(|s| u16::try_from(s).map_err(|err| Error::corrupt("endpoint status", err)))
            .transpose()?,
    })
}

/// The parameters of `sql::INSERT_ENDPOINT`.
pub(crate) fn endpoint_params(scan: ScanId, run: &EndpointRun) -> Result<Vec<Param>> {
    // A list of strings always serializes.
    let kinds = serde_json::to_string(&run.kinds).unwrap_or_else(|_| "[]".into());
    Ok(params![
        scan,
        &run.endpoint,
        run.scope.as_deref(),
        kinds,
        run.ok,
        run.error.as_deref(),
        to_i64("request count", run.requests)?,
        to_i64("item count", run.items)?,
        run.status.map(i64::from)
    ])
}

/// A row of `sql::OBJECTS`.
pub(crate) fn object(mut row: Row) -> Result<ObjectRecord> {
    Ok(ObjectRecord {
        kind: row.text(0)?,
        id: row.text(1)?,
        project_id: row.opt_text(2)?,
        data: json("object", row.str(3)?)?,
    })
}

/// A row of `sql::AUDIT`.
pub(crate) fn audit_event(mut row: Row) -> Result<AuditEventRecord> {
    Ok(AuditEventRecord {
        id: row.text(0)?,
        effective_at: row.int(1)?,
        kind: row.text(2)?,
        data: json("audit event", row.str(3)?)?,
    })
}

/// A row of `sql::USAGE`.
pub(crate) fn usage(mut row: Row) -> Result<UsageRecord> {
    Ok(UsageRecord {
        kind: row.text(0)?,
        bucket_start: row.int(1)?,
        bucket_end: row.int(2)?,
        group_key: row.text(3)?,
        data: json("usage bucket", row.str(4)?)?,
    })
}

/// A row of `sql::COSTS`.
pub(crate) fn cost(mut row: Row) -> Result<CostRecord> {
    Ok(CostRecord {
        bucket_start: row.int(0)?,
        bucket_end: row.int(1)?,
        project_id: row.opt_text(2)?,
        line_item: row.opt_text(3)?,
        amount: row.real(4)?,
        currency: row.text(5)?,
        data: json("cost", row.str(6)?)?,
    })
}

/// A row of `sql::ORGS`: id and display name.
pub(crate) fn organization(mut row: Row) -> Result<(String, Option<String>)> {
    Ok((row.text(0)?, row.opt_text(1)?))
}

/// A row of `sql::SECRETS`: the name, then the sealed credential.
pub(crate) fn named_secret(mut row: Row) -> Result<(String, SealedSecret)> {
    Ok((row.text(0)?, sealed(&mut row, 1)?))
}

/// A sealed credential from columns `first..first + 3` (key id, nonce, ciphertext).
pub(crate) fn sealed(row: &mut Row, first: usize) -> Result<SealedSecret> {
    Ok(SealedSecret {
        key_id: row.text(first)?,
        nonce: row.bytes(first + 1)?,
        ciphertext: row.bytes(first + 2)?,
    })
}

/// The parameters of `sql::PUT_SECRET`.
pub(crate) fn secret_params(name: &str, sealed: &SealedSecret) -> Vec<Param> {
    params![
        name,
        &sealed.key_id,
        Param::Sealed(sealed.nonce.clone()),
        Param::Sealed(sealed.ciphertext.clone())
    ]
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

/// The four suppression columns starting at `first`: all set (`until` optional) or all NULL.
fn suppression(r: &mut Row, first: usize) -> Result<Option<Suppression>> {
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
pub(crate) fn finding_state(mut r: Row) -> Result<FindingState> {
    Ok(FindingState {
        policy_id: r.text(0)?,
        resource_id: r.text(1)?,
        status: r.str(2)?.parse()?,
        last_seen: r.int(3)?,
        resolved_at: r.opt_int(4)?,
        suppression: suppression(&mut r, 5)?,
    })
}

/// A row of `sql::FINDINGS`.
pub(crate) fn finding(mut r: Row) -> Result<FindingRecord> {
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
        evidence: json("finding evidence", r.str(9)?)?,
        status: r.str(10)?.parse()?,
        first_seen: r.int(11)?,
        last_seen: r.int(12)?,
        resolved_at: r.opt_int(13)?,
        last_scan_id: r.int(14)?,
        suppression: suppression(&mut r, 15)?,
    })
}

/// A row of `sql::FINDING_EVENTS`.
pub(crate) fn finding_event(mut r: Row) -> Result<FindingEvent> {
    Ok(FindingEvent {
        org_id: r.text(0)?,
        policy_id: r.text(1)?,
        resource_id: r.text(2)?,
        at: r.int(3)?,
        event: r.str(4)?.parse()?,
        scan_id: r.opt_int(5)?,
        detail: json("finding event detail", r.str(6)?)?,
    })
}

/// The suppression columns to bind: reason, author, at, until (all NULL without one).
fn suppression_params(s: Option<&Suppression>) -> [Param; 4] {
    match s {
        Some(s) => [
            Param::from(&s.reason),
            Param::from(&s.author),
            Param::Int(s.at),
            Param::from(s.until),
        ],
        None => [Param::Null, Param::Null, Param::Null, Param::Null],
    }
}

/// The parameters of `sql::UPSERT_FINDING` (every column of `findings`) for an observation
/// recorded at `at` by scan `scan`.
pub(crate) fn observed_finding_params(
    org_id: &str,
    scan: ScanId,
    at: i64,
    row: &ObservedFinding<'_>,
) -> Vec<Param> {
    let o = row.observation;
    let mut params = params![
        org_id,
        &o.policy_id,
        &o.resource_id,
        &o.resource_kind,
        o.project_id.as_deref(),
        &o.severity,
        &o.result,
        &o.title,
        &o.message,
        Param::Json(o.evidence.get().to_owned()),
        Param::Name(row.status.as_str()),
        at,
        at,
        Param::Null,
        scan
    ];
    params.extend(suppression_params(row.suppression.as_ref()));
    params
}

/// The parameters of `sql::SET_FINDING_STATE` (the change's text is moved, not copied: a
/// complete scan can resolve every finding of an organization at once).
pub(crate) fn state_change_params(org_id: &str, c: StateChange) -> Vec<Param> {
    let mut params = params![
        org_id,
        c.policy_id,
        c.resource_id,
        Param::Name(c.status.as_str()),
        c.resolved_at
    ];
    params.extend(suppression_params(c.suppression.as_ref()));
    params
}

/// The parameters of `sql::INSERT_FINDING_EVENT` (the event's text moved, as above).
pub(crate) fn finding_event_params(org_id: &str, e: NewEvent) -> Vec<Param> {
    params![
        org_id,
        e.policy_id,
        e.resource_id,
        e.at,
        Param::Name(e.event.as_str()),
        e.scan_id,
        Param::json(&e.detail)
    ]
}

/// A row of `actions::sql::PRINCIPALS`.
pub(crate) fn principal(mut row: Row) -> Result<PrincipalRecord> {
    Ok(PrincipalRecord {
        name: row.text(0)?,
        role: row.str(1)?.parse()?,
        email_sha256: row.text(2)?,
        manager: row.opt_text(3)?,
        token_hash: row.text(4)?,
        disabled: row.bool(5)?,
        created_at: row.int(6)?,
    })
}

/// A row of `actions::sql::ACTIONS`.
pub(crate) fn action(mut row: Row) -> Result<ActionRecord> {
    Ok(ActionRecord {
        id: row.int(0)?,
        org_id: row.text(1)?,
        template: row.text(2)?,
        requested_by: row.text(3)?,
        reason: row.text(4)?,
        status: row.str(5)?.parse()?,
        created_at: row.int(6)?,
        expires_at: row.int(7)?,
        updated_at: row.int(8)?,
        plan_hash: row.text(9)?,
        plan: json("action plan", row.str(10)?)?,
    })
}

/// A row of `actions::sql::APPROVALS`.
pub(crate) fn approval(mut row: Row) -> Result<ApprovalRecord> {
    Ok(ApprovalRecord {
        action_id: row.int(0)?,
        principal: row.text(1)?,
        decision: row.str(2)?.parse()?,
        plan_hash: row.text(3)?,
        at: row.int(4)?,
        comment: row.text(5)?,
    })
}

/// A row of `actions::sql::CALLS`.
pub(crate) fn call(row: Row) -> Result<CallRecord> {
    Ok(CallRecord {
        action_id: row.int(0)?,
        call_index: row.int(1)?,
        status: row.str(2)?.parse()?,
        http_status: row
            .opt_int(3)?
            .map(|s| u16::try_from(s).map_err(|e| Error::corrupt("call status code", e)))
            .transpose()?,
        detail: json("call detail", row.str(4)?)?,
        at: row.int(5)?,
    })
}

/// A row of `actions::sql::JOURNAL`.
pub(crate) fn journal(mut row: Row) -> Result<JournalEntry> {
    Ok(JournalEntry {
        seq: row.int(0)?,
        at: row.int(1)?,
        actor: row.opt_text(2)?,
        action_id: row.opt_int(3)?,
        kind: row.text(4)?,
        detail: json("journal detail", row.str(5)?)?,
        prev_hash: row.text(6)?,
        hash: row.text(7)?,
    })
}
