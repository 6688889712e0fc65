use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "movies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub uuid: String,
    pub name: String,
    pub year: i32,
    /// Minutes.
    pub time: i32,
    /// IMDb score × 10 (85 = 8.5).
    pub imdb_tenths: i32,
    pub votes: i64,
    pub meta_score: Option<i32>,
    pub gross_cents: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub price_cents: i64,
    pub certification_id: i64,
    /// Directors' names, space-separated, for search.
    #[sea_orm(column_type = "Text")]
    pub directors: String,
    /// Stars' names, space-separated, for search.
    #[sea_orm(column_type = "Text")]
    pub actors: String,
    /// Object key of the poster in media storage.
    pub poster: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    // Engagement aggregates, changed in the transaction of each reaction, comment and rating
    // (see `cinema-engagement`), so lists read them with the row.
    pub like_count: i64,
    pub dislike_count: i64,
    /// Comments and replies not deleted.
    pub comment_count: i64,
    pub rating_count: i64,
    pub rating_sum: i64,
    /// The average rating in tenths, rounded half up; `None` while unrated.
    pub rating_avg_tenths: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
