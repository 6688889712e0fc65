use sea_orm::entity::prelude::*;

/// A movie's video or trailer (`kind`): the object key in media storage, its type and size.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "movie_videos")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i64,
    /// `video` or `trailer`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    pub object_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub duration_secs: Option<i32>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
