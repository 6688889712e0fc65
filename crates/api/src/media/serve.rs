//! `GET|HEAD /media/{folder}/{file}`: objects of the local-disk store, for the signed links it
//! hands out. With S3 storage, links point at S3 itself and this route finds nothing.
//!
//! Served as players expect (actix-files): `Accept-Ranges: bytes`, `206` with `Content-Range`
//! for open-ended and suffix ranges, `416` for an unsatisfiable one, `ETag` and `If-Range`,
//! `HEAD` — read from the file in chunks, never whole. A playback link names its viewer: each
//! request checks they may still watch (a refund revokes at once).

use actix_files::NamedFile;
use actix_web::{
    HttpRequest, HttpResponse,
    body::SizedStream,
    http::{StatusCode, header},
    put, route, web,
};
use cinema_catalog::movies::{self, VideoSlotKind};
use cinema_identity::Role;
use cinema_kernel::ErrorKind;
use cinema_kernel::{MovieId, UserId};
use cinema_media::{ImageKind, VideoKind, VideoSpool};
use futures_util::StreamExt as _;
use tokio_util::io::ReaderStream;

use crate::{
    AppState,
    error::{ApiError, Problem},
    params::Params,
};

/// Download an avatar, poster, video or trailer through a signed link (local-disk storage
/// only), whole or by byte ranges.
#[utoipa::path(
    tag = "media",
    params(
        ("folder" = String, Path, description = "`avatars`, `posters`, `videos` or `trailers`"),
        ("file" = String, Path, description = "`<uuid>.<ext>`"),
        ("expires" = u64, Query, description = "Unix time the link stops working"),
        ("viewer" = Option<i64>, Query, description = "The user a playback link was issued to"),
        ("signature" = String, Query, description = "The link's signature"),
        ("Range" = Option<String>, Header, description = "`bytes=0-1023`, `bytes=1024-`, `bytes=-500`"),
        ("If-Range" = Option<String>, Header, description = "The ETag a range is valid for"),
    ),
    responses(
        (status = 200, description = "The whole object", content_type = "application/octet-stream", headers(("Accept-Ranges" = String), ("ETag" = String))),
        (status = 206, description = "The requested byte range", content_type = "application/octet-stream", headers(("Content-Range" = String))),
        (status = 403, description = "Expired, forged or altered link, or a viewer who may no longer watch", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such object", body = Problem, content_type = "application/problem+json"),
        (status = 416, description = "The range starts past the end of the object", body = Problem, content_type = "application/problem+json", headers(("Content-Range" = String))),
    ),
)]
#[route("/media/{folder}/{file}", method = "GET", method = "HEAD")]
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let Some(store) = &state.local_media else {
        return Err(ApiError::not_found(
            "Objects are served by the object store.",
        ));
    };
    let (folder, file) = path.into_inner();
    let key = format!("{folder}/{file}");
    let SignedLink {
        expires,
        viewer,
        signature,
    } = SignedLink::parse(req.query_string())?;
    let now = store.now_secs();
    let file_path = store.verify(&key, expires, viewer.map(UserId), &signature, now)?;
    if let Some(viewer) = viewer {
        still_entitled(&state, viewer, &key).await?;
    }
    let file = match NamedFile::open_async(&file_path).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError::not_found("No such object."));
        }
        Err(e) => return Err(ApiError::unavailable(e)),
    };
    let mut response = file
        .set_content_type(content_type(&key))
        .disable_content_disposition()
        .use_etag(true)
        .use_last_modified(true)
        .into_response(&req);
    if response.status() == StatusCode::RANGE_NOT_SATISFIABLE {
        return Ok(unsatisfiable(&response));
    }
    if response.status() == StatusCode::PARTIAL_CONTENT && !if_range_holds(&req, &response) {
        // The client's copy is another version: it gets the whole current one (RFC 9110
        // 13.1.5). actix-files does not read If-Range itself.
        response = whole(&file_path, &key, &response).await?;
    }
    // nosniff, the policy and framing headers come from `middleware::security_headers`.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_str(&format!("private, max-age={}", expires - now))
            .unwrap_or(header::HeaderValue::from_static("private, no-cache")),
    );
    Ok(response)
}

/// actix-files' empty 416 as a problem like every other 4xx, keeping its `Content-Range`
/// (`bytes */<size>`), which tells a player the size.
fn unsatisfiable(refused: &HttpResponse) -> HttpResponse {
    let content_range = refused.headers().get(header::CONTENT_RANGE).cloned();
    let size = content_range
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit('/').next())
        .unwrap_or("?")
        .to_owned();
    let problem = Problem {
        problem_type: "urn:cinema:problem:range-not-satisfiable".to_owned(),
        title: "Range Not Satisfiable".to_owned(),
        status: 416,
        detail: format!("The range starts past the end of the object ({size} bytes)."),
        errors: Vec::new(),
    };
    let mut response = HttpResponse::RangeNotSatisfiable();
    response.content_type("application/problem+json");
    if let Some(value) = content_range {
        response.insert_header((header::CONTENT_RANGE, value));
    }
    response.body(serde_json::to_vec(&problem).unwrap_or_default())
}

/// Whether a range request's `If-Range` (if any) names the version served: its strong ETag or
/// its exact `Last-Modified`.
fn if_range_holds(req: &HttpRequest, served: &HttpResponse) -> bool {
    let Some(if_range) = req.headers().get(header::IF_RANGE) else {
        return true;
    };
    let current = |name| served.headers().get(name).filter(|v| *v == if_range);
    let etag_matches = current(header::ETAG).is_some_and(|v| !v.as_bytes().starts_with(b"W/"));
    etag_matches || current(header::LAST_MODIFIED).is_some()
}

/// The whole object, with the validators of `partial`, streamed from the file in chunks.
async fn whole(
    path: &std::path::Path,
    key: &str,
    partial: &HttpResponse,
) -> Result<HttpResponse, ApiError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(ApiError::unavailable)?;
    let len = file.metadata().await.map_err(ApiError::unavailable)?.len();
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type(key))
        .insert_header((header::ACCEPT_RANGES, "bytes"));
    for name in [header::ETAG, header::LAST_MODIFIED] {
        if let Some(value) = partial.headers().get(&name) {
            response.insert_header((name, value.clone()));
        }
    }
    Ok(response.body(SizedStream::new(
        len,
        ReaderStream::with_capacity(file, 64 * 1024),
    )))
}

/// The parameters of a signed link: `expires`, `signature`, and the `viewer` it names if any.
pub(crate) struct SignedLink {
    pub expires: u64,
    pub viewer: Option<i64>,
    pub signature: String,
}

impl SignedLink {
    /// Reads them from a query string; anything missing or malformed is a 403, like a link
    /// whose signature does not hold.
    pub(crate) fn parse(query: &str) -> Result<Self, ApiError> {
        let mut params = Params::parse(query);
        let expires = params.value::<u64>("expires", "Unix seconds");
        let viewer = params.value::<i64>("viewer", "a user id");
        let signature = params.value::<String>("signature", "the link's signature");
        match (expires, signature, params.errors.is_empty()) {
            (Some(expires), Some(signature), true) => Ok(Self {
                expires,
                viewer,
                signature,
            }),
            _ => Err(ApiError::new(
                ErrorKind::Forbidden,
                "The link has no valid expiry or signature.",
            )),
        }
    }
}

/// The type a browser plays or shows, from our own key's extension.
fn content_type(key: &str) -> mime::Mime {
    let named = VideoKind::from_key(key)
        .map(VideoKind::content_type)
        .or_else(|| ImageKind::from_key(key).map(ImageKind::content_type));
    named
        .and_then(|t| t.parse().ok())
        .unwrap_or(mime::APPLICATION_OCTET_STREAM)
}

/// A playback link keeps working only while its viewer may watch the movie: an owner (not
/// refunded since), or staff.
async fn still_entitled(state: &AppState, viewer: i64, key: &str) -> Result<(), ApiError> {
    let revoked = || {
        ApiError::new(
            ErrorKind::Forbidden,
            "This link no longer plays: the movie is not yours to watch.",
        )
    };
    let Some((movie_id, slot)) = movies::movie_of_video(&state.db, key).await? else {
        return Err(ApiError::not_found("No such object."));
    };
    if slot == VideoSlotKind::Trailer {
        return Ok(());
    }
    let staff = is_staff(state, viewer).await?;
    match state
        .commerce
        .may_play(&state.db, UserId(viewer), staff, MovieId(movie_id))
        .await
    {
        Ok(()) => Ok(()),
        Err(cinema_commerce::Error::NotOwned { .. }) => Err(revoked()),
        Err(e) => Err(e.into()),
    }
}

/// Receive a video or trailer through a signed upload link (local-disk storage; the link comes
/// from `…/video/upload-url`). The body is the file itself, streamed to disk, at most
/// `VIDEO_MAX_BYTES`; then call `…/complete`.
#[utoipa::path(
    tag = "media",
    params(
        ("folder" = String, Path, description = "`videos` or `trailers`"),
        ("file" = String, Path, description = "`<uuid>.<ext>`"),
        ("expires" = u64, Query, description = "Unix time the link stops working"),
        ("signature" = String, Query, description = "The link's signature"),
    ),
    request_body(content = String, content_type = "application/octet-stream", description = "The file's bytes"),
    responses(
        (status = 204, description = "Stored; now call `…/complete`"),
        (status = 400, description = "Not an MP4 or WebM video (by its bytes), or empty", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Expired, forged or altered link", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than `VIDEO_MAX_BYTES`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[put("/media-upload/{folder}/{file}")]
pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    mut body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Some(store) = &state.local_media else {
        return Err(ApiError::not_found("Uploads go to the object store."));
    };
    let (folder, file) = path.into_inner();
    let key = format!("{folder}/{file}");
    let SignedLink {
        expires, signature, ..
    } = SignedLink::parse(req.query_string())?;
    store.verify_upload(&key, expires, &signature, store.now_secs())?;
    let limit = state.watch.video_limit;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(cinema_media::Error::TooLarge {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
        }
        .into());
    }
    let mut spool = VideoSpool::new(&state.watch.spool_dir, limit).await?;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(ErrorKind::BadRequest, format!("The upload broke off: {e}."))
        })?;
        spool.push(&chunk).await?;
    }
    let video = spool.finish().await?;
    state.media.receive_upload(&state.db, &key, &video).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Whether the user a link names is active staff (a moderator or an admin), who may play
/// anything. Read at each use: a demotion counts at once.
pub(crate) async fn is_staff(state: &AppState, viewer: i64) -> Result<bool, ApiError> {
    Ok(cinema_identity::users::find(&state.db, UserId(viewer))
        .await?
        .filter(|u| u.is_active)
        .and_then(|u| Role::from_group_id(u.group_id))
        .is_some_and(|role| role >= Role::Moderator))
}
