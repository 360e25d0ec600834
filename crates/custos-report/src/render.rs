//! A report as a terminal table, JSON or CSV.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use serde_json::{Map, Value, json};

use custos_model::text;

use crate::calendar;
use crate::format;
use crate::model::{Cell, ColumnKind, Report, ReportError};

/// The period as a person reads it: `2026-11-01 to 2026-12-01 (end excluded)`.
pub fn period_label(report: &Report) -> String {
    format!(
        "{} to {} (end excluded), as of {}",
        calendar::time_label(report.period.from),
        calendar::time_label(report.period.to),
        calendar::time_label(report.as_of)
    )
}

/// The report as a table with its title, period and notes: thousands separators, money with two
/// decimals and the currency code, numbers aligned right. The width never depends on the
/// terminal, so output is the same everywhere. Text cells are API strings (project names):
/// their control characters are neutralised and long ones cut, with a note saying so.
pub fn to_table(report: &Report) -> String {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(
            report
                .columns
                .iter()
                .map(|c| format::header(&c.name, c.kind, &report.currency)),
        );
    let mut cut = 0;
    for row in &report.rows {
        table.add_row(row.iter().map(|cell| {
            let (shown, was_cut) = text::table_cell(&format::cell(cell, &report.currency));
            cut += usize::from(was_cut);
            shown
        }));
    }
    for (index, column) in report.columns.iter().enumerate() {
        if column.kind != ColumnKind::Text
            && let Some(column) = table.column_mut(index)
        {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = format!(
        "{}\n{}\n",
        text::terminal_safe(&report.title),
        period_label(report)
    );
    if report.rows.is_empty() {
        out.push_str("(no rows)\n");
    } else {
        out.push_str(&table.to_string());
        out.push('\n');
    }
    for note in &report.notes {
        out.push_str("note: ");
        out.push_str(&text::terminal_safe(note));
        out.push('\n');
    }
    if cut > 0 {
        out.push_str(&text::cut_cells_note(cut));
        out.push('\n');
    }
    out
}

fn cell_json(cell: &Cell) -> Value {
    match cell {
        Cell::Text(text) => Value::from(text.as_str()),
        Cell::Money(v) | Cell::Percent(v) => Value::from(*v),
        Cell::Count(v) => Value::from(*v),
        Cell::Empty => Value::Null,
    }
}

/// The report as a JSON value: keys in a fixed order, rows as objects keyed by column name,
/// numbers raw (money in `currency`).
pub fn to_json_value(report: &Report) -> Value {
    let rows: Vec<Value> = report
        .rows
        .iter()
        .map(|row| {
            let object: Map<String, Value> = report
                .columns
                .iter()
                .zip(row)
                .map(|(column, cell)| (column.name.clone(), cell_json(cell)))
                .collect();
            Value::Object(object)
        })
        .collect();
    json!({
        "name": report.name,
        "title": report.title,
        "as_of": report.as_of,
        "period": {
            "from": report.period.from,
            "to": report.period.to,
            "from_utc": calendar::time_label(report.period.from),
            "to_utc": calendar::time_label(report.period.to),
        },
        "currency": report.currency,
        "columns": report.columns,
        "rows": rows,
        "notes": report.notes,
        "chart": report.chart,
    })
}

/// The report as pretty-printed JSON (deterministic: same report, same bytes).
pub fn to_json(report: &Report) -> String {
    serde_json::to_string_pretty(&to_json_value(report)).unwrap_or_default()
}

/// The rows as CSV: a header with units (`cost (USD)`), raw numbers, empty cells empty, text
/// that a spreadsheet would run as a formula quoted (`text::csv_cell`).
pub fn to_csv(report: &Report) -> Result<String, ReportError> {
    let csv_error = |message: String| ReportError::Csv {
        report: report.name.clone(),
        message,
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(
            report
                .columns
                .iter()
                .map(|c| format::header(&c.name, c.kind, &report.currency)),
        )
        .map_err(|e| csv_error(e.to_string()))?;
    for row in &report.rows {
        writer
            .write_record(row.iter().map(|cell| match cell {
                Cell::Text(value) => text::csv_cell(value).into_owned(),
                Cell::Money(v) | Cell::Percent(v) => v.to_string(),
                Cell::Count(v) => v.to_string(),
                Cell::Empty => String::new(),
            }))
            .map_err(|e| csv_error(e.to_string()))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv_error(e.error().to_string()))?;
    String::from_utf8(bytes).map_err(|e| csv_error(e.to_string()))
}
