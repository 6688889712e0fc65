//! An order's life after it is placed: canceled by its owner or staff, expired when stale,
//! and — for billing, inside its transaction — re-priced before payment, paid, refunded.

use super::{OrderView, Repriced, VerifiedPayment, Viewer, items_of, status_of, view_of};
use crate::{
    Commerce, Error, OrderStatus, Result, Trigger,
    entity::{order, order_item},
    holds, library,
    status::{TransitionError, transition},
};
use cinema_catalog::entity::movie;
use cinema_kernel::Fail;
use cinema_kernel::{Money, db};
use cinema_kernel::{MovieId, OrderId, UserId};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect,
    sea_query::{Expr, LockType},
};
use std::collections::HashMap;

impl Commerce {
    /// Cancels a pending order. Only pending orders can be canceled (a paid one is undone by
    /// a refund); one whose time ran out is expired instead, and the answer says so.
    pub async fn cancel_order(
        &self,
        db: &DatabaseConnection,
        viewer: Viewer,
        order_id: OrderId,
    ) -> Result<OrderView> {
        let order_id = order_id.get();
        let txn = db::begin_write(db).await?;
        let mut order = lock_order(&txn, viewer, order_id).await?;
        let now = self.now();
        if expire_where(
            &txn,
            Condition::all().add(order::Column::Id.eq(order_id)),
            now,
        )
        .await?
            > 0
        {
            // Committed on purpose: the order did expire, whatever this request becomes.
            txn.commit().await?;
            cinema_kernel::metrics::count(cinema_kernel::metrics::ORDERS, "outcome", "expired");
            return Err(Error::Transition(TransitionError {
                from: OrderStatus::Expired,
                to: OrderStatus::Canceled,
            }));
        }
        change_status(
            &txn,
            &mut order,
            OrderStatus::Canceled,
            Trigger::Cancel,
            now,
        )
        .await?;
        holds::release_orders(&txn, &[order_id]).await?;
        if viewer == Viewer::Staff {
            let summary = format!(
                "status: pending → canceled (user {}'s order of {} cents)",
                order.user_id, order.total_cents
            );
            let entry =
                cinema_kernel::audit::Entry::new("order.cancel", "order", order_id, summary);
            cinema_kernel::audit::record_in(&txn, self.actor.as_ref(), now, entry).await?;
        }
        let view = view_of(&txn, order).await?;
        txn.commit().await?;
        cinema_kernel::metrics::count(cinema_kernel::metrics::ORDERS, "outcome", "canceled");
        Ok(view)
    }

    /// The status change a client may ask for: only `canceled` (see
    /// [`Commerce::cancel_order`]); anything else follows from payments, refunds and time.
    pub async fn request_status(
        &self,
        db: &DatabaseConnection,
        viewer: Viewer,
        order_id: OrderId,
        requested: OrderStatus,
    ) -> Result<OrderView> {
        let order_id = order_id.get();
        if requested != OrderStatus::Canceled {
            // Still a 404 for someone else's order: the status asked for says nothing.
            self.order(db, viewer, OrderId(order_id)).await?;
            return Err(Error::NotRequestable(requested));
        }
        self.cancel_order(db, viewer, OrderId(order_id)).await
    }

    /// Expires every pending order whose time ran out, in one statement (safe to run from any
    /// number of workers at once); returns how many.
    pub async fn expire_stale<C: ConnectionTrait>(&self, db: &C) -> Result<u64> {
        let expired = expire_where(db, Condition::all(), self.now()).await?;
        // One statement: when `db` is a connection it has committed; inside a caller's
        // transaction the count may run ahead of a rollback (the job passes a connection).
        cinema_kernel::metrics::count_n(
            cinema_kernel::metrics::ORDERS,
            "outcome",
            "expired",
            expired,
        );
        Ok(expired)
    }

    /// Checks a pending order against current prices and availability before payment, inside
    /// the caller's transaction (the order stays locked until it ends). Items whose movie is
    /// gone are removed and changed prices updated; an order left empty is canceled. When the
    /// total changed the caller commits and reports it ([`Repriced::unchanged`]), never
    /// charging silently. An order that is not pending is [`Error::Transition`].
    pub async fn reprice_in(
        &self,
        txn: &DatabaseTransaction,
        viewer: Viewer,
        order_id: OrderId,
    ) -> Result<Repriced> {
        let order_id = order_id.get();
        let mut order = lock_order(txn, viewer, order_id).await?;
        let now = self.now();
        transition(status_of(&order), OrderStatus::Paid, Trigger::Payment)?;
        let items = items_of(txn, &[order_id])
            .await?
            .remove(&order_id)
            .unwrap_or_default();
        let ids: Vec<i64> = items.iter().filter_map(|i| i.movie_id).collect();
        let prices: HashMap<i64, i64> = movie::Entity::find()
            .select_only()
            .columns([movie::Column::Id, movie::Column::PriceCents])
            .filter(movie::Column::Id.is_in(ids))
            .lock(LockType::Share)
            .into_tuple::<(i64, i64)>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        let mut gone = Vec::new();
        let mut total: i64 = 0;
        let limit = self.config().max_total;
        for item in &items {
            match item.movie_id.and_then(|id| prices.get(&id)) {
                None => gone.push(item.id),
                Some(&price) => {
                    total = Money::checked_sum([total, price])
                        .filter(|t| *t <= limit)
                        .ok_or(Error::TotalTooLarge { limit })?
                        .cents();
                    if price != item.price_cents {
                        order_item::Entity::update_many()
                            .col_expr(order_item::Column::PriceCents, Expr::value(price))
                            .filter(order_item::Column::Id.eq(item.id))
                            .exec(txn)
                            .await?;
                    }
                }
            }
        }
        if total == order.total_cents && gone.is_empty() {
            return Ok(Repriced {
                order: OrderView { order, items },
                previous_total: None,
            });
        }
        let previous = Money::from_cents(order.total_cents).unwrap_or_default();
        if !gone.is_empty() {
            order_item::Entity::delete_many()
                .filter(order_item::Column::Id.is_in(gone))
                .exec(txn)
                .await?;
        }
        order::Entity::update_many()
            .col_expr(order::Column::TotalCents, Expr::value(total))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::Id.eq(order_id))
            .exec(txn)
            .await?;
        order.total_cents = total;
        order.updated_at = now;
        let view = view_of(txn, order.clone()).await?;
        if view.items.is_empty() {
            change_status(txn, &mut order, OrderStatus::Canceled, Trigger::Cancel, now).await?;
        }
        Ok(Repriced {
            order: view_of(txn, order).await?,
            previous_total: Some(previous),
        })
    }

    /// Marks a pending order paid and grants ownership of its movies, inside the billing
    /// slice's transaction (with the payment record and the e-mail). The payment must match
    /// the order's total exactly ([`Error::AmountMismatch`]); an order that is not pending is
    /// [`Error::Transition`]. A movie the user already owns is not granted twice.
    pub async fn pay_in(
        &self,
        txn: &DatabaseTransaction,
        order_id: OrderId,
        payment: &VerifiedPayment,
    ) -> Result<OrderView> {
        let order_id = order_id.get();
        // Movies before the order, in the order a forced movie deletion takes them, so the
        // two cannot deadlock.
        let movie_ids: Vec<i64> = order_item::Entity::find()
            .select_only()
            .column(order_item::Column::MovieId)
            .filter(order_item::Column::OrderId.eq(order_id))
            .filter(order_item::Column::MovieId.is_not_null())
            .into_tuple::<i64>()
            .all(txn)
            .await?;
        movie::Entity::find()
            .select_only()
            .column(movie::Column::Id)
            .filter(movie::Column::Id.is_in(movie_ids))
            .lock(LockType::KeyShare)
            .into_tuple::<i64>()
            .all(txn)
            .await?;
        let mut order = lock_order(txn, Viewer::Staff, order_id).await?;
        transition(status_of(&order), OrderStatus::Paid, Trigger::Payment)?;
        let expected = Money::from_cents(order.total_cents).unwrap_or_default();
        if payment.amount != expected {
            return Err(Error::AmountMismatch {
                order_id,
                expected,
                paid: payment.amount,
            });
        }
        let now = self.now();
        change_status(txn, &mut order, OrderStatus::Paid, Trigger::Payment, now).await?;
        let view = view_of(txn, order).await?;
        let movies: Vec<i64> = view.items.iter().filter_map(|i| i.movie_id).collect();
        library::grant_in(
            txn,
            UserId(view.order.user_id),
            &cinema_kernel::ids::typed::<MovieId>(&movies),
            Some(OrderId(order_id)),
            now,
        )
        .await?;
        Ok(view)
    }

    /// Marks a paid order refunded and takes back the ownership it granted, inside the
    /// billing slice's transaction.
    pub async fn refund_in(
        &self,
        txn: &DatabaseTransaction,
        order_id: OrderId,
    ) -> Result<OrderView> {
        let order_id = order_id.get();
        let mut order = lock_order(txn, Viewer::Staff, order_id).await?;
        let now = self.now();
        change_status(txn, &mut order, OrderStatus::Refunded, Trigger::Refund, now).await?;
        library::revoke_order_in(txn, UserId(order.user_id), OrderId(order_id)).await?;
        view_of(txn, order).await
    }
}

/// The order, locked for the rest of the transaction, if `viewer` may see it.
pub(super) async fn lock_order(
    txn: &DatabaseTransaction,
    viewer: Viewer,
    order_id: i64,
) -> Result<order::Model> {
    order::Entity::find_by_id(order_id)
        .lock(LockType::Update)
        .one(txn)
        .await?
        .filter(|o| viewer.may_see(o))
        .ok_or_else(|| Error::not_found(format!("Order {order_id}")))
}

/// Moves a locked order to `to` if the state machine allows it.
pub(super) async fn change_status(
    txn: &DatabaseTransaction,
    order: &mut order::Model,
    to: OrderStatus,
    trigger: Trigger,
    now: i64,
) -> Result<()> {
    let from = status_of(order);
    transition(from, to, trigger)?;
    order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(to.as_str()))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(order.id))
        .filter(order::Column::Status.eq(from.as_str()))
        .exec(txn)
        .await?;
    order.status = to.as_str().to_owned();
    order.updated_at = now;
    Ok(())
}

/// `status = pending AND expires_at <= now`: pending orders whose time ran out.
pub(super) fn stale(now: i64) -> Condition {
    Condition::all()
        .add(order::Column::Status.eq(OrderStatus::Pending.as_str()))
        .add(order::Column::ExpiresAt.lte(now))
}

/// Expires the stale pending orders matching `scope` and releases their holds: two
/// statements. Between them (outside a transaction) the holds already hold nothing — an order
/// hold holds only while its order is pending and in time.
pub(super) async fn expire_where<C: ConnectionTrait>(
    db: &C,
    scope: Condition,
    now: i64,
) -> Result<u64> {
    transition(OrderStatus::Pending, OrderStatus::Expired, Trigger::Expiry)?;
    let expired: Vec<i64> = order::Entity::update_many()
        .col_expr(
            order::Column::Status,
            Expr::value(OrderStatus::Expired.as_str()),
        )
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(stale(now))
        .filter(scope)
        .exec_with_returning(db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    holds::release_orders(db, &expired).await?;
    Ok(expired.len() as u64)
}
