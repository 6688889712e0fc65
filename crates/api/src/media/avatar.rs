//! `/api/v1/profile/avatar`: the caller's avatar.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, delete, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use cinema_identity::profiles;
use cinema_media::AVATAR_LIMIT;

use super::read_image;
use crate::{
    AppState,
    auth::Authenticated,
    error::{ApiError, Problem},
};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"avatar": "avatars/0f8fad5b-d9cb-469f-a165-70867728950e.png", "avatar_url": "http://localhost:8010/media/avatars/0f8fad5b-d9cb-469f-a165-70867728950e.png?expires=1795000000&signature=3q2-7w", "message": "Avatar uploaded."}))]
pub struct AvatarResponse {
    /// Object key of the avatar.
    pub avatar: String,
    /// A download link, valid for an hour.
    pub avatar_url: String,
    pub message: String,
}

/// The multipart body of an upload (for the documentation; it is read as a stream).
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the multipart body, which is read as a stream"
)]
pub struct ImageUpload {
    /// JPEG, PNG or WebP, decided by the content itself.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Upload a new avatar (multipart field `file`): JPEG, PNG or WebP by content, at most 5 MiB.
/// The previous avatar is deleted once the new one is saved.
#[utoipa::path(
    tag = "profile",
    security(("bearer" = [])),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Saved", body = AvatarResponse),
        (status = 400, description = "Not a JPEG, PNG or WebP image, empty, or not multipart", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 5 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Storage is unavailable; nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/profile/avatar")]
pub async fn upload(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    req: HttpRequest,
    multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    let image = match read_image(&req, multipart, AVATAR_LIMIT).await {
        Ok(image) => image,
        Err(refused) => return Ok(refused.into_response()),
    };
    let key = profiles::upload_avatar(&state.db, &state.media, &state.clock, user.user_id(), image)
        .await?;
    Ok(HttpResponse::Created().json(AvatarResponse {
        avatar_url: state.media.link(&key).await?,
        avatar: key,
        message: "Avatar uploaded.".to_owned(),
    }))
}

/// Remove the avatar.
#[utoipa::path(
    tag = "profile",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No avatar to delete", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/profile/avatar")]
pub async fn remove(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if profiles::remove_avatar(&state.db, &state.media, &state.clock, user.user_id()).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("No avatar to delete."))
    }
}
