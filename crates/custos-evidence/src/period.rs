//! The command line's dates, as Unix seconds for [`crate::ExportRequest`]: all in UTC, so that
//! two auditors asking for "October" get the same pack wherever they are.

use jiff::ToSpan as _;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// A date the command line could not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?}: {expected}")]
pub struct PeriodError {
    pub text: String,
    pub expected: &'static str,
}

/// `--from` / `--to`: a day (`2026-10-01`, midnight UTC) or an RFC 3339 time
/// (`2026-10-01T12:00:00Z`). `--to` is exclusive: `--from 2026-10-01 --to 2026-11-01` is
/// October.
pub fn parse_time(text: &str) -> Result<i64, PeriodError> {
    let error = || PeriodError {
        text: text.to_owned(),
        expected: "expected a day (2026-10-01) or an RFC 3339 time (2026-10-01T00:00:00Z)",
    };
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        return Ok(timestamp.as_second());
    }
    let day = text.parse::<Date>().map_err(|_| error())?;
    midnight_utc(day).ok_or_else(error)
}

/// `--month 2026-10`: `[2026-10-01, 2026-11-01)` in UTC.
pub fn month(text: &str) -> Result<(i64, i64), PeriodError> {
    let error = || PeriodError {
        text: text.to_owned(),
        expected: "expected a month as YYYY-MM (2026-10)",
    };
    let (year, month) = text.split_once('-').ok_or_else(error)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(error());
    }
    let year: i16 = year.parse().map_err(|_| error())?;
    let month: i8 = month.parse().map_err(|_| error())?;
    let first = Date::new(year, month, 1).map_err(|_| error())?;
    let next = first.checked_add(1.month()).map_err(|_| error())?;
    Ok((
        midnight_utc(first).ok_or_else(error)?,
        midnight_utc(next).ok_or_else(error)?,
    ))
}

fn midnight_utc(day: Date) -> Option<i64> {
    day.to_zoned(TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OCT_1_2026: i64 = 1_790_812_800;
    const NOV_1_2026: i64 = OCT_1_2026 + 31 * 86_400;

    #[test]
    fn months_are_half_open_in_utc() {
        assert_eq!(month("2026-10"), Ok((OCT_1_2026, NOV_1_2026)));
        assert_eq!(month("2026-12").map(|(_, to)| to), parse_time("2027-01-01"));
        for bad in ["2026-13", "2026", "26-10", "2026-1", "x-y", "9999-12"] {
            assert!(month(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn days_and_times() {
        assert_eq!(parse_time("2026-10-01"), Ok(OCT_1_2026));
        assert_eq!(parse_time("2026-10-01T01:00:00+01:00"), Ok(OCT_1_2026));
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2026-02-30").is_err());
    }
}
