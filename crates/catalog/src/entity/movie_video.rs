use sea_orm::entity::prelude::*;

/// A movie's video or trailer (`kind`): the object key in media storage, its type and size.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "movie_videos")]
pub struct Model {
    /// The movie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i64,
    /// `video` or `trailer`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// Its key in media storage.
    pub object_key: String,
    /// `video/mp4` or `video/webm`.
    pub content_type: String,
    /// Bytes.
    pub size_bytes: i64,
    /// Seconds, when known.
    pub duration_secs: Option<i32>,
    /// When it was created (epoch milliseconds).
    pub created_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
