//! One order item a payment paid for, at the price paid.

use sea_orm::entity::prelude::*;

/// A movie a payment paid for.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_items")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The payment.
    pub payment_id: i64,
    /// The order item it paid (kept as `None` if that goes).
    pub order_item_id: Option<i64>,
    /// The movie (`None` once it is deleted).
    pub movie_id: Option<i64>,
    /// The movie's title when it was bought (kept if the movie goes).
    pub title: String,
    /// The price paid, in cents.
    pub price_cents: i64,
    /// When it was sold: its payment's time (epoch milliseconds).
    pub sold_at: i64,
    /// When its payment was refunded, if it was.
    pub refunded_at: Option<i64>,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
