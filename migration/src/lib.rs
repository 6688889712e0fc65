//! Cinema's database schema, one migration per change, for SQLite and PostgreSQL.
//!
//! Migrations use sea-orm-migration's schema builder only and never the slices' entities, so
//! an old migration keeps meaning what it meant when an entity changes later.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_jobs;
mod m20261122_000002_create_identity;
mod m20261122_000003_create_catalog;
mod m20261122_000004_movie_count;
mod m20261122_000005_create_media;
mod m20261122_000006_search_terms;
mod m20261122_000007_sort_nulls_last;
mod m20261201_000008_security;
mod m20261202_000009_commerce;
mod m20261202_000010_billing;
mod m20261202_000011_payment_attempts;
mod m20261202_000012_engagement;
mod m20261203_000013_catalog_version;
mod m20261203_000014_genre_years;
mod m20261203_000015_movie_phrases;
mod m20261206_000016_security_two;
mod m20261206_000017_watch;
mod m20261207_000018_sales;
mod m20261207_000019_audit_log;
mod m20261207_000020_holds;
mod m20261208_000021_search_changes;
mod m20261209_000022_session_changes;

/// A digest of every migration's source text (see `build.rs`): it changes whenever any
/// migration does, so caches of migrated databases can be keyed by it.
pub const DIGEST: &str = env!("MIGRATIONS_DIGEST");

#[derive(Debug)]
pub struct Migrator;

/// Runs raw statements written per backend, in order: `postgres` on PostgreSQL, `sqlite`
/// elsewhere.
async fn run_raw(
    manager: &SchemaManager<'_>,
    postgres: &[&str],
    sqlite: &[&str],
) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        sea_orm_migration::sea_orm::DbBackend::Postgres => postgres,
        _ => sqlite,
    };
    for sql in statements {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

/// Runs raw statements in which `{id}` stands for an auto-incrementing primary key, written
/// the way each backend spells it.
async fn run_with_ids(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let spell = |id: &str| -> Vec<String> {
        statements
            .iter()
            .map(|sql| sql.replace("{id}", id))
            .collect()
    };
    let (postgres, sqlite) = (
        spell("BIGSERIAL PRIMARY KEY"),
        spell("INTEGER PRIMARY KEY AUTOINCREMENT"),
    );
    let postgres: Vec<&str> = postgres.iter().map(String::as_str).collect();
    let sqlite: Vec<&str> = sqlite.iter().map(String::as_str).collect();
    run_raw(manager, &postgres, &sqlite).await
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_jobs::Migration),
            Box::new(m20261122_000002_create_identity::Migration),
            Box::new(m20261122_000003_create_catalog::Migration),
            Box::new(m20261122_000004_movie_count::Migration),
            Box::new(m20261122_000005_create_media::Migration),
            Box::new(m20261122_000006_search_terms::Migration),
            Box::new(m20261122_000007_sort_nulls_last::Migration),
            Box::new(m20261201_000008_security::Migration),
            Box::new(m20261202_000009_commerce::Migration),
            Box::new(m20261202_000010_billing::Migration),
            Box::new(m20261202_000011_payment_attempts::Migration),
            Box::new(m20261202_000012_engagement::Migration),
            Box::new(m20261203_000013_catalog_version::Migration),
            Box::new(m20261203_000014_genre_years::Migration),
            Box::new(m20261203_000015_movie_phrases::Migration),
            Box::new(m20261206_000016_security_two::Migration),
            Box::new(m20261206_000017_watch::Migration),
            Box::new(m20261207_000018_sales::Migration),
            Box::new(m20261207_000019_audit_log::Migration),
            Box::new(m20261207_000020_holds::Migration),
            Box::new(m20261208_000021_search_changes::Migration),
            Box::new(m20261209_000022_session_changes::Migration),
        ]
    }
}
