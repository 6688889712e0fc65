//! Opening the database and bringing its schema up to date.

use cinema_kernel::db::{self, DatabaseConfig};
use cinema_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};

/// An arbitrary constant that names Cinema's migration lock on PostgreSQL.
const MIGRATION_LOCK_KEY: i64 = 0x0C1_4E4A;

/// Migrates through a short-lived one-connection pool, then opens the serving pool.
///
/// SQLite connections that were open while the schema changed can keep a stale view of it and
/// fail to *prepare* statements that need a new index (for example `ON CONFLICT` on a new
/// unique index), so the pool that serves requests is only opened afterwards.
pub async fn connect_migrated(config: &DatabaseConfig) -> Result<DatabaseConnection, StartError> {
    let migrator = db::connect(&DatabaseConfig {
        max_connections: 2,
        ..config.clone()
    })
    .await
    .map_err(StartError::Connect)?;
    migrate_up(&migrator).await.map_err(StartError::Migrate)?;
    migrator.close().await.map_err(StartError::Connect)?;
    db::connect(config).await.map_err(StartError::Connect)
}

/// Why the database could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Connect(DbErr),
    #[error("cannot apply database migrations: {0}")]
    Migrate(DbErr),
}

/// Applies pending migrations. On PostgreSQL a transaction-scoped advisory lock serialises
/// processes that start together (an API and its workers), so each migration runs once.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    let lock = cinema_kernel::db::begin_write(db).await?;
    lock.execute_unprepared(&format!(
        "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
    ))
    .await?;
    let result = Migrator::up(db, None).await;
    lock.commit().await?;
    result
}

/// Drops every table and migrates again. SQLite drops tables in no particular order, and
/// with foreign keys enforced dropping a parent before its child fails, so enforcement is
/// off for the drop (on this connection only: the caller passes a one-connection pool).
pub async fn fresh(db: &DatabaseConnection) -> Result<(), DbErr> {
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    if sqlite {
        db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    }
    let result = Migrator::fresh(db).await;
    if sqlite {
        db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    }
    result
}
