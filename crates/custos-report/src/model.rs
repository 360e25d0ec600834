//! What reports read (`ReportInput`, `ReportOptions`), what they produce (`Report`) and how they fail.

use std::collections::BTreeMap;
use std::path::PathBuf;

use custos_model::api::Project;
use custos_records::{CostRecord, UsageRecord};
use serde::Serialize;

/// Everything the reports are computed from: one entry per organization.
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub orgs: Vec<OrgData>,
}

/// One organization's projects, cost and usage records, and how far back they are complete.
#[derive(Debug, Clone, Default)]
pub struct OrgData {
    pub org_id: String,
    pub name: Option<String>,
    /// For project names; a project missing here is shown by its id.
    pub projects: Vec<Project>,
    pub costs: Vec<CostRecord>,
    pub usage: Vec<UsageRecord>,
    /// Earliest time (Unix seconds) from which cost records are complete; `None`: not collected.
    pub costs_from: Option<i64>,
    /// Earliest time (Unix seconds) from which usage records are complete; `None`: not collected.
    pub usage_from: Option<i64>,
    /// The organization's spend limit: amount in **cents** and currency (`"USD"`), as the API
    /// sends `threshold_amount`.
    pub spend_limit: Option<(f64, String)>,
}

impl OrgData {
    /// The name when there is one, else the id.
    pub fn label(&self) -> &str {
        self.name
            .as_deref()
            .filter(|name| !name.is_empty())
            .unwrap_or(&self.org_id)
    }
}

/// How reports are computed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// The evaluation time (Unix seconds); nothing reads the clock.
    pub as_of: i64,
    /// The currency money is shown in (compared without regard to case).
    pub currency: String,
    /// `{"USD": {"EUR": 0.92}}`: 1 USD = 0.92 EUR. The inverse rate is used when only the other
    /// direction is given; codes are compared without regard to case.
    pub fx_rates: BTreeMap<String, BTreeMap<String, f64>>,
    /// Only this organization (its id, or its name without regard to case); `None`: all.
    pub org: Option<String>,
}

impl ReportOptions {
    /// Options at `as_of`, in US dollars, without exchange rates, for every organization.
    pub fn new(as_of: i64) -> Self {
        ReportOptions {
            as_of,
            currency: "usd".to_owned(),
            fx_rates: BTreeMap::new(),
            org: None,
        }
    }
}

/// A half-open time range `[from, to)` in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: i64,
    pub to: i64,
}

impl Period {
    pub fn new(from: i64, to: i64) -> Self {
        Period { from, to }
    }

    pub fn contains(self, t: i64) -> bool {
        self.from <= t && t < self.to
    }
}

/// What a column holds, which decides how it is formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Text,
    /// An amount in the report's currency.
    Money,
    /// A whole number (tokens, requests, users, days, ranks).
    Count,
    /// A percentage (`12.5` means 12.5 %).
    Percent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
}

impl Column {
    pub fn new(name: &str, kind: ColumnKind) -> Self {
        Column {
            name: name.to_owned(),
            kind,
        }
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Money(f64),
    Count(i64),
    Percent(f64),
    /// Not applicable or unknown (e.g. no spend limit).
    Empty,
}

impl Cell {
    /// The value drawn in a chart; text and empty cells have none.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Money(v) | Cell::Percent(v) => Some(*v),
            Cell::Count(v) => Some(*v as f64),
            Cell::Text(_) | Cell::Empty => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Cell::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// The chart a report suits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Horizontal bars: rankings and breakdowns.
    Bar,
    /// Vertical columns: short time series.
    Column,
    /// A line: long time series.
    Line,
}

/// Which columns a chart draws. Series are the report's scopes (column 0): one per organization,
/// plus "all"; when `category` is column 0 itself, there is one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChartSpec {
    pub kind: ChartKind,
    /// Column index of the category (x of columns and lines, y of bars).
    pub category: usize,
    /// Column index of the value drawn.
    pub value: usize,
}

/// A computed report: a table with its period, notes and the chart that suits it.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The catalogue name, e.g. `costs-last-7-days`.
    pub name: String,
    pub title: String,
    pub period: Period,
    /// The evaluation time the report was computed at.
    pub as_of: i64,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Incomplete data, method, totals: what a reader must know to trust the figures.
    pub notes: Vec<String>,
    pub chart: ChartSpec,
    /// Upper-case ISO code of every money cell.
    pub currency: String,
}

/// Why a report could not be built or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("unknown report {name:?}{}; valid reports: {valid}", suggestion.as_ref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default())]
    UnknownReport {
        name: String,
        suggestion: Option<String>,
        valid: String,
    },
    #[error(
        "no exchange rate from {from} to {to}: add fx_rates {{\"{from}\": {{\"{to}\": RATE}}}} or report in {from}"
    )]
    MissingRate { from: String, to: String },
    #[error("exchange rate from {from} to {to} is {rate}: a rate must be a positive finite number")]
    InvalidRate { from: String, to: String, rate: f64 },
    #[error("unknown organization {org:?}; known organizations: {known}")]
    UnknownOrganization { org: String, known: String },
    #[error(
        "as_of {as_of} is outside the supported calendar (years -9999 to 9999): pass a Unix time in seconds"
    )]
    InvalidTime { as_of: i64 },
    #[error("cannot write {}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the CSV of report {report}: {message}")]
    Csv { report: String, message: String },
}
