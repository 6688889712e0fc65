//! Payments opened at a real gateway: each checkout session or PaymentIntent of an order is
//! its numbered attempt, recorded once (concurrent calls that raced to the gateway keep the
//! first answer), and its number is part of the idempotency key sent to the gateway. Money
//! owed back is found by status.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "ALTER TABLE checkout_sessions ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0",
    // Rows from before this migration: numbered by age within their order and kind.
    "UPDATE checkout_sessions SET attempt = (
         SELECT COUNT(*) FROM checkout_sessions earlier
         WHERE earlier.order_id = checkout_sessions.order_id
           AND earlier.kind = checkout_sessions.kind
           AND (earlier.created_at < checkout_sessions.created_at
                OR (earlier.created_at = checkout_sessions.created_at
                    AND earlier.id < checkout_sessions.id))
     )",
    "CREATE UNIQUE INDEX checkout_sessions_attempt ON checkout_sessions (order_id, kind, attempt)",
    "CREATE INDEX payments_status ON payments (status, created_at, id)",
];

const DOWN: &[&str] = &[
    "DROP INDEX payments_status",
    "DROP INDEX checkout_sessions_attempt",
    "ALTER TABLE checkout_sessions DROP COLUMN attempt",
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
