//! `GET /health` (the process answers) and `GET /health/ready` (it can reach its database).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{AppState, error::ApiError};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "healthy"}))]
pub struct Health {
    /// Always `healthy` when the process can answer.
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ready", "database": "ok"}))]
pub struct Readiness {
    pub status: &'static str,
    pub database: &'static str,
}

/// Liveness: the process is up and serving HTTP. Touches nothing else.
#[utoipa::path(
    tag = "health",
    responses((status = 200, description = "The process is serving", body = Health)),
)]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "healthy" })
}

/// Readiness: the database answers a query.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready to take traffic", body = Readiness),
        (status = 503, description = "The database is unreachable", body = crate::error::Problem,
         content_type = "application/problem+json"),
    ),
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db.ping().await.map_err(ApiError::unavailable)?;
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        database: "ok",
    }))
}
