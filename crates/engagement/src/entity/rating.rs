//! A user's rating of a movie, 1–10: one per user and movie.

use sea_orm::entity::prelude::*;

/// One user's rating of one movie.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "movie_ratings")]
pub struct Model {
    /// Who rated.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The movie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i64,
    /// 1 to 10.
    pub score: i16,
    /// When it was last set (epoch milliseconds).
    pub updated_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
