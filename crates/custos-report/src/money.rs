//! Currency conversion into the report's currency.

use std::cell::RefCell;
use std::collections::BTreeMap;

use custos_model::money::{FxRates, RateError, currency_code};

use crate::model::ReportError;

/// Converts amounts into one target currency with the options' rates ([`FxRates`]: direct,
/// inverted, never a silent 1:1; a missing or invalid rate is an error naming the pair). Rates
/// found are remembered, because a report converts every record.
#[derive(Debug)]
pub struct Converter {
    target: String,
    rates: FxRates,
    known: RefCell<Vec<(String, f64)>>,
}

impl Converter {
    pub fn new(target: &str, rates: &BTreeMap<String, BTreeMap<String, f64>>) -> Self {
        Converter {
            target: currency_code(target),
            rates: FxRates::new(rates),
            known: RefCell::new(Vec::new()),
        }
    }

    /// The upper-case code amounts are converted into.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// `amount` of `currency` in the target currency.
    pub fn convert(&self, amount: f64, currency: &str) -> Result<f64, ReportError> {
        Ok(amount * self.rate_from(currency)?)
    }

    /// How many target units one unit of `currency` is worth.
    pub fn rate_from(&self, currency: &str) -> Result<f64, ReportError> {
        if let Some((_, rate)) = self
            .known
            .borrow()
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(currency))
        {
            return Ok(*rate);
        }
        let rate = self
            .rates
            .rate(currency, &self.target)
            .map_err(|error| match error {
                RateError::Missing { from, to } => ReportError::MissingRate { from, to },
                RateError::Invalid { from, to, rate } => {
                    ReportError::InvalidRate { from, to, rate }
                }
            })?;
        self.known
            .borrow_mut()
            .push((currency_code(currency), rate));
        Ok(rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates() -> BTreeMap<String, BTreeMap<String, f64>> {
        let mut rates = BTreeMap::new();
        rates.insert("USD".to_owned(), BTreeMap::from([("eur".to_owned(), 0.8)]));
        rates.insert("GBP".to_owned(), BTreeMap::from([("EUR".to_owned(), -1.0)]));
        rates
    }

    #[test]
    fn converts_directly_inversely_and_case_insensitively() {
        let rates = rates();
        let to_eur = Converter::new("eur", &rates);
        assert_eq!(to_eur.convert(10.0, "usd").unwrap(), 8.0);
        assert_eq!(to_eur.convert(10.0, "EUR").unwrap(), 10.0);
        let to_usd = Converter::new("usd", &rates);
        assert_eq!(to_usd.convert(8.0, "Eur").unwrap(), 10.0);
        assert_eq!(to_usd.convert(8.0, "EUR").unwrap(), 10.0);
    }

    #[test]
    fn a_missing_or_invalid_rate_names_the_pair() {
        let rates = rates();
        let error = Converter::new("usd", &rates)
            .convert(1.0, "jpy")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "no exchange rate from JPY to USD: add fx_rates {\"JPY\": {\"USD\": RATE}} or report in JPY"
        );
        let error = Converter::new("eur", &rates)
            .convert(1.0, "gbp")
            .unwrap_err();
        assert!(matches!(error, ReportError::InvalidRate { .. }), "{error}");
    }
}
