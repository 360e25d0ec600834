//! The application layer of custos, between the libraries and the command line (and the coming
//! web service): the configuration validated once at start ([`ValidConfig`]), the providers
//! organizations are read through ([`provider`]), scans under their lock ([`scan`]), a stored
//! scan evaluated against the policies with the findings lifecycle ([`evaluate`]), the findings
//! contract and its query ([`findings`]), OCSF and SARIF ([`formats`]), what a command is about
//! ([`context`]) and what reports and segments read ([`report`]).
//!
//! A library API: nothing here prints, exits or reads the clock; errors are [`Error`], time is
//! a parameter.

pub mod config;
pub mod context;
mod error;
pub mod evaluate;
pub mod findings;
pub mod formats;
pub mod provider;
pub mod report;
pub mod scan;

pub use config::ValidConfig;
pub use error::{Error, Result};

/// A Unix time as RFC 3339 (UTC, whole seconds), or `-`: the findings JSON's spelling of time.
pub fn rfc3339(t: Option<i64>) -> String {
    t.and_then(|t| jiff::Timestamp::from_second(t).ok())
        .map_or_else(
            || "-".to_owned(),
            |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
}

/// An error with its causes, `outer: inner: ...`, as a scan records its failure reason.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_a_dash() {
        assert_eq!(rfc3339(Some(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(Some(1_750_000_000)), "2025-06-15T15:06:40Z");
        assert_eq!(rfc3339(None), "-");
        assert_eq!(rfc3339(Some(i64::MAX)), "-");
    }

    #[test]
    fn an_error_chain_names_every_cause() {
        let error = Error::Key {
            what: "the read key of organization org-a".to_owned(),
            source: Box::new(Error::NoStoredKey("org/org-a/read".to_owned())),
        };
        assert_eq!(
            error_chain(&error),
            "reading the read key of organization org-a: no stored key named \"org/org-a/read\": add it with `custos orgs add`"
        );
    }
}
