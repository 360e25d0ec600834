//! Amounts in several currencies summed into one for a policy: a pair without a rate makes the
//! result indeterminate, naming the pair. The rates themselves are [`custos_model::money`].

pub use custos_model::money::{FxRates, currency_code};

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
            Ok(rate) => converted.total += amount * rate,
            Err(_) => {
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
}
