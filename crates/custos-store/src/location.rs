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
            None if is_connection_string(url) => {
                return Err(Error::InvalidUrl {
                    url: redact(url),
                    reason:
                        "a libpq connection string is not accepted; give postgres://USER@HOST/DB \
                             (the password in PGPASSWORD or ~/.pgpass) or a file path"
                            .into(),
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

    /// `url` (a `--db` value) as it may be shown, whether or not it parses.
    pub fn shown(url: &str) -> String {
        Location::parse(url).map_or_else(|_| redact(url), |location| location.redacted())
    }

    /// The location as it may be shown to a user: a PostgreSQL password (and any
    /// credential-looking parameter) is replaced by `***`.
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

/// `url` as it may be shown: [`custos_model::redact::url`], the one redaction every crate uses.
pub(crate) fn redact(url: &str) -> String {
    custos_model::redact::url(url)
}

/// Whether a bare `--db` value is a libpq connection string (`host=db password=...`) rather
/// than a path: opening it as a file would create one named after the password.
fn is_connection_string(text: &str) -> bool {
    const KEYWORDS: [&str; 7] = [
        "host", "hostaddr", "port", "dbname", "user", "password", "sslmode",
    ];
    text.split_whitespace().all(|word| word.contains('='))
        && text.split_whitespace().any(|word| {
            word.split_once('=')
                .is_some_and(|(key, _)| KEYWORDS.contains(&key))
        })
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

    #[test]
    fn a_connection_string_is_refused_without_showing_its_password() {
        let err = Location::parse("host=db user=u password=hunter2 dbname=c")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("password=***"), "{err}");
        assert_eq!(
            Location::parse("my=file.db").unwrap(),
            Location::Sqlite(PathBuf::from("my=file.db"))
        );
    }
}
