//! Human-readable numbers: thousands separators, money with two decimals and its currency.

use crate::model::{Cell, ColumnKind};

/// `1234567` → `1,234,567`.
pub fn count(value: i64) -> String {
    let digits = group(&value.unsigned_abs().to_string());
    if value < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}

/// `1234.5, "USD"` → `1,234.50 USD`.
pub fn money(value: f64, currency: &str) -> String {
    format!("{} {currency}", decimal(value, 2))
}

/// `12.345` → `12.3 %`.
pub fn percent(value: f64) -> String {
    format!("{} %", decimal(value, 1))
}

/// A number on a chart axis: thousands separators, decimals only where ticks are small.
pub fn axis(value: f64) -> String {
    let decimals = if value.abs() >= 100.0 || value.fract() == 0.0 {
        0
    } else {
        2
    };
    decimal(value, decimals)
}

/// `value` with `decimals` decimals and thousands separators; no `-0.00`.
fn decimal(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let is_zero = text.bytes().all(|b| b == b'0' || b == b'.');
    let sign = if value < 0.0 && !is_zero { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{}", group(whole))
    } else {
        format!("{sign}{}.{fraction}", group(whole))
    }
}

/// Inserts a comma every three digits from the right of a string of digits.
fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A cell as a person reads it.
pub fn cell(cell: &Cell, currency: &str) -> String {
    match cell {
        Cell::Text(text) => text.clone(),
        Cell::Money(value) => money(*value, currency),
        Cell::Count(value) => count(*value),
        Cell::Percent(value) => percent(*value),
        Cell::Empty => "-".to_owned(),
    }
}

/// A column header with its unit: `cost (USD)`, `share (%)`.
pub fn header(name: &str, kind: ColumnKind, currency: &str) -> String {
    match kind {
        ColumnKind::Money => format!("{name} ({currency})"),
        ColumnKind::Percent => format!("{name} (%)"),
        ColumnKind::Text | ColumnKind::Count => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(-1_234_567), "-1,234,567");
        assert_eq!(count(i64::MIN), "-9,223,372,036,854,775,808");
        assert_eq!(money(1_234_567.891, "USD"), "1,234,567.89 USD");
        assert_eq!(money(-0.001, "EUR"), "0.00 EUR");
        assert_eq!(money(-12.5, "EUR"), "-12.50 EUR");
        assert_eq!(percent(12.345), "12.3 %");
        assert_eq!(axis(2500.0), "2,500");
        assert_eq!(axis(0.25), "0.25");
        assert_eq!(money(f64::NAN, "USD"), "NaN USD");
    }
}
