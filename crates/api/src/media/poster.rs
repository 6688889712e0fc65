//! `/api/v1/movies/{id}/poster`: moderators' movie posters.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, delete, put, web};
use cinema_catalog::movies;
use cinema_kernel::MovieId;
use cinema_media::POSTER_LIMIT;
use serde::Serialize;
use utoipa::ToSchema;

use super::{avatar::ImageUpload, read_image};
use crate::{
    AppState,
    audit::ModeratorActing,
    error::{ApiError, Problem},
};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"poster": "posters/7c9e6679-7425-40de-944b-e07fc1f90ae7.jpg", "poster_url": "http://localhost:8010/media/posters/7c9e6679-7425-40de-944b-e07fc1f90ae7.jpg?expires=1795000000&signature=3q2-7w", "message": "Poster uploaded."}))]
pub struct PosterResponse {
    /// Object key of the poster.
    pub poster: String,
    /// A download link, valid for an hour.
    pub poster_url: String,
    pub message: String,
}

/// Upload or replace a movie's poster (moderators; multipart field `file`): JPEG, PNG or WebP
/// by content, at most 10 MiB. The previous poster is deleted once the new one is saved.
#[utoipa::path(
    tag = "movies",
    params(("id" = i64, Path)),
    security(("bearer" = [])),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Saved", body = PosterResponse),
        (status = 400, description = "Not a JPEG, PNG or WebP image, empty, or not multipart", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 10 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Storage is unavailable; nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[put("/movies/{id}/poster")]
pub async fn upload(
    ModeratorActing(actor): ModeratorActing,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    req: HttpRequest,
    multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    // A missing movie is answered before the upload is read.
    movies::poster_of(&state.db, MovieId(id)).await?;
    let image = match read_image(&req, multipart, POSTER_LIMIT).await {
        Ok(image) => image,
        Err(refused) => return Ok(refused.into_response()),
    };
    let key = state
        .catalog
        .acting(actor)
        .upload_poster(MovieId(id), image)
        .await?;
    Ok(HttpResponse::Ok().json(PosterResponse {
        poster_url: state.media.link(&key).await?,
        poster: key,
        message: "Poster uploaded.".to_owned(),
    }))
}

/// Remove a movie's poster (moderators).
#[utoipa::path(
    tag = "movies",
    params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such movie, or it has no poster", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/movies/{id}/poster")]
pub async fn remove(
    ModeratorActing(actor): ModeratorActing,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    if state
        .catalog
        .acting(actor)
        .remove_poster(MovieId(id.into_inner()))
        .await?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("No poster to delete."))
    }
}
