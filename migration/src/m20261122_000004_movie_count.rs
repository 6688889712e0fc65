//! An exact, maintained count of movies, so the unfiltered list does not count 100k rows on
//! every request. Triggers keep it right for every writer (the API, `cinema seed`, SQL).
//! PostgreSQL uses statement-level triggers with transition tables (one update per batch);
//! SQLite, which has only row-level triggers, one update per row.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE catalog_counts (name VARCHAR(32) PRIMARY KEY, value BIGINT NOT NULL)",
    "INSERT INTO catalog_counts (name, value) SELECT 'movies', COUNT(*) FROM movies",
    "CREATE OR REPLACE FUNCTION catalog_count_movies_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       UPDATE catalog_counts SET value = value + (SELECT COUNT(*) FROM inserted) WHERE name = 'movies';
       RETURN NULL;
     END $$",
    "CREATE OR REPLACE FUNCTION catalog_count_movies_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       UPDATE catalog_counts SET value = value - (SELECT COUNT(*) FROM deleted) WHERE name = 'movies';
       RETURN NULL;
     END $$",
    "CREATE TRIGGER movies_count_insert AFTER INSERT ON movies REFERENCING NEW TABLE AS inserted
     FOR EACH STATEMENT EXECUTE FUNCTION catalog_count_movies_inserted()",
    "CREATE TRIGGER movies_count_delete AFTER DELETE ON movies REFERENCING OLD TABLE AS deleted
     FOR EACH STATEMENT EXECUTE FUNCTION catalog_count_movies_deleted()",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS movies_count_insert ON movies",
    "DROP TRIGGER IF EXISTS movies_count_delete ON movies",
    "DROP FUNCTION IF EXISTS catalog_count_movies_inserted()",
    "DROP FUNCTION IF EXISTS catalog_count_movies_deleted()",
    "DROP TABLE IF EXISTS catalog_counts",
];

const SQLITE_UP: &[&str] = &[
    "CREATE TABLE catalog_counts (name VARCHAR(32) PRIMARY KEY, value BIGINT NOT NULL)",
    "INSERT INTO catalog_counts (name, value) SELECT 'movies', COUNT(*) FROM movies",
    "CREATE TRIGGER movies_count_insert AFTER INSERT ON movies BEGIN
       UPDATE catalog_counts SET value = value + 1 WHERE name = 'movies';
     END",
    "CREATE TRIGGER movies_count_delete AFTER DELETE ON movies BEGIN
       UPDATE catalog_counts SET value = value - 1 WHERE name = 'movies';
     END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS movies_count_insert",
    "DROP TRIGGER IF EXISTS movies_count_delete",
    "DROP TABLE IF EXISTS catalog_counts",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, POSTGRES_DOWN, SQLITE_DOWN).await
    }
}
