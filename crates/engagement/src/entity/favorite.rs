//! A movie a user keeps among their favorites.

use sea_orm::entity::prelude::*;

/// A movie on one user's favorites list.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "favorites")]
pub struct Model {
    /// Whose list.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The movie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i64,
    /// When it was added (epoch milliseconds).
    pub created_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
