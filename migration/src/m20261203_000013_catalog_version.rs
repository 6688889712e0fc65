//! The catalog version: one row whose counter every write to public catalog answers bumps in
//! its own transaction (see `cinema_catalog::cache::version`), so caches on every instance
//! learn of it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE catalog_version (id SMALLINT PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)",
    "INSERT INTO catalog_version (id, version) VALUES (1, 0)",
];

const DOWN: &[&str] = &["DROP TABLE catalog_version"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, UP, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, DOWN, DOWN).await
    }
}
