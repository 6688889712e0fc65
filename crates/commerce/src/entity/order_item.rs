//! A movie in an order, with the title and price it was ordered at. `movie_id` becomes null
//! when the movie is deleted later (only possible once no pending order and no owner holds it).

use sea_orm::entity::prelude::*;

/// A movie of an order, at the price it was ordered at.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_items")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The order.
    pub order_id: i64,
    /// The movie (`None` once it is deleted).
    pub movie_id: Option<i64>,
    /// The movie's title when it was bought (kept if the movie goes).
    pub title: String,
    /// The price paid, in cents.
    pub price_cents: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
