//! Sales analytics: each paid item carries when it was sold and, once refunded, when
//! (`payment_items.sold_at`, `refunded_at`), so revenue by movie, genre and period is read from
//! one covering index per direction, without visiting payments.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "ALTER TABLE payment_items ADD COLUMN sold_at BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE payment_items ADD COLUMN refunded_at BIGINT",
    "UPDATE payment_items SET sold_at = (
         SELECT p.created_at FROM payments p WHERE p.id = payment_items.payment_id
     )",
    // A refunded payment's last change is its refund.
    "UPDATE payment_items SET refunded_at = (
         SELECT p.updated_at FROM payments p
         WHERE p.id = payment_items.payment_id AND p.status = 'refunded'
     )",
    "CREATE INDEX payment_items_sold ON payment_items (sold_at, movie_id, price_cents)",
    "CREATE INDEX payment_items_refunded ON payment_items (refunded_at, movie_id, price_cents)
         WHERE refunded_at IS NOT NULL",
];

const DOWN: &[&str] = &[
    "DROP INDEX payment_items_refunded",
    "DROP INDEX payment_items_sold",
    "ALTER TABLE payment_items DROP COLUMN refunded_at",
    "ALTER TABLE payment_items DROP COLUMN sold_at",
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
