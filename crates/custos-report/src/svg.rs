//! A report's chart as SVG, drawn with plotters.
//!
//! Time series (columns, lines) have one series per organization; the `all` series is added
//! when there are several organizations (with one it would repeat it). Rankings and breakdowns
//! (horizontal bars) show the `all` scope, which ranks across every organization.

use plotters::prelude::*;

use crate::aggregate::ALL;
use crate::calendar;
use crate::format;
use crate::model::{ChartKind, ColumnKind, Report};

const WIDTH: u32 = 960;
const HEIGHT: u32 = 540;
const FONT: &str = "sans-serif";
/// Longest category label drawn; longer ones are cut with an ellipsis.
const MAX_LABEL: usize = 32;

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// What the chart draws, taken from the report's rows.
#[derive(Debug, Default)]
struct ChartData {
    categories: Vec<String>,
    series: Vec<Series>,
    category_label: String,
    value_label: String,
    /// Formats values on the value axis.
    money: Option<String>,
}

#[derive(Debug)]
struct Series {
    name: String,
    /// One per category; `None` where the series has no value.
    values: Vec<Option<f64>>,
}

impl ChartData {
    fn from_report(report: &Report) -> ChartData {
        let spec = report.chart;
        let (Some(category_column), Some(value_column)) = (
            report.columns.get(spec.category),
            report.columns.get(spec.value),
        ) else {
            return ChartData::default();
        };
        let mut data = ChartData {
            category_label: category_column.name.clone(),
            value_label: format::header(&value_column.name, value_column.kind, &report.currency),
            money: (value_column.kind == ColumnKind::Money).then(|| report.currency.clone()),
            ..ChartData::default()
        };
        // (scope, category, value) of each row that has them.
        let points: Vec<(&str, &str, Option<f64>)> = report
            .rows
            .iter()
            .filter_map(|row| {
                let scope = row.first()?.as_text()?;
                let category = row.get(spec.category)?.as_text()?;
                Some((scope, category, row.get(spec.value)?.as_f64()))
            })
            .collect();
        if spec.category == 0 {
            data.categories = points.iter().map(|(c, _, _)| (*c).to_owned()).collect();
            data.series.push(Series {
                name: value_column.name.clone(),
                values: points.iter().map(|(_, _, v)| *v).collect(),
            });
            return data;
        }
        let mut scopes: Vec<&str> = Vec::new();
        for (scope, _, _) in &points {
            if !scopes.contains(scope) {
                scopes.push(scope);
            }
        }
        if spec.kind == ChartKind::Bar {
            let shown = if scopes.contains(&ALL) {
                ALL
            } else {
                scopes.first().copied().unwrap_or(ALL)
            };
            let rows: Vec<_> = points.iter().filter(|(s, _, _)| *s == shown).collect();
            data.categories = rows.iter().map(|(_, c, _)| (*c).to_owned()).collect();
            data.series.push(Series {
                name: shown.to_owned(),
                values: rows.iter().map(|(_, _, v)| *v).collect(),
            });
            return data;
        }
        if scopes.len() == 2 && scopes.contains(&ALL) {
            scopes.retain(|scope| *scope != ALL);
        }
        for (scope, category, _) in &points {
            if scopes.contains(scope) && !data.categories.iter().any(|c| c == category) {
                data.categories.push((*category).to_owned());
            }
        }
        for scope in scopes {
            let mut values = vec![None; data.categories.len()];
            for (_, category, value) in points.iter().filter(|(s, _, _)| *s == scope) {
                if let Some(index) = data.categories.iter().position(|c| c == category) {
                    values[index] = *value;
                }
            }
            data.series.push(Series {
                name: scope.to_owned(),
                values,
            });
        }
        data
    }

    /// The value axis range: includes 0, with headroom above the largest value.
    fn value_range(&self) -> (f64, f64) {
        let values = self.series.iter().flat_map(|s| s.values.iter().flatten());
        let (low, high) = values
            .filter(|v| v.is_finite())
            .fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        let span = if high > low { high - low } else { 1.0 };
        (
            if low < 0.0 { low - span * 0.05 } else { 0.0 },
            // Headroom above the highest value, more where a legend sits in the corner.
            high + span * if self.series.len() > 1 { 0.25 } else { 0.08 },
        )
    }

    fn has_values(&self) -> bool {
        self.series
            .iter()
            .any(|s| s.values.iter().flatten().any(|v| v.is_finite()))
    }

    fn format_value(&self, value: f64) -> String {
        match &self.money {
            Some(currency) => format!("{} {currency}", format::axis(value)),
            None => format::axis(value),
        }
    }
}

/// The label of the category at axis position `position`, if it is one.
fn category_at(categories: &[String], position: f64) -> String {
    let index = position.round();
    if (position - index).abs() > 1e-6 || index < 0.0 {
        return String::new();
    }
    categories
        .get(index as usize)
        .map(|label| shorten(label))
        .unwrap_or_default()
}

fn shorten(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL {
        label.to_owned()
    } else {
        let cut: String = label.chars().take(MAX_LABEL - 1).collect();
        format!("{cut}…")
    }
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// The report's chart as an SVG document. A report without values gives a chart that says so;
/// a drawing failure gives a minimal SVG with the reason rather than a panic.
pub fn to_svg(report: &Report) -> String {
    let data = ChartData::from_report(report);
    let mut svg = String::new();
    let outcome = {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, report, &data).and_then(|()| root.present().map_err(Into::into))
    };
    match outcome {
        Ok(()) => svg,
        Err(error) => fallback_svg(&report.title, &error.to_string()),
    }
}

fn draw(
    root: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    report: &Report,
    data: &ChartData,
) -> DrawResult {
    root.fill(&WHITE)?;
    let title = format!(
        "{}: {} to {}",
        report.title,
        calendar::time_label(report.period.from),
        calendar::time_label(report.period.to)
    );
    if !data.has_values() {
        let area = root.titled(&title, (FONT, 20))?;
        area.draw(&Text::new(
            "no data for this period",
            (WIDTH as i32 / 2 - 90, HEIGHT as i32 / 2 - 40),
            (FONT, 18),
        ))?;
        return Ok(());
    }
    match report.chart.kind {
        ChartKind::Bar => draw_bars(root, &title, data),
        ChartKind::Column | ChartKind::Line => draw_series(root, &title, data, report.chart.kind),
    }
}

fn draw_bars(
    root: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    title: &str,
    data: &ChartData,
) -> DrawResult {
    let count = data.categories.len();
    let (low, high) = data.value_range();
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 18))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(240)
        .build_cartesian_2d(low..high, -0.5..(count as f64 - 0.5))?;
    // Rank 1 at the top: category i is drawn at y = count - 1 - i.
    let top_down = |y: &f64| category_at(&data.categories, count as f64 - 1.0 - y);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(count.max(1))
        .y_label_formatter(&top_down)
        .x_labels(8)
        .x_label_formatter(&|v| data.format_value(*v))
        .x_desc(data.value_label.as_str())
        .y_desc(data.category_label.as_str())
        .max_light_lines(1)
        .label_style((FONT, 13))
        .draw()?;
    let color = PALETTE[0];
    chart.draw_series(data.series.iter().take(1).flat_map(|series| {
        series
            .values
            .iter()
            .enumerate()
            .filter_map(move |(i, value)| {
                let value = value.filter(|v| v.is_finite())?;
                let y = (count - 1 - i) as f64;
                Some(Rectangle::new(
                    [(0.0, y - 0.35), (value, y + 0.35)],
                    color.filled(),
                ))
            })
    }))?;
    Ok(())
}

fn draw_series(
    root: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    title: &str,
    data: &ChartData,
    kind: ChartKind,
) -> DrawResult {
    let count = data.categories.len();
    let (low, high) = data.value_range();
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 18))
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(110)
        .build_cartesian_2d(-0.5..(count as f64 - 0.5), low..high)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(count.clamp(1, 10))
        .x_label_formatter(&|x| category_at(&data.categories, *x))
        .y_labels(8)
        .y_label_formatter(&|v| data.format_value(*v))
        .x_desc(data.category_label.as_str())
        .y_desc(data.value_label.as_str())
        .max_light_lines(1)
        .label_style((FONT, 13))
        .draw()?;
    let slot = 0.8 / data.series.len().max(1) as f64;
    for (index, series) in data.series.iter().enumerate() {
        let color = PALETTE[index % PALETTE.len()];
        let points: Vec<(f64, f64)> = series
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.filter(|v| v.is_finite()).map(|v| (i as f64, v)))
            .collect();
        let drawn = if kind == ChartKind::Line {
            chart.draw_series(
                points
                    .iter()
                    .map(|point| Circle::new(*point, 3, color.filled())),
            )?;
            chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?
        } else {
            // Columns of several series side by side within each category's slot.
            let offset = -0.4 + slot * index as f64;
            chart.draw_series(points.into_iter().map(|(x, v)| {
                Rectangle::new(
                    [(x + offset, 0.0), (x + offset + slot * 0.9, v)],
                    color.filled(),
                )
            }))?
        };
        drawn
            .label(series.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
    }
    if data.series.len() > 1 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 13))
            .draw()?;
    }
    Ok(())
}

/// A minimal valid SVG that states why the chart could not be drawn.
fn fallback_svg(title: &str, reason: &str) -> String {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\"><rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"20\" y=\"40\" font-family=\"sans-serif\" font-size=\"18\">{}</text><text x=\"20\" y=\"80\" font-family=\"sans-serif\" font-size=\"14\">chart unavailable: {}</text></svg>",
        escape(title),
        escape(reason)
    )
}
