//! Security, round two: known devices, so that an owner can sign in while others guess at the
//! account (`device_tokens`: the hash of an opaque token a successful sign-in hands out, with
//! the wrong passwords sent with it), a checkout's decline e-mailed once
//! (`checkout_sessions.declined_at`), and one refund request at a time per payment
//! (`payments.refund_claimed_at`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE device_tokens (
         id {id},
         user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         token_hash VARCHAR(64) NOT NULL,
         failures INTEGER NOT NULL DEFAULT 0,
         created_at BIGINT NOT NULL,
         last_used_at BIGINT NOT NULL,
         expires_at BIGINT NOT NULL
     )",
    "CREATE UNIQUE INDEX device_tokens_hash ON device_tokens (token_hash)",
    "CREATE INDEX device_tokens_user ON device_tokens (user_id)",
    "CREATE INDEX device_tokens_expires_at ON device_tokens (expires_at)",
    "ALTER TABLE checkout_sessions ADD COLUMN declined_at BIGINT",
    "ALTER TABLE payments ADD COLUMN refund_claimed_at BIGINT",
];

const DOWN: &[&str] = &[
    "ALTER TABLE payments DROP COLUMN refund_claimed_at",
    "ALTER TABLE checkout_sessions DROP COLUMN declined_at",
    "DROP TABLE device_tokens",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_with_ids(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, DOWN, DOWN).await
    }
}
