//! Currency conversion into the report's currency.

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::model::ReportError;

/// Converts amounts into one target currency with the options' rates. A rate is looked up
/// directly (`from → to`) or inverted (`to → from`); anything else is an error naming the pair,
/// never a silent 1:1. Rates found are remembered, because a report converts every record.
#[derive(Debug)]
pub struct Converter<'a> {
    target: String,
    rates: &'a BTreeMap<String, BTreeMap<String, f64>>,
    known: RefCell<Vec<(String, f64)>>,
}

impl<'a> Converter<'a> {
    pub fn new(target: &str, rates: &'a BTreeMap<String, BTreeMap<String, f64>>) -> Self {
        Converter {
            target: target.to_ascii_uppercase(),
            rates,
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
        if currency.eq_ignore_ascii_case(&self.target) {
            return Ok(1.0);
        }
        if let Some((_, rate)) = self
            .known
            .borrow()
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(currency))
        {
            return Ok(*rate);
        }
        let from = currency.to_ascii_uppercase();
        let rate = match (
            self.lookup(&from, &self.target),
            self.lookup(&self.target, &from),
        ) {
            (Some(direct), _) => checked(direct, &from, &self.target)?,
            (None, Some(inverse)) => 1.0 / checked(inverse, &self.target, &from)?,
            (None, None) => {
                return Err(ReportError::MissingRate {
                    from,
                    to: self.target.clone(),
                });
            }
        };
        self.known.borrow_mut().push((from, rate));
        Ok(rate)
    }

    fn lookup(&self, from: &str, to: &str) -> Option<f64> {
        self.rates
            .iter()
            .filter(|(code, _)| code.eq_ignore_ascii_case(from))
            .flat_map(|(_, targets)| targets.iter())
            .find(|(code, _)| code.eq_ignore_ascii_case(to))
            .map(|(_, rate)| *rate)
    }
}

fn checked(rate: f64, from: &str, to: &str) -> Result<f64, ReportError> {
    if rate.is_finite() && rate > 0.0 {
        Ok(rate)
    } else {
        Err(ReportError::InvalidRate {
            from: from.to_owned(),
            to: to.to_owned(),
            rate,
        })
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
