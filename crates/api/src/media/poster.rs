//! `/api/v1/movies/{id}/poster`: moderators' movie posters, and the hook that lets a deleted
//! movie's poster go with it.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, delete, put, web};
use cinema_catalog::movies::{self, MovieReferences};
use cinema_media::Media;
use sea_orm::DatabaseTransaction;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Owner, Uploaded, avatar::ImageUpload};
use crate::{
    AppState,
    auth::Moderator,
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
    _: Moderator,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    req: HttpRequest,
    multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    // A missing movie is answered before the upload is read.
    movies::poster_of(&state.db, id).await?;
    Ok(
        match super::upload(&state, &req, multipart, Owner::Poster { movie_id: id }).await? {
            Uploaded::Stored { key, url } => HttpResponse::Ok().json(PosterResponse {
                poster: key,
                poster_url: url,
                message: "Poster uploaded.".to_owned(),
            }),
            Uploaded::Refused(response) => response,
        },
    )
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
    _: Moderator,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    if super::remove(
        &state,
        Owner::Poster {
            movie_id: id.into_inner(),
        },
    )
    .await?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("No poster to delete."))
    }
}

/// Runs what else holds a movie (carts, purchases), then, in the same transaction, lists the
/// movie's poster for deletion, so deleting a movie never leaves its poster behind.
#[derive(Debug)]
pub(crate) struct ReleasePoster<'a>(pub &'a dyn MovieReferences);

#[async_trait::async_trait]
impl MovieReferences for ReleasePoster<'_> {
    async fn before_delete(
        &self,
        txn: &DatabaseTransaction,
        movie_id: i64,
        force: bool,
    ) -> cinema_catalog::Result<()> {
        self.0.before_delete(txn, movie_id, force).await?;
        if let Some(key) = movies::poster_of(txn, movie_id).await? {
            Media::release(txn, &key)
                .await
                .map_err(cinema_catalog::Error::Database)?;
        }
        Ok(())
    }
}
