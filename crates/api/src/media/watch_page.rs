//! `GET /watch/{movie_id}`: a plain HTML page that plays a movie in the browser, so that with
//! no configuration a person can buy a movie and watch it with nothing else installed. Like the
//! test gateway's page: no framework, no script, every value escaped, a policy that lets it
//! load nothing but the video. Its link comes with the play answer (`watch_url`), signed for
//! one viewer and short-lived; each load checks the viewer may still watch and issues a fresh
//! playback link.

use cinema_kernel::text::escape_html;
use cinema_kernel::{MovieId, UserId};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use cinema_catalog::movies::{self, VideoSlotKind};
use cinema_kernel::ErrorKind;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::{
    AppState,
    error::{ApiError, Problem},
};

/// The key watch-page links are signed with (derived from `JWT_SECRET`, so every instance
/// accepts every other's links). Never printed.
#[derive(Clone)]
pub struct PageKey(Hmac<Sha256>);

impl std::fmt::Debug for PageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageKey(…)")
    }
}

impl PageKey {
    pub fn new(secret: &[u8]) -> Self {
        let mut mac = keyed(b"cinema-watch-page");
        mac.update(secret);
        Self(keyed(&mac.finalize().into_bytes()))
    }

    /// A key of its own (links die with the process), for a default configuration.
    pub fn random() -> Self {
        Self::new(uuid::Uuid::new_v4().as_bytes())
    }

    fn mac(&self, movie_id: i64, viewer: i64, expires: u64) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(format!("{movie_id}\n{viewer}\n{expires}").as_bytes());
        mac
    }

    /// The signed page link of `movie_id` for `viewer`, valid until `expires` (Unix seconds).
    pub fn link(&self, base_url: &str, movie_id: i64, viewer: i64, expires: u64) -> String {
        let signature =
            URL_SAFE_NO_PAD.encode(self.mac(movie_id, viewer, expires).finalize().into_bytes());
        format!(
            "{}/watch/{movie_id}?viewer={viewer}&expires={expires}&signature={signature}",
            base_url.trim_end_matches('/')
        )
    }

    fn verify(&self, movie_id: i64, viewer: i64, expires: u64, signature: &str) -> bool {
        URL_SAFE_NO_PAD.decode(signature).is_ok_and(|sig| {
            self.mac(movie_id, viewer, expires)
                .verify_slice(&sig)
                .is_ok()
        })
    }
}

/// HMAC-SHA256 keyed with `key` (HMAC takes keys of any length, so the fallback is never used).
fn keyed(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()))
}

/// Watch a movie in the browser: the page a play answer's `watch_url` opens.
#[utoipa::path(
    tag = "watch",
    params(
        ("movie_id" = i64, Path),
        ("viewer" = i64, Query, description = "The user the link was issued to"),
        ("expires" = u64, Query, description = "Unix time the link stops working"),
        ("signature" = String, Query, description = "The link's signature"),
    ),
    responses(
        (status = 200, description = "A page with a video player", content_type = "text/html", body = String),
        (status = 403, description = "Expired or forged link, or a viewer who may no longer watch", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such movie, or it has no video", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/watch/{movie_id}")]
pub async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    movie_id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let movie_id = movie_id.into_inner();
    let forbidden = |detail: &str| ApiError::new(ErrorKind::Forbidden, detail.to_owned());
    let link = super::serve::SignedLink::parse(req.query_string())?;
    let (Some(viewer), expires, signature) = (link.viewer, link.expires, link.signature) else {
        return Err(forbidden("The link names no viewer."));
    };
    if !state
        .watch
        .page_key
        .verify(movie_id, viewer, expires, &signature)
    {
        return Err(forbidden("The link's signature is not valid."));
    }
    if expires <= state.clock.now_secs() {
        return Err(forbidden("The link has expired; ask for a new one."));
    }
    let detail = movies::detail(&state.db, MovieId(movie_id)).await?;
    let staff = super::serve::is_staff(&state, viewer).await?;
    state
        .commerce
        .may_play(&state.db, UserId(viewer), staff, MovieId(movie_id))
        .await?;
    let video = movies::video_of(&state.db, MovieId(movie_id), VideoSlotKind::Video)
        .await?
        .ok_or_else(|| ApiError::not_found("This movie has no video yet."))?;
    let src = state
        .media
        .viewer_link(&video.key, state.watch.playback_ttl, UserId(viewer))
        .await?;
    let origin = url::Url::parse(&src)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let title = escape_html(&detail.summary.movie.name);
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\
         <style>body{{margin:0;background:#111;color:#eee;font-family:sans-serif}}\
         video{{display:block;width:100%;max-height:90vh;background:#000}}\
         h1{{font-size:1.2rem;margin:.6rem 1rem}}</style></head><body>\
         <h1>{title} ({year})</h1>\
         <video id=\"player\" controls preload=\"metadata\" src=\"{src}\" type=\"{kind}\"></video>\
         </body></html>",
        year = detail.summary.movie.year,
        src = escape_html(&src),
        kind = escape_html(&video.content_type),
    );
    let policy = format!(
        "default-src 'none'; media-src {}; style-src 'unsafe-inline'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'",
        if origin.is_empty() { "'self'" } else { &origin }
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        // The page carries a playback link: never cached, never framed.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, policy))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body))
}

/// The watch page's link for `viewer`, valid as long as a playback link.
pub(crate) fn page_link(state: &AppState, movie_id: i64, viewer: i64) -> String {
    let ttl: Duration = state.watch.playback_ttl;
    let expires = state.clock.now_secs() + ttl.as_secs();
    state
        .watch
        .page_key
        .link(&state.watch.public_url, movie_id, viewer, expires)
}
