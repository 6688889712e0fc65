//! A movie in a user's cart. The cart is the set of these rows; it has no row of its own.

use sea_orm::entity::prelude::*;

/// A movie in a user's cart.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cart_items")]
pub struct Model {
    /// The account.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The movie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i64,
    /// When it was added (epoch milliseconds).
    pub added_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
