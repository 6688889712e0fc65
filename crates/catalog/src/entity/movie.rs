use sea_orm::entity::prelude::*;

/// A movie: one row of `movies`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "movies")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Its public UUID.
    #[sea_orm(unique)]
    pub uuid: String,
    /// The title.
    pub name: String,
    /// The release year.
    pub year: i32,
    /// Minutes.
    pub time: i32,
    /// IMDb score × 10 (85 = 8.5).
    pub imdb_tenths: i32,
    /// IMDb votes.
    pub votes: i64,
    /// Metascore (0–100).
    pub meta_score: Option<i32>,
    /// Box-office gross in cents.
    pub gross_cents: Option<i64>,
    /// The plot.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// The price in cents.
    pub price_cents: i64,
    /// Its certification.
    pub certification_id: i64,
    /// Directors' names, space-separated, for search.
    #[sea_orm(column_type = "Text")]
    pub directors: String,
    /// Stars' names, space-separated, for search.
    #[sea_orm(column_type = "Text")]
    pub actors: String,
    /// Object key of the poster in media storage.
    pub poster: Option<String>,
    /// When it was created (epoch milliseconds).
    pub created_at: i64,
    /// When it last changed (epoch milliseconds).
    pub updated_at: i64,
    // Engagement aggregates, changed in the transaction of each reaction, comment and rating
    // (see `cinema-engagement`), so lists read them with the row.
    /// Users who like it.
    pub like_count: i64,
    /// Users who dislike it.
    pub dislike_count: i64,
    /// Comments and replies not deleted.
    pub comment_count: i64,
    /// Users who rated it.
    pub rating_count: i64,
    /// The sum of their ratings.
    pub rating_sum: i64,
    /// The average rating in tenths, rounded half up; `None` while unrated.
    pub rating_avg_tenths: Option<i32>,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
