//! Unix-second timestamps, as every `format: unixtime` field of the Admin API carries them.
//!
//! The serde helpers exist for their error text: a scenario author who writes
//! `"created_at": "2024-01-01"` is told `expected an integer (Unix seconds)`. [`parse_time`]
//! reads the times people give custos (every date or time flag), within [`TIME_RANGE`].

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// Seconds since 1970-01-01T00:00:00Z.
pub type UnixSeconds = i64;

/// One day in seconds: the API's buckets, look-backs and windows are whole UTC days.
pub const DAY: UnixSeconds = 86_400;

/// The times custos accepts from people: from 1970-01-01 to 3000-01-01 (UTC), both included. Later ones are typos or probes, and would overflow date arithmetic (a period's end, a
/// look-back) far from where they were given.
pub const TIME_RANGE: std::ops::RangeInclusive<UnixSeconds> = 0..=LATEST_TIME;

/// 3000-01-01T00:00:00Z, the last time of [`TIME_RANGE`] (the end of a period in 2999).
const LATEST_TIME: UnixSeconds = 32_503_680_000;

/// A time given on the command line: RFC 3339 (`2026-11-20T12:00:00Z`) or a day (`2026-11-20`,
/// midnight UTC), within [`TIME_RANGE`]. The error says what was expected, for the caller to
/// name the flag.
pub fn parse_time(text: &str) -> Result<UnixSeconds, String> {
    let expected = || {
        format!(
            "`{text}` is not a time: give RFC 3339 (2026-11-20T12:00:00Z) or a day (2026-11-20)"
        )
    };
    let outside = || format!("`{text}` {OUTSIDE}");
    let seconds = if let Ok(t) = text.parse::<jiff::Timestamp>() {
        t.as_second()
    } else {
        let day = text.parse::<jiff::civil::Date>().map_err(|_| expected())?;
        // A valid day that jiff cannot place in UTC is at the very end of its range.
        day.to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|_| outside())?
            .timestamp()
            .as_second()
    };
    check_time(seconds).map_err(|_| outside())
}

const OUTSIDE: &str = "is outside the times custos accepts: give one from 1970-01-01 to 3000-01-01";

/// `seconds` when it lies in [`TIME_RANGE`]; else an error saying the range.
pub fn check_time(seconds: UnixSeconds) -> Result<UnixSeconds, String> {
    if TIME_RANGE.contains(&seconds) {
        Ok(seconds)
    } else {
        Err(format!("{seconds} {OUTSIDE}"))
    }
}

struct UnixVisitor;

const EXPECTED: &str = "an integer (Unix seconds)";

impl<'de> Visitor<'de> for UnixVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // Real payloads sometimes carry `1711471533.0`; a fractional second is not a timestamp.
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            Ok(v as i64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
}

struct OptionalUnixVisitor;

impl<'de> Visitor<'de> for OptionalUnixVisitor {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{EXPECTED} or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(UnixVisitor).map(Some)
    }
}

/// `deserialize_with` for a required Unix-seconds field.
pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(UnixVisitor)
}

/// `deserialize_with` for an optional or nullable Unix-seconds field (use with `#[serde(default)]`).
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_option(OptionalUnixVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct T {
        #[serde(deserialize_with = "required")]
        at: i64,
        #[serde(default, deserialize_with = "optional")]
        maybe: Option<i64>,
    }

    #[test]
    fn integers_and_whole_floats_parse() {
        let t: T = serde_json::from_str(r#"{"at": 1711471533.0, "maybe": null}"#).unwrap();
        assert_eq!(t.at, 1_711_471_533);
        assert_eq!(t.maybe, None);
        let t: T = serde_json::from_str(r#"{"at": 5, "maybe": 7}"#).unwrap();
        assert_eq!((t.at, t.maybe), (5, Some(7)));
        let t: T = serde_json::from_str(r#"{"at": 5}"#).unwrap();
        assert_eq!(t.maybe, None);
    }

    #[test]
    fn days_and_times() {
        const OCT_1_2026: i64 = 1_790_812_800;
        assert_eq!(parse_time("2026-10-01"), Ok(OCT_1_2026));
        assert_eq!(parse_time("2026-10-01T01:00:00+01:00"), Ok(OCT_1_2026));
        assert!(parse_time("yesterday").unwrap_err().contains("RFC 3339"));
        assert!(parse_time("2026-02-30").is_err());
        assert_eq!(parse_time("3000-01-01"), Ok(LATEST_TIME));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        for outside in ["9999-12-31", "3000-01-01T00:00:01Z", "1969-12-31T23:59:59Z"] {
            let error = parse_time(outside).unwrap_err();
            assert!(error.contains("1970-01-01 to 3000-01-01"), "{error}");
        }
    }

    #[test]
    fn strings_are_refused_with_the_expected_shape() {
        let err = serde_json::from_str::<T>(r#"{"at": "2024-01-01"}"#).unwrap_err();
        assert!(
            err.to_string()
                .contains("expected an integer (Unix seconds)"),
            "{err}"
        );
        let err = serde_json::from_str::<T>(r#"{"at": 1.5}"#).unwrap_err();
        assert!(err.to_string().contains("Unix seconds"), "{err}");
    }
}
