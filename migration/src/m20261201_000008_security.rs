//! Security hardening: an account an admin disabled stays disabled (`users.disabled_at`), and
//! abuse limits counted in the database so that every instance shares them (`rate_limits`:
//! fixed windows per bucket, e.g. `mail:ann@example.com`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "ALTER TABLE users ADD COLUMN disabled_at BIGINT",
    "CREATE TABLE rate_limits (
         bucket VARCHAR(400) NOT NULL,
         window_start BIGINT NOT NULL,
         hits INTEGER NOT NULL,
         last_hit_at BIGINT NOT NULL,
         expires_at BIGINT NOT NULL,
         PRIMARY KEY (bucket, window_start)
     )",
    "CREATE INDEX rate_limits_expires_at ON rate_limits (expires_at)",
];

const DOWN: &[&str] = &[
    "DROP TABLE rate_limits",
    "ALTER TABLE users DROP COLUMN disabled_at",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, UP, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, DOWN, DOWN).await
    }
}
