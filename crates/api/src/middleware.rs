//! Request-level middleware: request ids with a tracing span per request, trailing-slash
//! tolerance without redirects, security headers, and a deadline for request bodies.

use std::time::Instant;

use actix_web::{
    Error, HttpMessage,
    body::{EitherBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    error::PayloadError,
    http::{
        Method, Uri,
        header::{self, HeaderName, HeaderValue},
        uri::PathAndQuery,
    },
    middleware::Next,
    web::{self, Bytes},
};
use cinema_kernel::FieldError;
use tracing::Instrument;

use crate::{client_addr::ClientAddressPolicy, error::ApiError};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, available to handlers as request extension data.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Gives every request an id (the caller's `X-Request-Id` when it is a sane token), decides its
/// client address (`client_addr`), runs the rest of the chain inside a span carrying both, logs
/// one line per request and echoes the id.
pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let client = req
        .app_data::<web::Data<ClientAddressPolicy>>()
        .and_then(|policy| policy.client(req.peer_addr().map(|a| a.ip()), req.headers()));
    if let Some(client) = client {
        req.extensions_mut().insert(client);
    }
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        client = %client.map_or_else(|| "-".to_owned(), |c| c.ip.to_string()),
        method = %req.method(),
        path = %req.path(),
    );
    let started = Instant::now();
    let method = req.method().clone();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let status = res.status().as_u16();
    crate::metrics::request(
        res.request().match_pattern().as_deref(),
        &method,
        status,
        started.elapsed(),
    );
    let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, elapsed_us, "request finished");
        } else {
            tracing::info!(status, elapsed_us, "request finished");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    Ok(res)
}

/// Swagger UI: its own scripts and styles only, talking to this server only, never framed.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";
/// Stored images: nothing runs, nothing loads, never framed.
const MEDIA_CSP: &str = "default-src 'none'; sandbox; frame-ancestors 'none'";

/// Headers that make browsers treat answers as what they are: no content sniffing anywhere;
/// Swagger UI and stored media also get a restrictive `Content-Security-Policy` and may not be
/// framed (`X-Frame-Options` for browsers that predate `frame-ancestors`).
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let csp = if req.path().starts_with("/docs") {
        Some(DOCS_CSP)
    } else if req.path().starts_with("/media/") {
        Some(MEDIA_CSP)
    } else {
        None
    };
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(csp) = csp {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    Ok(res)
}

/// Refuses a query string whose decoded names or values hold control characters (NUL and the
/// like reach no handler, and no database) or bidirectional overrides, with a 422 naming the
/// parameter.
pub async fn plain_query(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let bad = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, value)| name.chars().chain(value.chars()).any(not_plain))
        .map(|(name, _)| {
            name.chars()
                .filter(|c| !not_plain(*c))
                .take(40)
                .collect::<String>()
        });
    if let Some(name) = bad {
        let error = ApiError::invalid(vec![FieldError::new(
            name,
            "must not contain control characters or bidirectional overrides",
        )]);
        let response = actix_web::ResponseError::error_response(&error);
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn not_plain(c: char) -> bool {
    c.is_control() || cinema_kernel::text::is_bidi_control(c)
}

/// How long a request body may take to arrive, in full.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub std::time::Duration);

/// Cuts off a request body that has not arrived in full within [`BodyTimeout`] of the
/// request's start: a client trickling bytes (1 byte/s against a declared length) holds a
/// connection for at most that long. The reader gets a timed-out error, answered 408.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // Only requests that carry a body get a timer (catalog reads stay as cheap as they were).
    // Video uploads (gigabytes, sent by moderators or through a signed link) are not held to
    // it: their limit is their size.
    let has_body = req.headers().contains_key(header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    let has_body = has_body && !is_video_upload(req.method(), req.path());
    if let (true, Some(BodyTimeout(timeout))) = (has_body, req.app_data::<BodyTimeout>().copied()) {
        let timed = DeadlinePayload {
            inner: req.take_payload(),
            deadline: Box::pin(tokio::time::sleep(timeout)),
        };
        req.set_payload(Payload::Stream {
            payload: Box::pin(timed),
        });
    }
    next.call(req).await
}

/// `PUT /api/v1/movies/{id}/video|trailer` and `PUT /media-upload/…`.
fn is_video_upload(method: &Method, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    *method == Method::PUT
        && (path.starts_with(cinema_media::local::UPLOAD_ROUTE_PREFIX)
            || (path.starts_with("/api/v1/movies/")
                && (path.ends_with("/video") || path.ends_with("/trailer"))))
}

struct DeadlinePayload {
    inner: Payload,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl futures_util::Stream for DeadlinePayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        if let Poll::Ready(item) = std::pin::Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body was sent too slowly",
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

fn is_sane_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Routes are declared without a trailing slash; this trims one (or more) before routing so
/// `/api/v1/movies/` and `/api/v1/movies` reach the same handler, with no redirect.
/// Swagger UI lives under `/docs/` and needs its slash, so it is left alone.
pub async fn trim_trailing_slash(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let path = req.path();
    if path.len() > 1 && path.ends_with('/') && !path.starts_with(crate::docs::DOCS_PREFIX) {
        let trimmed = match path.trim_end_matches('/') {
            "" => "/",
            p => p,
        };
        let rewritten = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        if let Ok(pq) = PathAndQuery::try_from(rewritten) {
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                req.match_info_mut().get_mut().update(&uri);
                req.head_mut().uri = uri;
            }
        }
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::is_sane_id;

    #[test]
    fn only_short_plain_tokens_are_trusted_as_request_ids() {
        assert!(is_sane_id("abc-123_x.y"));
        assert!(!is_sane_id(""));
        assert!(!is_sane_id("a b"));
        assert!(!is_sane_id("x\ny"));
        assert!(!is_sane_id(&"a".repeat(65)));
    }
}
