//! `/api/v1/library`: the movies the signed-in user owns.

use actix_web::{HttpResponse, get, web};

use cinema_kernel::time::rfc3339;

use super::dto::LibraryItem;
use crate::catalog::dto::MovieListItem;
use crate::{
    AppState,
    auth::Authenticated,
    error::ApiError,
    page::{PageQuery, PageResponse},
};

/// Your movies, most recently acquired first.
#[utoipa::path(tag = "library", params(PageQuery), security(("bearer" = [])), responses(
    (status = 200, description = "A page of owned movies", body = PageResponse<LibraryItem>),
))]
#[get("/library")]
pub async fn list(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.request()?;
    let owned = cinema_commerce::library::list(&state.db, user.id, page).await?;
    let (skip, limit, total) = (owned.skip, owned.limit, owned.total);
    let (movies, acquired): (Vec<_>, Vec<_>) = owned
        .items
        .into_iter()
        .map(|o| (o.movie, (o.granted_at, o.order_id)))
        .unzip();
    let movies = MovieListItem::with_links(movies, &state.media).await?;
    let items = movies
        .into_iter()
        .zip(acquired)
        .map(|(movie, (granted_at, order_id))| LibraryItem {
            movie,
            acquired_at: rfc3339(granted_at),
            order_id,
        })
        .collect();
    Ok(HttpResponse::Ok().json(PageResponse {
        items,
        total,
        skip,
        limit,
    }))
}
