//! Days and windows as `docs/conventions.md` "Time" defines them. All arithmetic saturates: a
//! parameter of a million days must not overflow into the future.

pub use custos_model::unix::DAY;

/// `n` days in seconds.
pub fn days(n: i64) -> i64 {
    n.saturating_mul(DAY)
}

/// "Older than N days" (at least N days old): `t <= as_of - N*86400`.
pub fn older_than(t: i64, as_of: i64, n_days: i64) -> bool {
    t <= as_of.saturating_sub(days(n_days))
}

/// Whole days between `t` and `as_of`, for messages.
pub fn age_in_days(t: i64, as_of: i64) -> i64 {
    as_of.saturating_sub(t).div_euclid(DAY)
}

/// A half-open time range `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

impl Window {
    /// "In the last N days": `[as_of - N*86400, as_of)`.
    pub fn last_days(as_of: i64, n_days: i64) -> Window {
        Window {
            start: as_of.saturating_sub(days(n_days)),
            end: as_of,
        }
    }

    pub fn contains(&self, t: i64) -> bool {
        self.start <= t && t < self.end
    }
}

/// The index of the UTC day `t` falls in (day 0 is 1970-01-01).
pub fn day_index(t: i64) -> i64 {
    t.div_euclid(DAY)
}

/// The month-to-date range of `as_of`'s month: its start, the whole days elapsed since then,
/// and the number of days in the month. `None` for a time outside the calendar's range.
pub fn month_to_date(as_of: i64) -> Option<MonthToDate> {
    let timestamp = jiff::Timestamp::from_second(as_of).ok()?;
    let date = timestamp.to_zoned(jiff::tz::TimeZone::UTC).date();
    let first = date.first_of_month();
    let start = first
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp()
        .as_second();
    Some(MonthToDate {
        start,
        days_elapsed: as_of.saturating_sub(start).div_euclid(DAY),
        days_in_month: i64::from(date.days_in_month()),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthToDate {
    pub start: i64,
    pub days_elapsed: i64,
    pub days_in_month: i64,
}

/// `2025-06-15`, for messages; the raw number when out of the calendar's range.
///
/// Hand-rolled (Howard Hinnant's `civil_from_days`) rather than through `jiff`'s formatter
/// because messages for millions of keys each carry a date, and this is several times faster.
pub fn date(t: i64) -> String {
    // jiff's range, so that both functions in this module agree on what is a date.
    const MIN: i64 = -377_705_116_800;
    const MAX: i64 = 253_402_207_200;
    if !(MIN..=MAX).contains(&t) {
        return t.to_string();
    }
    let z = day_index(t) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_than_includes_the_boundary() {
        let as_of = 1_000 * DAY;
        assert!(older_than(as_of - days(90), as_of, 90));
        assert!(older_than(as_of - days(90) - 1, as_of, 90));
        assert!(!older_than(as_of - days(90) + 1, as_of, 90));
        assert!(!older_than(0, 0, i64::MAX));
    }

    #[test]
    fn windows_are_half_open() {
        let window = Window::last_days(10 * DAY, 7);
        assert!(window.contains(3 * DAY));
        assert!(!window.contains(3 * DAY - 1));
        assert!(window.contains(10 * DAY - 1));
        assert!(!window.contains(10 * DAY));
    }

    #[test]
    fn date_agrees_with_jiff() {
        for t in [
            0,
            -1,
            951_782_400,
            1_749_988_800,
            4_107_542_399,
            -62_135_596_800,
        ] {
            let expected = jiff::Timestamp::from_second(t)
                .unwrap()
                .strftime("%Y-%m-%d")
                .to_string();
            assert_eq!(date(t), expected, "{t}");
        }
        assert_eq!(date(i64::MAX), i64::MAX.to_string());
    }

    #[test]
    fn month_to_date_counts_whole_days() {
        // 2025-02-15T12:00:00Z
        let mtd = month_to_date(1_739_620_800).unwrap();
        assert_eq!(mtd.start, 1_738_368_000); // 2025-02-01
        assert_eq!(mtd.days_elapsed, 14);
        assert_eq!(mtd.days_in_month, 28);
        // 2024-02-01T00:00:00Z: nothing elapsed yet, leap year.
        let mtd = month_to_date(1_706_745_600).unwrap();
        assert_eq!((mtd.days_elapsed, mtd.days_in_month), (0, 29));
    }
}
