//! Tables, CSV and JSON on stdout, the same rows in each.

use crate::cli::Format;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
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
                writer.write_record(row)?;
            }
            writer.flush()?;
        }
        Format::Table => println!("{}", table(header, rows)),
    }
    Ok(())
}

pub fn table(header: &[&str], rows: &[Vec<String>]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    for row in rows {
        table.add_row(row.clone());
    }
    table
}

/// A Unix time as RFC 3339 (UTC), or `-`.
pub fn time(t: Option<i64>) -> String {
    t.and_then(|t| jiff::Timestamp::from_second(t).ok())
        .map_or_else(
            || "-".to_owned(),
            |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
}
