//! The audit trail over HTTP: who a staff request acts as ([`actor`]), and
//! `GET /admin/audit` (admins) to read the trail.

use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use cinema_identity::AuthUser;
use cinema_kernel::{
    FieldError,
    audit::{self, Actor, Filter, Record},
    time::rfc3339,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    AppState,
    auth::Admin,
    error::ApiError,
    middleware::RequestId,
    page::{PageResponse, day_range, page_request},
};

/// A moderator or admin, as the audit trail records them: extracting it authenticates like
/// [`crate::auth::Moderator`].
#[derive(Debug, Clone)]
pub struct ModeratorActing(pub Actor);

/// An admin, as the audit trail records them (see [`ModeratorActing`]).
#[derive(Debug, Clone)]
pub struct AdminActing(pub Actor);

macro_rules! acting_extractor {
    ($name:ident, $role:expr) => {
        impl actix_web::FromRequest for $name {
            type Error = ApiError;
            type Future =
                std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

            fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let user = crate::auth::authenticate(req.clone(), $role).await?;
                    Ok($name(actor(&req, &user)))
                })
            }
        }
    };
}

acting_extractor!(ModeratorActing, cinema_identity::Role::Moderator);
acting_extractor!(AdminActing, cinema_identity::Role::Admin);

/// The signed-in staff member behind a request, with the request's id.
pub fn actor(req: &HttpRequest, user: &AuthUser) -> Actor {
    Actor {
        user_id: Some(user.user_id()),
        email: Some(user.email.clone()),
        request_id: req.extensions().get::<RequestId>().map(|id| id.0.clone()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Only this user's writes.
    pub actor_id: Option<i64>,
    /// Only this action (`movie.update`), or, ending in a dot, every action on one kind of
    /// object (`movie.`).
    #[param(max_length = 64)]
    pub action: Option<String>,
    /// Only writes to this kind of object (`movie`, `genre`, `user`, `order`, `payment`, `job`,
    /// `comment`, …).
    #[param(max_length = 32)]
    pub object_type: Option<String>,
    /// Only writes to this object (its id; with `object_type`).
    #[param(max_length = 64)]
    pub object_id: Option<String>,
    /// Only records on or after this day (UTC).
    pub date_from: Option<NaiveDate>,
    /// Only records on or before this day (UTC).
    pub date_to: Option<NaiveDate>,
    /// Items to skip (default 0).
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub skip: Option<u64>,
    /// Items per page (1–100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// One recorded staff write.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 812, "at": "2026-12-07T10:05:00.120Z", "actor_id": 3, "actor_email": "moderator@cinema.localhost", "action": "movie.update", "object_type": "movie", "object_id": "42", "summary": "price: 9.99 → 12.50", "request_id": "3f1b8a2e-6c1d-4b7a-9d5e-2a4c8e9f0b1d"}))]
pub struct AuditRecordResponse {
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who (`null`: a write made outside a signed-in request, such as a job).
    pub actor_id: Option<i64>,
    /// Their e-mail at the time.
    pub actor_email: Option<String>,
    /// What was done: `object.verb` (`movie.create`, `movie.force_delete`, `user.deactivate`,
    /// `payment.refund`, `job.retry`, `comment.remove`, …).
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// What changed, briefly: `field: before → after`, `;`-separated.
    pub summary: String,
    /// The request's `X-Request-Id`, to find its log lines.
    pub request_id: Option<String>,
}

impl From<Record> for AuditRecordResponse {
    fn from(r: Record) -> Self {
        Self {
            id: r.id,
            at: rfc3339(r.at),
            actor_id: r.actor_id,
            actor_email: r.actor_email,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            summary: r.summary,
            request_id: r.request_id,
        }
    }
}

/// The audit trail (admins): every moderator and admin write — movies, posters, videos,
/// taxonomy, users and roles, activation, orders, refunds, job retries, forced deletes,
/// comment removals — with who, what, which object, a before/after summary and the request
/// id, newest first. Each record was written in the same transaction as its change.
#[utoipa::path(tag = "admin", params(AuditQuery), security(("bearer" = [])), responses(
    (status = 200, description = "A page of records", body = PageResponse<AuditRecordResponse>),
))]
#[get("/admin/audit")]
pub async fn list(
    _: Admin,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = page_request(query.skip, query.limit)?;
    let mut errors: Vec<FieldError> = [
        ("action", &query.action, 64),
        ("object_type", &query.object_type, 32),
        ("object_id", &query.object_id, 64),
    ]
    .into_iter()
    .filter(|(_, value, max)| value.as_ref().is_some_and(|v| v.chars().count() > *max))
    .map(|(name, _, max)| FieldError::new(name, format!("must be at most {max} characters")))
    .collect();
    if query.object_id.is_some() && query.object_type.is_none() {
        errors.push(FieldError::new(
            "object_id",
            "needs object_type (ids are per kind of object)",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let (from, before) = day_range(query.date_from, query.date_to)?;
    let filter = Filter {
        actor_id: query.actor_id,
        action: query.action,
        object_type: query.object_type,
        object_id: query.object_id,
        from,
        before,
    };
    let found = audit::list(&state.db, &filter, page)
        .await
        .map_err(cinema_kernel::Common::from)?;
    Ok(HttpResponse::Ok().json(PageResponse::from_page(found, AuditRecordResponse::from)))
}
