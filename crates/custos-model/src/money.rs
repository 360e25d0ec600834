//! Currencies and exchange rates, as policies and reports convert amounts. Cost records say
//! `"usd"`, spend limits `"USD"`: codes are compared without regard to case and kept
//! upper-case here.

use serde_json::Value;
use std::collections::BTreeMap;

/// The canonical (upper-case, trimmed) form of a currency code.
pub fn currency_code(currency: &str) -> String {
    currency.trim().to_uppercase()
}

/// Exchange rates: `rates[FROM][TO]` is what one unit of FROM is worth in TO.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FxRates {
    rates: BTreeMap<String, BTreeMap<String, f64>>,
}

/// Why an amount cannot be converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RateError {
    /// Neither `from -> to` nor `to -> from` is declared.
    #[error("no exchange rate from {from} to {to}")]
    Missing { from: String, to: String },
    /// The declared rate is zero, negative or not a number.
    #[error("the exchange rate from {from} to {to} is {rate}: rates must be positive numbers")]
    Invalid { from: String, to: String, rate: f64 },
}

impl FxRates {
    /// The rates of a table as configured (codes in any case); a rate that is not a positive
    /// number is kept, to be reported when a conversion needs it.
    pub fn new(table: &BTreeMap<String, BTreeMap<String, f64>>) -> FxRates {
        let mut rates: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for (from, inner) in table {
            for (to, rate) in inner {
                rates
                    .entry(currency_code(from))
                    .or_default()
                    .insert(currency_code(to), *rate);
            }
        }
        FxRates { rates }
    }

    /// Whether a JSON value is a valid rate table (an object of objects of positive numbers).
    pub fn validate(value: &Value) -> bool {
        value.as_object().is_some_and(|outer| {
            outer.values().all(|inner| {
                inner.as_object().is_some_and(|inner| {
                    inner
                        .values()
                        .all(|rate| rate.as_f64().is_some_and(is_valid))
                })
            })
        })
    }

    /// Reads a rate table, skipping anything that is not a positive rate.
    pub fn from_json(value: &Value) -> FxRates {
        let mut rates: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for (from, inner) in value.as_object().into_iter().flatten() {
            for (to, rate) in inner.as_object().into_iter().flatten() {
                if let Some(rate) = rate.as_f64().filter(|r| is_valid(*r)) {
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
    /// rate, or the inverse of the opposite rate; never a silent 1:1.
    pub fn rate(&self, from: &str, to: &str) -> Result<f64, RateError> {
        let (from, to) = (currency_code(from), currency_code(to));
        if from == to {
            return Ok(1.0);
        }
        let declared = |a: &str, b: &str| self.rates.get(a).and_then(|inner| inner.get(b)).copied();
        let checked = |rate: f64, a: &str, b: &str| {
            if is_valid(rate) {
                Ok(rate)
            } else {
                Err(RateError::Invalid {
                    from: a.to_owned(),
                    to: b.to_owned(),
                    rate,
                })
            }
        };
        match (declared(&from, &to), declared(&to, &from)) {
            (Some(direct), _) => checked(direct, &from, &to),
            (None, Some(inverse)) => Ok(1.0 / checked(inverse, &to, &from)?),
            (None, None) => Err(RateError::Missing { from, to }),
        }
    }
}

fn is_valid(rate: f64) -> bool {
    rate.is_finite() && rate > 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rates_apply_directly_inversely_and_ignore_case() {
        let rates = FxRates::from_json(&json!({"USD": {"EUR": 0.5}}));
        assert_eq!(rates.rate("usd", "eur"), Ok(0.5));
        assert_eq!(rates.rate("EUR", "usd"), Ok(2.0));
        assert_eq!(rates.rate("usd", "USD"), Ok(1.0));
        assert_eq!(
            rates.rate("gbp", "EUR"),
            Err(RateError::Missing {
                from: "GBP".to_owned(),
                to: "EUR".to_owned()
            })
        );
    }

    #[test]
    fn a_configured_invalid_rate_is_named_not_used() {
        let table = BTreeMap::from([
            ("usd".to_owned(), BTreeMap::from([("eur".to_owned(), 0.8)])),
            ("GBP".to_owned(), BTreeMap::from([("EUR".to_owned(), -1.0)])),
        ]);
        let rates = FxRates::new(&table);
        assert_eq!(rates.rate("USD", "Eur"), Ok(0.8));
        assert!(matches!(
            rates.rate("eur", "gbp"),
            Err(RateError::Invalid { rate, .. }) if rate == -1.0
        ));
        // from_json drops what validate refuses.
        let rates = FxRates::from_json(&json!({"GBP": {"EUR": -1.0}, "EUR": {"GBP": 2.0}}));
        assert_eq!(rates.rate("gbp", "eur"), Ok(0.5));
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
