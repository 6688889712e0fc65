//! Read replicas of the PostgreSQL primary for public catalog reads (`DATABASE_REPLICA_URLS`,
//! `REPLICA_MAX_LAG_MS`); see `cinema_catalog::replicas`.

use std::time::Duration;

use cinema_kernel::db::{DatabaseConfig, DatabaseUrl};
use sea_orm::DbBackend;

use super::{ConfigError, Source, parse_or};

#[derive(Debug, Clone, Default)]
pub struct ReplicaSettings {
    /// One pool configuration per replica, sized like the primary's; none by default.
    pub databases: Vec<DatabaseConfig>,
    /// A replica further behind than this is skipped.
    pub max_lag: Duration,
}

/// A replica is asked to open a connection for at most this long: a read waiting on one that
/// went away is a read the primary could have answered.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

pub(super) fn replica_settings(
    src: &impl Source,
    primary: &DatabaseConfig,
) -> Result<ReplicaSettings, ConfigError> {
    let max_lag_ms: u64 = parse_or(src, "REPLICA_MAX_LAG_MS", "1000")?;
    if !(50..=3_600_000).contains(&max_lag_ms) {
        return Err(ConfigError::new(
            "REPLICA_MAX_LAG_MS",
            "must be between 50 and 3600000",
        ));
    }
    let raw = src.get("DATABASE_REPLICA_URLS").unwrap_or_default();
    let mut databases = Vec::new();
    for (i, part) in raw.split(',').map(str::trim).enumerate() {
        if part.is_empty() {
            continue;
        }
        let url: DatabaseUrl = part.parse().map_err(|e| {
            ConfigError::new("DATABASE_REPLICA_URLS", format!("entry {} {e}", i + 1))
        })?;
        if url.backend() != DbBackend::Postgres || primary.url.backend() != DbBackend::Postgres {
            return Err(ConfigError::new(
                "DATABASE_REPLICA_URLS",
                "needs PostgreSQL: both DATABASE_URL and every replica must be postgres:// URLs",
            ));
        }
        databases.push(DatabaseConfig {
            url,
            connect_timeout: CONNECT_TIMEOUT.min(primary.connect_timeout),
            ..primary.clone()
        });
    }
    Ok(ReplicaSettings {
        databases,
        max_lag: Duration::from_millis(max_lag_ms),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<ReplicaSettings, ConfigError> {
        let src: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let primary = DatabaseConfig::new(
            src.get("DATABASE_URL")
                .map_or("postgres://p/db", String::as_str)
                .parse()
                .expect("a URL"),
        );
        replica_settings(&src, &primary)
    }

    #[test]
    fn none_by_default() {
        let s = settings(&[]).expect("valid");
        assert!(s.databases.is_empty());
        assert_eq!(s.max_lag, Duration::from_secs(1));
    }

    #[test]
    fn a_list_of_postgres_urls() {
        let s = settings(&[
            (
                "DATABASE_REPLICA_URLS",
                "postgres://u:pw@r1/db, postgres://r2/db,",
            ),
            ("REPLICA_MAX_LAG_MS", "250"),
        ])
        .expect("valid");
        assert_eq!(s.databases.len(), 2);
        assert_eq!(s.databases[0].url.to_string(), "postgres://u:***@r1/db");
        assert_eq!(s.max_lag, Duration::from_millis(250));
    }

    #[test]
    fn refused_with_the_variable_named() {
        for vars in [
            &[("DATABASE_REPLICA_URLS", "sqlite://x.db")][..],
            &[("DATABASE_REPLICA_URLS", "nonsense")],
            &[
                ("DATABASE_URL", "sqlite://x.db"),
                ("DATABASE_REPLICA_URLS", "postgres://r/db"),
            ],
            &[("REPLICA_MAX_LAG_MS", "10")],
            &[("REPLICA_MAX_LAG_MS", "x")],
        ] {
            let e = settings(vars).expect_err("refused");
            assert!(
                ["DATABASE_REPLICA_URLS", "REPLICA_MAX_LAG_MS"].contains(&e.var),
                "{e}"
            );
        }
    }
}
