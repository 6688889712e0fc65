//! Orders: placed from the whole cart in one transaction, read, canceled, expired, re-priced
//! before payment, paid and refunded. Every status change goes through
//! [`crate::status::transition`] and a guarded update of a locked row.
//!
//! - `placing`: from the cart to a pending order;
//! - `reading`: one order or a page;
//! - `lifecycle`: cancel, expire, re-price, pay, refund.
//!
//! This file holds the order types and the helpers they share.

use std::collections::HashMap;

use cinema_kernel::Money;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    Error, OrderStatus, Result,
    entity::{order, order_item},
};

mod lifecycle;
mod placing;
mod reading;

/// An order with its items (by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderView {
    /// The order's row.
    pub order: order::Model,
    /// Its items, each with the price it was bought at.
    pub items: Vec<order_item::Model>,
}

impl OrderView {
    /// Its status.
    pub fn status(&self) -> OrderStatus {
        status_of(&self.order)
    }

    /// Its total.
    pub fn total(&self) -> Money {
        Money::from_cents(self.order.total_cents).unwrap_or_default()
    }
}

/// A new order. Nothing of the cart is ever left out of it: a cart cannot hold a movie that is
/// owned or in another pending order (the holds' key refuses it), and a deleted movie leaves
/// every cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The new order.
    pub order: OrderView,
}

/// Who is looking at or acting on an order: its owner sees only their own (someone else's
/// reads as missing); staff see every order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The owner: sees and acts on their own orders only.
    User(i64),
    /// A moderator or admin: sees every order.
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
    /// Only this user's orders.
    pub user_id: Option<i64>,
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Placed at or after (epoch milliseconds).
    pub created_from: Option<i64>,
    /// Placed before (epoch milliseconds).
    pub created_before: Option<i64>,
}

/// A pending order checked against current prices and availability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repriced {
    /// The order, updated if anything changed.
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
    /// What was paid.
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
