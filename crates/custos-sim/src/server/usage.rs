//! Usage and cost time buckets (`docs/admin-api-notes.md` "Paging", style C).
//!
//! Raw scenario records carry a (sim) `start_time`; each falls into the bucket that holds it.
//! Per bucket, records are grouped by the requested `group_by` fields and their numeric fields
//! summed; grouping fields that were not requested are `null`, as the API sends them. Buckets
//! are aligned to the bucket width (UTC days, hours, minutes) and only records inside
//! `[start_time, end_time)` count. Empty buckets are still returned with `results: []`.

use super::error::ApiError;
use super::query::Params;
use super::reply::{Reply, json};
use super::state::normalize::{Fields, fields_of};
use custos_model::usage::{COST_FILTERS, COST_GROUP_BY, UsageFilter, UsageKind};
use serde::Serialize;
use serde_json::{Map, Number, Value, json};
use std::collections::HashMap;

/// One raw record: its time and its API fields (without the time).
#[derive(Debug, Clone)]
struct Record {
    start: i64,
    fields: Fields,
}

/// The records of one usage kind (or the costs), sorted by time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Series {
    records: Vec<Record>,
}

impl Series {
    /// Records without a `start_time` cannot fall into any bucket and are left out.
    pub(crate) fn new<T: Serialize>(records: &[T]) -> Series {
        let mut records: Vec<Record> = records
            .iter()
            .filter_map(|record| {
                let mut fields = fields_of(record);
                let start = fields.remove("start_time")?.as_i64()?;
                Some(Record { start, fields })
            })
            .collect();
        records.sort_by_key(|r| r.start);
        Series { records }
    }

    fn between(&self, from: i64, to: i64) -> &[Record] {
        let lo = self.records.partition_point(|r| r.start < from);
        let hi = self.records.partition_point(|r| r.start < to);
        &self.records[lo..hi.max(lo)]
    }
}

/// What a bucket endpoint measures: one usage kind, or costs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Measure {
    Usage(UsageKind),
    Costs,
}

impl Measure {
    fn object(self) -> &'static str {
        match self {
            Measure::Usage(kind) => kind.result_object(),
            Measure::Costs => "organization.costs.result",
        }
    }

    fn group_fields(self) -> &'static [&'static str] {
        match self {
            Measure::Usage(kind) => kind.group_by(),
            Measure::Costs => COST_GROUP_BY,
        }
    }

    fn filters(self) -> &'static [UsageFilter] {
        match self {
            Measure::Usage(kind) => kind.filters(),
            Measure::Costs => COST_FILTERS,
        }
    }

    /// Accepted `bucket_width` values with (default, max) `limit` for each.
    fn widths(self) -> &'static [(&'static str, i64, usize, usize)] {
        match self {
            Measure::Usage(_) => &[
                ("1d", 86_400, 7, 31),
                ("1h", 3_600, 24, 168),
                ("1m", 60, 60, 1_440),
            ],
            Measure::Costs => &[("1d", 86_400, 7, 180)],
        }
    }
}

/// The parameters of one bucket request.
#[derive(Debug)]
pub(crate) struct BucketQuery {
    start: i64,
    end: i64,
    width: i64,
    limit: usize,
    /// Start of the first bucket of this page.
    from: i64,
    group_by: Vec<&'static str>,
    filters: Vec<(&'static str, Vec<String>)>,
}

const PAGE_PREFIX: &str = "page_";

impl BucketQuery {
    pub(crate) fn parse(params: &Params, measure: Measure, now: i64) -> Result<Self, ApiError> {
        let start = params
            .int("start_time")?
            .ok_or_else(|| super::body::missing("start_time"))?;
        let end = params.int("end_time")?.unwrap_or(now);
        if end <= start {
            return Err(ApiError::invalid(
                "end_time",
                "Invalid 'end_time': it must be later than 'start_time'.",
            ));
        }
        let names: Vec<&'static str> = measure.widths().iter().map(|w| w.0).collect();
        let width_name = params.choice("bucket_width", &names)?.unwrap_or("1d");
        let &(_, width, default_limit, max_limit) = measure
            .widths()
            .iter()
            .find(|w| w.0 == width_name)
            .ok_or_else(|| ApiError::invalid("bucket_width", "Invalid 'bucket_width'."))?;
        let limit = match params.int("limit")? {
            None => default_limit,
            Some(n) => usize::try_from(n)
                .ok()
                .filter(|n| (1..=max_limit).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "limit",
                        format!(
                            "Invalid 'limit': {n} is not between 1 and {max_limit} for bucket_width {width_name}."
                        ),
                    )
                })?,
        };
        let first = start.div_euclid(width) * width;
        let from = match params.get("page") {
            None => first,
            Some(page) => decode_page(page)
                .filter(|b| *b >= first && *b < end && (b - first) % width == 0)
                .ok_or_else(|| ApiError::invalid("page", format!("Invalid 'page': '{page}'.")))?,
        };
        let filters = measure
            .filters()
            .iter()
            .filter_map(|f| {
                let values: Vec<String> = params
                    .list(f.param)
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                (!values.is_empty()).then_some((f.field, values))
            })
            .collect();
        Ok(BucketQuery {
            start,
            end,
            width,
            limit,
            from,
            group_by: params.choices("group_by", measure.group_fields())?,
            filters,
        })
    }

    fn keeps(&self, record: &Record) -> bool {
        self.filters.iter().all(|(field, values)| {
            record
                .fields
                .get(*field)
                .and_then(comparable)
                .is_some_and(|v| values.contains(&v))
        })
    }
}

fn decode_page(page: &str) -> Option<i64> {
    i64::from_str_radix(page.strip_prefix(PAGE_PREFIX)?, 16).ok()
}

fn encode_page(start: i64) -> String {
    format!("{PAGE_PREFIX}{start:016x}")
}

/// A grouping or filter value as text: filters arrive as strings (`batch=true`).
fn comparable(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One page of buckets.
pub(crate) fn bucket_page(series: &Series, measure: Measure, query: &BucketQuery) -> Reply {
    let mut buckets = Vec::with_capacity(query.limit);
    let mut bucket = query.from;
    while bucket < query.end && buckets.len() < query.limit {
        let next = bucket + query.width;
        let records = series.between(bucket.max(query.start), next.min(query.end));
        buckets.push(json!({
            "object": "bucket",
            "start_time": bucket,
            "end_time": next,
            "results": aggregate(records, measure, query),
        }));
        bucket = next;
    }
    let has_more = bucket < query.end;
    json(&json!({
        "object": "page",
        "data": buckets,
        "has_more": has_more,
        "next_page": has_more.then(|| encode_page(bucket)),
    }))
}

/// The running sums of one group.
#[derive(Debug, Default)]
struct Sums {
    key: Vec<Value>,
    numbers: Map<String, Value>,
    amount: f64,
    quantity: Option<f64>,
    /// `Some(unit)` while every record had the same unit.
    unit: Option<Option<String>>,
}

fn aggregate(records: &[Record], measure: Measure, query: &BucketQuery) -> Vec<Value> {
    let mut groups: Vec<Sums> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for record in records.iter().filter(|r| query.keeps(r)) {
        let key: Vec<Value> = query
            .group_by
            .iter()
            .map(|field| record.fields.get(*field).cloned().unwrap_or(Value::Null))
            .collect();
        let text = serde_json::to_string(&key).unwrap_or_default();
        let position = *index.entry(text).or_insert_with(|| {
            groups.push(Sums {
                key: key.clone(),
                ..Sums::default()
            });
            groups.len() - 1
        });
        let sums = &mut groups[position];
        match measure {
            Measure::Usage(kind) => add_usage(sums, kind, &record.fields),
            Measure::Costs => add_cost(sums, &record.fields),
        }
    }
    groups
        .into_iter()
        .map(|sums| match measure {
            Measure::Usage(kind) => usage_result(kind, query, sums),
            Measure::Costs => cost_result(query, sums),
        })
        .collect()
}

fn add_usage(sums: &mut Sums, kind: UsageKind, fields: &Fields) {
    let grouping = kind.group_by();
    for (name, value) in fields {
        let Value::Number(n) = value else { continue };
        if grouping.contains(&name.as_str()) {
            continue;
        }
        let total = sums.numbers.entry(name.clone()).or_insert(Value::from(0));
        *total = add_numbers(total, n);
    }
}

fn add_numbers(total: &Value, n: &Number) -> Value {
    match (total.as_i64(), n.as_i64()) {
        (Some(a), Some(b)) => Value::from(a.saturating_add(b)),
        _ => Number::from_f64(total.as_f64().unwrap_or(0.0) + n.as_f64().unwrap_or(0.0))
            .map_or(Value::Null, Value::Number),
    }
}

fn add_cost(sums: &mut Sums, fields: &Fields) {
    sums.amount += fields
        .get("amount")
        .and_then(|a| a.get("value"))
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    if let Some(q) = fields.get("quantity").and_then(Value::as_f64) {
        sums.quantity = Some(sums.quantity.unwrap_or(0.0) + q);
    }
    let unit = fields
        .get("quantity_unit")
        .and_then(Value::as_str)
        .map(str::to_owned);
    sums.unit = match sums.unit.take() {
        None => Some(unit),
        Some(same) if same == unit => Some(same),
        Some(_) => Some(None),
    };
}

/// The grouping fields of a result: the group's value where requested, else `null`.
fn grouping(fields: &mut Map<String, Value>, all: &[&str], query: &BucketQuery, key: &[Value]) {
    for field in all {
        let value = query
            .group_by
            .iter()
            .position(|g| g == field)
            .map_or(Value::Null, |i| key[i].clone());
        fields.insert((*field).to_owned(), value);
    }
}

fn usage_result(kind: UsageKind, query: &BucketQuery, sums: Sums) -> Value {
    let mut fields = Map::new();
    fields.insert("object".into(), kind.result_object().into());
    for metric in kind.required_metrics() {
        fields.insert((*metric).into(), Value::from(0));
    }
    fields.extend(sums.numbers);
    grouping(&mut fields, kind.group_by(), query, &sums.key);
    Value::Object(fields)
}

fn cost_result(query: &BucketQuery, sums: Sums) -> Value {
    let mut fields = Map::new();
    fields.insert("object".into(), Measure::Costs.object().into());
    fields.insert(
        "amount".into(),
        json!({"value": sums.amount, "currency": "usd"}),
    );
    grouping(&mut fields, COST_GROUP_BY, query, &sums.key);
    fields.insert("quantity".into(), json!(sums.quantity));
    fields.insert("quantity_unit".into(), json!(sums.unit.flatten()));
    Value::Object(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_cursors_round_trip() {
        assert_eq!(
            decode_page(&encode_page(1_730_419_200)),
            Some(1_730_419_200)
        );
        assert_eq!(decode_page("nope"), None);
    }
}
