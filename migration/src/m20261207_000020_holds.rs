//! Holds: one row per (user, movie) that the user holds in any way — in the cart, in a pending
//! order, or owned — so the database itself refuses a second hold of the same movie. The cart
//! table becomes it (a cart line is a hold of kind `cart`); moving a movie from the cart to an
//! order and from the order to the library changes the row's kind, never its key, so an add
//! racing any of those meets the row and is refused by the primary key alone, with no lock on
//! the user and no read of what the user holds. `ownerships` stays the library; every
//! ownership has its `owned` hold.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The same on both backends. `WHERE 1 = 1` keeps SQLite from reading `ON CONFLICT` as part of
/// the `SELECT`'s join.
const UP: &[&str] = &[
    "ALTER TABLE cart_items RENAME TO holds",
    "ALTER TABLE holds ADD COLUMN kind VARCHAR(8) NOT NULL DEFAULT 'cart'",
    "ALTER TABLE holds ADD COLUMN order_id BIGINT REFERENCES orders (id) ON DELETE CASCADE",
    "ALTER TABLE holds ADD COLUMN expires_at BIGINT",
    "DROP INDEX cart_items_movie",
    "CREATE INDEX holds_movie ON holds (movie_id, kind)",
    "CREATE INDEX holds_order ON holds (order_id)",
    // Pending orders hold their movies (the newest order, should two ever share one).
    "INSERT INTO holds (user_id, movie_id, added_at, kind, order_id, expires_at)
     SELECT o.user_id, i.movie_id, MAX(o.created_at), 'order', MAX(o.id), MAX(o.expires_at)
     FROM order_items i JOIN orders o ON o.id = i.order_id
     WHERE o.status = 'pending' AND i.movie_id IS NOT NULL AND 1 = 1
     GROUP BY o.user_id, i.movie_id
     ON CONFLICT (user_id, movie_id) DO UPDATE
     SET kind = 'order', order_id = excluded.order_id, expires_at = excluded.expires_at",
    // The library holds its movies, whatever else held them.
    "INSERT INTO holds (user_id, movie_id, added_at, kind, order_id)
     SELECT user_id, movie_id, granted_at, 'owned', order_id FROM ownerships WHERE 1 = 1
     ON CONFLICT (user_id, movie_id) DO UPDATE
     SET kind = 'owned', order_id = excluded.order_id, expires_at = NULL",
];

const DOWN_POSTGRES: &[&str] = &[
    "DELETE FROM holds WHERE kind <> 'cart'",
    "DROP INDEX holds_order",
    "DROP INDEX holds_movie",
    "ALTER TABLE holds DROP COLUMN expires_at",
    "ALTER TABLE holds DROP COLUMN order_id",
    "ALTER TABLE holds DROP COLUMN kind",
    "ALTER TABLE holds RENAME TO cart_items",
    "CREATE INDEX cart_items_movie ON cart_items (movie_id)",
];

/// SQLite cannot drop a column with a foreign key: the cart table is rebuilt.
const DOWN_SQLITE: &[&str] = &[
    "CREATE TABLE cart_items (
         user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         movie_id BIGINT NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
         added_at BIGINT NOT NULL,
         PRIMARY KEY (user_id, movie_id)
     )",
    "INSERT INTO cart_items (user_id, movie_id, added_at)
     SELECT user_id, movie_id, added_at FROM holds WHERE kind = 'cart'",
    "DROP TABLE holds",
    "CREATE INDEX cart_items_movie ON cart_items (movie_id)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, UP, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, DOWN_POSTGRES, DOWN_SQLITE).await
    }
}
