//! Opening the database and reading its errors the same way on SQLite and PostgreSQL.

use std::{fmt, str::FromStr, time::Duration};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqlErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use secrecy::{ExposeSecret, SecretString};

/// A database URL whose password never appears in `Debug` or `Display`.
#[derive(Clone)]
pub struct DatabaseUrl {
    url: SecretString,
    backend: DbBackend,
    redacted: String,
}

/// Why a database URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("is not a URL ({0})")]
    Malformed(String),
    #[error("uses the unsupported scheme `{0}` (use sqlite:// or postgres://)")]
    UnsupportedScheme(String),
}

impl FromStr for DatabaseUrl {
    type Err = DatabaseUrlError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let parsed =
            url::Url::parse(raw).map_err(|e| DatabaseUrlError::Malformed(e.to_string()))?;
        let backend = match parsed.scheme() {
            "sqlite" => DbBackend::Sqlite,
            "postgres" | "postgresql" => DbBackend::Postgres,
            other => return Err(DatabaseUrlError::UnsupportedScheme(other.to_owned())),
        };
        let mut redacted = parsed;
        if redacted.password().is_some() {
            // Cannot fail: a URL that has a password has a host, so it can carry one.
            let _ = redacted.set_password(Some("***"));
        }
        Ok(Self {
            url: SecretString::from(raw.to_owned()),
            backend,
            redacted: redacted.to_string(),
        })
    }
}

impl DatabaseUrl {
    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// The full URL, password included. Only for opening connections.
    pub fn expose(&self) -> &str {
        self.url.expose_secret()
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

/// Everything needed to open the connection pool.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: DatabaseUrl,
    pub max_connections: u32,
    pub connect_timeout: Duration,
    /// How long a SQLite writer waits for the lock before giving up.
    pub sqlite_busy_timeout: Duration,
}

impl DatabaseConfig {
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
        }
    }
}

/// Opens the pool. SQLite gets foreign keys, WAL, a busy timeout and is created if missing;
/// statement logging is off on both backends (it costs more than the queries on hot paths).
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.url.expose().to_owned());
    options
        .max_connections(config.max_connections)
        .connect_timeout(config.connect_timeout)
        .acquire_timeout(config.connect_timeout)
        .sqlx_logging(false);
    if config.url.backend() == DbBackend::Sqlite {
        let busy = config.sqlite_busy_timeout;
        options.map_sqlx_sqlite_opts(move |o| {
            o.create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(busy)
        });
    }
    let db = Database::connect(options).await?;
    db.execute_unprepared("SELECT 1").await?;
    Ok(db)
}

/// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: a deferred
/// transaction that reads first and then writes fails at once with `SQLITE_BUSY` when another
/// connection wrote in between (the busy timeout does not apply to that upgrade); taking the
/// write lock up front makes it wait its turn instead. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A `LIKE` pattern matching values that contain `part` literally: its `%`, `_` and `\` are
/// escaped, so a search for `50%` is not a wildcard.
pub fn contains_literally(part: &str) -> sea_orm::sea_query::LikeExpr {
    let escaped = part
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// Whether the error is a unique-constraint violation, on either backend.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Whether the error is a foreign-key violation, on either backend.
pub fn is_foreign_key_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    )
}

/// Whether the error means the database could not be reached (as opposed to a bad query).
pub fn is_unavailable(err: &DbErr) -> bool {
    matches!(err, DbErr::Conn(_) | DbErr::ConnectionAcquire(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show_in_debug_or_display() {
        let url: DatabaseUrl = "postgres://app:hunter2@db:5432/cinema".parse().unwrap();
        assert!(!format!("{url:?}").contains("hunter2"));
        assert!(!url.to_string().contains("hunter2"));
        assert_eq!(url.expose(), "postgres://app:hunter2@db:5432/cinema");
        assert_eq!(url.backend(), DbBackend::Postgres);
    }

    #[test]
    fn unsupported_schemes_are_named() {
        let err = "mysql://x/y".parse::<DatabaseUrl>().unwrap_err();
        assert_eq!(err, DatabaseUrlError::UnsupportedScheme("mysql".into()));
        assert!(matches!(
            "not a url".parse::<DatabaseUrl>(),
            Err(DatabaseUrlError::Malformed(_))
        ));
    }

    #[tokio::test]
    async fn sqlite_opens_with_foreign_keys_and_wal() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("k.db").display());
        let db = connect(&DatabaseConfig::new(url.parse().unwrap()))
            .await
            .unwrap();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "SELECT (SELECT foreign_keys FROM pragma_foreign_keys) AS fk, \
                 (SELECT journal_mode FROM pragma_journal_mode) AS jm",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i32>("", "fk").unwrap(), 1);
        assert_eq!(row.try_get::<String>("", "jm").unwrap(), "wal");
    }
}
