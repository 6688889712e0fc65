//! A comment on a movie, or a reply to another comment (`parent_id`). A deleted comment that
//! has replies keeps its row, without its text, so its thread stays readable.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub movie_id: i64,
    /// `None` once the author's account is gone.
    pub user_id: Option<i64>,
    pub parent_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub deleted: bool,
    pub like_count: i64,
    pub reply_count: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
