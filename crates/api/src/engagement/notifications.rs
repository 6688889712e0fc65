//! `/api/v1/notifications`: replies to and likes of your comments.

use actix_web::{HttpResponse, get, post, web};
use cinema_engagement::NotificationView;
use cinema_kernel::NotificationId;
use cinema_kernel::time::rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    AppState,
    auth::Authenticated,
    error::{ApiError, Problem},
    page::{PageQuery, page_request},
};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 5, "kind": "comment_replied", "actor": "Bob Ray", "comment_id": 7, "movie_id": 42, "read": false, "created_at": "2026-12-02T10:05:00Z"}))]
pub struct NotificationResponse {
    pub id: i64,
    /// `comment_replied` or `comment_liked`.
    pub kind: String,
    /// Who did it; null once their account is gone.
    pub actor: Option<String>,
    /// Your comment it is about.
    pub comment_id: Option<i64>,
    pub movie_id: Option<i64>,
    pub read: bool,
    pub created_at: String,
}

impl From<NotificationView> for NotificationResponse {
    fn from(v: NotificationView) -> Self {
        let n = v.notification;
        Self {
            id: n.id,
            kind: n.kind,
            actor: v.actor,
            comment_id: n.comment_id,
            movie_id: n.movie_id,
            read: n.read_at.is_some(),
            created_at: rfc3339(n.created_at),
        }
    }
}

/// A page of notifications and how many are unread in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPageResponse {
    pub items: Vec<NotificationResponse>,
    pub total: u64,
    pub skip: u64,
    pub limit: u64,
    pub unread_count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"marked_read": 3}))]
pub struct ReadAllResponse {
    /// How many were unread.
    pub marked_read: u64,
}

/// Your notifications, newest first, with the unread count.
#[utoipa::path(tag = "engagement", operation_id = "list_notifications", params(PageQuery), security(("bearer" = [])), responses(
    (status = 200, description = "A page of notifications", body = NotificationPageResponse),
))]
#[get("/notifications")]
pub async fn list(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.skip, query.limit)?;
    let found = state
        .engagement
        .notifications(&state.db, user.user_id(), page)
        .await?;
    Ok(HttpResponse::Ok().json(NotificationPageResponse {
        total: found.page.total,
        skip: found.page.skip,
        limit: found.page.limit,
        unread_count: found.unread,
        items: found.page.items.into_iter().map(Into::into).collect(),
    }))
}

/// Mark one of your notifications read.
#[utoipa::path(tag = "engagement", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "The notification", body = NotificationResponse),
    (status = 404, description = "No such notification of yours", body = Problem, content_type = "application/problem+json"),
))]
#[post("/notifications/{id}/read")]
pub async fn read(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let notification = state
        .engagement
        .mark_read(&state.db, user.user_id(), NotificationId(id.into_inner()))
        .await?;
    Ok(
        HttpResponse::Ok().json(NotificationResponse::from(NotificationView {
            notification,
            actor: None,
        })),
    )
}

/// Mark all your notifications read.
#[utoipa::path(tag = "engagement", security(("bearer" = [])), responses(
    (status = 200, description = "How many were unread", body = ReadAllResponse),
))]
#[post("/notifications/read-all")]
pub async fn read_all(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let marked_read = state
        .engagement
        .mark_all_read(&state.db, user.user_id())
        .await?;
    Ok(HttpResponse::Ok().json(ReadAllResponse { marked_read }))
}
