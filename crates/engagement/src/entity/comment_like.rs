//! A user's like of a comment: one per user and comment.

use sea_orm::entity::prelude::*;

/// One user's like of one comment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comment_likes")]
pub struct Model {
    /// Who likes it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The comment.
    #[sea_orm(primary_key, auto_increment = false)]
    pub comment_id: i64,
    /// When (epoch milliseconds).
    pub created_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
