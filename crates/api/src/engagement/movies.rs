//! `/api/v1/movies/{id}/like|dislike|reaction|rating|favorite` and `/api/v1/favorites`.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use cinema_engagement::{Ratings, Reaction, Reactions};
use cinema_kernel::{MovieId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    AppState,
    auth::Authenticated,
    body::Json,
    catalog::{
        dto::MovieListItem,
        query::{self, MovieListParams, SearchIn},
    },
    error::{ApiError, Problem},
    page::PageResponse,
};

/// A movie's likes and dislikes, and the caller's reaction.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"movie_id": 42, "like_count": 41, "dislike_count": 3, "my_reaction": "like"}))]
pub struct ReactionsResponse {
    pub movie_id: i64,
    pub like_count: i64,
    pub dislike_count: i64,
    /// `like`, `dislike`, or null.
    pub my_reaction: Option<String>,
}

fn reactions(movie_id: i64, r: Reactions) -> ReactionsResponse {
    ReactionsResponse {
        movie_id,
        like_count: r.likes,
        dislike_count: r.dislikes,
        my_reaction: r.mine.map(|m| m.as_str().to_owned()),
    }
}

/// A rating from 1 to 10.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"score": 8}))]
pub struct RatingRequest {
    /// Also accepted as `rating` or `value`.
    #[schema(minimum = 1, maximum = 10)]
    #[serde(alias = "rating", alias = "value")]
    pub score: i64,
}

/// A movie's ratings, and the caller's.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"movie_id": 42, "rating_average": 8.5, "rating_count": 12, "my_rating": 8}))]
pub struct RatingResponse {
    pub movie_id: i64,
    /// One decimal; null while unrated.
    pub rating_average: Option<f64>,
    pub rating_count: i64,
    pub my_rating: Option<i16>,
}

fn ratings(movie_id: i64, r: Ratings) -> RatingResponse {
    RatingResponse {
        movie_id,
        rating_average: r.average_tenths.map(|t| f64::from(t) / 10.0),
        rating_count: r.count,
        my_rating: r.mine,
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"movie_id": 42, "is_favorite": true}))]
pub struct FavoriteResponse {
    pub movie_id: i64,
    pub is_favorite: bool,
}

async fn react(
    state: &AppState,
    user: i64,
    movie_id: i64,
    reaction: Option<Reaction>,
) -> Result<HttpResponse, ApiError> {
    let found = state
        .engagement
        .react(&state.db, UserId(user), MovieId(movie_id), reaction)
        .await?;
    Ok(HttpResponse::Ok().json(reactions(movie_id, found)))
}

/// Like a movie (replaces a dislike).
#[utoipa::path(tag = "engagement", operation_id = "like_movie", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "The movie's reactions", body = ReactionsResponse),
    (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
))]
#[post("/movies/{id}/like")]
pub async fn like(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    react(&state, user.id, id.into_inner(), Some(Reaction::Like)).await
}

/// Dislike a movie (replaces a like).
#[utoipa::path(tag = "engagement", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "The movie's reactions", body = ReactionsResponse),
    (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
))]
#[post("/movies/{id}/dislike")]
pub async fn dislike(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    react(&state, user.id, id.into_inner(), Some(Reaction::Dislike)).await
}

/// Take your reaction back.
#[utoipa::path(tag = "engagement", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "The movie's reactions", body = ReactionsResponse),
    (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
))]
#[delete("/movies/{id}/reaction")]
pub async fn unreact(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    react(&state, user.id, id.into_inner(), None).await
}

/// Rate a movie from 1 to 10 (replaces your earlier rating).
#[utoipa::path(tag = "engagement", params(("id" = i64, Path)), request_body = RatingRequest, security(("bearer" = [])), responses(
    (status = 200, description = "The movie's ratings", body = RatingResponse),
    (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The score is not 1 to 10", body = Problem, content_type = "application/problem+json"),
))]
#[put("/movies/{id}/rating")]
pub async fn rate(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    json: Json<RatingRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let movie_id = id.into_inner();
    let found = state
        .engagement
        .rate(
            &state.db,
            user.user_id(),
            MovieId(movie_id),
            Some(body.score),
        )
        .await?;
    Ok(HttpResponse::Ok().json(ratings(movie_id, found)))
}

/// Take your rating back.
#[utoipa::path(tag = "engagement", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "The movie's ratings", body = RatingResponse),
    (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
))]
#[delete("/movies/{id}/rating")]
pub async fn unrate(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let movie_id = id.into_inner();
    let found = state
        .engagement
        .rate(&state.db, user.user_id(), MovieId(movie_id), None)
        .await?;
    Ok(HttpResponse::Ok().json(ratings(movie_id, found)))
}

/// Add a movie to your favorites: 201 when added, 200 when it was there already.
#[utoipa::path(tag = "engagement", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 201, description = "Added", body = FavoriteResponse),
    (status = 200, description = "Already a favorite", body = FavoriteResponse),
    (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
))]
#[post("/movies/{id}/favorite")]
pub async fn favorite(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let movie_id = id.into_inner();
    let added = state
        .engagement
        .add_favorite(&state.db, user.user_id(), MovieId(movie_id))
        .await?;
    let body = FavoriteResponse {
        movie_id,
        is_favorite: true,
    };
    Ok(if added {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// Remove a movie from your favorites (nothing to remove is fine).
#[utoipa::path(tag = "engagement", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 204, description = "Not a favorite (any more)"),
))]
#[delete("/movies/{id}/favorite")]
pub async fn unfavorite(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state
        .engagement
        .remove_favorite(&state.db, user.user_id(), MovieId(id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Your favorites, with every filter, search (`q`), sort and paging of the movie list.
#[utoipa::path(tag = "engagement", params(
    ("q" = Option<String>, Query, max_length = 200, description = "Search as people type it (see `/movies/search/query`): every word in any field and any order, the last also a prefix, typos forgiven by length; empty means none. Ranked when there is no `sort_by`", example = "nolan incep"),
    ("search_in" = inline(Option<Vec<SearchIn>>), Query, description = "Fields `q` is looked for in (default all five)"),
    MovieListParams,
), security(("bearer" = [])), responses(
    (status = 200, description = "A page of your favorite movies", body = PageResponse<MovieListItem>),
    (status = 422, description = "A bad filter, an unknown sort or a reversed range", body = Problem, content_type = "application/problem+json"),
))]
#[get("/favorites")]
pub async fn favorites(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = query::parse(&req, false, None)?;
    let found = state
        .engagement
        .favorites(
            &state.db,
            user.user_id(),
            request.filter,
            request.sort,
            request.page,
        )
        .await?;
    Ok(HttpResponse::Ok().json(PageResponse {
        items: MovieListItem::with_links(found.items, &state.media).await?,
        total: found.total,
        skip: found.skip,
        limit: found.limit,
    }))
}
