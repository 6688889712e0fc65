//! Orders: placed from the whole cart in one transaction, read, canceled, expired, re-priced
//! before payment, paid and refunded. Every status change goes through
//! [`crate::status::transition`] and a guarded update of a locked row.

use cinema_kernel::Fail;
use cinema_kernel::{MovieId, OrderId, UserId};
use std::collections::HashMap;

use cinema_catalog::entity::movie;
use cinema_kernel::{
    Money, db,
    page::{Page, PageRequest},
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, LockType},
};

use crate::{
    Commerce, Error, OrderStatus, Result, SkipReason, Skipped, Trigger,
    entity::{cart_item, order, order_item},
    library,
    lock::lock_user,
    skipped::{Holding, holdings},
    status::{TransitionError, transition},
};

/// An order with its items (by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderView {
    pub order: order::Model,
    pub items: Vec<order_item::Model>,
}

impl OrderView {
    pub fn status(&self) -> OrderStatus {
        status_of(&self.order)
    }

    pub fn total(&self) -> Money {
        Money::from_cents(self.order.total_cents).unwrap_or_default()
    }
}

/// A new order and the cart's movies that were left out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub order: OrderView,
    pub skipped: Vec<Skipped>,
}

/// Who is looking at or acting on an order: its owner sees only their own (someone else's
/// reads as missing); staff see every order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    User(i64),
    Staff,
}

impl Viewer {
    fn may_see(self, order: &order::Model) -> bool {
        match self {
            Viewer::User(id) => order.user_id == id,
            Viewer::Staff => true,
        }
    }
}

/// Which orders a list holds. Times are epoch milliseconds; `created_before` is exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub user_id: Option<i64>,
    pub status: Option<OrderStatus>,
    pub created_from: Option<i64>,
    pub created_before: Option<i64>,
}

/// A pending order checked against current prices and availability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repriced {
    pub order: OrderView,
    /// The total before, when it changed: the caller commits the update and reports
    /// [`Error::TotalChanged`] (see [`Repriced::unchanged`]) instead of charging.
    pub previous_total: Option<Money>,
}

impl Repriced {
    /// The order when its total did not change; [`Error::TotalChanged`] otherwise.
    pub fn unchanged(self) -> Result<OrderView> {
        match self.previous_total {
            None => Ok(self.order),
            Some(old) => Err(Error::TotalChanged {
                order_id: self.order.order.id,
                old,
                new: self.order.total(),
            }),
        }
    }
}

/// A payment whose signature, amount, currency and order the billing slice verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedPayment {
    pub amount: Money,
}

/// The stored status (an unknown value reads as canceled: nothing can happen to it).
fn status_of(order: &order::Model) -> OrderStatus {
    OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Canceled)
}

/// The items of these orders, by order, each list by id.
async fn items_of<C: ConnectionTrait>(
    db: &C,
    order_ids: &[i64],
) -> Result<HashMap<i64, Vec<order_item::Model>>> {
    let mut by_order: HashMap<i64, Vec<order_item::Model>> = HashMap::new();
    if order_ids.is_empty() {
        return Ok(by_order);
    }
    for item in order_item::Entity::find()
        .filter(order_item::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_item::Column::Id)
        .all(db)
        .await?
    {
        by_order.entry(item.order_id).or_default().push(item);
    }
    Ok(by_order)
}

async fn view_of<C: ConnectionTrait>(db: &C, order: order::Model) -> Result<OrderView> {
    let items = items_of(db, &[order.id])
        .await?
        .remove(&order.id)
        .unwrap_or_default();
    Ok(OrderView { order, items })
}

/// The order, locked for the rest of the transaction, if `viewer` may see it.
async fn lock_order(
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
async fn change_status(
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
fn stale(now: i64) -> Condition {
    Condition::all()
        .add(order::Column::Status.eq(OrderStatus::Pending.as_str()))
        .add(order::Column::ExpiresAt.lte(now))
}

/// Expires the stale pending orders matching `scope`, in one statement.
async fn expire_where<C: ConnectionTrait>(db: &C, scope: Condition, now: i64) -> Result<u64> {
    transition(OrderStatus::Pending, OrderStatus::Expired, Trigger::Expiry)?;
    Ok(order::Entity::update_many()
        .col_expr(
            order::Column::Status,
            Expr::value(OrderStatus::Expired.as_str()),
        )
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(stale(now))
        .filter(scope)
        .exec(db)
        .await?
        .rows_affected)
}

impl Commerce {
    fn expires_at(&self, now: i64) -> i64 {
        now + cinema_kernel::time::millis(self.config.pending_ttl)
    }

    /// Turns the whole cart into one pending order (see [`Commerce::place_order_in`]).
    pub async fn place_order(&self, db: &DatabaseConnection, user_id: UserId) -> Result<Placed> {
        let user_id = user_id.get();
        let txn = db::begin_write(db).await?;
        let placed = self.place_order_in(&txn, UserId(user_id)).await?;
        txn.commit().await?;
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

    /// One order, if `viewer` may see it (someone else's is [`Common::NotFound`](cinema_kernel::Common::NotFound)).
    pub async fn order<C: ConnectionTrait>(
        &self,
        db: &C,
        viewer: Viewer,
        order_id: OrderId,
    ) -> Result<OrderView> {
        let order_id = order_id.get();
        let order = order::Entity::find_by_id(order_id)
            .one(db)
            .await?
            .filter(|o| viewer.may_see(o))
            .ok_or_else(|| Error::not_found(format!("Order {order_id}")))?;
        view_of(db, order).await
    }

    /// Orders, newest first (ties by id), with the exact total: three queries, whatever the
    /// page size.
    pub async fn orders<C: ConnectionTrait>(
        &self,
        db: &C,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<OrderView>> {
        let mut condition = Condition::all();
        if let Some(user_id) = filter.user_id {
            condition = condition.add(order::Column::UserId.eq(user_id));
        }
        if let Some(status) = filter.status {
            condition = condition.add(order::Column::Status.eq(status.as_str()));
        }
        if let Some(from) = filter.created_from {
            condition = condition.add(order::Column::CreatedAt.gte(from));
        }
        if let Some(before) = filter.created_before {
            condition = condition.add(order::Column::CreatedAt.lt(before));
        }
        let total = order::Entity::find()
            .filter(condition.clone())
            .count(db)
            .await?;
        let orders = order::Entity::find()
            .filter(condition)
            .order_by_desc(order::Column::CreatedAt)
            .order_by_desc(order::Column::Id)
            .offset(page.skip())
            .limit(page.limit())
            .all(db)
            .await?;
        let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
        let mut items = items_of(db, &ids).await?;
        let views = orders
            .into_iter()
            .map(|order| OrderView {
                items: items.remove(&order.id).unwrap_or_default(),
                order,
            })
            .collect();
        Ok(Page::new(views, total, page))
    }

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
        let view = view_of(&txn, order).await?;
        txn.commit().await?;
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
        expire_where(db, Condition::all(), self.now()).await
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
