//! Rendering: table snapshots, JSON and CSV shapes, SVG charts that parse and render, and the
//! directory `write_all` produces.

mod common;

use common::{at, november, org};
use custos_report::{
    REPORTS, Report, ReportInput, ReportOptions, build, build_all, index_html, to_csv, to_json,
    to_json_value, to_svg, to_table, write_all,
};
use resvg::{tiny_skia, usvg};

fn all_reports() -> Vec<Report> {
    let (input, options) = november();
    build_all(&input, &options).unwrap()
}

#[test]
fn tables_match_their_snapshots() {
    for report in all_reports() {
        insta::assert_snapshot!(report.name.clone(), to_table(&report));
    }
}

#[test]
fn json_rows_are_objects_keyed_by_column_with_raw_numbers() {
    let (input, options) = november();
    let report = build("cost-forecast", &input, &options).unwrap();
    let value = to_json_value(&report);
    assert_eq!(value["name"], "cost-forecast");
    assert_eq!(value["currency"], "USD");
    assert_eq!(value["period"]["from_utc"], "2026-11-01");
    assert_eq!(value["period"]["to_utc"], "2026-11-20 12:00 UTC");
    assert_eq!(value["columns"][1]["kind"], "money");
    assert_eq!(value["chart"]["kind"], "bar");
    let acme = &value["rows"][0];
    assert_eq!(acme["organization"], "Acme");
    assert_eq!(acme["month to date"], 20.5);
    assert_eq!(acme["days elapsed"], 19);
    assert_eq!(acme["spend limit"], 50.0);
    assert_eq!(value["rows"][1]["spend limit"], serde_json::Value::Null);
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "name", "title", "as_of", "period", "currency", "columns", "rows", "notes", "chart"
        ]
    );
    assert_eq!(
        to_json(&report),
        to_json(&build("cost-forecast", &input, &options).unwrap())
    );
}

#[test]
fn csv_has_units_in_the_header_and_raw_numbers() {
    let (input, options) = november();
    let report = build("top-projects-by-cost", &input, &options).unwrap();
    let csv = to_csv(&report).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "organization,rank,project,project id,cost (USD),share (%)"
    );
    assert_eq!(lines[3], "Acme,3,(no project),,0.25,0.2074688796680498");
    let report = build("usage-by-model", &input, &options).unwrap();
    let csv = to_csv(&report).unwrap();
    assert_eq!(
        csv.lines().nth(1).unwrap(),
        "Acme,gpt-4o,completions,1100,50,1150,13"
    );
}

#[test]
fn tables_quote_money_with_currency_and_thousands() {
    let mut acme = org("org-a", Some("Acme & <Co>"));
    acme.costs = vec![common::cost(
        "2026-11-19",
        Some("proj_1"),
        "completions",
        1_234_567.891,
        "usd",
    )];
    let input = ReportInput { orgs: vec![acme] };
    let report = build(
        "costs-by-line-item",
        &input,
        &ReportOptions::new(at("2026-11-20")),
    )
    .unwrap();
    let table = to_table(&report);
    assert!(table.contains("1,234,567.89 USD"), "{table}");
    assert!(table.contains("cost (USD)"), "{table}");
    // The forecast chart labels its bars with organization names, escaped in SVG text.
    let forecast = build(
        "cost-forecast",
        &input,
        &ReportOptions::new(at("2026-11-20")),
    )
    .unwrap();
    let svg = to_svg(&forecast);
    assert!(svg.contains("Acme &amp; &lt;Co&gt;"), "{svg}");
    assert!(!svg.contains("Acme & <Co>"));
    let html = index_html(&[report]);
    assert!(
        html.contains("costs-by-line-item.svg") && !html.contains("http"),
        "offline page"
    );
}

/// Parses `svg` and renders it; returns how many pixels are neither white nor transparent.
fn render(svg: &str) -> usize {
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).expect("the SVG parses");
    let size = tree.size().to_int_size();
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).expect("a non-empty canvas");
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap
        .pixels()
        .iter()
        .filter(|p| p.alpha() > 0 && (p.red() < 250 || p.green() < 250 || p.blue() < 250))
        .count()
}

#[test]
fn every_chart_parses_and_renders() {
    for report in all_reports() {
        let svg = to_svg(&report);
        assert!(svg.starts_with("<svg"), "{}", report.name);
        let drawn = render(&svg);
        // Bars, lines and axes cover far more than a handful of pixels.
        assert!(drawn > 1_000, "{}: only {drawn} pixels drawn", report.name);
    }
}

#[test]
fn charts_without_data_still_render() {
    let input = ReportInput {
        orgs: vec![org("org-a", None)],
    };
    let options = ReportOptions::new(at("2026-11-01"));
    for info in REPORTS {
        let report = build(info.name, &input, &options).unwrap();
        let svg = to_svg(&report);
        render(&svg);
        if report
            .rows
            .iter()
            .all(|row| row.iter().all(|c| c.as_f64().is_none_or(|v| v == 0.0)))
        {
            assert!(
                svg.contains("no data") || svg.contains("<rect") || svg.contains("<polyline"),
                "{}",
                info.name
            );
        }
    }
}

#[test]
fn series_charts_have_a_legend_when_there_are_several_organizations() {
    let reports = all_reports();
    let trend = reports.iter().find(|r| r.name == "usage-trend").unwrap();
    let svg = to_svg(trend);
    for series in ["Acme", "org-b", "all"] {
        assert!(
            svg.contains(&format!("\n{series}\n</text>")),
            "legend entry {series}"
        );
    }
    assert!(svg.contains("requests"), "value axis label");
    // One organization: its series only, no legend.
    let (mut input, options) = november();
    input.orgs.retain(|o| o.org_id == "org-a");
    let svg = to_svg(&build("usage-trend", &input, &options).unwrap());
    assert!(!svg.contains("\nall\n</text>"));
    let costs = to_svg(&build("costs-last-7-days", &input, &options).unwrap());
    assert!(costs.contains(" USD"), "money on the value axis");
}

#[test]
fn write_all_writes_charts_csvs_and_an_offline_index() {
    let dir = std::env::temp_dir().join(format!("custos-report-{}", std::process::id()));
    let reports = all_reports();
    let written = write_all(&dir, &reports).unwrap();
    assert_eq!(written.len(), reports.len() * 2 + 1);
    assert_eq!(written[0], dir.join("costs-last-7-days.svg"));
    assert_eq!(written[1], dir.join("costs-last-7-days.csv"));
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    for report in &reports {
        assert!(index.contains(&format!("<img src=\"{}.svg\"", report.name)));
        assert!(index.contains(&format!("href=\"{}.csv\"", report.name)));
        assert!(index.contains(&report.title));
        assert!(dir.join(format!("{}.svg", report.name)).is_file());
    }
    assert!(index.contains("org-b: costs were not collected: the period is incomplete"));
    assert!(
        !index.contains("http://") && !index.contains("https://") && !index.contains("<script")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
