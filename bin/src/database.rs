//! Opening the database and bringing its schema up to date.

use cinema_kernel::db::{self, DatabaseConfig};
use cinema_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait};

/// An arbitrary constant that names Cinema's migration lock on PostgreSQL.
const MIGRATION_LOCK_KEY: i64 = 0x0C1_4E4A;

pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    db::connect(config).await
}

/// Applies pending migrations. On PostgreSQL a transaction-scoped advisory lock serialises
/// processes that start together (an API and its workers), so each migration runs once.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    let lock = db.begin().await?;
    lock.execute_unprepared(&format!(
        "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
    ))
    .await?;
    let result = Migrator::up(db, None).await;
    lock.commit().await?;
    result
}
