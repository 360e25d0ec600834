//! Currencies and exchange rates. Cost records say `"usd"`, spend limits `"USD"`: currencies are
//! compared without regard to case and kept upper-case here.

use serde_json::Value;
use std::collections::BTreeMap;

/// Exchange rates: `rates[FROM][TO]` is what one unit of FROM is worth in TO.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FxRates {
    rates: BTreeMap<String, BTreeMap<String, f64>>,
}

impl FxRates {
    /// Whether a JSON value is a valid rate table (an object of objects of positive numbers).
    pub fn validate(value: &Value) -> bool {
        value.as_object().is_some_and(|outer| {
            outer.values().all(|inner| {
                inner.as_object().is_some_and(|inner| {
                    inner
                        .values()
                        .all(|rate| rate.as_f64().is_some_and(|r| r.is_finite() && r > 0.0))
                })
            })
        })
    }

    /// Reads a rate table, skipping anything that is not a positive rate.
    pub fn from_json(value: &Value) -> FxRates {
        let mut rates: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for (from, inner) in value.as_object().into_iter().flatten() {
            for (to, rate) in inner.as_object().into_iter().flatten() {
                if let Some(rate) = rate.as_f64().filter(|r| r.is_finite() && *r > 0.0) {
                    rates
                        .entry(currency_code(from))
                        .or_default()
                        .insert(currency_code(to), rate);
                }
            }
        }
        FxRates { rates }
    }

    /// The factor turning an amount in `from` into `to`: 1 for the same currency, the declared
    /// rate, or the inverse of the opposite rate. `None` when no rate is known.
    pub fn rate(&self, from: &str, to: &str) -> Option<f64> {
        let (from, to) = (currency_code(from), currency_code(to));
        if from == to {
            return Some(1.0);
        }
        let direct = self.rates.get(&from).and_then(|inner| inner.get(&to));
        let inverse = || {
            self.rates
                .get(&to)
                .and_then(|inner| inner.get(&from))
                .map(|r| 1.0 / r)
        };
        direct.copied().or_else(inverse)
    }
}

/// The canonical (upper-case, trimmed) form of a currency code.
pub fn currency_code(currency: &str) -> String {
    currency.trim().to_uppercase()
}

/// Sums amounts in several currencies into one, or names the pairs without a rate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Converted {
    pub total: f64,
    /// `USD->EUR` for each pair that had no rate, sorted.
    pub missing_rates: Vec<String>,
}

/// Converts every `(amount, currency)` into `target` and adds them up.
pub fn convert_sum<'a>(
    amounts: impl IntoIterator<Item = (f64, &'a str)>,
    target: &str,
    rates: &FxRates,
) -> Converted {
    let mut converted = Converted::default();
    for (amount, currency) in amounts {
        match rates.rate(currency, target) {
            Some(rate) => converted.total += amount * rate,
            None => {
                let pair = format!("{}->{}", currency_code(currency), currency_code(target));
                if !converted.missing_rates.contains(&pair) {
                    converted.missing_rates.push(pair);
                }
            }
        }
    }
    converted.missing_rates.sort();
    converted
}

/// The message an indeterminate result gives for pairs without a rate.
pub fn missing_rate_reasons(pairs: &[String]) -> Vec<String> {
    pairs
        .iter()
        .map(|pair| format!("no exchange rate {pair} in fx_rates"))
        .collect()
}

/// `12.35` for messages.
pub fn format_amount(amount: f64, currency: &str) -> String {
    format!("{amount:.2} {}", currency_code(currency))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rates_apply_directly_inversely_and_ignore_case() {
        let rates = FxRates::from_json(&json!({"USD": {"EUR": 0.5}}));
        assert_eq!(rates.rate("usd", "eur"), Some(0.5));
        assert_eq!(rates.rate("EUR", "usd"), Some(2.0));
        assert_eq!(rates.rate("usd", "USD"), Some(1.0));
        assert_eq!(rates.rate("gbp", "EUR"), None);
    }

    #[test]
    fn convert_sum_names_missing_pairs_once() {
        let rates = FxRates::from_json(&json!({"USD": {"EUR": 0.5}}));
        let converted = convert_sum(
            [(10.0, "usd"), (1.0, "gbp"), (2.0, "GBP"), (3.0, "eur")],
            "EUR",
            &rates,
        );
        assert_eq!(converted.total, 8.0);
        assert_eq!(converted.missing_rates, vec!["GBP->EUR".to_owned()]);
    }

    #[test]
    fn validation_refuses_non_positive_and_malformed_rates() {
        assert!(FxRates::validate(&json!({"USD": {"EUR": 0.92}})));
        assert!(FxRates::validate(&json!({})));
        assert!(!FxRates::validate(&json!({"USD": {"EUR": 0}})));
        assert!(!FxRates::validate(&json!({"USD": 0.92})));
        assert!(!FxRates::validate(&json!(["USD"])));
    }
}
