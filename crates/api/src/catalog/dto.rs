//! Catalog bodies on the wire (field names and encodings of the system the clients know).

use cinema_catalog::{
    GenreCount, Named,
    movies::{MovieDetail, MovieSummary},
};
use cinema_kernel::Money;
use cinema_media::Media;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "name": "Animation"}))]
pub struct NamedResponse {
    pub id: i64,
    pub name: String,
}

impl From<Named> for NamedResponse {
    fn from(n: Named) -> Self {
        Self {
            id: n.id,
            name: n.name,
        }
    }
}

/// The name of a new or renamed taxonomy entry; each kind has its own length limit.
pub trait NameRequest {
    fn name(&self) -> &str;
}

macro_rules! name_request {
    ($ty:ident, $max:tt, $example:literal) => {
        #[doc = concat!("A name of 1 to ", stringify!($max), " characters (trimmed; not only spaces).")]
        #[derive(Debug, Deserialize, ToSchema)]
        #[schema(example = json!({"name": $example}))]
        pub struct $ty {
            #[schema(min_length = 1, max_length = $max, pattern = r"\S")]
            pub name: String,
        }

        impl NameRequest for $ty {
            fn name(&self) -> &str {
                &self.name
            }
        }
    };
}

name_request!(CertificationName, 50, "PG-13");
name_request!(GenreName, 100, "Film-Noir");
name_request!(PersonName, 200, "Greta Gerwig");

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 8, "name": "Drama", "movie_count": 9101}))]
pub struct GenreStatistics {
    pub id: i64,
    pub name: String,
    pub movie_count: i64,
}

impl From<GenreCount> for GenreStatistics {
    fn from(g: GenreCount) -> Self {
        Self {
            id: g.id,
            name: g.name,
            movie_count: g.movie_count,
        }
    }
}

pub(crate) fn money(cents: i64) -> String {
    Money::from_cents(cents).unwrap_or_default().to_string()
}

/// A movie in a list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 1, "uuid": "0f8fad5b-d9cb-469f-a165-70867728950e", "name": "Inception", "year": 2010, "time": 148, "imdb": 8.8, "votes": 2400000, "price": "9.99", "certification": {"id": 3, "name": "PG-13"}, "genres": [{"id": 1, "name": "Action"}, {"id": 18, "name": "Sci-Fi"}], "poster_url": "http://localhost:8010/media/posters/7c9e6679-7425-40de-944b-e07fc1f90ae7.jpg?expires=1795000000&signature=3q2-7w", "rating_average": 8.5, "rating_count": 12}))]
pub struct MovieListItem {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub year: i32,
    /// Minutes.
    pub time: i32,
    pub imdb: f64,
    pub votes: i64,
    /// Decimal string with two places.
    pub price: String,
    pub certification: NamedResponse,
    pub genres: Vec<NamedResponse>,
    /// A download link of the poster, valid for an hour.
    pub poster_url: Option<String>,
    /// The average user rating (1–10, one decimal); null while unrated.
    pub rating_average: Option<f64>,
    /// How many users rated it.
    pub rating_count: i64,
}

impl From<MovieSummary> for MovieListItem {
    fn from(s: MovieSummary) -> Self {
        let m = s.movie;
        Self {
            id: m.id,
            uuid: m.uuid,
            name: m.name,
            year: m.year,
            time: m.time,
            imdb: f64::from(m.imdb_tenths) / 10.0,
            votes: m.votes,
            price: money(m.price_cents),
            certification: s.certification.into(),
            genres: s.genres.into_iter().map(Into::into).collect(),
            poster_url: None,
            rating_average: m.rating_avg_tenths.map(|t| f64::from(t) / 10.0),
            rating_count: m.rating_count,
        }
    }
}

/// A movie with everything about it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 1, "uuid": "0f8fad5b-d9cb-469f-a165-70867728950e", "name": "Inception", "year": 2010, "time": 148, "imdb": 8.8, "votes": 2400000, "price": "9.99", "certification": {"id": 3, "name": "PG-13"}, "genres": [{"id": 1, "name": "Action"}], "poster_url": null, "description": "A thief who steals corporate secrets…", "meta_score": 74, "gross": "292576195.00", "directors": [{"id": 1, "name": "Christopher Nolan"}], "stars": [{"id": 1, "name": "Leonardo DiCaprio"}], "rating_average": 8.5, "rating_count": 12, "like_count": 40, "dislike_count": 3, "comment_count": 7, "my_reaction": "like", "my_rating": 9, "is_favorite": true}))]
pub struct MovieDetailResponse {
    #[serde(flatten)]
    pub summary: MovieListItem,
    pub description: String,
    pub meta_score: Option<i32>,
    /// Decimal string with two places.
    pub gross: Option<String>,
    pub directors: Vec<NamedResponse>,
    pub stars: Vec<NamedResponse>,
    pub like_count: i64,
    pub dislike_count: i64,
    /// Comments and replies, not counting deleted ones.
    pub comment_count: i64,
    /// The caller's reaction (`like`, `dislike`); null when none or not signed in.
    pub my_reaction: Option<String>,
    /// The caller's rating; null when none or not signed in.
    pub my_rating: Option<i16>,
    /// Whether the movie is among the caller's favorites (false when not signed in).
    pub is_favorite: bool,
}

impl From<MovieDetail> for MovieDetailResponse {
    fn from(d: MovieDetail) -> Self {
        let description = d.movie.description;
        let meta_score = d.movie.meta_score;
        let gross = d.movie.gross_cents.map(money);
        let (like_count, dislike_count, comment_count) = (
            d.movie.like_count,
            d.movie.dislike_count,
            d.movie.comment_count,
        );
        Self {
            like_count,
            dislike_count,
            comment_count,
            my_reaction: None,
            my_rating: None,
            is_favorite: false,
            summary: d.summary.into(),
            description,
            meta_score,
            gross,
            directors: d.directors.into_iter().map(Into::into).collect(),
            stars: d.stars.into_iter().map(Into::into).collect(),
        }
    }
}

impl MovieListItem {
    /// List items with fresh poster links, in order.
    pub async fn with_links(rows: Vec<MovieSummary>, media: &Media) -> Result<Vec<Self>, ApiError> {
        let keys: Vec<Option<&str>> = rows.iter().map(|r| r.movie.poster.as_deref()).collect();
        let links = media.links(&keys).await?;
        Ok(rows
            .into_iter()
            .zip(links)
            .map(|(row, poster_url)| Self {
                poster_url,
                ..Self::from(row)
            })
            .collect())
    }
}

impl MovieDetailResponse {
    /// The detail with a fresh poster link.
    pub async fn with_link(detail: MovieDetail, media: &Media) -> Result<Self, ApiError> {
        let poster_url = media.link_opt(detail.movie.poster.as_deref()).await?;
        let mut response = Self::from(detail);
        response.summary.poster_url = poster_url;
        Ok(response)
    }
}

/// A new movie.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Inception", "year": 2010, "time": 148, "imdb": 8.8, "votes": 2400000, "meta_score": 74, "gross": "292576195.00", "description": "A thief who steals corporate secrets…", "price": "9.99", "certification_id": 3, "genre_ids": [1, 18], "director_ids": [1], "star_ids": [1, 2]}))]
pub struct MovieCreate {
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub name: String,
    /// 1888 to next year + 5.
    #[schema(minimum = 1888)]
    pub year: i32,
    /// Minutes.
    #[schema(minimum = 1)]
    pub time: i32,
    /// 0–10, one decimal.
    #[schema(minimum = 0, maximum = 10)]
    pub imdb: f64,
    #[serde(default)]
    #[schema(minimum = 0)]
    pub votes: i64,
    #[schema(minimum = 0, maximum = 100)]
    pub meta_score: Option<i32>,
    /// String or number, at most two decimals.
    #[schema(value_type = Option<String>)]
    pub gross: Option<Money>,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub description: String,
    /// String or number, at most two decimals, at most `MAX_PRICE` (10000.00 by default; a
    /// higher price is a 422 naming the limit).
    #[schema(value_type = String)]
    pub price: Money,
    pub certification_id: i64,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub genre_ids: Vec<i64>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub director_ids: Vec<i64>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub star_ids: Vec<i64>,
}

/// A change to a movie: only the sent fields change (at least one); `null` clears `meta_score`
/// and `gross`; a sent id list replaces the set.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"price": "7.99", "genre_ids": [1, 18]}))]
#[expect(
    dead_code,
    reason = "documents the patch body, which is read key by key to tell absent from null"
)]
pub struct MoviePatchRequest {
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(minimum = 1888)]
    pub year: Option<i32>,
    #[schema(minimum = 1)]
    pub time: Option<i32>,
    #[schema(minimum = 0, maximum = 10)]
    pub imdb: Option<f64>,
    #[schema(minimum = 0)]
    pub votes: Option<i64>,
    #[schema(minimum = 0, maximum = 100, nullable)]
    pub meta_score: Option<Option<i32>>,
    #[schema(value_type = Option<String>, nullable)]
    pub gross: Option<Option<Money>>,
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// At most `MAX_PRICE` (10000.00 by default).
    #[schema(value_type = Option<String>)]
    pub price: Option<Money>,
    pub certification_id: Option<i64>,
    #[schema(max_items = 100)]
    pub genre_ids: Option<Vec<i64>>,
    #[schema(max_items = 100)]
    pub director_ids: Option<Vec<i64>>,
    #[schema(max_items = 100)]
    pub star_ids: Option<Vec<i64>>,
}
