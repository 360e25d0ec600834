//! Fixture builders shared by the behaviour tests.
#![allow(dead_code)]

use custos_model::api::Project;
use std::collections::BTreeMap;

use custos_records::{CostRecord, UsageRecord};
use custos_report::{Cell, OrgData, Report, ReportInput, ReportOptions};
use serde_json::{Value, json};

pub use custos_model::unix::DAY;

/// Unix seconds of `2026-11-20` (midnight UTC) or `2026-11-20T12:00`.
pub fn at(text: &str) -> i64 {
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        format!("{text}:00Z")
    };
    full.parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .as_second()
}

pub fn org(id: &str, name: Option<&str>) -> OrgData {
    OrgData {
        org_id: id.to_owned(),
        name: name.map(str::to_owned),
        costs_from: Some(at("2020-01-01")),
        usage_from: Some(at("2020-01-01")),
        ..OrgData::default()
    }
}

pub fn project(id: &str, name: &str) -> Project {
    serde_json::from_value(json!({"id": id, "name": name, "created_at": 0, "status": "active"}))
        .unwrap()
}

/// A daily cost bucket starting at midnight of `day`.
pub fn cost(
    day: &str,
    project: Option<&str>,
    item: &str,
    amount: f64,
    currency: &str,
) -> CostRecord {
    let start = at(day);
    CostRecord {
        bucket_start: start,
        bucket_end: start + DAY,
        project_id: project.map(str::to_owned),
        line_item: Some(item.to_owned()),
        amount,
        currency: currency.to_owned(),
        data: json!({"object": "organization.costs.result"}),
    }
}

/// A daily usage bucket of `kind` starting at midnight of `day` with result fields `data`.
pub fn usage(kind: &str, day: &str, data: Value) -> UsageRecord {
    let start = at(day);
    UsageRecord {
        kind: kind.to_owned(),
        bucket_start: start,
        bucket_end: start + DAY,
        group_key: data.to_string(),
        data,
    }
}

/// Completions usage of one project, user, key and model.
pub fn completions(
    day: &str,
    project: &str,
    user: &str,
    key: &str,
    model: &str,
    tokens: (i64, i64),
    requests: i64,
) -> UsageRecord {
    usage(
        "completions",
        day,
        json!({
            "object": "organization.usage.completions.result",
            "project_id": project, "user_id": user, "api_key_id": key, "model": model,
            "input_tokens": tokens.0, "output_tokens": tokens.1, "num_model_requests": requests,
        }),
    )
}

/// The rows as `a | b | c` with raw numbers (money as computed, percent to one decimal).
pub fn rows(report: &Report) -> Vec<String> {
    report
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Cell::Text(text) => text.clone(),
                    Cell::Money(v) => format!("{v}"),
                    Cell::Count(v) => v.to_string(),
                    Cell::Percent(v) => format!("{v:.1}%"),
                    Cell::Empty => "-".to_owned(),
                })
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect()
}

/// Only the rows of one scope (`organization` column).
pub fn rows_of(report: &Report, scope: &str) -> Vec<String> {
    let prefix = format!("{scope} | ");
    rows(report)
        .into_iter()
        .filter(|row| row.starts_with(&prefix))
        .map(|row| row[prefix.len()..].to_owned())
        .collect()
}

pub fn rates(pairs: &[(&str, &str, f64)]) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut rates: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for (from, to, rate) in pairs {
        rates
            .entry((*from).to_owned())
            .or_default()
            .insert((*to).to_owned(), *rate);
    }
    rates
}

/// Two organizations seen on Friday 2026-11-20 at 12:00 UTC.
///
/// Acme (`org-a`) has complete data; `org-b` has no cost history and usage from 2026-11-01.
pub fn november() -> (ReportInput, ReportOptions) {
    let mut acme = org("org-a", Some("Acme"));
    acme.projects = vec![project("proj_1", "Chatbot"), project("proj_2", "Search")];
    acme.spend_limit = Some((5_000.0, "USD".to_owned()));
    acme.costs = vec![
        cost("2026-09-30", Some("proj_1"), "completions", 7.0, "usd"),
        cost("2026-10-01", Some("proj_1"), "completions", 50.0, "usd"),
        cost("2026-10-31", Some("proj_2"), "images", 100.0, "usd"),
        // Starts before the 7-day window ([11-13 12:00, 11-20 12:00)), inside the 30-day one.
        cost("2026-11-13", Some("proj_1"), "completions", 1.0, "usd"),
        cost("2026-11-14", Some("proj_1"), "completions", 10.0, "usd"),
        cost("2026-11-15", None, "support", 0.25, "usd"),
        cost("2026-11-16", Some("proj_1"), "completions", 5.25, "usd"),
        cost("2026-11-16", Some("proj_2"), "images", 2.0, "usd"),
        // 1.5 EUR at 0.75 EUR per USD = 2 USD.
        cost("2026-11-20", Some("proj_2"), "images", 1.5, "EUR"),
    ];
    acme.usage = vec![
        completions(
            "2026-10-01",
            "proj_3",
            "user-9",
            "key-9",
            "gpt-4o",
            (9_999, 0),
            99,
        ),
        usage(
            "images",
            "2026-11-17",
            json!({"project_id": "proj_1", "api_key_id": "key-1", "model": "dall-e-3", "images": 4, "num_model_requests": 4}),
        ),
        usage(
            "vector_stores",
            "2026-11-17",
            json!({"project_id": "proj_1", "usage_bytes": 999}),
        ),
        completions(
            "2026-11-18",
            "proj_2",
            "user-1",
            "key-3",
            "gpt-4o",
            (1_000, 0),
            10,
        ),
        usage(
            "embeddings",
            "2026-11-18",
            json!({"project_id": "proj_2", "user_id": "user-3", "api_key_id": "key-3", "model": "text-embedding-3-small", "input_tokens": 500, "num_model_requests": 2}),
        ),
        completions(
            "2026-11-19",
            "proj_1",
            "user-1",
            "key-1",
            "gpt-4o",
            (100, 50),
            3,
        ),
        completions(
            "2026-11-19",
            "proj_1",
            "user-2",
            "key-2",
            "gpt-4o-mini",
            (10, 5),
            1,
        ),
    ];
    let mut other = org("org-b", None);
    other.costs_from = None;
    other.usage_from = Some(at("2026-11-01"));
    other.costs = vec![cost(
        "2026-11-19",
        Some("proj_9"),
        "completions",
        3.0,
        "usd",
    )];
    other.usage = vec![completions(
        "2026-11-19",
        "proj_9",
        "user-1",
        "key-9",
        "gpt-4o",
        (1, 1),
        1,
    )];
    let mut options = ReportOptions::new(at("2026-11-20T12:00"));
    options.fx_rates = rates(&[("USD", "EUR", 0.75)]);
    (
        ReportInput {
            orgs: vec![other, acme],
        },
        options,
    )
}
