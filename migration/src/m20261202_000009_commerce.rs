//! Commerce: carts (one row per movie in a user's cart; reading a cart never creates rows),
//! orders with their items (each keeps the title and the price it was ordered at, and survives
//! the movie's deletion), and ownership (the library): one row per (user, movie), which the
//! catalog cannot delete a movie out from under.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables, with `{id}` standing for each backend's auto-incrementing key.
const TABLES: &[&str] = &[
    "CREATE TABLE cart_items (
         user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         movie_id BIGINT NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
         added_at BIGINT NOT NULL,
         PRIMARY KEY (user_id, movie_id)
     )",
    "CREATE INDEX cart_items_movie ON cart_items (movie_id)",
    "CREATE TABLE orders (
         id {id},
         user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         status VARCHAR(16) NOT NULL,
         total_cents BIGINT NOT NULL,
         created_at BIGINT NOT NULL,
         updated_at BIGINT NOT NULL,
         expires_at BIGINT NOT NULL
     )",
    "CREATE INDEX orders_user ON orders (user_id, created_at, id)",
    "CREATE INDEX orders_status_expiry ON orders (status, expires_at)",
    "CREATE INDEX orders_created ON orders (created_at, id)",
    "CREATE TABLE order_items (
         id {id},
         order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
         movie_id BIGINT REFERENCES movies (id) ON DELETE SET NULL,
         title VARCHAR(500) NOT NULL,
         price_cents BIGINT NOT NULL
     )",
    "CREATE UNIQUE INDEX order_items_order_movie ON order_items (order_id, movie_id)",
    "CREATE INDEX order_items_movie ON order_items (movie_id)",
    "CREATE TABLE ownerships (
         user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         movie_id BIGINT NOT NULL REFERENCES movies (id) ON DELETE RESTRICT,
         order_id BIGINT REFERENCES orders (id) ON DELETE SET NULL,
         granted_at BIGINT NOT NULL,
         PRIMARY KEY (user_id, movie_id)
     )",
    "CREATE INDEX ownerships_library ON ownerships (user_id, granted_at, movie_id)",
    "CREATE INDEX ownerships_movie ON ownerships (movie_id)",
];

const DOWN: &[&str] = &[
    "DROP TABLE ownerships",
    "DROP TABLE order_items",
    "DROP TABLE orders",
    "DROP TABLE cart_items",
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
