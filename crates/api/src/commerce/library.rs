//! `/api/v1/library`: the movies the signed-in user owns, and where they left off in each.

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use cinema_kernel::MovieId;

use cinema_catalog::movies::{self, VideoSlotKind};
use cinema_commerce::library::LibrarySort;
use cinema_kernel::time::rfc3339;

use super::dto::{LibraryItem, ProgressRequest, ProgressResponse};
use crate::body::Json;
use crate::catalog::dto::MovieListItem;
use crate::{
    AppState,
    auth::Authenticated,
    error::{ApiError, Problem},
    page::{PageQuery, PageResponse},
    params::Params,
};

/// Your movies, most recently acquired first, or with `sort=recently_watched` most recently
/// played first (a "continue watching" row; never played ones follow by acquisition). Each
/// says whether it can be played yet and where you left off.
#[utoipa::path(tag = "library", params(
    PageQuery,
    ("sort" = Option<String>, Query, description = "`acquired` (default) or `recently_watched`", pattern = "^(acquired|recently_watched)$"),
), security(("bearer" = [])), responses(
    (status = 200, description = "A page of owned movies", body = PageResponse<LibraryItem>),
))]
#[get("/library")]
pub async fn list(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.request()?;
    let mut params = Params::parse(req.query_string());
    let sort = match params.raw("sort").as_deref() {
        None | Some("acquired") => LibrarySort::Acquired,
        Some("recently_watched") => LibrarySort::RecentlyWatched,
        Some(other) => {
            let other = crate::params::shortened(other);
            params.error(
                "sort",
                format!("must be acquired or recently_watched, not `{other}`"),
            );
            LibrarySort::Acquired
        }
    };
    if !params.errors.is_empty() {
        return Err(ApiError::invalid(params.errors));
    }
    let owned =
        cinema_commerce::library::list_sorted(&state.db, user.user_id(), page, sort).await?;
    let (skip, limit, total) = (owned.skip, owned.limit, owned.total);
    let ids: Vec<i64> = owned.items.iter().map(|o| o.movie.movie.id).collect();
    let videos = movies::videos_of(
        &state.db,
        &cinema_kernel::ids::typed::<MovieId>(&ids),
        VideoSlotKind::Video,
    )
    .await?;
    let progress = cinema_commerce::watch::progress_of(
        &state.db,
        user.user_id(),
        &cinema_kernel::ids::typed::<MovieId>(&ids),
    )
    .await?;
    let (movies, acquired): (Vec<_>, Vec<_>) = owned
        .items
        .into_iter()
        .map(|o| {
            let id = o.movie.movie.id;
            let minutes = u32::try_from(o.movie.movie.time).unwrap_or_default();
            (o.movie, (id, minutes, o.granted_at, o.order_id))
        })
        .unzip();
    let movies = MovieListItem::with_links(movies, &state.media).await?;
    let items = movies
        .into_iter()
        .zip(acquired)
        .map(|(movie, (id, minutes, granted_at, order_id))| {
            let watched = progress.get(&id);
            LibraryItem {
                movie,
                acquired_at: rfc3339(granted_at),
                order_id,
                has_video: videos.contains_key(&id),
                position_secs: watched.map(|w| w.position_secs),
                duration_secs: minutes.saturating_mul(60),
                last_watched_at: watched.map(|w| rfc3339(w.watched_at)),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(PageResponse {
        items,
        total,
        skip,
        limit,
    }))
}

/// Record where you left off in a movie you own (players send it every few seconds).
#[utoipa::path(tag = "library", params(("movie_id" = i64, Path)), request_body = ProgressRequest, security(("bearer" = [])), responses(
    (status = 200, description = "Recorded", body = ProgressResponse),
    (status = 403, description = "The movie is not yours", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
))]
#[put("/library/{movie_id}/progress")]
pub async fn record_progress(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    movie_id: web::Path<i64>,
    json: Json<ProgressRequest>,
) -> Result<HttpResponse, ApiError> {
    let movie_id = movie_id.into_inner();
    let body = json.into_inner()?;
    if body.position_secs > MAX_POSITION_SECS {
        return Err(ApiError::invalid(vec![cinema_kernel::FieldError::new(
            "position_secs",
            format!("must be at most {MAX_POSITION_SECS}"),
        )]));
    }
    movies::poster_of(&state.db, MovieId(movie_id)).await?;
    let recorded = state
        .commerce
        .record_progress(
            &state.db,
            user.user_id(),
            MovieId(movie_id),
            body.position_secs,
        )
        .await?;
    Ok(HttpResponse::Ok().json(ProgressResponse {
        movie_id,
        position_secs: recorded.position_secs,
        last_watched_at: rfc3339(recorded.watched_at),
    }))
}

/// A week: longer than any movie.
const MAX_POSITION_SECS: u32 = 604_800;
