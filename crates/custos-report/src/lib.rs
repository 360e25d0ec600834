//! Cost and usage reports of custos, with tables, JSON, CSV and SVG charts.
//!
//! Reports are pure functions of their input: [`build`] takes the organizations' records
//! ([`ReportInput`]) and the options ([`ReportOptions`], whose `as_of` is the only time there is)
//! and returns a [`Report`]; nothing here reads the clock, the store or the network. The same
//! input gives the same report, byte for byte, in every format.
//!
//! - [`REPORTS`] lists every report with a one-line description; [`build`] computes one by
//!   name, [`build_all`] computes them all.
//! - [`to_table`], [`to_json`], [`to_csv`] and [`to_svg`] render a report; [`write_all`] writes
//!   every chart and CSV of a set of reports with an `index.html` that shows them offline.
//!
//! Conventions (`docs/conventions.md`): a record is in a period when its bucket's `start_time` lies
//! in the half-open `[from, to)`; "last N days" is `[as_of - N * 86400, as_of)`; a day is
//! `[00:00, 24:00)` UTC and a day without records counts as 0; money is converted into the
//! options' currency with `fx_rates` (a missing rate is an error naming the pair). Where the
//! data does not reach back to a period's start (`costs_from` / `usage_from` later, or `None`),
//! the report says so in a note.

mod aggregate;
mod calendar;
mod format;
mod model;
mod money;
mod output;
mod render;
mod reports;
pub mod segments;
mod svg;

pub use aggregate::ALL;
pub use model::{
    Cell, ChartKind, ChartSpec, Column, ColumnKind, OrgData, Period, Report, ReportError,
    ReportInput, ReportOptions,
};
pub use output::{index_html, write_all};
pub use render::{to_csv, to_json, to_json_value, to_table};
pub use reports::{REPORTS, ReportInfo, TOP, WEEKS, build, build_all, catalogue};
pub use svg::to_svg;
