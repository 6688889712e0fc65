//! `GET /media/{folder}/{file}`: objects of the local-disk store, for the signed links it
//! hands out. With S3 storage, links point at S3 itself and this route finds nothing.

use actix_web::{HttpRequest, HttpResponse, body::SizedStream, get, http::header, web};
use cinema_kernel::ErrorKind;
use tokio_util::io::ReaderStream;

use crate::{
    AppState,
    error::{ApiError, Problem},
    params::Params,
};

/// Download an avatar or poster through a signed link (local-disk storage only).
#[utoipa::path(
    tag = "media",
    params(
        ("folder" = String, Path, description = "`avatars` or `posters`"),
        ("file" = String, Path, description = "`<uuid>.<ext>`"),
        ("expires" = u64, Query, description = "Unix time the link stops working"),
        ("signature" = String, Query, description = "The link's signature"),
    ),
    responses(
        (status = 200, description = "The image: JPEG, PNG or WebP", content_type = "image/*"),
        (status = 403, description = "Expired, forged or altered link", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such object", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/media/{folder}/{file}")]
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
    let mut params = Params::parse(req.query_string());
    let expires = params.value::<u64>("expires", "Unix seconds");
    let signature = params.value::<String>("signature", "the link's signature");
    let (Some(expires), Some(signature)) = (expires, signature) else {
        return Err(ApiError::new(
            ErrorKind::Forbidden,
            "The link has no valid expiry or signature.",
        ));
    };
    let object = store
        .open(
            &format!("{folder}/{file}"),
            expires,
            &signature,
            store.now_secs(),
        )
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(object.content_type)
        .insert_header((
            header::CACHE_CONTROL,
            format!("private, max-age={}", object.max_age),
        ))
        // nosniff, the policy and framing headers come from `middleware::security_headers`.
        .body(SizedStream::new(object.len, ReaderStream::new(object.file))))
}
