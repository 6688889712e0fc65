//! Placing an order: the whole cart, in one transaction on the buyer's locked row — what
//! cannot be bought is skipped and said, the rest priced now, the cart emptied.

use super::lifecycle::expire_where;
use super::{OrderView, Placed};
use crate::{
    Commerce, Error, OrderStatus, Result, SkipReason, Skipped,
    entity::{cart_item, order, order_item},
    lock::lock_user,
    skipped::{Holding, holdings},
};
use cinema_catalog::entity::movie;
use cinema_kernel::UserId;
use cinema_kernel::{Money, db};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect, sea_query::LockType,
};
use std::collections::HashMap;

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

    /// Turns the whole cart into one pending order, inside the caller's transaction. Movies
    /// already owned, in another pending order, or deleted meanwhile are left out and
    /// reported; each item keeps its current title and price; ordered movies leave the cart.
    /// An empty cart is [`Error::EmptyCart`]; nothing orderable is
    /// [`Error::NothingToOrder`]. A fixed number of statements, whatever the cart's size.
    pub async fn place_order_in(
        &self,
        txn: &DatabaseTransaction,
        user_id: UserId,
    ) -> Result<Placed> {
        let user_id = user_id.get();
        lock_user(txn, user_id).await?;
        let now = self.now();
        let in_cart: Vec<i64> = crate::cart::lines(txn, user_id)
            .await?
            .into_iter()
            .map(|(movie_id, _)| movie_id)
            .collect();
        if in_cart.is_empty() {
            return Err(Error::EmptyCart);
        }
        // Shared locks: a movie being deleted right now is waited for and then left out, and
        // one locked here cannot be deleted before this order commits.
        let available: HashMap<i64, (String, i64)> = movie::Entity::find()
            .select_only()
            .columns([
                movie::Column::Id,
                movie::Column::Name,
                movie::Column::PriceCents,
            ])
            .filter(movie::Column::Id.is_in(in_cart.iter().copied()))
            .lock(LockType::Share)
            .into_tuple::<(i64, String, i64)>()
            .all(txn)
            .await?
            .into_iter()
            .map(|(id, name, price)| (id, (name, price)))
            .collect();
        // An order whose time ran out no longer holds its movies, even before the job runs.
        // Only after the movie locks: a forced deletion locks the movie, then its pending
        // orders, and taking them the other way round here could deadlock with it.
        expire_where(
            txn,
            Condition::all().add(order::Column::UserId.eq(user_id)),
            now,
        )
        .await?;
        let held = holdings(txn, user_id, &in_cart, now).await?;
        let mut skipped = Vec::new();
        let mut included = Vec::new();
        for movie_id in in_cart {
            let reason = match (available.get(&movie_id), held.get(&movie_id)) {
                (None, _) => Some(SkipReason::Unavailable),
                (_, Some(Holding::Owned)) => Some(SkipReason::AlreadyOwned),
                (_, Some(Holding::InPendingOrder(order_id))) => Some(SkipReason::InPendingOrder {
                    order_id: *order_id,
                }),
                (Some(movie), _) => {
                    included.push((movie_id, movie.clone()));
                    None
                }
            };
            if let Some(reason) = reason {
                skipped.push(Skipped { movie_id, reason });
            }
        }
        if included.is_empty() {
            return Err(Error::NothingToOrder(skipped));
        }
        let limit = self.config().max_total;
        let total = Money::checked_sum(included.iter().map(|(_, (_, price))| *price))
            .filter(|total| *total <= limit)
            .ok_or(Error::TotalTooLarge { limit })?
            .cents();
        let order = order::Entity::insert(order::ActiveModel {
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
        let mut items =
            order_item::Entity::insert_many(included.iter().map(|(movie_id, (title, price))| {
                order_item::ActiveModel {
                    order_id: Set(order.id),
                    movie_id: Set(Some(*movie_id)),
                    title: Set(title.clone()),
                    price_cents: Set(*price),
                    ..Default::default()
                }
            }))
            .exec_with_returning(txn)
            .await?;
        // RETURNING promises no order; ids follow the cart's.
        items.sort_by_key(|i| i.id);
        cart_item::Entity::delete_many()
            .filter(cart_item::Column::UserId.eq(user_id))
            .filter(cart_item::Column::MovieId.is_in(included.iter().map(|(id, _)| *id)))
            .exec(txn)
            .await?;
        Ok(Placed {
            order: OrderView { order, items },
            skipped,
        })
    }
}
