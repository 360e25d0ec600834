//! The report catalogue and the function that computes each report.
//!
//! Every report has rows per organization (labelled by name, else id, in id order) followed by
//! rows labelled `all` that combine every organization in scope. Windows follow the policy
//! conventions: a record belongs to a period when its bucket's `start_time` lies in it, and a day
//! is `[00:00, 24:00)` UTC.

use std::collections::{BTreeMap, BTreeSet};

use custos_model::text::closest;
use custos_model::usage::UsageKind;

use crate::aggregate::{
    ALL, Context, Merge, Source, UsageCounts, add_to_day, empty_days, field, round_money, share,
    top, totals_note, usage_in,
};
use crate::calendar::{self, DAY};
use crate::format;
use crate::model::{
    Cell, ChartKind, ChartSpec, Column, ColumnKind, Period, Report, ReportError, ReportInput,
    ReportOptions,
};

/// How many entries the `top-*` reports keep per scope.
pub const TOP: usize = 10;

/// How many ISO weeks `costs-per-week` shows, the current one included.
pub const WEEKS: i64 = 13;

/// One report of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct ReportInfo {
    /// The name given to `custos report NAME` and used for file names.
    pub name: &'static str,
    pub title: &'static str,
    /// One line: what the report shows and over which period.
    pub description: &'static str,
    compute: fn(&Context) -> Result<Draft, ReportError>,
}

/// Every report, in the order they are listed and written.
pub static REPORTS: &[ReportInfo] = &[
    ReportInfo {
        name: "costs-last-7-days",
        title: "Costs, last 7 days",
        description: "Daily costs per organization over the last 7 days (buckets starting in [as_of - 7 d, as_of)).",
        compute: |ctx| daily_costs(ctx, ctx.last_days(7), ChartKind::Column),
    },
    ReportInfo {
        name: "costs-last-30-days",
        title: "Costs, last 30 days",
        description: "Daily costs per organization over the last 30 days.",
        compute: |ctx| daily_costs(ctx, ctx.last_days(30), ChartKind::Line),
    },
    ReportInfo {
        name: "costs-last-month",
        title: "Costs, last month",
        description: "Daily costs per organization in the previous calendar month (UTC).",
        compute: |ctx| daily_costs(ctx, ctx.months.last_month, ChartKind::Column),
    },
    ReportInfo {
        name: "costs-this-month",
        title: "Costs, this month to date",
        description: "Daily costs per organization from the first of as_of's month to as_of.",
        compute: |ctx| daily_costs(ctx, ctx.month_to_date(), ChartKind::Column),
    },
    ReportInfo {
        name: "costs-per-week",
        title: "Costs per ISO week",
        description: "Costs per organization per ISO week (Monday start) over the last 13 weeks, this one to date.",
        compute: costs_per_week,
    },
    ReportInfo {
        name: "top-projects-by-cost",
        title: "Top 10 projects by cost, last 30 days",
        description: "The 10 projects that cost most over the last 30 days, per organization and overall.",
        compute: top_projects_by_cost,
    },
    ReportInfo {
        name: "costs-by-line-item",
        title: "Costs by line item, last 30 days",
        description: "Costs per line item (model or product) over the last 30 days.",
        compute: costs_by_line_item,
    },
    ReportInfo {
        name: "usage-by-model",
        title: "Usage by model, last 30 days",
        description: "Input and output tokens and requests per model and usage kind over the last 30 days.",
        compute: usage_by_model,
    },
    ReportInfo {
        name: "top-projects-by-tokens",
        title: "Top 10 projects by tokens, last 30 days",
        description: "The 10 projects that used most tokens (input + output) over the last 30 days.",
        compute: top_projects_by_tokens,
    },
    ReportInfo {
        name: "top-keys-by-requests",
        title: "Top 10 API keys by requests, last 30 days",
        description: "The 10 API keys that sent most requests over the last 30 days.",
        compute: top_keys_by_requests,
    },
    ReportInfo {
        name: "usage-trend",
        title: "Daily usage, last 30 days",
        description: "Tokens and requests per day over the last 30 days; a day without usage reads 0.",
        compute: usage_trend,
    },
    ReportInfo {
        name: "cost-forecast",
        title: "Month-end cost forecast",
        description: "Month-to-date cost extrapolated to the month end, compared with the spend limit.",
        compute: cost_forecast,
    },
    ReportInfo {
        name: "active-users-trend",
        title: "Active users per day, last 30 days",
        description: "Distinct users with usage per day over the last 30 days.",
        compute: active_users_trend,
    },
];

/// Every report of the catalogue.
pub fn catalogue() -> &'static [ReportInfo] {
    REPORTS
}

/// Computes the report called `name`. An unknown name is an error listing the valid names and
/// the closest one.
pub fn build(
    name: &str,
    input: &ReportInput,
    options: &ReportOptions,
) -> Result<Report, ReportError> {
    let info = REPORTS
        .iter()
        .find(|info| info.name == name)
        .ok_or_else(|| unknown_report(name))?;
    let ctx = Context::new(input, options)?;
    compute(info, &ctx)
}

/// Computes every report of the catalogue, in catalogue order.
pub fn build_all(input: &ReportInput, options: &ReportOptions) -> Result<Vec<Report>, ReportError> {
    let ctx = Context::new(input, options)?;
    REPORTS.iter().map(|info| compute(info, &ctx)).collect()
}

fn compute(info: &ReportInfo, ctx: &Context) -> Result<Report, ReportError> {
    let draft = (info.compute)(ctx)?;
    Ok(Report {
        name: info.name.to_owned(),
        title: info.title.to_owned(),
        period: draft.period,
        as_of: ctx.as_of,
        columns: draft.columns,
        rows: draft.rows,
        notes: draft.notes,
        chart: draft.chart,
        currency: ctx.money.target().to_owned(),
    })
}

fn unknown_report(name: &str) -> ReportError {
    ReportError::UnknownReport {
        name: name.to_owned(),
        suggestion: closest(name, REPORTS.iter().map(|info| info.name)).map(str::to_owned),
        valid: REPORTS
            .iter()
            .map(|info| info.name)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// What a report function computes; [`compute`] adds the catalogue's name and title.
struct Draft {
    period: Period,
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
    notes: Vec<String>,
    chart: ChartSpec,
}

fn columns(spec: &[(&str, ColumnKind)]) -> Vec<Column> {
    std::iter::once(Column::new("organization", ColumnKind::Text))
        .chain(spec.iter().map(|(name, kind)| Column::new(name, *kind)))
        .collect()
}

fn chart(kind: ChartKind, category: usize, value: usize) -> ChartSpec {
    ChartSpec {
        kind,
        category,
        value,
    }
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn money(value: f64) -> Cell {
    Cell::Money(round_money(value))
}

/// The rows of a ranking: `organization, rank, ...` for each scope's first [`TOP`] entries.
fn ranked_rows<K: Clone, V: Clone>(
    scopes: &[(String, BTreeMap<K, V>)],
    size: impl Fn(&V) -> f64 + Copy,
    limit: usize,
    mut cells: impl FnMut(&K, &V, f64) -> Vec<Cell>,
) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    for (label, tally) in scopes {
        let whole: f64 = tally.values().map(size).sum();
        for (rank, (key, value)) in top(tally, size, limit).iter().enumerate() {
            let mut row = vec![text(label.as_str()), Cell::Count(rank as i64 + 1)];
            row.extend(cells(key, value, share(size(value), whole)));
            rows.push(row);
        }
    }
    rows
}

/// Project names of every organization in scope, for labels.
fn project_names<'a>(ctx: &Context<'a>) -> BTreeMap<&'a str, &'a str> {
    let mut names = BTreeMap::new();
    for org in &ctx.orgs {
        for project in &org.projects {
            let name = project.name.as_deref().filter(|name| !name.is_empty());
            names
                .entry(project.id.as_str())
                .or_insert(name.unwrap_or(&project.id));
        }
    }
    names
}

/// `[name, id]` cells of a project; records without a project are grouped as `(no project)`.
fn project_cells(names: &BTreeMap<&str, &str>, id: &Option<String>) -> [Cell; 2] {
    match id {
        Some(id) => [
            text(names.get(id.as_str()).copied().unwrap_or(id)),
            text(id.as_str()),
        ],
        None => [text("(no project)"), Cell::Empty],
    }
}

fn daily_costs(ctx: &Context, period: Period, kind: ChartKind) -> Result<Draft, ReportError> {
    let scopes = ctx.per_scope(|org| {
        let mut days: BTreeMap<i64, f64> = empty_days(period);
        ctx.for_each_cost(org, period, |record, amount| {
            add_to_day(&mut days, record.bucket_start, amount)
        })?;
        Ok(days)
    })?;
    let rows = scopes
        .iter()
        .flat_map(|(label, days)| {
            days.iter().map(move |(day, cost)| {
                vec![
                    text(label.as_str()),
                    text(calendar::day_label(*day)),
                    money(*cost),
                ]
            })
        })
        .collect();
    let mut notes = ctx.coverage_notes(Source::Costs, period);
    if period.from >= period.to {
        notes.push("The period is empty: as_of is its first instant.".to_owned());
    }
    let totals: Vec<(String, f64)> = scopes
        .iter()
        .map(|(label, days)| (label.clone(), round_money(days.values().sum())))
        .collect();
    notes.push(totals_note(&totals, ctx.money.target()));
    Ok(Draft {
        period,
        columns: columns(&[("day", ColumnKind::Text), ("cost", ColumnKind::Money)]),
        rows,
        notes,
        chart: chart(kind, 1, 2),
    })
}

fn costs_per_week(ctx: &Context) -> Result<Draft, ReportError> {
    let first_week = calendar::week_start(ctx.as_of).saturating_sub((WEEKS - 1) * 7 * DAY);
    let period = Period::new(first_week, ctx.as_of);
    let scopes = ctx.per_scope(|org| {
        let mut weeks: BTreeMap<i64, f64> = calendar::weeks_in(period)
            .into_iter()
            .map(|week| (week, 0.0))
            .collect();
        ctx.for_each_cost(org, period, |record, amount| {
            *weeks
                .entry(calendar::week_start(record.bucket_start))
                .or_default() += amount;
        })?;
        Ok(weeks)
    })?;
    let rows = scopes
        .iter()
        .flat_map(|(label, weeks)| {
            weeks.iter().map(move |(week, cost)| {
                vec![
                    text(label.as_str()),
                    text(calendar::iso_week_label(*week)),
                    text(calendar::day_label(*week)),
                    money(*cost),
                ]
            })
        })
        .collect();
    let mut notes = ctx.coverage_notes(Source::Costs, period);
    notes.push(format!(
        "The last week is {} to date (as_of {}).",
        calendar::iso_week_label(ctx.as_of),
        calendar::time_label(ctx.as_of)
    ));
    Ok(Draft {
        period,
        columns: columns(&[
            ("week", ColumnKind::Text),
            ("monday", ColumnKind::Text),
            ("cost", ColumnKind::Money),
        ]),
        rows,
        notes,
        chart: chart(ChartKind::Column, 1, 3),
    })
}

fn top_projects_by_cost(ctx: &Context) -> Result<Draft, ReportError> {
    let period = ctx.last_days(30);
    let scopes = ctx.per_scope(|org| {
        let mut projects: BTreeMap<Option<String>, f64> = BTreeMap::new();
        ctx.for_each_cost(org, period, |record, amount| {
            projects
                .entry(record.project_id.clone())
                .or_default()
                .merge(amount)
        })?;
        Ok(projects)
    })?;
    let names = project_names(ctx);
    let rows = ranked_rows(
        &scopes,
        |cost| *cost,
        TOP,
        |project, cost, share| {
            let [name, id] = project_cells(&names, project);
            vec![name, id, money(*cost), Cell::Percent(share)]
        },
    );
    Ok(Draft {
        period,
        columns: columns(&[
            ("rank", ColumnKind::Count),
            ("project", ColumnKind::Text),
            ("project id", ColumnKind::Text),
            ("cost", ColumnKind::Money),
            ("share", ColumnKind::Percent),
        ]),
        rows,
        notes: ctx.coverage_notes(Source::Costs, period),
        chart: chart(ChartKind::Bar, 2, 4),
    })
}

fn costs_by_line_item(ctx: &Context) -> Result<Draft, ReportError> {
    let period = ctx.last_days(30);
    let scopes = ctx.per_scope(|org| {
        let mut items: BTreeMap<Option<String>, f64> = BTreeMap::new();
        ctx.for_each_cost(org, period, |record, amount| {
            items
                .entry(record.line_item.clone())
                .or_default()
                .merge(amount)
        })?;
        Ok(items)
    })?;
    let rows = ranked_rows(
        &scopes,
        |cost| *cost,
        usize::MAX,
        |item, cost, share| {
            vec![
                text(item.as_deref().unwrap_or("(no line item)")),
                money(*cost),
                Cell::Percent(share),
            ]
        },
    )
    .into_iter()
    // A breakdown, not a ranking: the rank column would only repeat the order.
    .map(|mut row| {
        row.remove(1);
        row
    })
    .collect();
    Ok(Draft {
        period,
        columns: columns(&[
            ("line item", ColumnKind::Text),
            ("cost", ColumnKind::Money),
            ("share", ColumnKind::Percent),
        ]),
        rows,
        notes: ctx.coverage_notes(Source::Costs, period),
        chart: chart(ChartKind::Bar, 1, 3),
    })
}

/// Whether a usage kind is grouped by model (completions, embeddings, images, audio...).
fn has_models(kind: &str) -> bool {
    UsageKind::from_name(kind).is_some_and(|kind| kind.group_by().contains(&"model"))
}

fn usage_by_model(ctx: &Context) -> Result<Draft, ReportError> {
    let period = ctx.last_days(30);
    let scopes = ctx.per_scope(|org| {
        let mut models: BTreeMap<(String, String), UsageCounts> = BTreeMap::new();
        for record in usage_in(org, period) {
            let model = field(record, "model");
            if model.is_none() && !has_models(&record.kind) {
                continue;
            }
            let key = (
                model.unwrap_or("(unknown model)").to_owned(),
                record.kind.clone(),
            );
            models
                .entry(key)
                .or_default()
                .merge(UsageCounts::of(record));
        }
        Ok(models)
    })?;
    let mut rows = Vec::new();
    for (label, models) in &scopes {
        for ((model, kind), counts) in top(models, |c| c.tokens() as f64, usize::MAX) {
            rows.push(vec![
                text(label.as_str()),
                text(model),
                text(kind),
                Cell::Count(counts.input_tokens),
                Cell::Count(counts.output_tokens),
                Cell::Count(counts.tokens()),
                Cell::Count(counts.requests),
            ]);
        }
    }
    Ok(Draft {
        period,
        columns: columns(&[
            ("model", ColumnKind::Text),
            ("kind", ColumnKind::Text),
            ("input tokens", ColumnKind::Count),
            ("output tokens", ColumnKind::Count),
            ("tokens", ColumnKind::Count),
            ("requests", ColumnKind::Count),
        ]),
        rows,
        notes: ctx.coverage_notes(Source::Usage, period),
        chart: chart(ChartKind::Bar, 1, 5),
    })
}

fn top_projects_by_tokens(ctx: &Context) -> Result<Draft, ReportError> {
    let period = ctx.last_days(30);
    let scopes = ctx.per_scope(|org| {
        let mut projects: BTreeMap<Option<String>, UsageCounts> = BTreeMap::new();
        for record in usage_in(org, period) {
            let counts = UsageCounts::of(record);
            if counts.tokens() > 0 {
                let project = field(record, "project_id").map(str::to_owned);
                projects.entry(project).or_default().merge(counts);
            }
        }
        Ok(projects)
    })?;
    let names = project_names(ctx);
    let rows = ranked_rows(
        &scopes,
        |c| c.tokens() as f64,
        TOP,
        |project, counts, share| {
            let [name, id] = project_cells(&names, project);
            vec![
                name,
                id,
                Cell::Count(counts.input_tokens),
                Cell::Count(counts.output_tokens),
                Cell::Count(counts.tokens()),
                Cell::Percent(share),
            ]
        },
    );
    Ok(Draft {
        period,
        columns: columns(&[
            ("rank", ColumnKind::Count),
            ("project", ColumnKind::Text),
            ("project id", ColumnKind::Text),
            ("input tokens", ColumnKind::Count),
            ("output tokens", ColumnKind::Count),
            ("tokens", ColumnKind::Count),
            ("share", ColumnKind::Percent),
        ]),
        rows,
        notes: ctx.coverage_notes(Source::Usage, period),
        chart: chart(ChartKind::Bar, 2, 6),
    })
}

/// Requests of one API key and the project it belongs to (the smallest id if records disagree).
#[derive(Debug, Clone, Default)]
struct KeyRequests {
    requests: i64,
    project: Option<String>,
}

impl Merge for KeyRequests {
    fn merge(&mut self, other: Self) {
        self.requests = self.requests.saturating_add(other.requests);
        self.project = match (self.project.take(), other.project) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

fn top_keys_by_requests(ctx: &Context) -> Result<Draft, ReportError> {
    let period = ctx.last_days(30);
    let mut without_key = 0_usize;
    let scopes = ctx.per_scope(|org| {
        let mut keys: BTreeMap<String, KeyRequests> = BTreeMap::new();
        for record in usage_in(org, period) {
            let requests = UsageCounts::of(record).requests;
            match field(record, "api_key_id") {
                Some(key) if requests > 0 => {
                    keys.entry(key.to_owned()).or_default().merge(KeyRequests {
                        requests,
                        project: field(record, "project_id").map(str::to_owned),
                    })
                }
                Some(_) => {}
                None => without_key += usize::from(requests > 0),
            }
        }
        Ok(keys)
    })?;
    let names = project_names(ctx);
    let rows = ranked_rows(
        &scopes,
        |k| k.requests as f64,
        TOP,
        |key, usage, share| {
            let [project, _] = project_cells(&names, &usage.project);
            vec![
                text(key.as_str()),
                project,
                Cell::Count(usage.requests),
                Cell::Percent(share),
            ]
        },
    );
    let mut notes = ctx.coverage_notes(Source::Usage, period);
    if without_key > 0 {
        notes.push(format!(
            "{without_key} usage records with requests carry no api_key_id (usage not grouped by key) and are not ranked."
        ));
    }
    Ok(Draft {
        period,
        columns: columns(&[
            ("rank", ColumnKind::Count),
            ("api key", ColumnKind::Text),
            ("project", ColumnKind::Text),
            ("requests", ColumnKind::Count),
            ("share", ColumnKind::Percent),
        ]),
        rows,
        notes,
        chart: chart(ChartKind::Bar, 2, 4),
    })
}

fn usage_trend(ctx: &Context) -> Result<Draft, ReportError> {
    let period = ctx.last_days(30);
    let scopes = ctx.per_scope(|org| {
        let mut days: BTreeMap<i64, UsageCounts> = empty_days(period);
        for record in usage_in(org, period) {
            add_to_day(&mut days, record.bucket_start, UsageCounts::of(record));
        }
        Ok(days)
    })?;
    let rows = scopes
        .iter()
        .flat_map(|(label, days)| {
            days.iter().map(move |(day, counts)| {
                vec![
                    text(label.as_str()),
                    text(calendar::day_label(*day)),
                    Cell::Count(counts.input_tokens),
                    Cell::Count(counts.output_tokens),
                    Cell::Count(counts.requests),
                ]
            })
        })
        .collect();
    Ok(Draft {
        period,
        columns: columns(&[
            ("day", ColumnKind::Text),
            ("input tokens", ColumnKind::Count),
            ("output tokens", ColumnKind::Count),
            ("requests", ColumnKind::Count),
        ]),
        rows,
        notes: ctx.coverage_notes(Source::Usage, period),
        chart: chart(ChartKind::Line, 1, 4),
    })
}

fn active_users_trend(ctx: &Context) -> Result<Draft, ReportError> {
    let period = ctx.last_days(30);
    let mut with_user = false;
    let scopes = ctx.per_scope(|org| {
        let mut days: BTreeMap<i64, BTreeSet<String>> = empty_days(period);
        for record in usage_in(org, period) {
            if let Some(user) = field(record, "user_id") {
                with_user = true;
                add_to_day(
                    &mut days,
                    record.bucket_start,
                    BTreeSet::from([user.to_owned()]),
                );
            }
        }
        Ok(days)
    })?;
    let rows = scopes
        .iter()
        .flat_map(|(label, days)| {
            days.iter().map(move |(day, users)| {
                vec![
                    text(label.as_str()),
                    text(calendar::day_label(*day)),
                    Cell::Count(users.len() as i64),
                ]
            })
        })
        .collect();
    let mut notes = ctx.coverage_notes(Source::Usage, period);
    if !with_user {
        notes.push(
            "No usage record in the period carries a user_id (usage not grouped by user): every day reads 0."
                .to_owned(),
        );
    }
    Ok(Draft {
        period,
        columns: columns(&[
            ("day", ColumnKind::Text),
            ("active users", ColumnKind::Count),
        ]),
        rows,
        notes,
        chart: chart(ChartKind::Line, 1, 2),
    })
}

/// Month-to-date cost and spend limit of a scope. The combined limit of "all" is known only
/// when every organization has one, so it starts at 0 and becomes unknown at the first without.
#[derive(Debug, Clone)]
struct MonthSpend {
    to_date: f64,
    limit: Option<f64>,
}

impl Default for MonthSpend {
    fn default() -> Self {
        MonthSpend {
            to_date: 0.0,
            limit: Some(0.0),
        }
    }
}

impl Merge for MonthSpend {
    fn merge(&mut self, other: Self) {
        self.to_date += other.to_date;
        self.limit = self.limit.zip(other.limit).map(|(a, b)| a + b);
    }
}

fn cost_forecast(ctx: &Context) -> Result<Draft, ReportError> {
    let period = ctx.month_to_date();
    let month = calendar::month_label(period.from);
    let days_in_month = ctx.months.days_in_this_month;
    let elapsed = (period.to - period.from).max(0) / DAY;
    let scopes = ctx.per_scope(|org| {
        Ok(MonthSpend {
            to_date: ctx.total_cost(org, period)?,
            limit: ctx.spend_limit(org)?,
        })
    })?;
    let currency = ctx.money.target();
    let mut notes = vec![format!(
        "Method: forecast = month-to-date cost × days in month ÷ whole days elapsed; {month} has {days_in_month} days, {elapsed} whole days elapsed at {}.",
        calendar::time_label(ctx.as_of)
    )];
    if elapsed == 0 {
        notes.push(format!(
            "No whole day of {month} has elapsed yet: there is no forecast."
        ));
    }
    notes.extend(ctx.coverage_notes(Source::Costs, period));
    let mut rows = Vec::new();
    for (label, spend) in &scopes {
        let forecast = (elapsed > 0).then(|| spend.to_date * days_in_month as f64 / elapsed as f64);
        let limit = spend.limit.filter(|_| label != ALL || !ctx.orgs.is_empty());
        let of_limit = forecast
            .zip(limit.filter(|limit| *limit > 0.0))
            .map(|(forecast, limit)| share(forecast, limit));
        match (forecast, limit) {
            (Some(forecast), Some(limit)) if forecast > limit => notes.push(format!(
                "{label}: the forecast {} exceeds the spend limit {}.",
                format::money(forecast, currency),
                format::money(limit, currency)
            )),
            (_, None) if label != ALL => {
                notes.push(format!("{label}: no spend limit is set."));
            }
            _ => {}
        }
        rows.push(vec![
            text(label.as_str()),
            money(spend.to_date),
            Cell::Count(elapsed),
            Cell::Count(days_in_month),
            forecast.map_or(Cell::Empty, money),
            limit.map_or(Cell::Empty, money),
            of_limit.map_or(Cell::Empty, Cell::Percent),
        ]);
    }
    Ok(Draft {
        period,
        columns: columns(&[
            ("month to date", ColumnKind::Money),
            ("days elapsed", ColumnKind::Count),
            ("days in month", ColumnKind::Count),
            ("forecast", ColumnKind::Money),
            ("spend limit", ColumnKind::Money),
            ("forecast of limit", ColumnKind::Percent),
        ]),
        rows,
        notes,
        chart: chart(ChartKind::Bar, 0, 4),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_suggestions_are_close() {
        let names: BTreeSet<&str> = REPORTS.iter().map(|info| info.name).collect();
        assert_eq!(names.len(), REPORTS.len());
        let ReportError::UnknownReport { suggestion, .. } = unknown_report("costs-last-7-day")
        else {
            panic!("expected an unknown report");
        };
        assert_eq!(suggestion.as_deref(), Some("costs-last-7-days"));
        let ReportError::UnknownReport { suggestion, .. } = unknown_report("zzzzzzzzzzzzzzzzzz")
        else {
            panic!("expected an unknown report");
        };
        assert_eq!(suggestion, None);
    }
}
