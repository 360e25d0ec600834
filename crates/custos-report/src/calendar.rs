//! UTC calendar arithmetic: days, ISO weeks, months, and their labels.
//!
//! Days and weeks are plain arithmetic on Unix seconds (a day is 86,400 s, the epoch was a
//! Thursday); months need the calendar (lengths, leap years), which jiff provides.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::model::{Period, ReportError};

pub use custos_model::unix::DAY;
const WEEK: i64 = 7 * DAY;

/// 00:00 UTC of the day holding `t`.
pub fn day_start(t: i64) -> i64 {
    t.div_euclid(DAY) * DAY
}

/// The first midnight at or after `t`.
fn next_midnight(t: i64) -> i64 {
    let start = day_start(t);
    if start == t {
        t
    } else {
        start.saturating_add(DAY)
    }
}

/// Monday 00:00 UTC of the ISO week holding `t` (1970-01-01 was a Thursday: day 0 is weekday 3
/// counting from Monday = 0).
pub fn week_start(t: i64) -> i64 {
    let day = t.div_euclid(DAY);
    (day - (day + 3).rem_euclid(7)) * DAY
}

/// The days whose midnight lies in `period`, in order: the days of a daily series.
pub fn days_in(period: Period) -> Vec<i64> {
    starts_in(period, next_midnight(period.from), DAY)
}

/// The ISO weeks whose Monday lies in `period`, in order.
pub fn weeks_in(period: Period) -> Vec<i64> {
    let first_monday = week_start(period.from);
    let first = if first_monday < period.from {
        first_monday.saturating_add(WEEK)
    } else {
        first_monday
    };
    starts_in(period, first, WEEK)
}

fn starts_in(period: Period, first: i64, step: i64) -> Vec<i64> {
    let mut starts = Vec::new();
    let mut start = first;
    while start < period.to {
        starts.push(start);
        start = start.saturating_add(step);
    }
    starts
}

/// The UTC calendar date of `t`, when jiff can represent it.
fn date_of(t: i64) -> Option<Date> {
    Timestamp::from_second(t)
        .ok()
        .map(|ts| ts.to_zoned(TimeZone::UTC).date())
}

fn midnight_of(date: Date) -> Option<i64> {
    date.to_zoned(TimeZone::UTC)
        .ok()
        .map(|zoned| zoned.timestamp().as_second())
}

/// The month holding `as_of` and the one before, as computed once per report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Months {
    /// `[first of as_of's month, first of the next month)`.
    pub this_month: Period,
    /// `[first of the previous month, first of as_of's month)`.
    pub last_month: Period,
    /// Days in as_of's month (28 to 31).
    pub days_in_this_month: i64,
}

impl Months {
    pub fn of(as_of: i64) -> Result<Months, ReportError> {
        let invalid = || ReportError::InvalidTime { as_of };
        let first = date_of(as_of).ok_or_else(invalid)?.first_of_month();
        let previous = first.checked_sub(1.month()).map_err(|_| invalid())?;
        let next = first.checked_add(1.month()).map_err(|_| invalid())?;
        let [previous, first, next] = [previous, first, next].map(midnight_of);
        let (Some(previous), Some(first), Some(next)) = (previous, first, next) else {
            return Err(invalid());
        };
        Ok(Months {
            this_month: Period::new(first, next),
            last_month: Period::new(previous, first),
            days_in_this_month: (next - first) / DAY,
        })
    }
}

/// `2026-11-20` for the day holding `t`.
pub fn day_label(t: i64) -> String {
    date_of(t).map_or_else(|| t.to_string(), |date| date.to_string())
}

/// `2026-W47` for the ISO week holding `t` (the ISO year may differ from the calendar year:
/// 2026-12-28 is in `2026-W53`, 2027-01-03 too).
pub fn iso_week_label(t: i64) -> String {
    date_of(t).map_or_else(
        || t.to_string(),
        |date| {
            let week = date.iso_week_date();
            format!("{:04}-W{:02}", week.year(), week.week())
        },
    )
}

/// `November 2026` for the month holding `t`.
pub fn month_label(t: i64) -> String {
    date_of(t).map_or_else(
        || t.to_string(),
        |date| {
            format!(
                "{} {:04}",
                MONTH_NAMES[(date.month() - 1) as usize],
                date.year()
            )
        },
    )
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `2026-10-01` at midnight, `2026-10-01 12:30 UTC` otherwise.
pub fn time_label(t: i64) -> String {
    if day_start(t) == t {
        return day_label(t);
    }
    Timestamp::from_second(t).map_or_else(
        |_| t.to_string(),
        |ts| {
            ts.to_zoned(TimeZone::UTC)
                .strftime("%Y-%m-%d %H:%M UTC")
                .to_string()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str) -> i64 {
        let date: Date = date.parse().unwrap();
        midnight_of(date).unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_cross_years_in_iso_numbering() {
        // 2027-01-03 is a Sunday of the week that started Monday 2026-12-28.
        assert_eq!(week_start(at("2027-01-03") + 3600), at("2026-12-28"));
        assert_eq!(iso_week_label(at("2026-12-28")), "2026-W53");
        assert_eq!(iso_week_label(at("2027-01-04")), "2027-W01");
        assert_eq!(iso_week_label(at("2026-11-16")), "2026-W47");
        assert_eq!(week_start(at("2026-11-16")), at("2026-11-16"));
    }

    #[test]
    fn months_know_their_lengths_and_leap_days() {
        let feb = Months::of(at("2028-02-29") + 10).unwrap();
        assert_eq!(feb.days_in_this_month, 29);
        assert_eq!(
            feb.last_month,
            Period::new(at("2028-01-01"), at("2028-02-01"))
        );
        let jan = Months::of(at("2027-01-01")).unwrap();
        assert_eq!(
            jan.last_month,
            Period::new(at("2026-12-01"), at("2027-01-01"))
        );
        assert_eq!(jan.days_in_this_month, 31);
        assert!(Months::of(i64::MAX).is_err());
    }

    #[test]
    fn days_of_a_period_are_the_midnights_inside_it() {
        let from = at("2026-11-01") + 12 * 3600;
        let days = days_in(Period::new(from, from + 2 * DAY));
        assert_eq!(days, vec![at("2026-11-02"), at("2026-11-03")]);
        assert_eq!(
            days_in(Period::new(at("2026-11-01"), at("2026-11-01"))),
            Vec::<i64>::new()
        );
        assert_eq!(time_label(from), "2026-11-01 12:00 UTC");
        assert_eq!(month_label(from), "November 2026");
    }
}
