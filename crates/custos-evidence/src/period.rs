//! `--month`, as Unix seconds for [`crate::ExportRequest`]: in UTC, so that two auditors asking
//! for "October" get the same pack wherever they are. `--from` and `--to` are read like every
//! other time flag (`custos_model::unix::parse_time`); a month is held to the same range.

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
    let outside = || PeriodError {
        text: text.to_owned(),
        expected: "outside the months custos accepts: give one from 1970-01 to 2999-12",
    };
    Ok((
        midnight_utc(first).ok_or_else(outside)?,
        midnight_utc(next).ok_or_else(outside)?,
    ))
}

fn midnight_utc(day: Date) -> Option<i64> {
    day.to_zoned(TimeZone::UTC)
        .ok()
        .and_then(|z| custos_model::unix::check_time(z.timestamp().as_second()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_model::unix::DAY;

    const OCT_1_2026: i64 = 1_790_812_800;
    const NOV_1_2026: i64 = OCT_1_2026 + 31 * DAY;

    #[test]
    fn months_are_half_open_in_utc() {
        assert_eq!(month("2026-10"), Ok((OCT_1_2026, NOV_1_2026)));
        assert_eq!(
            month("2026-12").map(|(_, to)| to),
            Ok(custos_model::unix::parse_time("2027-01-01").unwrap())
        );
        for bad in [
            "2026-13", "2026", "26-10", "2026-1", "x-y", "9999-12", "1969-12",
        ] {
            assert!(month(bad).is_err(), "{bad}");
        }
    }
}
