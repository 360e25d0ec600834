//! One scan of one organization into the store: the inventory as a new snapshot, audit events
//! appended, usage and costs re-fetched over their windows, and a record of what every endpoint
//! gave.
//!
//! The order of the writes is what makes a crash harmless. Objects go into a `running` scan that
//! no reader sees. Audit events are appended (deduplicated by id) and usage and cost windows
//! replaced before the sync marks move, so a scan that dies anywhere leaves marks that point at
//! data already stored or not yet fetched: the next scan fetches it again. The snapshot becomes
//! visible with [`Store::finish_scan`], the last write.

use crate::collect::{CollectOptions, Collected, DAY, Windows, collect_inventory, start_of_day};
use crate::records::{Record, endpoint_kinds, records};
use custos_model::api::{AuditLog, CostResult, UsageKind, UsageResult};
use custos_model::inventory::EndpointFailure;
use custos_model::kind::Kind;
use custos_model::page::Bucket;
use custos_openai::ReadClient;
use custos_store::{
    AuditEventRecord, CostRecord, EndpointRun, ObjectRecord, ScanId, ScanStatus, Store, UsageRecord,
};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Objects written per store batch.
const BATCH: usize = 5_000;

/// Sync-mark streams: where each incremental series got to, and since when it is complete.
pub mod streams {
    use custos_model::api::UsageKind;

    pub const AUDIT_LOGS: &str = "audit_logs";
    pub const COSTS: &str = "costs";

    pub fn usage(kind: UsageKind) -> String {
        format!("usage/{}", kind.name())
    }

    /// The stream recording since when `stream` holds every item without a gap.
    pub fn complete_from(stream: &str) -> String {
        format!("{stream}/complete_from")
    }
}

/// The points a scan passes, in order; a checkpoint hook sees each (crash tests stop the
/// process there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The scan row exists; nothing collected yet.
    Begun,
    /// Everything was read from the API; nothing written yet.
    Collected,
    /// One batch of objects was written (its number, from 1).
    ObjectBatch(usize),
    /// Audit events, usage and costs are stored; the marks have not moved.
    SeriesWritten,
    /// The marks moved; the scan is not finished.
    MarksMoved,
}

impl Stage {
    /// The name crash tests use (`objects` is the first object batch).
    pub fn name(self) -> &'static str {
        match self {
            Stage::Begun => "begun",
            Stage::Collected => "collected",
            Stage::ObjectBatch(_) => "objects",
            Stage::SeriesWritten => "series",
            Stage::MarksMoved => "marks",
        }
    }
}

/// Called at every [`Stage`].
pub type Checkpoint = Arc<dyn Fn(Stage) + Send + Sync>;

/// How to scan.
#[derive(Clone)]
pub struct ScanOptions {
    /// The scan's clock (Unix seconds).
    pub now: i64,
    /// Days of usage and costs the first scan fetches (and the most any scan fetches).
    pub history_days: u32,
    /// Days before the previous scan that usage and costs are fetched again, for late data.
    pub refetch_days: u32,
    /// Seconds before the newest stored audit event that audit logs are read again.
    pub audit_overlap_seconds: i64,
    /// Projects walked at the same time.
    pub project_concurrency: usize,
    /// How long reading the organization may take (`[scan] deadline`); what is unread then is
    /// recorded as failed and the scan is partial.
    pub deadline: std::time::Duration,
    /// Keep email addresses instead of their hashes.
    pub keep_emails: bool,
    /// Clients holding project keys, by project id.
    pub project_clients: BTreeMap<String, ReadClient>,
    /// Progress of the walk: (what, done, total).
    pub progress: Option<crate::collect::Progress>,
    pub checkpoint: Option<Checkpoint>,
}

impl std::fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("now", &self.now)
            .field("history_days", &self.history_days)
            .field("refetch_days", &self.refetch_days)
            .field("audit_overlap_seconds", &self.audit_overlap_seconds)
            .field("project_concurrency", &self.project_concurrency)
            .field("deadline", &self.deadline)
            .field("keep_emails", &self.keep_emails)
            .field("project_keys", &self.project_clients.keys())
            .finish_non_exhaustive()
    }
}

impl ScanOptions {
    /// The defaults of `custos.toml`'s `[scan]` table, at `now`.
    pub fn new(now: i64) -> Self {
        ScanOptions {
            now,
            history_days: 90,
            refetch_days: 3,
            audit_overlap_seconds: 3_600,
            project_concurrency: 4,
            deadline: crate::collect::DEFAULT_DEADLINE,
            keep_emails: false,
            project_clients: BTreeMap::new(),
            progress: None,
            checkpoint: None,
        }
    }

    fn reach(&self, stage: Stage) {
        if let Some(checkpoint) = &self.checkpoint {
            checkpoint(stage);
        }
    }
}

/// What a scan did.
#[derive(Debug, Clone)]
pub struct ScanSummary {
    pub scan_id: ScanId,
    pub status: ScanStatus,
    /// Objects in the snapshot.
    pub objects: usize,
    /// Object counts per kind, in a fixed order.
    pub counts: Vec<(&'static str, usize)>,
    /// Audit events read, and how many were new.
    pub audit_events_read: usize,
    pub audit_events_new: u64,
    pub usage_rows: usize,
    pub cost_rows: usize,
    pub failures: Vec<EndpointFailure>,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Of those, the ones answered 429.
    pub throttled: u64,
    /// The rate the client paced requests at in the end (the one adaptive pacing settled on),
    /// in requests per second; `None` when unlimited.
    pub rate: Option<u32>,
    pub windows: Windows,
}

/// A scan that could not be recorded (the store failed). Endpoint failures are not errors:
/// they make the scan partial.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("the store failed during the scan of {org_id}")]
    Store {
        org_id: String,
        #[source]
        source: custos_store::Error,
    },
}

/// Scans organization `org_id` through `client` into `store`.
pub async fn scan(
    client: &ReadClient,
    store: &dyn Store,
    org_id: &str,
    org_name: Option<&str>,
    options: &ScanOptions,
) -> Result<ScanSummary, ScanError> {
    let fail = |source| ScanError::Store {
        org_id: org_id.to_owned(),
        source,
    };
    store
        .upsert_organization(org_id, org_name)
        .await
        .map_err(fail)?;
    // `now` is the scan's clock (as of which it reads); it finishes that much later.
    let began = std::time::Instant::now();
    let scan_id = store.begin_scan(org_id, options.now).await.map_err(fail)?;
    options.reach(Stage::Begun);
    let marks = Marks::load(store, org_id).await.map_err(fail)?;
    let windows = marks.windows(options);
    let requests_before = client.requests_by_endpoint();
    let throttled_before = client.stats().throttled;
    let mut collected = collect_inventory(
        client,
        &CollectOptions {
            now: options.now,
            windows: windows.clone(),
            project_concurrency: options.project_concurrency,
            deadline: options.deadline,
            project_clients: options.project_clients.clone(),
            progress: options.progress.clone(),
        },
    )
    .await;
    let requests = requests_since(&requests_before, &client.requests_by_endpoint());
    let paced = client.stats();
    options.reach(Stage::Collected);

    let mut records = records(org_id, &collected.inventory, options.keep_emails);
    collected.failures.extend(drop_colliding(&mut records));
    for (n, batch) in records.chunks(BATCH).enumerate() {
        let batch: Vec<ObjectRecord> = batch.iter().map(object_record).collect();
        store.put_objects(scan_id, &batch).await.map_err(fail)?;
        options.reach(Stage::ObjectBatch(n + 1));
    }
    for run in endpoint_runs(&collected, &requests) {
        store.record_endpoint(scan_id, &run).await.map_err(fail)?;
    }

    let failed: BTreeSet<&str> = collected
        .failures
        .iter()
        .map(|f| f.endpoint.as_str())
        .collect();
    let audit_ok = !failed.contains("GET /organization/audit_logs");
    let events = audit_records(&collected.inventory.audit_logs, options.keep_emails);
    let audit_events_new = store
        .append_audit_events(org_id, &events)
        .await
        .map_err(fail)?;
    let mut usage_rows = 0;
    let mut fetched_usage = Vec::new();
    for (&kind, buckets) in &collected.inventory.usage {
        if failed.contains(format!("GET {}", kind.path()).as_str()) {
            continue;
        }
        let window = (windows.usage_from[&kind], options.now);
        let rows = usage_records(kind, buckets);
        usage_rows += rows.len();
        store
            .replace_usage(org_id, kind.name(), window, &rows)
            .await
            .map_err(fail)?;
        fetched_usage.push(kind);
    }
    let costs_ok = !failed.contains("GET /organization/costs");
    let cost_rows = if costs_ok {
        let rows = cost_records(&collected.inventory.costs);
        store
            .replace_costs(org_id, (windows.costs_from, options.now), &rows)
            .await
            .map_err(fail)?;
        rows.len()
    } else {
        0
    };
    options.reach(Stage::SeriesWritten);

    if audit_ok {
        let newest = collected
            .inventory
            .audit_logs
            .iter()
            .map(|e| e.effective_at)
            .max();
        marks
            .advance_audit(store, org_id, windows.audit_since, newest)
            .await
            .map_err(fail)?;
    }
    for kind in fetched_usage {
        let stream = streams::usage(kind);
        marks
            .advance_series(
                store,
                org_id,
                &stream,
                windows.usage_from[&kind],
                options.now,
            )
            .await
            .map_err(fail)?;
    }
    if costs_ok {
        marks
            .advance_series(
                store,
                org_id,
                streams::COSTS,
                windows.costs_from,
                options.now,
            )
            .await
            .map_err(fail)?;
    }
    options.reach(Stage::MarksMoved);

    let status = if collected.is_complete() {
        ScanStatus::Complete
    } else {
        ScanStatus::Partial
    };
    let elapsed = i64::try_from(began.elapsed().as_secs()).unwrap_or(i64::MAX);
    store
        .finish_scan(scan_id, options.now.saturating_add(elapsed), status)
        .await
        .map_err(fail)?;
    Ok(ScanSummary {
        scan_id,
        status,
        objects: records.len(),
        counts: collected.inventory.summary(),
        audit_events_read: events.len(),
        audit_events_new,
        usage_rows,
        cost_rows,
        failures: collected.failures,
        requests: requests.values().sum(),
        throttled: paced.throttled - throttled_before,
        rate: paced.rate,
        windows,
    })
}

/// The sync marks of an organization, as the scan started.
struct Marks(BTreeMap<String, i64>);

impl Marks {
    async fn load(store: &dyn Store, org_id: &str) -> custos_store::Result<Marks> {
        let mut names = vec![streams::AUDIT_LOGS.to_owned(), streams::COSTS.to_owned()];
        names.extend(UsageKind::ALL.into_iter().map(streams::usage));
        let mut marks = BTreeMap::new();
        for name in names {
            for stream in [streams::complete_from(&name), name] {
                if let Some(value) = store.sync_mark(org_id, &stream).await? {
                    marks.insert(stream, value);
                }
            }
        }
        Ok(Marks(marks))
    }

    fn get(&self, stream: &str) -> Option<i64> {
        self.0.get(stream).copied()
    }

    /// From the newest stored audit event less the overlap, and usage and costs from the
    /// previous scan's day less the re-fetch days, never further back than the history.
    fn windows(&self, options: &ScanOptions) -> Windows {
        let floor = start_of_day(options.now) - i64::from(options.history_days) * DAY;
        let series_from = |stream: &str| match self.get(stream) {
            Some(end) => (start_of_day(end) - i64::from(options.refetch_days) * DAY)
                .clamp(floor, start_of_day(options.now)),
            None => floor,
        };
        Windows {
            audit_since: self
                .get(streams::AUDIT_LOGS)
                .map(|newest| newest - options.audit_overlap_seconds),
            usage_from: UsageKind::ALL
                .into_iter()
                .map(|kind| (kind, series_from(&streams::usage(kind))))
                .collect(),
            costs_from: series_from(streams::COSTS),
        }
    }

    /// Moves the audit mark to the newest event seen; the first full read makes the log
    /// complete from the beginning (0).
    async fn advance_audit(
        &self,
        store: &dyn Store,
        org_id: &str,
        since: Option<i64>,
        newest: Option<i64>,
    ) -> custos_store::Result<()> {
        let complete_from = streams::complete_from(streams::AUDIT_LOGS);
        if self.get(&complete_from).is_none() {
            store
                .set_sync_mark(org_id, &complete_from, since.unwrap_or(0))
                .await?;
        }
        let previous = self.get(streams::AUDIT_LOGS);
        if let Some(newest) = newest.max(previous) {
            store
                .set_sync_mark(org_id, streams::AUDIT_LOGS, newest)
                .await?;
        }
        Ok(())
    }

    /// Records that a series holds `[from, end)`: its mark moves to `end`, and its complete
    /// range restarts at `from` when the fetch left a gap after the previous one.
    async fn advance_series(
        &self,
        store: &dyn Store,
        org_id: &str,
        stream: &str,
        from: i64,
        end: i64,
    ) -> custos_store::Result<()> {
        let complete_from = streams::complete_from(stream);
        let contiguous = match (self.get(stream), self.get(&complete_from)) {
            (Some(previous_end), Some(previous_from)) if from <= previous_end => {
                Some(previous_from.min(from))
            }
            _ => None,
        };
        store
            .set_sync_mark(org_id, &complete_from, contiguous.unwrap_or(from))
            .await?;
        store.set_sync_mark(org_id, stream, end).await
    }
}

fn requests_since(
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(endpoint, &n)| {
            (
                endpoint.clone(),
                n - before.get(endpoint).copied().unwrap_or(0),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// One run per endpoint over every scope, one per failed scope, so that a reader can tell
/// exactly which objects are unknown, and one per project for the project-key endpoints, so
/// that a project whose files were read is told from one without a key.
fn endpoint_runs(collected: &Collected, requests: &BTreeMap<String, u64>) -> Vec<EndpointRun> {
    let per_project = |endpoint: &str| {
        Kind::ALL
            .iter()
            .any(|kind| kind.info().needs_project_key() && kind.info().endpoint() == endpoint)
    };
    let mut items: BTreeMap<(&str, Option<&str>), u64> = BTreeMap::new();
    for ((endpoint, project), n) in &collected.items {
        let scope = project.as_deref().filter(|_| per_project(endpoint));
        *items.entry((endpoint.as_str(), scope)).or_insert(0) += n;
    }
    for failure in &collected.failures {
        let scope = failure
            .project_id
            .as_deref()
            .filter(|_| per_project(&failure.endpoint));
        items.entry((failure.endpoint.as_str(), scope)).or_insert(0);
    }
    let mut runs = Vec::new();
    for ((endpoint, scope), items) in items {
        let failures: Vec<&EndpointFailure> = collected
            .failures
            .iter()
            .filter(|f| {
                f.endpoint == endpoint && (scope.is_none() || f.project_id.as_deref() == scope)
            })
            .collect();
        let kinds = endpoint_kinds(endpoint);
        runs.push(EndpointRun {
            endpoint: endpoint.to_owned(),
            scope: scope.map(str::to_owned),
            kinds: kinds.clone(),
            ok: failures.is_empty(),
            error: match failures.len() {
                0 => None,
                1 => Some(failures[0].message.clone()),
                n => Some(format!("{n} scopes failed; first: {}", failures[0].message)),
            },
            status: failures.first().and_then(|f| f.status),
            requests: if scope.is_none() {
                requests.get(endpoint).copied().unwrap_or(0)
            } else {
                0
            },
            items,
        });
        if scope.is_none() {
            runs.extend(
                failures
                    .iter()
                    .filter(|f| f.project_id.is_some())
                    .map(|f| EndpointRun {
                        endpoint: endpoint.to_owned(),
                        scope: f.project_id.clone(),
                        kinds: kinds.clone(),
                        ok: false,
                        error: Some(f.message.clone()),
                        status: f.status,
                        requests: 0,
                        items: 0,
                    }),
            );
        }
    }
    runs
}

/// Removes every record whose `(kind, id)` another record of the scan also has (lists are
/// checked one by one at collection; this catches what two lists or two projects share, which
/// the store would refuse for the whole scan), and fails the endpoint of that kind instead:
/// which of the two is the object is unknown.
fn drop_colliding(records: &mut Vec<Record>) -> Vec<EndpointFailure> {
    let mut seen: BTreeMap<(Kind, &str), usize> = BTreeMap::new();
    for record in records.iter() {
        *seen.entry((record.kind, record.id.as_str())).or_insert(0) += 1;
    }
    let colliding: BTreeSet<(Kind, String)> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|((kind, id), _)| (kind, id.to_owned()))
        .collect();
    if colliding.is_empty() {
        return Vec::new();
    }
    records.retain(|r| !colliding.contains(&(r.kind, r.id.clone())));
    let mut failures: BTreeMap<&str, EndpointFailure> = BTreeMap::new();
    for (kind, id) in &colliding {
        let path = kind.info().source().path;
        failures.entry(path).or_insert_with(|| EndpointFailure {
            endpoint: format!("GET {path}"),
            project_id: None,
            status: None,
            message: format!(
                "two {kind} objects have the id {id:?} (from two lists or projects); they are \
                 unknown and neither is stored"
            ),
        });
    }
    failures.into_values().collect()
}

fn object_record(record: &Record) -> ObjectRecord {
    ObjectRecord {
        kind: record.kind.name().to_owned(),
        id: record.id.clone(),
        project_id: record.project_id.clone(),
        data: record.data.clone(),
    }
}

fn audit_records(events: &[AuditLog], keep_emails: bool) -> Vec<AuditEventRecord> {
    events
        .iter()
        .map(|event| {
            let mut data = serde_json::to_value(event).unwrap_or(Value::Null);
            crate::privacy::scrub(&mut data, keep_emails);
            AuditEventRecord {
                id: event.id.clone(),
                effective_at: event.effective_at,
                kind: event.kind.clone(),
                data,
            }
        })
        .collect()
}

/// One row per bucket and grouping. The grouping key holds the grouping fields the scan asks
/// for, so that a re-fetched bucket replaces the same row; a repeated grouping (which the API
/// should not send) gets a counter rather than being lost.
fn usage_records(kind: UsageKind, buckets: &[Bucket<UsageResult>]) -> Vec<UsageRecord> {
    let mut rows = Vec::new();
    for bucket in buckets {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for result in &bucket.results {
            let data = serde_json::to_value(result).unwrap_or(Value::Null);
            let mut key: Map<String, Value> = crate::collect::USAGE_GROUPING
                .iter()
                .filter(|field| kind.group_by().contains(field))
                .map(|field| {
                    (
                        (*field).to_owned(),
                        data.get(*field).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect();
            let plain = Value::Object(key.clone()).to_string();
            let repeat = seen.entry(plain.clone()).or_insert(0);
            *repeat += 1;
            let group_key = if *repeat == 1 {
                plain
            } else {
                key.insert("#".into(), Value::from(*repeat));
                Value::Object(key).to_string()
            };
            rows.push(UsageRecord {
                kind: kind.name().to_owned(),
                bucket_start: bucket.start_time,
                bucket_end: bucket.end_time,
                group_key,
                data,
            });
        }
    }
    rows
}

fn cost_records(buckets: &[Bucket<CostResult>]) -> Vec<CostRecord> {
    buckets
        .iter()
        .flat_map(|bucket| {
            bucket.results.iter().map(|result| CostRecord {
                bucket_start: bucket.start_time,
                bucket_end: bucket.end_time,
                project_id: result.project_id.clone(),
                line_item: result.line_item.clone(),
                amount: result.amount.value,
                currency: result.amount.currency.to_lowercase(),
                data: serde_json::to_value(result).unwrap_or(Value::Null),
            })
        })
        .collect()
}
