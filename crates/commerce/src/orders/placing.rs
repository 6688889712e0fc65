//! Placing an order: the whole cart, in one transaction — priced now, its holds moved from
//! the cart to the order.

use super::{OrderView, Placed};
use crate::{
    Commerce, Error, OrderStatus, Result,
    entity::{hold, order, order_item},
    holds::{cart_with_movies, move_to_order},
};
use cinema_catalog::entity::movie;
use cinema_kernel::UserId;
use cinema_kernel::{Money, db};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
    sea_query::{Expr, LockType},
};

/// Placing an order on PostgreSQL ([`Commerce::place_order_in`]): `$1` the user, `$2` now,
/// `$3` the order's expiry, `$4` the most one order may total. One row per item, in the cart's
/// order: the order's id and total, then the item.
const PLACE_ORDER: &str = "\
WITH next AS MATERIALIZED (SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id),
cart AS MATERIALIZED (
    SELECT h.movie_id, m.name, m.price_cents, h.added_at
    FROM holds h JOIN movies m ON m.id = h.movie_id
    WHERE h.user_id = $1 AND h.kind = 'cart'
    FOR SHARE OF m),
moved AS (
    UPDATE holds SET kind = 'order', order_id = (SELECT id FROM next), expires_at = $3
    WHERE user_id = $1 AND kind = 'cart' AND movie_id IN (SELECT movie_id FROM cart)
      AND (SELECT COALESCE(SUM(price_cents), 0) FROM cart) <= $4
    RETURNING movie_id),
bought AS MATERIALIZED (SELECT cart.* FROM cart JOIN moved USING (movie_id)),
placed AS (
    INSERT INTO orders (id, user_id, status, total_cents, created_at, updated_at, expires_at)
    SELECT (SELECT id FROM next), $1, 'pending', SUM(price_cents), $2, $2, $3
    FROM bought HAVING COUNT(*) > 0
    RETURNING id, total_cents),
items AS (
    INSERT INTO order_items (order_id, movie_id, title, price_cents)
    SELECT placed.id, bought.movie_id, bought.name, bought.price_cents
    FROM placed CROSS JOIN bought ORDER BY bought.added_at, bought.movie_id
    RETURNING id, movie_id, title, price_cents)
SELECT placed.id, placed.total_cents, items.id, items.movie_id, items.title, items.price_cents
FROM placed CROSS JOIN items ORDER BY items.id";

impl Commerce {
    pub(super) fn expires_at(&self, now: i64) -> i64 {
        now + cinema_kernel::time::millis(self.config.pending_ttl)
    }

    /// Turns the whole cart into one pending order (see [`Commerce::place_order_in`]). On
    /// PostgreSQL that is one statement, atomic by itself: no transaction is opened for it.
    pub async fn place_order(&self, db: &DatabaseConnection, user_id: UserId) -> Result<Placed> {
        let placed = if db.get_database_backend() == DbBackend::Postgres {
            self.place_in_one_statement(db, user_id).await?
        } else {
            let txn = db::begin_write(db).await?;
            let placed = self.place_order_in(&txn, user_id).await?;
            txn.commit().await?;
            placed
        };
        cinema_kernel::metrics::count(cinema_kernel::metrics::ORDERS, "outcome", "placed");
        Ok(placed)
    }

    /// Turns the whole cart into one pending order, inside the caller's transaction: each
    /// item keeps its current title and price, and the cart's holds move to the order. An
    /// empty cart is [`Error::EmptyCart`] — also when a concurrent placement moved the same
    /// holds first. Five statements, whatever the cart's size, and no lock on the user: the
    /// cart's holds cannot be owned or in another pending order (the holds' key refused that
    /// when they were added), so nothing is read to leave out; a concurrent placement finds
    /// the holds already moved.
    pub async fn place_order_in(
        &self,
        txn: &DatabaseTransaction,
        user_id: UserId,
    ) -> Result<Placed> {
        if txn.get_database_backend() == DbBackend::Postgres {
            return self.place_in_one_statement(txn, user_id).await;
        }
        let user_id = user_id.get();
        let now = self.now();
        // The movies share-locked (and only they: a share lock on the holds would deadlock two
        // placements each waiting to move them): a movie being deleted right now is waited
        // for and then left out, its hold deleted with it, and one locked here cannot be
        // deleted before this order commits.
        let mut query = cart_with_movies(user_id)
            .column(hold::Column::MovieId)
            .columns([movie::Column::Name, movie::Column::PriceCents])
            .order_by_asc(hold::Column::AddedAt)
            .order_by_asc(hold::Column::MovieId);
        QueryTrait::query(&mut query).lock_with_tables(LockType::Share, [movie::Entity]);
        let mut cart: Vec<(i64, String, i64)> = query.into_tuple().all(txn).await?;
        if cart.is_empty() {
            return Err(Error::EmptyCart);
        }
        let total = self.total_of(&cart)?;
        let mut order = order::Entity::insert(order::ActiveModel {
            user_id: Set(user_id),
            status: Set(OrderStatus::Pending.as_str().to_owned()),
            total_cents: Set(total),
            created_at: Set(now),
            updated_at: Set(now),
            expires_at: Set(self.expires_at(now)),
            ..Default::default()
        })
        .exec_with_returning(txn)
        .await?;
        let ids: Vec<i64> = cart.iter().map(|(id, _, _)| *id).collect();
        let moved = move_to_order(txn, user_id, &ids, order.id, order.expires_at).await?;
        if moved.is_empty() {
            return Err(Error::EmptyCart);
        }
        if moved.len() < cart.len() {
            // Some holds left the cart between the read and the move (a removal, a concurrent
            // placement): the order is what was moved.
            cart.retain(|(id, _, _)| moved.contains(id));
            order.total_cents = self.total_of(&cart)?;
            order::Entity::update_many()
                .col_expr(order::Column::TotalCents, Expr::value(order.total_cents))
                .filter(order::Column::Id.eq(order.id))
                .exec(txn)
                .await?;
        }
        let mut items =
            order_item::Entity::insert_many(cart.into_iter().map(|(movie_id, title, price)| {
                order_item::ActiveModel {
                    order_id: Set(order.id),
                    movie_id: Set(Some(movie_id)),
                    title: Set(title),
                    price_cents: Set(price),
                    ..Default::default()
                }
            }))
            .exec_with_returning(txn)
            .await?;
        // RETURNING promises no order; ids follow the cart's.
        items.sort_by_key(|i| i.id);
        Ok(Placed {
            order: OrderView { order, items },
        })
    }

    /// [`Commerce::place_order_in`] as one PostgreSQL statement: the order's id drawn first,
    /// the cart read with its movies share-locked (before any hold is touched: the lock order
    /// of a forced delete, movie then hold), the cart's holds moved to that id, and the order
    /// and its items written from what moved — so a hold a concurrent placement moved first is
    /// neither charged nor listed. The holds' reference to the order is checked at the
    /// statement's end, when the order exists. Nothing is written when the cart is empty or
    /// over the limit; which one is read afterwards.
    async fn place_in_one_statement<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: UserId,
    ) -> Result<Placed> {
        let user_id = user_id.get();
        let now = self.now();
        let expires_at = self.expires_at(now);
        let limit = self.config().max_total.cents();
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                PLACE_ORDER,
                [user_id.into(), now.into(), expires_at.into(), limit.into()],
            ))
            .await?;
        let Some(first) = rows.first() else {
            // Nothing moved: say why.
            let cart: Vec<(i64, String, i64)> = cart_with_movies(user_id)
                .column(hold::Column::MovieId)
                .columns([movie::Column::Name, movie::Column::PriceCents])
                .into_tuple()
                .all(db)
                .await?;
            if cart.is_empty() {
                return Err(Error::EmptyCart);
            }
            self.total_of(&cart)?;
            // Within the limit now: the cart changed meanwhile; as if it had been empty.
            return Err(Error::EmptyCart);
        };
        let order = order::Model {
            id: first.try_get_by_index(0)?,
            user_id,
            status: OrderStatus::Pending.as_str().to_owned(),
            total_cents: first.try_get_by_index(1)?,
            created_at: now,
            updated_at: now,
            expires_at,
        };
        let items = rows
            .iter()
            .map(|row| {
                Ok(order_item::Model {
                    id: row.try_get_by_index(2)?,
                    order_id: order.id,
                    movie_id: row.try_get_by_index(3)?,
                    title: row.try_get_by_index(4)?,
                    price_cents: row.try_get_by_index(5)?,
                })
            })
            .collect::<std::result::Result<Vec<_>, sea_orm::DbErr>>()?;
        Ok(Placed {
            order: OrderView { order, items },
        })
    }

    /// The sum of these prices, within the order limit ([`Error::TotalTooLarge`]).
    fn total_of(&self, cart: &[(i64, String, i64)]) -> Result<i64> {
        let limit = self.config().max_total;
        Ok(Money::checked_sum(cart.iter().map(|(_, _, price)| *price))
            .filter(|total| *total <= limit)
            .ok_or(Error::TotalTooLarge { limit })?
            .cents())
    }
}
