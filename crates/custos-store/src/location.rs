//! Where a store lives, parsed from the `--db` value.

use crate::{Error, Result};
use std::path::PathBuf;

/// A parsed store location.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A private in-memory SQLite database.
    SqliteMemory,
    /// A PostgreSQL connection URL (may hold a password: print [`Location::redacted`] instead).
    Postgres(String),
}

impl Location {
    /// Parses `sqlite://PATH`, `sqlite:PATH`, `sqlite::memory:`, `postgres://...`,
    /// `postgresql://...` or a bare path.
    pub fn parse(url: &str) -> Result<Self> {
        let url = url.trim();
        if url.is_empty() {
            return Err(Error::InvalidUrl {
                url: String::new(),
                reason: "it is empty; give a path, sqlite://PATH or postgres://...".into(),
            });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Location::Postgres(url.to_owned()));
        }
        let path = match url.strip_prefix("sqlite:") {
            Some(":memory:") | Some("//:memory:") => return Ok(Location::SqliteMemory),
            Some(rest) => rest.strip_prefix("//").unwrap_or(rest),
            None if has_scheme(url) => {
                return Err(Error::InvalidUrl {
                    url: redact(url),
                    reason: "unknown scheme; use a path, sqlite://PATH or postgres://...".into(),
                });
            }
            None => url,
        };
        if path.is_empty() {
            return Err(Error::InvalidUrl {
                url: url.to_owned(),
                reason: "no file path after sqlite://".into(),
            });
        }
        Ok(Location::Sqlite(PathBuf::from(path)))
    }

    /// The location as it may be shown to a user: a PostgreSQL password is replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::SqliteMemory => "sqlite::memory:".into(),
            Location::Postgres(url) => redact(url),
        }
    }
}

/// Hides a password in the Debug output too.
impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({})", self.redacted())
    }
}

/// `scheme://` with a scheme of letters (so that `C:\x` or `./a:b` stay paths).
fn has_scheme(url: &str) -> bool {
    url.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+')
    })
}

/// `url` without its password (or, if it cannot be parsed, only its scheme and host part
/// after the last `@`, so that nothing secret leaks from a malformed URL either).
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Only fails for URLs that cannot have a password, which this one has.
                let _ = parsed.set_password(Some("***"));
            }
            // The query can carry `password=...` as well.
            if parsed.query_pairs().any(|(k, _)| k == "password") {
                let pairs: Vec<(String, String)> = parsed
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k == "password" {
                            "***".into()
                        } else {
                            v.into_owned()
                        };
                        (k.into_owned(), v)
                    })
                    .collect();
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        Err(_) => match (url.split_once("://"), url.rsplit_once('@')) {
            (Some((scheme, _)), Some((_, host))) => format!("{scheme}://***@{host}"),
            (Some((scheme, _)), None) => format!("{scheme}://(unparsable URL)"),
            _ => "(unparsable URL)".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let sqlite = |p: &str| Location::Sqlite(PathBuf::from(p));
        assert_eq!(Location::parse("custos.db").unwrap(), sqlite("custos.db"));
        assert_eq!(
            Location::parse("sqlite://custos.db").unwrap(),
            sqlite("custos.db")
        );
        assert_eq!(
            Location::parse("sqlite:///var/x.db").unwrap(),
            sqlite("/var/x.db")
        );
        assert_eq!(Location::parse("sqlite:x.db").unwrap(), sqlite("x.db"));
        assert_eq!(
            Location::parse("sqlite::memory:").unwrap(),
            Location::SqliteMemory
        );
        assert_eq!(
            Location::parse("postgresql://u@h/db").unwrap(),
            Location::Postgres("postgresql://u@h/db".into())
        );
        assert!(matches!(
            Location::parse("mysql://h/db"),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(matches!(
            Location::parse("  "),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(matches!(
            Location::parse("sqlite://"),
            Err(Error::InvalidUrl { .. })
        ));
    }

    #[test]
    fn redaction_hides_passwords() {
        let loc = Location::parse("postgres://custos:hunter2@db:5432/c?password=hunter3").unwrap();
        let shown = format!("{} {:?}", loc.redacted(), loc);
        assert!(!shown.contains("hunter"), "{shown}");
        assert!(shown.contains("custos:***@db:5432/c"), "{shown}");
        assert!(!redact("postgres://u:hunter2@[bad").contains("hunter2"));
    }
}
