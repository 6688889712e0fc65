//! A movie a user owns: one row per (user, movie), granted by a payment, revoked by a refund.

use sea_orm::entity::prelude::*;

/// A movie a user owns (may watch).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ownerships")]
pub struct Model {
    /// The account.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The movie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i64,
    /// The order that paid for it.
    pub order_id: Option<i64>,
    /// When it was granted (epoch milliseconds).
    pub granted_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
