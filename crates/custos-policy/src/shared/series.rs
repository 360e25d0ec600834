//! Daily series and the "spike over the median of the 14 days before" rule shared by the cost and
//! request spike policies. A day without a record counts as 0, also inside a median.

use crate::shared::time::{DAY, Window, day_index};

/// How many days before a day make up its baseline.
pub const BASELINE_DAYS: i64 = 14;

/// Totals per UTC day over a fixed range of days; days outside the range read as 0 and adding to
/// them is ignored. Dense, because spike rules read every day of a short range for many
/// resources.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailySeries {
    first_day: i64,
    totals: Vec<f64>,
}

impl DailySeries {
    /// A series of `days` days starting with day index `first_day`.
    pub fn new(first_day: i64, days: i64) -> DailySeries {
        DailySeries {
            first_day,
            totals: vec![0.0; usize::try_from(days).unwrap_or(0)],
        }
    }

    fn slot(&self, day: i64) -> Option<usize> {
        usize::try_from(day.checked_sub(self.first_day)?).ok()
    }

    pub fn add(&mut self, t: i64, amount: f64) {
        if let Some(total) = self.slot(day_index(t)).and_then(|i| self.totals.get_mut(i)) {
            *total += amount;
        }
    }

    pub fn on_day(&self, day: i64) -> f64 {
        self.slot(day)
            .and_then(|i| self.totals.get(i))
            .copied()
            .unwrap_or(0.0)
    }
}

/// The median; the mean of the two middle values for an even count; 0 for none.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

/// The longest lookback a spike rule accepts, in days.
pub const MAX_LOOKBACK: i64 = 366;

/// The full days a spike policy looks at, and the history that needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpikeDays {
    /// Day index of the most recent full day (the day before `as_of`'s day).
    pub last: i64,
    /// How many full days, ending with `last`, are examined.
    pub lookback: i64,
}

impl SpikeDays {
    pub fn new(as_of: i64, lookback: i64) -> SpikeDays {
        SpikeDays {
            last: day_index(as_of).saturating_sub(1),
            // Settings cap the lookback; the clamp keeps a direct caller from allocating years.
            lookback: lookback.clamp(1, MAX_LOOKBACK),
        }
    }

    /// The first second whose data the rule reads: the start of the baseline of the earliest
    /// examined day.
    pub fn history_start(&self) -> i64 {
        self.first_examined()
            .saturating_sub(BASELINE_DAYS)
            .saturating_mul(DAY)
    }

    /// Day index of the earliest examined day.
    fn first_examined(&self) -> i64 {
        self.last.saturating_sub(self.lookback - 1)
    }

    /// The time range whose records the rule reads: every baseline day and examined day.
    pub fn history(&self) -> Window {
        Window {
            start: self.history_start(),
            end: self.last.saturating_add(1).saturating_mul(DAY),
        }
    }

    /// An empty series covering [`SpikeDays::history`].
    pub fn empty_series(&self) -> DailySeries {
        DailySeries::new(
            day_index(self.history_start()),
            self.lookback + BASELINE_DAYS,
        )
    }
}

/// A day whose total exceeded both bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    /// Unix time of the day's start.
    pub day_start: i64,
    pub total: f64,
    pub baseline_median: f64,
}

/// Days among `days` whose total is above `factor` x the median of the 14 days before it and
/// above `minimum`, oldest first.
pub fn spikes(series: &DailySeries, days: SpikeDays, factor: f64, minimum: f64) -> Vec<Spike> {
    let mut found = Vec::new();
    for day in days.first_examined()..=days.last {
        let total = series.on_day(day);
        if total <= minimum {
            continue;
        }
        let mut baseline: Vec<f64> = (day.saturating_sub(BASELINE_DAYS)..day)
            .map(|d| series.on_day(d))
            .collect();
        let baseline_median = median(&mut baseline);
        if total > factor * baseline_median {
            found.push(Spike {
                day_start: day.saturating_mul(DAY),
                total,
                baseline_median,
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn missing_days_count_as_zero_in_the_baseline() {
        let mut series = DailySeries::new(100, 15);
        // 7 of the 14 baseline days carry 10: the median is (0 + 10) / 2 = 5.
        for d in 0..7 {
            series.add((100 + d) * DAY, 10.0);
        }
        series.add(114 * DAY + 5, 16.0);
        let days = SpikeDays {
            last: 114,
            lookback: 1,
        };
        assert_eq!(spikes(&series, days, 3.0, 0.0).len(), 1);
        assert!(spikes(&series, days, 3.2, 0.0).is_empty());
        assert!(spikes(&series, days, 3.0, 16.0).is_empty());
    }

    #[test]
    fn last_full_day_is_the_day_before_as_of() {
        let days = SpikeDays::new(10 * DAY, 1);
        assert_eq!(days.last, 9);
        assert_eq!(days.history_start(), (9 - 14) * DAY);
        assert_eq!(SpikeDays::new(10 * DAY + 1, 7).last, 9);
        let days = SpikeDays::new(30 * DAY, 2);
        let mut series = days.empty_series();
        series.add(days.history().start, 1.0);
        series.add(days.history().end - 1, 2.0);
        series.add(days.history().end, 4.0);
        assert_eq!(series.on_day(day_index(days.history().start)), 1.0);
        assert_eq!(series.on_day(days.last), 2.0);
        assert_eq!(series.on_day(days.last + 1), 0.0);
    }
}
