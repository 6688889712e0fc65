//! Billing: payments (what a gateway took for an order, with an item per order item),
//! checkout sessions opened at the gateway (reused while open, so a second checkout call never
//! opens another), and the ids of processed webhook events (inserted in the same transaction
//! as the event's effects, so an event takes effect exactly once).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables, with `{id}` standing for each backend's auto-incrementing key.
const TABLES: &[&str] = &[
    "CREATE TABLE payments (
         id {id},
         user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
         status VARCHAR(16) NOT NULL,
         amount_cents BIGINT NOT NULL,
         currency VARCHAR(3) NOT NULL,
         gateway VARCHAR(16) NOT NULL,
         session_id VARCHAR(255),
         payment_intent_id VARCHAR(255),
         refund_id VARCHAR(255),
         created_at BIGINT NOT NULL,
         updated_at BIGINT NOT NULL
     )",
    "CREATE INDEX payments_user ON payments (user_id, created_at, id)",
    "CREATE INDEX payments_created ON payments (created_at, id)",
    "CREATE INDEX payments_order ON payments (order_id)",
    "CREATE UNIQUE INDEX payments_intent ON payments (payment_intent_id)",
    "CREATE TABLE payment_items (
         id {id},
         payment_id BIGINT NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
         order_item_id BIGINT REFERENCES order_items (id) ON DELETE SET NULL,
         movie_id BIGINT,
         title VARCHAR(500) NOT NULL,
         price_cents BIGINT NOT NULL
     )",
    "CREATE INDEX payment_items_payment ON payment_items (payment_id)",
    "CREATE TABLE checkout_sessions (
         id VARCHAR(255) PRIMARY KEY,
         order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
         gateway VARCHAR(16) NOT NULL,
         kind VARCHAR(16) NOT NULL,
         amount_cents BIGINT NOT NULL,
         currency VARCHAR(3) NOT NULL,
         url TEXT,
         client_secret TEXT,
         status VARCHAR(16) NOT NULL,
         expires_at BIGINT NOT NULL,
         created_at BIGINT NOT NULL
     )",
    "CREATE INDEX checkout_sessions_order ON checkout_sessions (order_id, kind, status)",
    "CREATE TABLE webhook_events (
         id VARCHAR(255) PRIMARY KEY,
         type VARCHAR(100) NOT NULL,
         received_at BIGINT NOT NULL
     )",
];

const DOWN: &[&str] = &[
    "DROP TABLE webhook_events",
    "DROP TABLE checkout_sessions",
    "DROP TABLE payment_items",
    "DROP TABLE payments",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_with_ids(manager, TABLES).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, DOWN, DOWN).await
    }
}
