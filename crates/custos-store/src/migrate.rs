//! Versioned schema migrations, embedded per backend and shared planning.
//!
//! Each backend applies the pending migrations of its list in one transaction each, together
//! with the `schema_version` row, after checking that the store is not newer than this build.

use crate::{Error, Result};

/// One schema version's SQL for one backend.
#[derive(Debug)]
pub(crate) struct Migration {
    pub version: i64,
    pub sql: &'static str,
}

pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/sqlite/0002_endpoint_status.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../migrations/sqlite/0003_findings.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../migrations/sqlite/0004_actions.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("../migrations/sqlite/0005_scan_outcomes.sql"),
    },
];

pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/postgres/0002_endpoint_status.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../migrations/postgres/0003_findings.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../migrations/postgres/0004_actions.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("../migrations/postgres/0005_scan_outcomes.sql"),
    },
];

/// The same statement in both dialects; `IF NOT EXISTS` because it runs before the first
/// migration and on every open.
pub(crate) const CREATE_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version \
     (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";

pub(crate) const CURRENT_VERSION: &str = "SELECT COALESCE(MAX(version), 0) FROM schema_version";

pub(crate) const RECORD_VERSION: &str =
    "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)";

/// The schema version this build writes.
pub fn latest(migrations: &'static [Migration]) -> i64 {
    migrations.last().map_or(0, |m| m.version)
}

/// The migrations to apply to a store at `current`, or the refusal of a newer store.
pub(crate) fn pending(
    location: &str,
    current: i64,
    migrations: &'static [Migration],
) -> Result<&'static [Migration]> {
    let known = latest(migrations);
    if current > known {
        return Err(Error::NewerSchema {
            location: location.to_owned(),
            found: current,
            known,
        });
    }
    let first = migrations.partition_point(|m| m.version <= current);
    Ok(&migrations[first..])
}

/// Now in Unix seconds, for `schema_version.applied_at`.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_know_the_same_versions_in_order() {
        let versions = |m: &[Migration]| m.iter().map(|m| m.version).collect::<Vec<_>>();
        assert_eq!(versions(SQLITE), versions(POSTGRES));
        assert!(versions(SQLITE).windows(2).all(|w| w[0] + 1 == w[1]));
        assert_eq!(versions(SQLITE).first(), Some(&1));
    }

    #[test]
    fn the_public_schema_version_is_the_last_migration() {
        assert_eq!(latest(SQLITE), crate::SCHEMA_VERSION);
        assert_eq!(latest(POSTGRES), crate::SCHEMA_VERSION);
    }

    #[test]
    fn plans_pending_and_refuses_newer() {
        assert_eq!(pending("x", 0, SQLITE).unwrap().len(), SQLITE.len());
        assert!(pending("x", latest(SQLITE), SQLITE).unwrap().is_empty());
        let err = pending("x.db", 99, SQLITE).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "newer custos (schema 99, this build knows {})",
                crate::SCHEMA_VERSION
            )),
            "{err}"
        );
    }
}
