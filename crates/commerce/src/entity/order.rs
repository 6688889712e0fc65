//! An order: what a user asked to buy, in one [`crate::OrderStatus`].

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// The wire name of a [`crate::OrderStatus`].
    pub status: String,
    /// The sum of its items' prices.
    pub total_cents: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// When a pending order expires (the expiry job makes it `expired`).
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
