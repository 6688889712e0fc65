//! A comment on a movie, or a reply to another comment (`parent_id`). A deleted comment that
//! has replies keeps its row, without its text, so its thread stays readable.

use sea_orm::entity::prelude::*;

/// A comment or a reply: one row of `comments`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comments")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The movie it is about.
    pub movie_id: i64,
    /// `None` once the author's account is gone.
    pub user_id: Option<i64>,
    /// The comment it replies to; `None` for a top-level comment.
    pub parent_id: Option<i64>,
    /// Its text (empty once deleted with replies).
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Deleted, but kept in place for its replies.
    pub deleted: bool,
    /// How many users like it.
    pub like_count: i64,
    /// How many replies it has.
    pub reply_count: i64,
    /// When it was posted (epoch milliseconds).
    pub created_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
