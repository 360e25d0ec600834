//! Every report on hand-computed fixtures: windows, month and week boundaries, leap days,
//! missing days, currencies, incomplete periods.

mod common;

use common::{DAY, at, cost, november, org, rates, rows, rows_of, usage};
use custos_report::{
    Cell, OrgData, REPORTS, ReportError, ReportInput, ReportOptions, build, build_all, to_json,
};
use serde_json::json;

fn report(name: &str) -> custos_report::Report {
    let (input, options) = november();
    build(name, &input, &options).unwrap()
}

#[test]
fn costs_last_7_days_are_daily_with_missing_days_at_zero() {
    let report = report("costs-last-7-days");
    assert_eq!(report.period.from, at("2026-11-13T12:00"));
    assert_eq!(report.period.to, at("2026-11-20T12:00"));
    assert_eq!(
        rows_of(&report, "Acme"),
        [
            "2026-11-14 | 10",
            "2026-11-15 | 0.25",
            "2026-11-16 | 7.25",
            "2026-11-17 | 0",
            "2026-11-18 | 0",
            "2026-11-19 | 0",
            "2026-11-20 | 2",
        ]
    );
    assert_eq!(
        rows_of(&report, "all"),
        [
            "2026-11-14 | 10",
            "2026-11-15 | 0.25",
            "2026-11-16 | 7.25",
            "2026-11-17 | 0",
            "2026-11-18 | 0",
            "2026-11-19 | 3",
            "2026-11-20 | 2",
        ]
    );
    // Scopes in organization-id order, "all" last.
    assert!(rows(&report)[0].starts_with("Acme | "));
    assert!(rows(&report)[7].starts_with("org-b | "));
    assert_eq!(report.rows.len(), 21);
    assert_eq!(
        report.notes,
        [
            "org-b: costs were not collected: the period is incomplete",
            "Total for the period: Acme 19.50 USD, org-b 3.00 USD, all 22.50 USD.",
        ]
    );
    assert_eq!(report.currency, "USD");
}

#[test]
fn costs_last_30_days_cover_thirty_days() {
    let report = report("costs-last-30-days");
    let acme = rows_of(&report, "Acme");
    assert_eq!(acme.len(), 30);
    assert_eq!(acme[0], "2026-10-22 | 0");
    assert_eq!(acme[9], "2026-10-31 | 100");
    assert_eq!(acme[22], "2026-11-13 | 1");
    assert_eq!(acme[29], "2026-11-20 | 2");
    assert_eq!(
        report.notes.last().unwrap(),
        "Total for the period: Acme 120.50 USD, org-b 3.00 USD, all 123.50 USD."
    );
}

#[test]
fn costs_last_month_is_the_previous_calendar_month_of_31_days() {
    let report = report("costs-last-month");
    assert_eq!(report.period.from, at("2026-10-01"));
    assert_eq!(report.period.to, at("2026-11-01"));
    let acme = rows_of(&report, "Acme");
    assert_eq!(acme.len(), 31);
    assert_eq!(acme[0], "2026-10-01 | 50");
    assert_eq!(acme[30], "2026-10-31 | 100");
    assert!(report.notes.contains(
        &"Total for the period: Acme 150.00 USD, org-b 0.00 USD, all 150.00 USD.".to_owned()
    ));
}

#[test]
fn costs_this_month_run_from_the_first_to_as_of() {
    let report = report("costs-this-month");
    assert_eq!(report.period.from, at("2026-11-01"));
    assert_eq!(report.period.to, at("2026-11-20T12:00"));
    let acme = rows_of(&report, "Acme");
    assert_eq!(acme.len(), 20);
    assert_eq!(acme[19], "2026-11-20 | 2");
    assert!(report.notes.contains(
        &"Total for the period: Acme 20.50 USD, org-b 3.00 USD, all 23.50 USD.".to_owned()
    ));
}

#[test]
fn costs_per_week_use_iso_weeks_starting_monday() {
    let report = report("costs-per-week");
    assert_eq!(report.period.from, at("2026-08-24"));
    let acme = rows_of(&report, "Acme");
    assert_eq!(acme.len(), 13);
    assert_eq!(acme[0], "2026-W35 | 2026-08-24 | 0");
    // 2026-09-30 (Wednesday) and 2026-10-01 (Thursday) share the week of Monday 09-28.
    assert_eq!(acme[5], "2026-W40 | 2026-09-28 | 57");
    assert_eq!(acme[9], "2026-W44 | 2026-10-26 | 100");
    assert_eq!(acme[11], "2026-W46 | 2026-11-09 | 11.25");
    assert_eq!(acme[12], "2026-W47 | 2026-11-16 | 9.25");
}

#[test]
fn costs_per_week_cross_the_year_in_iso_numbering() {
    let mut acme = org("org-a", Some("Acme"));
    acme.costs = vec![
        cost("2026-12-27", None, "completions", 0.5, "usd"), // Sunday of 2026-W52
        cost("2026-12-28", None, "completions", 1.0, "usd"), // Monday of 2026-W53
        cost("2027-01-03", None, "completions", 2.0, "usd"), // Sunday of 2026-W53
        cost("2027-01-04", None, "completions", 4.0, "usd"), // Monday of 2027-W01
    ];
    let input = ReportInput { orgs: vec![acme] };
    let report = build(
        "costs-per-week",
        &input,
        &ReportOptions::new(at("2027-01-06")),
    )
    .unwrap();
    let acme = rows_of(&report, "Acme");
    assert_eq!(acme.len(), 13);
    assert_eq!(acme[0], "2026-W42 | 2026-10-12 | 0");
    assert_eq!(
        acme[10..],
        [
            "2026-W52 | 2026-12-21 | 0.5",
            "2026-W53 | 2026-12-28 | 3",
            "2027-W01 | 2027-01-04 | 4",
        ]
    );
}

#[test]
fn top_projects_by_cost_rank_with_names_and_shares() {
    let report = report("top-projects-by-cost");
    assert_eq!(
        rows(&report),
        [
            "Acme | 1 | Search | proj_2 | 104 | 86.3%",
            "Acme | 2 | Chatbot | proj_1 | 16.25 | 13.5%",
            "Acme | 3 | (no project) | - | 0.25 | 0.2%",
            "org-b | 1 | proj_9 | proj_9 | 3 | 100.0%",
            "all | 1 | Search | proj_2 | 104 | 84.2%",
            "all | 2 | Chatbot | proj_1 | 16.25 | 13.2%",
            "all | 3 | proj_9 | proj_9 | 3 | 2.4%",
            "all | 4 | (no project) | - | 0.25 | 0.2%",
        ]
    );
}

#[test]
fn top_projects_keep_ten_and_share_the_whole() {
    let mut acme = org("org-a", None);
    acme.costs = (1..=12)
        .map(|n| {
            cost(
                "2026-11-19",
                Some(&format!("proj_{n:02}")),
                "completions",
                n as f64,
                "usd",
            )
        })
        .collect();
    let report = build(
        "top-projects-by-cost",
        &ReportInput { orgs: vec![acme] },
        &ReportOptions::new(at("2026-11-20")),
    )
    .unwrap();
    let ranked = rows_of(&report, "org-a");
    assert_eq!(ranked.len(), 10);
    // The whole is 78: the 12 projects, not the 10 shown.
    assert_eq!(ranked[0], "1 | proj_12 | proj_12 | 12 | 15.4%");
    assert_eq!(ranked[9], "10 | proj_03 | proj_03 | 3 | 3.8%");
}

#[test]
fn costs_by_line_item_break_down_the_last_30_days() {
    let report = report("costs-by-line-item");
    assert_eq!(
        rows(&report),
        [
            "Acme | images | 104 | 86.3%",
            "Acme | completions | 16.25 | 13.5%",
            "Acme | support | 0.25 | 0.2%",
            "org-b | completions | 3 | 100.0%",
            "all | images | 104 | 84.2%",
            "all | completions | 19.25 | 15.6%",
            "all | support | 0.25 | 0.2%",
        ]
    );
}

#[test]
fn usage_by_model_sums_tokens_and_requests_per_model_and_kind() {
    let report = report("usage-by-model");
    assert_eq!(
        rows(&report),
        [
            "Acme | gpt-4o | completions | 1100 | 50 | 1150 | 13",
            "Acme | text-embedding-3-small | embeddings | 500 | 0 | 500 | 2",
            "Acme | gpt-4o-mini | completions | 10 | 5 | 15 | 1",
            "Acme | dall-e-3 | images | 0 | 0 | 0 | 4",
            "org-b | gpt-4o | completions | 1 | 1 | 2 | 1",
            "all | gpt-4o | completions | 1101 | 51 | 1152 | 14",
            "all | text-embedding-3-small | embeddings | 500 | 0 | 500 | 2",
            "all | gpt-4o-mini | completions | 10 | 5 | 15 | 1",
            "all | dall-e-3 | images | 0 | 0 | 0 | 4",
        ]
    );
    assert_eq!(
        report.notes,
        ["org-b: usage records before 2026-11-01 were not collected: the period is incomplete"]
    );
}

#[test]
fn top_projects_by_tokens_rank_input_plus_output() {
    let report = report("top-projects-by-tokens");
    assert_eq!(
        rows(&report),
        [
            "Acme | 1 | Search | proj_2 | 1500 | 0 | 1500 | 90.1%",
            "Acme | 2 | Chatbot | proj_1 | 110 | 55 | 165 | 9.9%",
            "org-b | 1 | proj_9 | proj_9 | 1 | 1 | 2 | 100.0%",
            "all | 1 | Search | proj_2 | 1500 | 0 | 1500 | 90.0%",
            "all | 2 | Chatbot | proj_1 | 110 | 55 | 165 | 9.9%",
            "all | 3 | proj_9 | proj_9 | 1 | 1 | 2 | 0.1%",
        ]
    );
}

#[test]
fn top_keys_rank_requests_with_their_project() {
    let report = report("top-keys-by-requests");
    assert_eq!(
        rows(&report),
        [
            "Acme | 1 | key-3 | Search | 12 | 60.0%",
            "Acme | 2 | key-1 | Chatbot | 7 | 35.0%",
            "Acme | 3 | key-2 | Chatbot | 1 | 5.0%",
            "org-b | 1 | key-9 | proj_9 | 1 | 100.0%",
            "all | 1 | key-3 | Search | 12 | 57.1%",
            "all | 2 | key-1 | Chatbot | 7 | 33.3%",
            "all | 3 | key-2 | Chatbot | 1 | 4.8%",
            "all | 4 | key-9 | proj_9 | 1 | 4.8%",
        ]
    );
}

#[test]
fn usage_trend_is_daily_with_missing_days_at_zero() {
    let report = report("usage-trend");
    let acme = rows_of(&report, "Acme");
    assert_eq!(acme.len(), 30);
    assert_eq!(acme[0], "2026-10-22 | 0 | 0 | 0");
    assert_eq!(
        acme[26..],
        [
            "2026-11-17 | 0 | 0 | 4",
            "2026-11-18 | 1500 | 0 | 12",
            "2026-11-19 | 110 | 55 | 4",
            "2026-11-20 | 0 | 0 | 0",
        ]
    );
    assert_eq!(rows_of(&report, "all")[28], "2026-11-19 | 111 | 56 | 5");
}

#[test]
fn active_users_count_distinct_users_per_day() {
    let report = report("active-users-trend");
    let acme = rows_of(&report, "Acme");
    assert_eq!(
        acme[26..],
        [
            "2026-11-17 | 0",
            "2026-11-18 | 2",
            "2026-11-19 | 2",
            "2026-11-20 | 0"
        ]
    );
    assert_eq!(rows_of(&report, "org-b")[28], "2026-11-19 | 1");
    // user-1 used both organizations that day: counted once.
    assert_eq!(rows_of(&report, "all")[28], "2026-11-19 | 2");
}

#[test]
fn cost_forecast_extrapolates_month_to_date() {
    let report = report("cost-forecast");
    assert_eq!(report.period.from, at("2026-11-01"));
    assert_eq!(
        rows(&report),
        [
            "Acme | 20.5 | 19 | 30 | 32.368421 | 50 | 64.7%",
            "org-b | 3 | 19 | 30 | 4.736842 | - | -",
            "all | 23.5 | 19 | 30 | 37.105263 | - | -",
        ]
    );
    assert_eq!(
        report.notes,
        [
            "Method: forecast = month-to-date cost × days in month ÷ whole days elapsed; November 2026 has 30 days, 19 whole days elapsed at 2026-11-20 12:00 UTC.",
            "org-b: costs were not collected: the period is incomplete",
            "org-b: no spend limit is set.",
        ]
    );
}

#[test]
fn cost_forecast_in_a_31_day_month_compares_with_the_limit() {
    let mut acme = org("org-a", Some("Acme"));
    acme.spend_limit = Some((10_000.0, "USD".to_owned()));
    acme.costs = vec![
        cost("2026-11-30", None, "completions", 99.0, "usd"),
        cost("2026-12-01", None, "completions", 10.0, "usd"),
        cost("2026-12-05", None, "completions", 20.0, "usd"),
        cost("2026-12-11", None, "completions", 10.0, "usd"),
    ];
    let input = ReportInput { orgs: vec![acme] };
    let options = ReportOptions::new(at("2026-12-11T06:00"));
    let report = build("cost-forecast", &input, &options).unwrap();
    assert_eq!(
        rows_of(&report, "Acme"),
        ["40 | 10 | 31 | 124 | 100 | 124.0%"]
    );
    assert_eq!(
        rows_of(&report, "all"),
        ["40 | 10 | 31 | 124 | 100 | 124.0%"]
    );
    assert!(
        report.notes.contains(
            &"Acme: the forecast 124.00 USD exceeds the spend limit 100.00 USD.".to_owned()
        )
    );
    let this_month = build("costs-this-month", &input, &options).unwrap();
    assert_eq!(rows_of(&this_month, "Acme").len(), 11);
    let last_month = build("costs-last-month", &input, &options).unwrap();
    assert_eq!(rows_of(&last_month, "Acme").len(), 30);
    assert_eq!(rows_of(&last_month, "Acme")[29], "2026-11-30 | 99");
}

#[test]
fn cost_forecast_with_no_whole_day_elapsed_says_so() {
    let mut acme = org("org-a", Some("Acme"));
    acme.costs = vec![cost("2026-12-01", None, "completions", 10.0, "usd")];
    let input = ReportInput { orgs: vec![acme] };
    let report = build(
        "cost-forecast",
        &input,
        &ReportOptions::new(at("2026-12-01T05:00")),
    )
    .unwrap();
    assert_eq!(rows_of(&report, "Acme"), ["10 | 0 | 31 | - | - | -"]);
    assert!(report.notes.contains(
        &"No whole day of December 2026 has elapsed yet: there is no forecast.".to_owned()
    ));
}

#[test]
fn a_leap_february_has_29_days() {
    let mut acme = org("org-a", Some("Acme"));
    acme.costs = vec![
        cost("2028-02-01", None, "completions", 14.0, "usd"),
        cost("2028-02-29", None, "completions", 5.0, "usd"),
    ];
    let input = ReportInput { orgs: vec![acme] };
    let last_month = build(
        "costs-last-month",
        &input,
        &ReportOptions::new(at("2028-03-01")),
    )
    .unwrap();
    let days = rows_of(&last_month, "Acme");
    assert_eq!(days.len(), 29);
    assert_eq!(days[28], "2028-02-29 | 5");
    let forecast = build(
        "cost-forecast",
        &input,
        &ReportOptions::new(at("2028-02-29T00:00")),
    )
    .unwrap();
    // 14 over 28 whole days of a 29-day month; the leap day's own bucket starts at as_of.
    assert_eq!(rows_of(&forecast, "Acme"), ["14 | 28 | 29 | 14.5 | - | -"]);
}

#[test]
fn money_is_converted_into_the_report_currency() {
    let mut acme = org("org-a", Some("Acme"));
    acme.spend_limit = Some((10_000.0, "USD".to_owned()));
    acme.costs = vec![
        cost("2026-11-19", Some("proj_1"), "completions", 10.0, "usd"),
        cost("2026-11-19", Some("proj_1"), "completions", 10.0, "eur"),
        cost("2026-11-19", Some("proj_1"), "completions", 10.0, "GBP"),
    ];
    let input = ReportInput { orgs: vec![acme] };
    let mut options = ReportOptions::new(at("2026-11-20"));
    options.currency = "eur".to_owned();
    options.fx_rates = rates(&[("USD", "EUR", 0.92), ("gbp", "eur", 1.15)]);
    let report = build("costs-last-7-days", &input, &options).unwrap();
    assert_eq!(report.currency, "EUR");
    assert_eq!(rows_of(&report, "Acme")[6], "2026-11-19 | 30.7");
    let forecast = build("cost-forecast", &input, &options).unwrap();
    // Spend limits are in cents: 100 USD = 92 EUR.
    assert_eq!(forecast.rows[0][5], Cell::Money(92.0));
    // Rates are used inversely when only the other direction is given: 10 USD + 10 EUR / 0.92.
    // There is no cross rate: GBP to USD would need its own rate.
    options.currency = "USD".to_owned();
    let error = build("costs-last-7-days", &input, &options).unwrap_err();
    assert!(
        matches!(&error, ReportError::MissingRate { from, to } if from == "GBP" && to == "USD")
    );
    let mut input = input;
    input.orgs[0].costs.pop();
    let report = build("costs-last-7-days", &input, &options).unwrap();
    assert_eq!(rows_of(&report, "Acme")[6], "2026-11-19 | 20.869565");
}

#[test]
fn a_missing_rate_is_an_error_naming_the_pair() {
    let mut acme = org("org-a", None);
    acme.costs = vec![cost("2026-11-19", None, "completions", 10.0, "jpy")];
    let input = ReportInput { orgs: vec![acme] };
    let mut options = ReportOptions::new(at("2026-11-20"));
    options.currency = "eur".to_owned();
    let error = build("costs-last-7-days", &input, &options).unwrap_err();
    assert!(
        matches!(&error, ReportError::MissingRate { from, to } if from == "JPY" && to == "EUR")
    );
    assert!(
        error
            .to_string()
            .starts_with("no exchange rate from JPY to EUR"),
        "{error}"
    );
    // Usage reports do not convert money and still work.
    assert!(build("usage-trend", &input, &options).is_ok());
}

#[test]
fn data_collected_after_the_period_start_is_noted() {
    let mut acme = org("org-a", Some("Acme"));
    let input_with = |from: i64, acme: &mut OrgData| {
        acme.costs_from = Some(from);
        ReportInput {
            orgs: vec![acme.clone()],
        }
    };
    let options = ReportOptions::new(at("2026-11-20T12:00"));
    let exact = build(
        "costs-last-month",
        &input_with(at("2026-10-01"), &mut acme),
        &options,
    )
    .unwrap();
    assert!(!exact.notes.iter().any(|n| n.contains("not collected")));
    let late = build(
        "costs-last-month",
        &input_with(at("2026-10-15"), &mut acme),
        &options,
    )
    .unwrap();
    assert_eq!(
        late.notes[0],
        "Acme: costs before 2026-10-15 were not collected: the period is incomplete"
    );
    let later = build(
        "costs-last-month",
        &input_with(at("2026-10-15T06:30"), &mut acme),
        &options,
    )
    .unwrap();
    assert_eq!(
        later.notes[0],
        "Acme: costs before 2026-10-15 06:30 UTC were not collected: the period is incomplete"
    );
}

#[test]
fn a_sub_day_bucket_before_the_first_whole_day_keeps_its_day() {
    let mut acme = org("org-a", None);
    let mut hourly = cost("2026-11-13", None, "completions", 1.0, "usd");
    hourly.bucket_start = at("2026-11-13T13:00");
    hourly.bucket_end = hourly.bucket_start + 3600;
    acme.costs = vec![hourly];
    let report = build(
        "costs-last-7-days",
        &ReportInput { orgs: vec![acme] },
        &ReportOptions::new(at("2026-11-20T12:00")),
    )
    .unwrap();
    let days = rows_of(&report, "org-a");
    assert_eq!(days.len(), 8);
    assert_eq!(days[0], "2026-11-13 | 1");
}

#[test]
fn unknown_names_and_organizations_are_errors_that_help() {
    let (input, mut options) = november();
    let error = build("costs-last-7-day", &input, &options).unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with("unknown report \"costs-last-7-day\" (did you mean \"costs-last-7-days\"?); valid reports: costs-last-7-days, "), "{message}");
    for info in REPORTS {
        assert!(message.contains(info.name));
    }
    options.org = Some("ACME".to_owned());
    let report = build("costs-by-line-item", &input, &options).unwrap();
    assert!(
        rows(&report)
            .iter()
            .all(|row| row.starts_with("Acme | ") || row.starts_with("all | "))
    );
    options.org = Some("org-z".to_owned());
    let error = build("costs-by-line-item", &input, &options).unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown organization \"org-z\"; known organizations: org-b, org-a (Acme)"
    );
}

#[test]
fn the_catalogue_describes_every_report_in_one_line() {
    let (input, options) = november();
    assert_eq!(REPORTS.len(), 13);
    for info in REPORTS {
        assert!(!info.description.is_empty() && !info.description.contains('\n'));
        let report = build(info.name, &input, &options).unwrap();
        assert_eq!(report.name, info.name);
        assert_eq!(report.title, info.title);
        for row in &report.rows {
            assert_eq!(row.len(), report.columns.len(), "{}", info.name);
        }
    }
}

#[test]
fn output_is_deterministic() {
    let (input, options) = november();
    let first: Vec<String> = build_all(&input, &options)
        .unwrap()
        .iter()
        .map(to_json)
        .collect();
    let mut shuffled = input.clone();
    shuffled.orgs.reverse();
    let second: Vec<String> = build_all(&shuffled, &options)
        .unwrap()
        .iter()
        .map(to_json)
        .collect();
    assert_eq!(first, second);
}

#[test]
fn hostile_input_gives_reports_or_errors_never_panics() {
    let mut weird = org("", Some(""));
    weird.costs_from = Some(i64::MAX);
    weird.usage_from = Some(i64::MIN);
    weird.spend_limit = Some((f64::NAN, "usd".to_owned()));
    for start in [i64::MIN, -1, 0, i64::MAX, at("2026-11-19")] {
        let mut record = cost("2026-11-19", Some(""), "", f64::NAN, "usd");
        record.bucket_start = start;
        weird.costs.push(record.clone());
        record.amount = f64::MAX;
        weird.costs.push(record);
        let mut record = usage(
            "completions",
            "2026-11-19",
            json!({"input_tokens": u64::MAX, "output_tokens": i64::MAX, "num_model_requests": -5, "user_id": 3, "model": null}),
        );
        record.bucket_start = start;
        weird.usage.push(record);
    }
    let input = ReportInput {
        orgs: vec![weird.clone(), weird],
    };
    for as_of in [0, -DAY * 365 * 1000, at("2026-11-20"), at("9999-11-30")] {
        for info in REPORTS {
            let report = build(info.name, &input, &ReportOptions::new(as_of)).unwrap();
            let _ = (
                custos_report::to_table(&report),
                to_json(&report),
                custos_report::to_csv(&report),
            );
        }
    }
    // The month after as_of must exist in the calendar too.
    for as_of in [i64::MIN, i64::MAX, at("9999-12-30")] {
        let error = build("usage-trend", &input, &ReportOptions::new(as_of)).unwrap_err();
        assert!(matches!(error, ReportError::InvalidTime { .. }));
    }
    let empty = ReportInput::default();
    for report in build_all(&empty, &ReportOptions::new(at("2026-11-20"))).unwrap() {
        assert!(
            report
                .rows
                .iter()
                .all(|row| row[0] == Cell::Text("all".to_owned()))
        );
    }
}
