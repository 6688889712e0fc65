//! `GET /health` (the process answers) and `GET /health/ready` (it can reach its database and
//! is not shutting down; see [`crate::readiness`]).

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use cinema_kernel::ErrorKind;

use crate::{AppState, error::ApiError, readiness};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "healthy"}))]
pub struct Health {
    /// Always `healthy` when the process can answer.
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ready", "database": "ok", "replicas": {"configured": 2, "usable": 1}}))]
pub struct Readiness {
    pub status: &'static str,
    pub database: &'static str,
    /// Read replicas (`DATABASE_REPLICA_URLS`), when any is configured. Informational: a
    /// replica that is down or behind never makes the process unready (reads go to the
    /// primary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<ReplicaStatus>,
}

/// How many read replicas public catalog reads may use now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplicaStatus {
    /// Replicas configured.
    pub configured: usize,
    /// Replicas that answer, lag at most `REPLICA_MAX_LAG_MS` and have replayed every catalog
    /// change this process knows of.
    pub usable: usize,
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

/// Readiness: the database answers a query within a second, and the process is not shutting
/// down. Red at once (never a hang) when either fails; a 503 carries `Retry-After`.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready to take traffic", body = Readiness),
        (status = 503, description = "The database is unreachable, or the process is shutting down", body = crate::error::Problem,
         content_type = "application/problem+json"),
    ),
)]
#[get("/health/ready")]
pub async fn ready(
    state: web::Data<AppState>,
    readiness: web::Data<readiness::Readiness>,
) -> Result<HttpResponse, ApiError> {
    if let Err(why) = readiness.check(&state.db).await {
        // Said in the log by the probe or the shutdown, once; not per balancer probe.
        tracing::debug!(?why, "not ready");
        return Err(ApiError::new(ErrorKind::Unavailable, ""));
    }
    let replicas = state.catalog.replicas();
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        database: "ok",
        replicas: (!replicas.is_empty()).then(|| ReplicaStatus {
            configured: replicas.len(),
            usable: replicas.usable(state.catalog.cache().newest_applied()),
        }),
    }))
}
