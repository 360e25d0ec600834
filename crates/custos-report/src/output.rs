//! Writing reports to a directory: one SVG chart and one CSV per report, and an `index.html`
//! that shows them all offline (relative links only, no script, no network).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::model::{Report, ReportError};
use crate::render::{period_label, to_csv, to_table};
use crate::svg::to_svg;

/// Writes `NAME.svg` and `NAME.csv` for every report and `index.html`, creating `dir` if
/// needed; returns the paths written, in that order.
pub fn write_all(dir: &Path, reports: &[Report]) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::with_capacity(reports.len() * 2 + 1);
    for report in reports {
        written.push(write(
            dir,
            &format!("{}.svg", report.name),
            &to_svg(report),
        )?);
        written.push(write(
            dir,
            &format!("{}.csv", report.name),
            &to_csv(report)?,
        )?);
    }
    written.push(write(dir, "index.html", &index_html(reports))?);
    Ok(written)
}

fn write(dir: &Path, file: &str, contents: &str) -> Result<PathBuf, ReportError> {
    let path = dir.join(file);
    std::fs::write(&path, contents).map_err(|source| ReportError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// The page listing every report: title, period, chart, notes, the table and the CSV link.
pub fn index_html(reports: &[Report]) -> String {
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>custos reports</title>\n<style>\nbody { font-family: sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }\nsection { margin-bottom: 3em; }\nimg { max-width: 100%; border: 1px solid #ddd; }\n.period { color: #555; }\npre { font-size: 12px; overflow-x: auto; }\n</style>\n</head>\n<body>\n<h1>custos reports</h1>\n<ul>\n",
    );
    for report in reports {
        let name = escape(&report.name);
        let _ = writeln!(
            html,
            "<li><a href=\"#{name}\">{}</a></li>",
            escape(&report.title)
        );
    }
    html.push_str("</ul>\n");
    for report in reports {
        let name = escape(&report.name);
        let _ = write!(
            html,
            "<section id=\"{name}\">\n<h2>{}</h2>\n<p class=\"period\">{} · <code>{name}</code> · <a href=\"{name}.csv\">CSV</a></p>\n<img src=\"{name}.svg\" alt=\"{} chart\">\n",
            escape(&report.title),
            escape(&period_label(report)),
            escape(&report.title),
        );
        if !report.notes.is_empty() {
            html.push_str("<ul class=\"notes\">\n");
            for note in &report.notes {
                let _ = writeln!(html, "<li>{}</li>", escape(note));
            }
            html.push_str("</ul>\n");
        }
        let _ = write!(
            html,
            "<details><summary>Table</summary>\n<pre>{}</pre>\n</details>\n</section>\n",
            escape(&to_table(report))
        );
    }
    html.push_str("</body>\n</html>\n");
    html
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
