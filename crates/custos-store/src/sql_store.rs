//! The [`Store`] written once, over the backend-neutral layer of `db.rs`: every method's
//! statements, transaction and business rules (a principal's name taken, "journal only if
//! something changed", the findings lifecycle's reads and writes) are here, for both
//! backends. A backend brings its connections, migrations, bulk paths and locks.

use crate::actions::{self, JournalEntry, JournalNote};
use crate::db::{self, Backend, FindingWrites, Lock, Mode, Param, Row, Tx};
use crate::lifecycle::{self, FindingKey, FindingState, NewEvent, StateChange};
use crate::lock::ScanLock;
use crate::rows;
use crate::sql;
use crate::{
    ActionId, ActionRecord, ActionStatus, ApprovalRecord, AuditEventRecord, CallRecord, CostRecord,
    EndpointRun, Error, FindingChanges, FindingEvent, FindingObservation, FindingRecord, NewAction,
    ObjectRecord, PrincipalRecord, Result, ScanFilter, ScanId, ScanRun, ScanStatus, SealedSecret,
    Store, Suppression, UsageRecord,
};

/// Runs `$body`, with `$tx` a `&mut dyn Tx` of a new transaction of `$mode`, and commits
/// when it returns `Ok`; rolls back and returns its error otherwise.
macro_rules! transaction {
    ($store:expr, $mode:expr, |$tx:ident| $body:expr) => {{
        let mut boxed = $store.db.begin($mode).await?;
        let result = async {
            let $tx: &mut dyn Tx = &mut *boxed;
            $body
        }
        .await;
        db::finish(boxed, result).await
    }};
}

/// A store on backend `B`.
pub(crate) struct SqlStore<B> {
    db: B,
}

impl<B: Backend> SqlStore<B> {
    pub(crate) fn new(db: B) -> Self {
        SqlStore { db }
    }

    /// Decodes every row of a read outside a transaction.
    async fn read<T>(
        &self,
        op: &'static str,
        sql: &str,
        params: Vec<Param>,
        decode: impl Fn(Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.db
            .query(op, sql, params)
            .await?
            .into_iter()
            .map(decode)
            .collect()
    }

    /// Runs one statement in a write transaction of its own; returns the rows it changed.
    async fn write_one(&self, op: &'static str, sql: &str, params: Vec<Param>) -> Result<u64> {
        transaction!(self, Mode::Write, |tx| tx.execute(op, sql, params).await)
    }

    /// Runs `sql` in a write transaction and, if it changed a row, journals `note` in the same
    /// one; whether it changed a row.
    async fn write_journaled(
        &self,
        op: &'static str,
        sql: &str,
        params: Vec<Param>,
        note: &JournalNote,
    ) -> Result<bool> {
        transaction!(self, Mode::Write, |tx| {
            let changed = tx.execute(op, sql, params).await? > 0;
            if changed {
                append_journal(tx, note).await?;
            }
            Ok(changed)
        })
    }

    /// Changes one finding by hand (suppress, unsuppress) as `plan` decides from its state.
    async fn change_finding(
        &self,
        key: FindingKey,
        plan: impl FnOnce(&FindingKey, Option<FindingState>) -> Result<(StateChange, NewEvent)> + Send,
    ) -> Result<()> {
        transaction!(self, Mode::Write, |tx| {
            tx.lock(Lock::Findings(&key.org_id)).await?;
            let finding = tx
                .query(
                    "read a finding",
                    sql::FINDING_STATE,
                    params![&key.org_id, &key.policy_id, &key.resource_id],
                )
                .await?
                .pop()
                .map(rows::finding_state)
                .transpose()?;
            let (change, event) = plan(&key, finding)?;
            let writes = FindingWrites {
                changes: vec![rows::state_change_params(&key.org_id, change)],
                events: vec![rows::finding_event_params(&key.org_id, event)],
                org_id: key.org_id.clone(),
                ..FindingWrites::default()
            };
            tx.write_findings(writes).await
        })
    }
}

impl<B: Backend> std::fmt::Debug for SqlStore<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.db.fmt(f)
    }
}

/// The single value of a one-row, one-column read (None: no row).
fn first_int(rows: &[Row]) -> Result<Option<i64>> {
    rows.first()
        .map(|r| r.opt_int(0))
        .transpose()
        .map(Option::flatten)
}

/// The ids a `... RETURNING id` statement returned.
fn ids(rows: &[Row]) -> Result<Vec<ScanId>> {
    rows.iter().map(|r| r.int(0)).collect()
}

/// The status of a scan, or [`Error::ScanNotFound`].
async fn scan_status(tx: &mut dyn Tx, scan: ScanId) -> Result<ScanStatus> {
    let rows = tx
        .query("read a scan's status", sql::SCAN_STATUS, params![scan])
        .await?;
    rows.first()
        .ok_or(Error::ScanNotFound(scan))?
        .str(0)?
        .parse()
        .map_err(Error::from)
}

/// Fails unless the scan is running; holds its row until the transaction ends (see
/// [`Lock::Scan`]).
async fn ensure_running(tx: &mut dyn Tx, scan: ScanId) -> Result<()> {
    tx.lock(Lock::Scan(scan)).await?;
    match scan_status(tx, scan).await? {
        ScanStatus::Running => Ok(()),
        status => Err(Error::ScanNotRunning { id: scan, status }),
    }
}

async fn ensure_org(tx: &mut dyn Tx, org_id: &str) -> Result<()> {
    tx.execute(
        "register the organization",
        sql::ENSURE_ORG,
        params![org_id],
    )
    .await?;
    Ok(())
}

/// Deletes the objects of scans just closed or abandoned.
async fn delete_objects(tx: &mut dyn Tx, op: &'static str, scans: &[ScanId]) -> Result<()> {
    let each = scans.iter().map(|&id| params![id]).collect();
    tx.execute_each(op, sql::DELETE_SCAN_OBJECTS, each).await?;
    Ok(())
}

/// Appends `note` to the journal inside `tx`, chained to the last entry; the journal lock
/// keeps any other entry from coming in between.
async fn append_journal(tx: &mut dyn Tx, note: &JournalNote) -> Result<JournalEntry> {
    tx.lock(Lock::Journal).await?;
    let head = tx
        .query(
            "read the journal's last entry",
            actions::sql::JOURNAL_HEAD,
            params![],
        )
        .await?
        .pop()
        .map(|mut r| Ok::<_, Error>((r.int(0)?, r.text(1)?)))
        .transpose()?;
    let entry = JournalEntry::chain(head, note);
    tx.execute(
        "append to the journal",
        actions::sql::INSERT_JOURNAL,
        params![
            entry.seq,
            entry.at,
            entry.actor.as_deref(),
            entry.action_id,
            &entry.kind,
            Param::json(&entry.detail),
            &entry.prev_hash,
            &entry.hash
        ],
    )
    .await?;
    Ok(entry)
}

/// Moves an action from one of `from` to `to`; whether a row changed.
async fn set_action_status(
    tx: &mut dyn Tx,
    id: ActionId,
    from: &[ActionStatus],
    to: ActionStatus,
    at: i64,
) -> Result<bool> {
    for status in from {
        let params = params![id, to.as_str(), at, status.as_str()];
        if tx
            .execute(
                "change an action's status",
                actions::sql::SET_ACTION_STATUS,
                params,
            )
            .await?
            > 0
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `from` and `to` of a time filter, open ends as the widest bounds.
fn bounds(from: Option<i64>, to: Option<i64>) -> (i64, i64) {
    (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX))
}

#[async_trait::async_trait]
impl<B: Backend> Store for SqlStore<B> {
    fn backend(&self) -> &'static str {
        self.db.name()
    }

    async fn upsert_organization(&self, org_id: &str, name: Option<&str>) -> Result<()> {
        self.write_one(
            "save the organization",
            sql::UPSERT_ORG,
            params![org_id, name],
        )
        .await?;
        Ok(())
    }

    async fn schema_version(&self) -> Result<i64> {
        let rows = self
            .db
            .query(
                "read the schema version",
                crate::migrate::CURRENT_VERSION,
                params![],
            )
            .await?;
        Ok(first_int(&rows)?.unwrap_or(0))
    }

    async fn organizations(&self) -> Result<Vec<(String, Option<String>)>> {
        self.read(
            "read organizations",
            sql::ORGS,
            params![],
            rows::organization,
        )
        .await
    }

    async fn lock_organization(&self, org_id: &str, holder: &str) -> Result<ScanLock> {
        self.db.lock_organization(org_id, holder).await
    }

    async fn close_running_scans(
        &self,
        lock: &ScanLock,
        at: i64,
        status: ScanStatus,
        reason: &str,
    ) -> Result<Vec<ScanId>> {
        rows::check_closing(status, reason)?;
        transaction!(self, Mode::Write, |tx| {
            let params = params![lock.org_id(), status.as_str(), at, reason];
            let closed = ids(&tx
                .query("close running scans", sql::CLOSE_RUNNING, params)
                .await?)?;
            delete_objects(tx, "delete a closed scan's objects", &closed).await?;
            Ok(closed)
        })
    }

    async fn begin_scan(&self, org_id: &str, started_at: i64) -> Result<ScanId> {
        transaction!(self, Mode::Write, |tx| {
            ensure_org(tx, org_id).await?;
            let abandoned = ids(&tx
                .query(
                    "abandon unfinished scans",
                    sql::ABANDON_RUNNING,
                    params![org_id],
                )
                .await?)?;
            delete_objects(tx, "delete an abandoned scan's objects", &abandoned).await?;
            let started = tx
                .query(
                    "start a scan",
                    sql::INSERT_SCAN,
                    params![org_id, started_at],
                )
                .await?;
            first_int(&started)?
                .ok_or_else(|| Error::corrupt("new scan", "the insert returned no id"))
        })
    }

    async fn put_objects(&self, scan: ScanId, objects: &[ObjectRecord]) -> Result<()> {
        rows::check_unique(scan, objects)?;
        transaction!(self, Mode::Batch, |tx| {
            ensure_running(tx, scan).await?;
            tx.insert_objects(scan, objects).await
        })
    }

    async fn record_endpoint(&self, scan: ScanId, run: &EndpointRun) -> Result<()> {
        let params = rows::endpoint_params(scan, run)?;
        transaction!(self, Mode::Write, |tx| {
            ensure_running(tx, scan).await?;
            tx.execute("record an endpoint", sql::INSERT_ENDPOINT, params)
                .await?;
            Ok(())
        })
    }

    async fn finish_scan(&self, scan: ScanId, finished_at: i64, status: ScanStatus) -> Result<()> {
        rows::check_final(status)?;
        transaction!(self, Mode::Write, |tx| {
            let params = params![finished_at, status.as_str(), scan];
            if tx
                .execute("finish a scan", sql::FINISH_SCAN, params)
                .await?
                == 0
            {
                ensure_running(tx, scan).await?;
            }
            if status == ScanStatus::Abandoned {
                delete_objects(tx, "delete an abandoned scan's objects", &[scan]).await?;
            }
            Ok(())
        })
    }

    async fn find_scans(&self, filter: ScanFilter<'_>) -> Result<Vec<ScanRun>> {
        let params = match filter {
            ScanFilter::All => params![],
            ScanFilter::Org(org) | ScanFilter::Latest(org) => params![org],
            ScanFilter::Id(id) => params![id],
        };
        // One read, so that scans and endpoints agree.
        let (scans, endpoints) = transaction!(self, Mode::Read, |tx| {
            let scans = tx
                .query("read scans", &filter.scans_sql(), params.clone())
                .await?;
            let endpoints = tx
                .query("read scan endpoints", &filter.endpoints_sql(), params)
                .await?;
            Ok((scans, endpoints))
        })?;
        rows::scan_runs(scans, endpoints)
    }

    async fn objects(&self, scan: ScanId, kind: Option<&str>) -> Result<Vec<ObjectRecord>> {
        let read = transaction!(self, Mode::Read, |tx| {
            let rows = match kind {
                None => {
                    tx.query("read objects", sql::OBJECTS, params![scan])
                        .await?
                }
                Some(kind) => {
                    tx.query("read objects", sql::OBJECTS_OF_KIND, params![scan, kind])
                        .await?
                }
            };
            Ok((rows, scan_status(tx, scan).await?))
        })?;
        match read {
            (rows, status) if status.is_visible() => rows.into_iter().map(rows::object).collect(),
            (_, status) => Err(Error::ScanNotVisible { id: scan, status }),
        }
    }

    async fn append_audit_events(&self, org_id: &str, events: &[AuditEventRecord]) -> Result<u64> {
        let rows = events
            .iter()
            .map(|e| params![org_id, &e.id, e.effective_at, &e.kind, Param::json(&e.data)])
            .collect();
        transaction!(self, Mode::Write, |tx| {
            ensure_org(tx, org_id).await?;
            tx.execute_each("append audit events", sql::INSERT_AUDIT, rows)
                .await
        })
    }

    async fn audit_events(
        &self,
        org_id: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<AuditEventRecord>> {
        let (from, to) = bounds(from, to);
        self.read(
            "read audit events",
            sql::AUDIT,
            params![org_id, from, to],
            rows::audit_event,
        )
        .await
    }

    async fn record_findings(
        &self,
        org_id: &str,
        scan: ScanId,
        at: i64,
        complete: bool,
        observed: &[FindingObservation],
    ) -> Result<FindingChanges> {
        lifecycle::check_observations(observed)?;
        transaction!(self, Mode::Write, |tx| {
            tx.lock(Lock::Findings(org_id)).await?;
            let owner = tx
                .query("read a scan's organization", sql::SCAN_OWNER, params![scan])
                .await?
                .pop()
                .map(|mut r| Ok::<_, Error>((r.text(0)?, r.str(1)?.parse()?)))
                .transpose()?;
            let latest = first_int(
                &tx.query(
                    "read the latest findings' scan",
                    sql::LAST_FINDINGS_SCAN,
                    params![org_id],
                )
                .await?,
            )?;
            lifecycle::check_scan(org_id, scan, owner, latest, complete)?;
            let existing = tx
                .query("read findings", sql::FINDING_STATES, params![org_id])
                .await?
                .into_iter()
                .map(rows::finding_state)
                .collect::<Result<Vec<_>>>()?;
            let plan = lifecycle::plan_scan(&existing, observed, scan, at, complete);
            let (new, known): (Vec<_>, Vec<_>) = plan.observed.iter().partition(|row| row.new);
            let observed_params = |rows: Vec<&lifecycle::ObservedFinding<'_>>| -> Vec<_> {
                rows.into_iter()
                    .map(|row| rows::observed_finding_params(org_id, scan, at, row))
                    .collect()
            };
            let writes = FindingWrites {
                org_id: org_id.to_owned(),
                new: observed_params(new),
                known: observed_params(known),
                changes: plan
                    .unobserved
                    .into_iter()
                    .map(|c| rows::state_change_params(org_id, c))
                    .collect(),
                events: plan
                    .events
                    .into_iter()
                    .map(|e| rows::finding_event_params(org_id, e))
                    .collect(),
            };
            tx.write_findings(writes).await?;
            Ok(plan.changes)
        })
    }

    async fn findings(&self, org_id: Option<&str>) -> Result<Vec<FindingRecord>> {
        match org_id {
            None => {
                self.read("read findings", sql::FINDINGS, params![], rows::finding)
                    .await
            }
            Some(org) => {
                self.read(
                    "read findings",
                    sql::FINDINGS_OF_ORG,
                    params![org],
                    rows::finding,
                )
                .await
            }
        }
    }

    async fn suppress_finding(
        &self,
        org_id: &str,
        policy_id: &str,
        resource_id: &str,
        suppression: &Suppression,
    ) -> Result<()> {
        let key = FindingKey::new(org_id, policy_id, resource_id);
        self.change_finding(key, |key, finding| {
            lifecycle::plan_suppress(key, finding, suppression)
        })
        .await
    }

    async fn unsuppress_finding(
        &self,
        org_id: &str,
        policy_id: &str,
        resource_id: &str,
        at: i64,
        author: &str,
    ) -> Result<()> {
        let key = FindingKey::new(org_id, policy_id, resource_id);
        self.change_finding(key, |key, finding| {
            lifecycle::plan_unsuppress(key, finding, at, author)
        })
        .await
    }

    async fn finding_events(
        &self,
        org_id: &str,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<FindingEvent>> {
        let (from, to) = bounds(from, to);
        self.read(
            "read finding events",
            sql::FINDING_EVENTS,
            params![org_id, from, to],
            rows::finding_event,
        )
        .await
    }

    async fn replace_usage(
        &self,
        org_id: &str,
        kind: &str,
        window: (i64, i64),
        rows: &[UsageRecord],
    ) -> Result<()> {
        rows::check_usage(kind, window, rows)?;
        let inserts = rows
            .iter()
            .map(|r| {
                params![
                    org_id,
                    kind,
                    r.bucket_start,
                    r.bucket_end,
                    &r.group_key,
                    Param::json(&r.data)
                ]
            })
            .collect();
        transaction!(self, Mode::Write, |tx| {
            ensure_org(tx, org_id).await?;
            let window = params![org_id, kind, window.0, window.1];
            tx.execute("delete replaced usage", sql::DELETE_USAGE, window)
                .await?;
            tx.execute_each("write usage", sql::INSERT_USAGE, inserts)
                .await?;
            Ok(())
        })
    }

    async fn usage(
        &self,
        org_id: &str,
        kind: Option<&str>,
        from: i64,
        to: i64,
    ) -> Result<Vec<UsageRecord>> {
        let (sql, params) = match kind {
            None => (sql::USAGE, params![org_id, from, to]),
            Some(kind) => (sql::USAGE_OF_KIND, params![org_id, from, to, kind]),
        };
        self.read("read usage", sql, params, rows::usage).await
    }

    async fn replace_costs(
        &self,
        org_id: &str,
        window: (i64, i64),
        rows: &[CostRecord],
    ) -> Result<()> {
        rows::check_window("cost", window, rows.iter().map(|r| r.bucket_start))?;
        let inserts = rows
            .iter()
            .map(|r| {
                params![
                    org_id,
                    r.bucket_start,
                    r.bucket_end,
                    r.project_id.as_deref(),
                    r.line_item.as_deref(),
                    r.amount,
                    &r.currency,
                    Param::json(&r.data)
                ]
            })
            .collect();
        transaction!(self, Mode::Write, |tx| {
            ensure_org(tx, org_id).await?;
            let window = params![org_id, window.0, window.1];
            tx.execute("delete replaced costs", sql::DELETE_COSTS, window)
                .await?;
            tx.execute_each("write costs", sql::INSERT_COST, inserts)
                .await?;
            Ok(())
        })
    }

    async fn costs(&self, org_id: &str, from: i64, to: i64) -> Result<Vec<CostRecord>> {
        self.read(
            "read costs",
            sql::COSTS,
            params![org_id, from, to],
            rows::cost,
        )
        .await
    }

    async fn sync_mark(&self, org_id: &str, stream: &str) -> Result<Option<i64>> {
        let marks = self
            .db
            .query("read a sync mark", sql::SYNC_MARK, params![org_id, stream])
            .await?;
        first_int(&marks)
    }

    async fn set_sync_mark(&self, org_id: &str, stream: &str, value: i64) -> Result<()> {
        transaction!(self, Mode::Write, |tx| {
            ensure_org(tx, org_id).await?;
            tx.execute(
                "save a sync mark",
                sql::SET_SYNC_MARK,
                params![org_id, stream, value],
            )
            .await?;
            Ok(())
        })
    }

    async fn put_secret(&self, name: &str, sealed: &SealedSecret) -> Result<()> {
        let params = rows::secret_params(name, sealed);
        self.write_one("store a credential", sql::PUT_SECRET, params)
            .await?;
        Ok(())
    }

    async fn put_secrets(&self, secrets: &[(String, SealedSecret)]) -> Result<()> {
        let rows = secrets
            .iter()
            .map(|(name, sealed)| rows::secret_params(name, sealed))
            .collect();
        transaction!(self, Mode::Write, |tx| {
            tx.execute_each("store credentials", sql::PUT_SECRET, rows)
                .await
        })?;
        Ok(())
    }

    async fn secret(&self, name: &str) -> Result<Option<SealedSecret>> {
        let found = self
            .read("read a credential", sql::SECRET, params![name], |mut r| {
                rows::sealed(&mut r, 0)
            })
            .await?;
        Ok(found.into_iter().next())
    }

    async fn delete_secret(&self, name: &str) -> Result<bool> {
        let deleted = self
            .write_one("delete a credential", sql::DELETE_SECRET, params![name])
            .await?;
        Ok(deleted > 0)
    }

    async fn secrets(&self) -> Result<Vec<(String, SealedSecret)>> {
        self.read(
            "read credentials",
            sql::SECRETS,
            params![],
            rows::named_secret,
        )
        .await
    }

    async fn add_principal(&self, principal: &PrincipalRecord, note: &JournalNote) -> Result<()> {
        actions::check_principal(principal)?;
        let p = principal;
        let params = params![
            &p.name,
            p.role.as_str(),
            &p.email_sha256,
            p.manager.as_deref(),
            &p.token_hash,
            p.disabled,
            p.created_at
        ];
        let added = self
            .write_journaled(
                "add a principal",
                actions::sql::INSERT_PRINCIPAL,
                params,
                note,
            )
            .await?;
        if !added {
            return Err(Error::InvalidInput(format!(
                "a principal named {:?} already exists",
                p.name
            )));
        }
        Ok(())
    }

    async fn principals(&self) -> Result<Vec<PrincipalRecord>> {
        self.read(
            "read principals",
            actions::sql::PRINCIPALS,
            params![],
            rows::principal,
        )
        .await
    }

    async fn set_principal_disabled(
        &self,
        name: &str,
        disabled: bool,
        note: &JournalNote,
    ) -> Result<bool> {
        self.write_journaled(
            "disable a principal",
            actions::sql::SET_PRINCIPAL_DISABLED,
            params![name, disabled],
            note,
        )
        .await
    }

    async fn set_principal_token(
        &self,
        name: &str,
        token_hash: &str,
        note: &JournalNote,
    ) -> Result<bool> {
        actions::check_token_hash(name, token_hash)?;
        self.write_journaled(
            "re-key a principal",
            actions::sql::SET_PRINCIPAL_TOKEN,
            params![name, token_hash],
            note,
        )
        .await
    }

    async fn create_action(&self, action: &NewAction, note: &JournalNote) -> Result<ActionId> {
        let a = action;
        let params = params![
            &a.org_id,
            &a.template,
            &a.requested_by,
            &a.reason,
            a.created_at,
            a.expires_at,
            &a.plan_hash,
            Param::json(&a.plan)
        ];
        transaction!(self, Mode::Write, |tx| {
            let created = tx
                .query("create an action", actions::sql::INSERT_ACTION, params)
                .await?;
            let id = first_int(&created)?
                .ok_or_else(|| Error::corrupt("new action", "the insert returned no id"))?;
            append_journal(tx, &note.clone().about(id)).await?;
            Ok(id)
        })
    }

    async fn actions(&self, org_id: Option<&str>) -> Result<Vec<ActionRecord>> {
        let (sql, params) = match org_id {
            Some(org) => (actions::sql::ACTIONS_OF_ORG, params![org]),
            None => (actions::sql::ACTIONS, params![]),
        };
        self.read("read actions", sql, params, rows::action).await
    }

    async fn action(&self, id: ActionId) -> Result<Option<ActionRecord>> {
        Ok(self
            .read(
                "read an action",
                actions::sql::ACTION,
                params![id],
                rows::action,
            )
            .await?
            .pop())
    }

    async fn transition_action(
        &self,
        id: ActionId,
        from: &[ActionStatus],
        to: ActionStatus,
        at: i64,
        note: &JournalNote,
    ) -> Result<bool> {
        transaction!(self, Mode::Write, |tx| {
            let moved = set_action_status(tx, id, from, to, at).await?;
            if moved {
                append_journal(tx, note).await?;
            }
            Ok(moved)
        })
    }

    async fn decide_action(
        &self,
        approval: &ApprovalRecord,
        to: ActionStatus,
        note: &JournalNote,
    ) -> Result<bool> {
        let a = approval;
        transaction!(self, Mode::Write, |tx| {
            if !set_action_status(tx, a.action_id, &[ActionStatus::Pending], to, a.at).await? {
                return Ok(false);
            }
            let params = params![
                a.action_id,
                &a.principal,
                a.decision.as_str(),
                &a.plan_hash,
                a.at,
                &a.comment
            ];
            tx.execute("record an approval", actions::sql::INSERT_APPROVAL, params)
                .await?;
            append_journal(tx, note).await?;
            Ok(true)
        })
    }

    async fn approvals(&self, id: ActionId) -> Result<Vec<ApprovalRecord>> {
        self.read(
            "read approvals",
            actions::sql::APPROVALS,
            params![id],
            rows::approval,
        )
        .await
    }

    async fn record_call(&self, call: &CallRecord, note: &JournalNote) -> Result<()> {
        let c = call;
        let params = params![
            c.action_id,
            c.call_index,
            c.status.as_str(),
            c.http_status.map(i64::from),
            Param::json(&c.detail),
            c.at
        ];
        transaction!(self, Mode::Write, |tx| {
            tx.execute("record a call", actions::sql::UPSERT_CALL, params)
                .await?;
            append_journal(tx, note).await?;
            Ok(())
        })
    }

    async fn calls(&self, id: ActionId) -> Result<Vec<CallRecord>> {
        self.read("read calls", actions::sql::CALLS, params![id], rows::call)
            .await
    }

    async fn append_journal(&self, note: &JournalNote) -> Result<JournalEntry> {
        transaction!(self, Mode::Write, |tx| append_journal(tx, note).await)
    }

    async fn journal(&self) -> Result<Vec<JournalEntry>> {
        self.read(
            "read the journal",
            actions::sql::JOURNAL,
            params![],
            rows::journal,
        )
        .await
    }
}
