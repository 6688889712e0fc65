//! Opening the database and reading its errors the same way on SQLite and PostgreSQL.

use std::{fmt, str::FromStr, time::Duration};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqlErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use sea_orm::{RuntimeErr, sqlx};
use secrecy::{ExposeSecret, SecretString};

use crate::ErrorKind;

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
    /// A URL that does not parse.
    Malformed(String),
    #[error("uses the unsupported scheme `{0}` (use sqlite:// or postgres://)")]
    /// A scheme other than `sqlite:` or `postgres:`.
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
    /// Which database the URL names.
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
    /// Where the database is.
    pub url: DatabaseUrl,
    /// At most this many pooled connections.
    pub max_connections: u32,
    /// How long opening a connection may take.
    pub connect_timeout: Duration,
    /// How long a SQLite writer waits for the lock before giving up.
    pub sqlite_busy_timeout: Duration,
}

impl DatabaseConfig {
    /// `url` with the default pool size and connect timeout.
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
        }
    }
}

/// How long a pooled connection may sit idle before it is pinged at checkout.
pub const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// Opens the pool. SQLite gets foreign keys, WAL, a busy timeout and is created if missing;
/// statement logging is off on both backends (it costs more than the queries on hot paths), and
/// only connections idle for [`IDLE_BEFORE_PING`] are pinged before use.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let db = Database::connect(options(config, config.max_connections)).await?;
    db.execute_unprepared("SELECT 1").await?;
    Ok(db)
}

/// Opens the pool without connecting: its first use connects. For a server that may be down
/// when this process starts and is used only while it is up (a read replica).
pub async fn connect_lazy(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut options = options(config, config.max_connections);
    options.min_connections(0).connect_lazy(true);
    Database::connect(options).await
}

/// Opens a pool of one connection, lazily, for a health probe: it never queues behind the main
/// pool's busy connections, and opening it gives up after `timeout` (the main pool waits its
/// whole `connect_timeout`, which is what a balancer's probe must not see).
pub async fn connect_probe(
    config: &DatabaseConfig,
    timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    let config = DatabaseConfig {
        connect_timeout: timeout,
        ..config.clone()
    };
    let mut options = options(&config, 1);
    options.min_connections(0).connect_lazy(true);
    Database::connect(options).await
}

fn options(config: &DatabaseConfig, max_connections: u32) -> ConnectOptions {
    let mut options = ConnectOptions::new(config.url.expose().to_owned());
    options
        .max_connections(max_connections)
        .connect_timeout(config.connect_timeout)
        .acquire_timeout(config.connect_timeout)
        // The pool pings a connection on every checkout by default: a second round trip (and
        // a wake-up of the server process) for each statement, which on PostgreSQL cost a
        // quarter of a cold catalog read. Only a connection that has sat idle is checked: a
        // server restarted or a connection cut while the pool was quiet is found before use;
        // one cut while it is busy fails its statement, as it would mid-query anyway.
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
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
    options
}

/// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: a deferred
/// transaction that reads first and then writes fails at once with `SQLITE_BUSY` when another
/// connection wrote in between (the busy timeout does not apply to that upgrade); taking the
/// write lock up front makes it wait its turn instead. PostgreSQL ignores the mode.
#[expect(
    clippy::disallowed_methods,
    reason = "the one place that opens write transactions"
)]
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

/// What a database error means, decided the same way on SQLite and PostgreSQL. The crate that
/// made the query turns a constraint into a sentence for the client; the driver's text (table,
/// constraint and column names, SQL) is for the log only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFailure {
    /// A unique constraint refused a duplicate.
    UniqueViolation,
    /// A foreign key refused a reference to a missing row, or the deletion of a referenced one
    /// (typically a concurrent delete).
    ForeignKeyViolation,
    /// The database is unreachable, shutting down, or gave up on a lock or a serialization
    /// conflict: trying again later may work.
    Unavailable,
    /// Anything else: a bug.
    Other,
}

impl DbFailure {
    /// The kind of error this is for the caller.
    pub fn kind(self) -> ErrorKind {
        match self {
            DbFailure::UniqueViolation | DbFailure::ForeignKeyViolation => ErrorKind::Conflict,
            DbFailure::Unavailable => ErrorKind::Unavailable,
            DbFailure::Other => ErrorKind::Internal,
        }
    }

    /// A fixed sentence for the client, used when the crate that ran the query had nothing more
    /// precise to say. Never contains driver text.
    pub fn public_message(self) -> &'static str {
        match self {
            DbFailure::UniqueViolation => "This conflicts with something that already exists.",
            DbFailure::ForeignKeyViolation => {
                "Something this request refers to was removed meanwhile, or is still in use."
            }
            DbFailure::Unavailable => "The database is unavailable.",
            DbFailure::Other => "A database operation failed.",
        }
    }
}

/// SQLSTATE codes (PostgreSQL) and result codes (SQLite) that mean "try again later".
const RETRYABLE_CODES: &[&str] = &[
    "40001", // serialization_failure
    "40P01", // deadlock_detected
    "55P03", // lock_not_available
    "57P01", // admin_shutdown
    "57P02", // crash_shutdown
    "57P03", // cannot_connect_now
    "53300", // too_many_connections
    "5",     // SQLITE_BUSY
    "6",     // SQLITE_LOCKED
    "517",   // SQLITE_BUSY_SNAPSHOT
];

/// Classifies a database error.
pub fn classify(err: &DbErr) -> DbFailure {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => return DbFailure::UniqueViolation,
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => return DbFailure::ForeignKeyViolation,
        _ => {}
    }
    match err {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => DbFailure::Unavailable,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sqlx::Error::Database(db)
                    if db
                        .code()
                        .is_some_and(|c| RETRYABLE_CODES.contains(&c.as_ref())) =>
                {
                    DbFailure::Unavailable
                }
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => DbFailure::Unavailable,
                _ => DbFailure::Other,
            }
        }
        _ => DbFailure::Other,
    }
}

/// Whether the error is a unique-constraint violation, on either backend.
pub fn is_unique_violation(err: &DbErr) -> bool {
    classify(err) == DbFailure::UniqueViolation
}

/// Whether the error is a foreign-key violation, on either backend.
pub fn is_foreign_key_violation(err: &DbErr) -> bool {
    classify(err) == DbFailure::ForeignKeyViolation
}

/// Whether the error means the database could not be reached (as opposed to a bad query).
pub fn is_unavailable(err: &DbErr) -> bool {
    classify(err) == DbFailure::Unavailable
}

/// A database error on its way out of a slice: its `Display` is the fixed public sentence of
/// its [`DbFailure`], and the driver's text is only its `source()` (for the log). Every slice's
/// `Error::Database` wraps one, so no client ever sees SQL.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.failure().public_message())]
pub struct DatabaseError(#[source] pub DbErr);

impl DatabaseError {
    /// What kind of database failure this is.
    pub fn failure(&self) -> DbFailure {
        classify(&self.0)
    }

    /// The kind that decides the HTTP status (see [`DbFailure::kind`]).
    pub fn kind(&self) -> ErrorKind {
        self.failure().kind()
    }
}

impl From<DbErr> for DatabaseError {
    fn from(err: DbErr) -> Self {
        Self(err)
    }
}

/// The `n`th (1-based) bind placeholder of raw SQL: `$n` on PostgreSQL, `?n` on SQLite (which
/// numbers them too, so one value may be bound once and used twice).
pub fn placeholder(backend: sea_orm::DbBackend, n: usize) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    }
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
