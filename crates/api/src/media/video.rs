//! Movies' videos and trailers: moderators attach them (`/api/v1/movies/{id}/video`,
//! `/trailer`), owners play the video (`/api/v1/library/{movie_id}/play`) and anyone the
//! trailer (`GET /api/v1/movies/{id}/trailer`), through short-lived links that serve ranges.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use cinema_catalog::movies::{self, StoredVideo, VideoSlotKind};
use cinema_identity::{AuthUser, Role};
use cinema_kernel::time::rfc3339;
use cinema_kernel::{MovieId, UserId, audit::Actor};
use cinema_media::{VideoKind, VideoSpool};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::read_upload;
use crate::{
    AppState,
    audit::ModeratorActing,
    auth::{Authenticated, Moderator},
    body::Json,
    error::{ApiError, Problem},
};

/// The multipart body of a video upload (for the documentation; it is read as a stream).
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the multipart body, which is read as a stream"
)]
pub struct VideoUpload {
    /// MP4 or WebM, decided by the content itself.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// A stored video or trailer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"key": "videos/7c9e6679-7425-40de-944b-e07fc1f90ae7.mp4", "content_type": "video/mp4", "size": 734003200, "message": "Video uploaded."}))]
pub struct VideoResponse {
    /// Object key of the file.
    pub key: String,
    /// `video/mp4` or `video/webm`, decided by the file's bytes.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    pub message: String,
}

/// A link that plays a video, with HTTP range requests.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"url": "http://localhost:8010/media/videos/7c9e6679-7425-40de-944b-e07fc1f90ae7.mp4?expires=1795000000&viewer=7&signature=3q2-7w", "watch_url": "http://localhost:8010/watch/42?viewer=7&expires=1795000000&signature=Zm9v", "expires_at": "2026-12-06T20:00:00Z", "content_type": "video/mp4", "size": 734003200}))]
pub struct PlaybackResponse {
    /// Short-lived: fetch a new one when it expires.
    pub url: String,
    /// A plain page that plays it in the browser (movies you own; `null` for trailers).
    pub watch_url: Option<String>,
    pub expires_at: String,
    pub content_type: String,
    /// Bytes.
    pub size: u64,
}

async fn upload(
    state: &AppState,
    actor: Actor,
    req: &HttpRequest,
    multipart: Multipart,
    movie_id: i64,
    slot: VideoSlotKind,
) -> Result<HttpResponse, ApiError> {
    // A missing movie is answered before the upload is read.
    movies::poster_of(&state.db, MovieId(movie_id)).await?;
    let spool = VideoSpool::new(&state.watch.spool_dir, state.watch.video_limit).await?;
    let video = match read_upload(req, multipart, state.watch.video_limit, spool).await {
        Ok(video) => video,
        Err(refused) => return Ok(refused.into_response()),
    };
    let stored = state
        .catalog
        .acting(actor)
        .upload_video(MovieId(movie_id), slot, &video)
        .await?;
    let message = match slot {
        VideoSlotKind::Video => "Video uploaded.",
        VideoSlotKind::Trailer => "Trailer uploaded.",
    };
    Ok(HttpResponse::Ok().json(VideoResponse {
        key: stored.key,
        content_type: stored.content_type,
        size: stored.size,
        message: message.to_owned(),
    }))
}

async fn remove(
    state: &AppState,
    actor: Actor,
    movie_id: i64,
    slot: VideoSlotKind,
) -> Result<HttpResponse, ApiError> {
    if state
        .catalog
        .acting(actor)
        .remove_video(MovieId(movie_id), slot)
        .await?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found(format!(
            "This movie has no {} to delete.",
            slot.as_str()
        )))
    }
}

/// The playback answer for a stored video: a link bound to `viewer` where the store allows.
async fn playback(
    state: &AppState,
    video: StoredVideo,
    viewer: Option<i64>,
) -> Result<PlaybackResponse, ApiError> {
    let ttl = state.watch.playback_ttl;
    let url = match viewer {
        Some(viewer) => {
            state
                .media
                .viewer_link(&video.key, ttl, UserId(viewer))
                .await?
        }
        None => state.media.link_for(&video.key, ttl).await?,
    };
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    Ok(PlaybackResponse {
        url,
        watch_url: None,
        expires_at: rfc3339(state.clock.now_ms().saturating_add(ttl_ms)),
        content_type: video.content_type,
        size: video.size,
    })
}

fn is_staff(user: &AuthUser) -> bool {
    user.role >= Role::Moderator
}

/// Play a movie you own (moderators and admins: any movie): a short-lived link
/// (`PLAYBACK_LINK_TTL_SECS`) that serves byte ranges, as video players ask for them. A refund
/// revokes it: no new link is issued, and on local storage the link stops playing at once (an
/// S3 link lives out its short life).
#[utoipa::path(tag = "watch", params(("movie_id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "A playback link", body = PlaybackResponse),
    (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    (status = 403, description = "The movie must be bought first", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such movie, or it has no video yet", body = Problem, content_type = "application/problem+json"),
))]
#[get("/library/{movie_id}/play")]
pub async fn play(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    movie_id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let movie_id = movie_id.into_inner();
    movies::poster_of(&state.db, MovieId(movie_id)).await?;
    state
        .commerce
        .may_play(
            &state.db,
            user.user_id(),
            is_staff(&user),
            MovieId(movie_id),
        )
        .await?;
    let video = movies::video_of(&state.db, MovieId(movie_id), VideoSlotKind::Video)
        .await?
        .ok_or_else(|| ApiError::not_found("This movie has no video yet."))?;
    let mut answer = playback(&state, video, Some(user.id)).await?;
    answer.watch_url = Some(super::watch_page::page_link(&state, movie_id, user.id));
    Ok(HttpResponse::Ok().json(answer))
}

/// Play a movie's trailer: anyone, no purchase needed.
#[utoipa::path(tag = "watch", params(("id" = i64, Path)), responses(
    (status = 200, description = "A playback link", body = PlaybackResponse),
    (status = 404, description = "No such movie, or it has no trailer", body = Problem, content_type = "application/problem+json"),
))]
#[get("/movies/{id}/trailer")]
pub async fn trailer(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let movie_id = id.into_inner();
    movies::poster_of(&state.db, MovieId(movie_id)).await?;
    let video = movies::video_of(&state.db, MovieId(movie_id), VideoSlotKind::Trailer)
        .await?
        .ok_or_else(|| ApiError::not_found("This movie has no trailer."))?;
    Ok(HttpResponse::Ok().json(playback(&state, video, None).await?))
}

/// What a direct upload will be.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"content_type": "video/mp4"}))]
pub struct UploadUrlRequest {
    /// `video/mp4` or `video/webm`: the file must be of this type.
    #[schema(pattern = "^video/(mp4|webm)$")]
    pub content_type: String,
}

/// Where to upload a large file directly.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"key": "videos/7c9e6679-7425-40de-944b-e07fc1f90ae7.mp4", "upload_url": "http://localhost:8010/media-upload/videos/7c9e6679-7425-40de-944b-e07fc1f90ae7.mp4?expires=1795000000&signature=3q2-7w", "method": "PUT", "expires_at": "2026-12-06T19:30:00Z", "max_bytes": 4294967296u64}))]
pub struct UploadUrlResponse {
    /// Send it back to `…/complete` once the upload is done.
    pub key: String,
    /// `PUT` the file's bytes here (S3 presigned, or this server's signed route).
    pub upload_url: String,
    pub method: &'static str,
    pub expires_at: String,
    pub max_bytes: u64,
}

/// The uploaded file to attach.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"key": "videos/7c9e6679-7425-40de-944b-e07fc1f90ae7.mp4"}))]
pub struct CompleteRequest {
    /// The key `upload-url` answered.
    #[schema(max_length = 255)]
    pub key: String,
}

async fn upload_url(
    state: &AppState,
    movie_id: i64,
    slot: VideoSlotKind,
    body: UploadUrlRequest,
) -> Result<HttpResponse, ApiError> {
    let kind = match body.content_type.as_str() {
        "video/mp4" => VideoKind::Mp4,
        "video/webm" => VideoKind::WebM,
        _ => {
            return Err(ApiError::invalid(vec![cinema_kernel::FieldError::new(
                "content_type",
                "must be video/mp4 or video/webm",
            )]));
        }
    };
    let reserved = state
        .catalog
        .reserve_video_upload(MovieId(movie_id), slot, kind)
        .await?;
    Ok(HttpResponse::Ok().json(UploadUrlResponse {
        key: reserved.key,
        upload_url: reserved.url,
        method: "PUT",
        expires_at: rfc3339(reserved.expires_at),
        max_bytes: state.watch.video_limit,
    }))
}

async fn complete(
    state: &AppState,
    actor: Actor,
    movie_id: i64,
    slot: VideoSlotKind,
    body: CompleteRequest,
) -> Result<HttpResponse, ApiError> {
    let stored = state
        .catalog
        .acting(actor)
        .complete_video(MovieId(movie_id), slot, &body.key, state.watch.video_limit)
        .await?;
    Ok(HttpResponse::Ok().json(VideoResponse {
        key: stored.key,
        content_type: stored.content_type,
        size: stored.size,
        message: "Upload checked and attached.".to_owned(),
    }))
}

/// The four moderator routes of one slot (video or trailer): streamed upload, removal, and
/// the two steps of a direct upload.
macro_rules! slot_routes {
    (
        $slot:expr, $what:literal,
        $upload_fn:ident, $path:literal, $remove_fn:ident,
        $url_fn:ident, $url_path:literal, $complete_fn:ident, $complete_path:literal
    ) => {
        #[doc = concat!("Upload or replace a movie's ", $what, " (moderators; multipart field `file`): MP4 or WebM by content, at most `VIDEO_MAX_BYTES` (4 GiB by default), streamed to storage as it arrives. The previous file is deleted once the new one is saved.")]
        #[utoipa::path(
            tag = "watch",
            params(("id" = i64, Path)),
            security(("bearer" = [])),
            request_body(content = VideoUpload, content_type = "multipart/form-data"),
            responses(
                (status = 200, description = "Saved", body = VideoResponse),
                (status = 400, description = "Not an MP4 or WebM video, empty, or not multipart", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
                (status = 413, description = "Larger than `VIDEO_MAX_BYTES`", body = Problem, content_type = "application/problem+json"),
                (status = 503, description = "Storage is unavailable; nothing changed", body = Problem, content_type = "application/problem+json"),
            ),
        )]
        #[put($path)]
        pub async fn $upload_fn(
            ModeratorActing(actor): ModeratorActing,
            state: web::Data<AppState>,
            id: web::Path<i64>,
            req: HttpRequest,
            multipart: Multipart,
        ) -> Result<HttpResponse, ApiError> {
            upload(&state, actor, &req, multipart, id.into_inner(), $slot).await
        }

        #[doc = concat!("Remove a movie's ", $what, " (moderators).")]
        #[utoipa::path(tag = "watch", params(("id" = i64, Path)), security(("bearer" = [])), responses(
            (status = 204, description = "Removed"),
            (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
            (status = 404, description = concat!("No such movie, or it has no ", $what), body = Problem, content_type = "application/problem+json"),
        ))]
        #[delete($path)]
        pub async fn $remove_fn(
            ModeratorActing(actor): ModeratorActing,
            state: web::Data<AppState>,
            id: web::Path<i64>,
        ) -> Result<HttpResponse, ApiError> {
            remove(&state, actor, id.into_inner(), $slot).await
        }

        #[doc = concat!("Start a direct upload of a movie's ", $what, " (moderators): a key and a link to `PUT` the file to (an S3 presigned URL, or this server's signed route on local disk). Then call `complete`. An upload never completed is deleted by the orphan sweep.")]
        #[utoipa::path(tag = "watch", params(("id" = i64, Path)), request_body = UploadUrlRequest, security(("bearer" = [])), responses(
            (status = 200, description = "Where to upload", body = UploadUrlResponse),
            (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
            (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
        ))]
        #[post($url_path)]
        pub async fn $url_fn(
            _: Moderator,
            state: web::Data<AppState>,
            id: web::Path<i64>,
            json: Json<UploadUrlRequest>,
        ) -> Result<HttpResponse, ApiError> {
            let body = json.into_inner()?;
            upload_url(&state, id.into_inner(), $slot, body).await
        }

        #[doc = concat!("Finish a direct upload of a movie's ", $what, " (moderators): the file must be there, at most `VIDEO_MAX_BYTES`, and of the type announced (by its bytes); then the movie points at it and its previous file is deleted. A file that fails the checks is deleted.")]
        #[utoipa::path(tag = "watch", params(("id" = i64, Path)), request_body = CompleteRequest, security(("bearer" = [])), responses(
            (status = 200, description = "Attached", body = VideoResponse),
            (status = 400, description = "Empty, or not the announced video type", body = Problem, content_type = "application/problem+json"),
            (status = 403, description = "Not a moderator", body = Problem, content_type = "application/problem+json"),
            (status = 404, description = "No such movie, or nothing of this kind uploaded under the key", body = Problem, content_type = "application/problem+json"),
            (status = 413, description = "Larger than `VIDEO_MAX_BYTES`", body = Problem, content_type = "application/problem+json"),
        ))]
        #[post($complete_path)]
        pub async fn $complete_fn(
            ModeratorActing(actor): ModeratorActing,
            state: web::Data<AppState>,
            id: web::Path<i64>,
            json: Json<CompleteRequest>,
        ) -> Result<HttpResponse, ApiError> {
            let body = json.into_inner()?;
            complete(&state, actor, id.into_inner(), $slot, body).await
        }
    };
}

slot_routes!(
    VideoSlotKind::Video,
    "video",
    upload_video,
    "/movies/{id}/video",
    remove_video,
    video_upload_url,
    "/movies/{id}/video/upload-url",
    complete_video,
    "/movies/{id}/video/complete"
);
slot_routes!(
    VideoSlotKind::Trailer,
    "trailer",
    upload_trailer,
    "/movies/{id}/trailer",
    remove_trailer,
    trailer_upload_url,
    "/movies/{id}/trailer/upload-url",
    complete_trailer,
    "/movies/{id}/trailer/complete"
);
