//! Public catalog answers through the read cache (`cinema_catalog::cache`), with HTTP
//! validators: every answer carries an `ETag` (a digest of its bytes, so equal on every
//! instance) and `Cache-Control`; a request whose `If-None-Match` names the current tag gets
//! `304` from the cache alone.

use std::{future::Future, sync::Arc};

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, HeaderValue},
};
use cinema_catalog::{
    cache::{Answer, Scope},
    replicas::Reader,
};
use serde::Serialize;

use crate::{AppState, error::ApiError};

/// The cached answer to `route` with this normalized `query`, computed by `compute` on a miss,
/// on a read replica that keeps up or the primary (`cinema_catalog::replicas`): `compute` reads
/// through the [`Reader`] it is given, and is run again on the primary if a replica fails it.
pub async fn answer<T, F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    scope: Scope,
    route: &'static str,
    query: String,
    compute: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: Fn(Reader) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let answer = public(state, scope, route, query, compute).await?;
    Ok(respond(state, req, &answer))
}

/// The cached public answer itself, for handlers that add to it.
pub async fn public<T, F, Fut>(
    state: &AppState,
    scope: Scope,
    route: &'static str,
    query: String,
    compute: F,
) -> Result<Arc<Answer>, ApiError>
where
    T: Serialize,
    F: Fn(Reader) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let cache = state.catalog.cache();
    let ticket = cache.ticket(scope, route, query);
    if let Some(hit) = ticket.as_ref().and_then(|t| cache.get(t)) {
        return Ok(hit);
    }
    let computed = state
        .catalog
        .read_public(|e: &ApiError| !e.kind().is_client_error(), compute)
        .await?;
    let body = serde_json::to_vec(&computed).map_err(ApiError::internal)?;
    Ok(match ticket {
        Some(ticket) => cache.put(ticket, body),
        None => Arc::new(Answer::new(body)),
    })
}

/// `200` with the answer, or `304` when the caller holds it already.
pub fn respond(state: &AppState, req: &HttpRequest, answer: &Answer) -> HttpResponse {
    let mut response = if holds(req, &answer.etag) {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    if let Ok(etag) = HeaderValue::from_str(&answer.etag) {
        response.insert_header((header::ETAG, etag));
    }
    response.insert_header((header::CACHE_CONTROL, state.catalog_cache_control.clone()));
    if holds(req, &answer.etag) {
        return response.finish();
    }
    response
        .content_type(mime::APPLICATION_JSON)
        .body(answer.body.clone())
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for this header).
fn holds(req: &HttpRequest, etag: &str) -> bool {
    let ours = etag.trim_start_matches("W/");
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours)
}
