//! A user's like (`1`) or dislike (`-1`) of a movie: one per user and movie.

use sea_orm::entity::prelude::*;

/// One user's like or dislike of one movie.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "movie_reactions")]
pub struct Model {
    /// Who reacted.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The movie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i64,
    /// `1` like, `-1` dislike.
    pub kind: i16,
    /// When (epoch milliseconds).
    pub created_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
