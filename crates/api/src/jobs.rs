//! `/api/v1/admin/jobs`: what the background worker did, and retrying dead jobs.

use actix_web::{HttpResponse, get, post, web};
use cinema_kernel::JobId;
use cinema_kernel::time::rfc3339;
use cinema_notify::{Job, JobStatus, admin};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    AppState,
    audit::AdminActing,
    auth::Admin,
    error::{ApiError, Problem},
    page::{PageResponse, page_request},
};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 12, "kind": "email", "status": "dead", "attempts": 8, "run_at": "2026-11-22T10:00:00Z", "last_error": "temporary mail failure: connection refused", "created_at": "2026-11-22T09:00:00Z", "updated_at": "2026-11-22T10:00:00Z", "finished_at": "2026-11-22T10:00:00Z"}))]
pub struct JobResponse {
    pub id: i64,
    pub kind: String,
    /// `pending`, `running`, `done` or `dead`.
    pub status: String,
    pub attempts: i32,
    pub run_at: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

impl From<Job> for JobResponse {
    fn from(j: Job) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            status: j.status,
            attempts: j.attempts,
            run_at: rfc3339(j.run_at),
            last_error: j.last_error,
            created_at: rfc3339(j.created_at),
            updated_at: rfc3339(j.updated_at),
            finished_at: j.finished_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct JobQuery {
    /// `pending`, `running`, `done` or `dead`; all when absent.
    #[param(value_type = Option<JobStatusName>, inline)]
    pub status: Option<String>,
    /// Items to skip (default 0).
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub skip: Option<u64>,
    /// Items per page (1–100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// A job's status on the wire.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "documents the values the status filter reads")]
pub enum JobStatusName {
    Pending,
    Running,
    Done,
    Dead,
}

/// Jobs, most recently changed first.
#[utoipa::path(
    tag = "admin",
    params(JobQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of jobs", body = PageResponse<JobResponse>),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/admin/jobs")]
pub async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<JobQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.skip, query.limit)?;
    let status = query
        .status
        .as_deref()
        .map(str::parse::<JobStatus>)
        .transpose()
        .map_err(|e| ApiError::invalid(vec![cinema_kernel::FieldError::new("status", e)]))?;
    let jobs = admin::list(&state.db, status, page).await?;
    Ok(HttpResponse::Ok().json(PageResponse::from_page(jobs, JobResponse::from)))
}

/// One job.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job", body = JobResponse),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/admin/jobs/{id}")]
pub async fn get(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let job = admin::get(&state.db, JobId(id.into_inner())).await?;
    Ok(HttpResponse::Ok().json(JobResponse::from(job)))
}

/// Put a dead job back in the queue, due now, with a fresh set of attempts.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Queued again", body = JobResponse),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The job is not dead", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/admin/jobs/{id}/retry")]
pub async fn retry(
    AdminActing(actor): AdminActing,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let job = admin::retry(&state.db, &state.clock, &actor, JobId(id.into_inner())).await?;
    Ok(HttpResponse::Ok().json(JobResponse::from(job)))
}
