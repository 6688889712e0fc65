//! Something that happened to a user's comment: a reply (`comment_replied`) or a like
//! (`comment_liked`), by `actor_id`.

use sea_orm::entity::prelude::*;

/// A notification for one user: a reply to or a like of their comment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who it is for.
    pub user_id: i64,
    /// `comment_replied` or `comment_liked`.
    pub kind: String,
    /// Who did it; `None` once their account is gone.
    pub actor_id: Option<i64>,
    /// The comment concerned.
    pub comment_id: Option<i64>,
    /// The movie the comment is about.
    pub movie_id: Option<i64>,
    /// When its recipient read it (epoch milliseconds).
    pub read_at: Option<i64>,
    /// When it happened (epoch milliseconds).
    pub created_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
