//! An order: what a user asked to buy, in one [`crate::OrderStatus`].

use sea_orm::entity::prelude::*;

/// An order: one row of `orders`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account.
    pub user_id: i64,
    /// The wire name of a [`crate::OrderStatus`].
    pub status: String,
    /// The sum of its items' prices.
    pub total_cents: i64,
    /// When it was created (epoch milliseconds).
    pub created_at: i64,
    /// When it last changed (epoch milliseconds).
    pub updated_at: i64,
    /// When a pending order expires (the expiry job makes it `expired`).
    pub expires_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
