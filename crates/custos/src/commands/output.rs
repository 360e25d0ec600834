//! Tables, CSV and JSON on stdout, the same rows in each.
//!
//! Cells hold API strings, which are hostile input: tables neutralise control characters and
//! cut long cells, CSV quotes would-be formulas (`custos_model::text`); JSON keeps every value
//! whole, as its encoding already escapes control characters.

use crate::cli::Format;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use custos_model::text;
use serde::Serialize;

/// Rows with a header, printed as a table or CSV; JSON prints `json` instead, which holds the
/// same facts with their structure.
pub fn print<T: Serialize + ?Sized>(
    format: Format,
    header: &[&str],
    rows: &[Vec<String>],
    json: &T,
) -> anyhow::Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(json)?),
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(std::io::stdout().lock());
            writer.write_record(header)?;
            for row in rows {
                writer.write_record(row.iter().map(|cell| text::csv_cell(cell).into_owned()))?;
            }
            writer.flush()?;
        }
        Format::Table => println!("{}", table(header, rows)),
    }
    Ok(())
}

/// The rows as a table, each cell neutralised and cut (`text::table_cell`), with a note under
/// it when a cell was cut.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    let mut cut = 0;
    for row in rows {
        table.add_row(row.iter().map(|cell| {
            let (shown, was_cut) = text::table_cell(cell);
            cut += usize::from(was_cut);
            shown
        }));
    }
    if cut == 0 {
        table.to_string()
    } else {
        format!("{table}\n{}", text::cut_cells_note(cut))
    }
}

/// A value from outside (an API name or id) inside a message: control characters neutralised.
pub fn safe(value: &str) -> std::borrow::Cow<'_, str> {
    text::terminal_safe(value)
}

/// A Unix time as RFC 3339 (UTC), or `-`: the spelling of the findings JSON everywhere.
pub use custos_app::rfc3339 as time;
