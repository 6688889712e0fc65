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
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
    sea_query::{Expr, LockType},
};

impl Commerce {
    pub(super) fn expires_at(&self, now: i64) -> i64 {
        now + cinema_kernel::time::millis(self.config.pending_ttl)
    }

    /// Turns the whole cart into one pending order (see [`Commerce::place_order_in`]).
    pub async fn place_order(&self, db: &DatabaseConnection, user_id: UserId) -> Result<Placed> {
        let user_id = user_id.get();
        let txn = db::begin_write(db).await?;
        let placed = self.place_order_in(&txn, UserId(user_id)).await?;
        txn.commit().await?;
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

    /// The sum of these prices, within the order limit ([`Error::TotalTooLarge`]).
    fn total_of(&self, cart: &[(i64, String, i64)]) -> Result<i64> {
        let limit = self.config().max_total;
        Ok(Money::checked_sum(cart.iter().map(|(_, _, price)| *price))
            .filter(|total| *total <= limit)
            .ok_or(Error::TotalTooLarge { limit })?
            .cents())
    }
}
