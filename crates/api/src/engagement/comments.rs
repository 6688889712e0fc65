//! `/api/v1/movies/{id}/comments` and `/api/v1/comments/{id}`: threads, replies, likes and
//! deletion.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use cinema_engagement::CommentView;
use cinema_identity::Role;
use cinema_kernel::time::rfc3339;
use cinema_kernel::{CommentId, MovieId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    AppState,
    auth::Authenticated,
    body::Json,
    error::{ApiError, Problem},
    page::{PageQuery, PageResponse, page_request},
};

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"body": "The hallway fight still holds up."}))]
pub struct CommentRequest {
    /// 1–2,000 characters (surrounding spaces do not count). Also accepted as `text` or
    /// `content`.
    #[schema(min_length = 1, max_length = 2000)]
    #[serde(alias = "text", alias = "content")]
    pub body: String,
}

/// A comment or a reply.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "movie_id": 42, "parent_id": null, "author_id": 3, "author": "Ann Lee", "body": "The hallway fight still holds up.", "deleted": false, "like_count": 4, "reply_count": 2, "created_at": "2026-12-02T10:00:00Z"}))]
pub struct CommentResponse {
    pub id: i64,
    pub movie_id: i64,
    /// The comment this replies to; null for a comment on the movie.
    pub parent_id: Option<i64>,
    /// Null for a deleted comment or a deleted account.
    pub author_id: Option<i64>,
    /// The author's display name.
    pub author: Option<String>,
    /// Empty once deleted.
    pub body: String,
    /// A deleted comment with replies keeps its place in the thread.
    pub deleted: bool,
    pub like_count: i64,
    pub reply_count: i64,
    pub created_at: String,
}

impl From<CommentView> for CommentResponse {
    fn from(v: CommentView) -> Self {
        let c = v.comment;
        let deleted = c.deleted;
        Self {
            id: c.id,
            movie_id: c.movie_id,
            parent_id: c.parent_id,
            author_id: if deleted { None } else { c.user_id },
            author: if deleted { None } else { v.author },
            body: c.body,
            deleted,
            like_count: c.like_count,
            reply_count: c.reply_count,
            created_at: rfc3339(c.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"comment_id": 7, "like_count": 5, "liked": true}))]
pub struct CommentLikeResponse {
    pub comment_id: i64,
    pub like_count: i64,
    /// Whether the caller likes it now.
    pub liked: bool,
}

/// A movie's comments (not replies), newest first, each with its author, like and reply count.
#[utoipa::path(tag = "engagement", operation_id = "list_comments", params(("id" = i64, Path), PageQuery), responses(
    (status = 200, description = "A page of comments", body = PageResponse<CommentResponse>),
    (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
))]
#[get("/movies/{id}/comments")]
pub async fn list(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.skip, query.limit)?;
    let found = state
        .engagement
        .comments(&state.db, MovieId(id.into_inner()), page)
        .await?;
    Ok(HttpResponse::Ok().json(PageResponse::from_page(found, CommentResponse::from)))
}

/// Comment on a movie. Limited per user (429 with `Retry-After` when posting too fast).
#[utoipa::path(tag = "engagement", params(("id" = i64, Path)), request_body = CommentRequest, security(("bearer" = [])), responses(
    (status = 201, description = "The comment", body = CommentResponse),
    (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The body is empty or longer than 2,000 characters", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many comments just now (`urn:cinema:problem:rate-limited:comments`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
))]
#[post("/movies/{id}/comments")]
pub async fn create(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    json: Json<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let created = state
        .engagement
        .comment(
            &state.db,
            user.user_id(),
            MovieId(id.into_inner()),
            &body.body,
        )
        .await?;
    Ok(HttpResponse::Created().json(CommentResponse::from(created)))
}

/// Reply to a comment; its author is notified (in the app and by e-mail).
#[utoipa::path(tag = "engagement", params(("id" = i64, Path)), request_body = CommentRequest, security(("bearer" = [])), responses(
    (status = 201, description = "The reply", body = CommentResponse),
    (status = 404, description = "No such comment", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The comment was deleted", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The body is empty or longer than 2,000 characters", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many comments just now (`urn:cinema:problem:rate-limited:comments`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
))]
#[post("/comments/{id}/replies")]
pub async fn reply(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    json: Json<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let created = state
        .engagement
        .reply(
            &state.db,
            user.user_id(),
            CommentId(id.into_inner()),
            &body.body,
        )
        .await?;
    Ok(HttpResponse::Created().json(CommentResponse::from(created)))
}

/// A comment's replies, newest first.
#[utoipa::path(tag = "engagement", params(("id" = i64, Path), PageQuery), responses(
    (status = 200, description = "A page of replies", body = PageResponse<CommentResponse>),
    (status = 404, description = "No such comment", body = Problem, content_type = "application/problem+json"),
))]
#[get("/comments/{id}/replies")]
pub async fn replies(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.skip, query.limit)?;
    let found = state
        .engagement
        .replies(&state.db, CommentId(id.into_inner()), page)
        .await?;
    Ok(HttpResponse::Ok().json(PageResponse::from_page(found, CommentResponse::from)))
}

/// Delete a comment (its author, or a moderator). One with replies keeps its place as
/// "deleted", without its text.
#[utoipa::path(tag = "engagement", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "Neither its author nor a moderator", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such comment", body = Problem, content_type = "application/problem+json"),
))]
#[delete("/comments/{id}")]
pub async fn remove(
    Authenticated(user): Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let moderator = (user.role >= Role::Moderator).then(|| crate::audit::actor(&req, &user));
    state
        .engagement
        .delete_comment(
            &state.db,
            user.user_id(),
            moderator.as_ref(),
            CommentId(id.into_inner()),
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn set_like(
    state: &AppState,
    user: i64,
    comment_id: i64,
    liked: bool,
) -> Result<HttpResponse, ApiError> {
    let like_count = state
        .engagement
        .like_comment(&state.db, UserId(user), CommentId(comment_id), liked)
        .await?;
    Ok(HttpResponse::Ok().json(CommentLikeResponse {
        comment_id,
        like_count,
        liked,
    }))
}

/// Like a comment (again is fine); its author is notified, once an hour at most.
#[utoipa::path(tag = "engagement", operation_id = "like_comment", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "The comment's likes", body = CommentLikeResponse),
    (status = 404, description = "No such comment", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The comment was deleted", body = Problem, content_type = "application/problem+json"),
))]
#[post("/comments/{id}/like")]
pub async fn like(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    set_like(&state, user.id, id.into_inner(), true).await
}

/// Take your like of a comment back.
#[utoipa::path(tag = "engagement", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "The comment's likes", body = CommentLikeResponse),
    (status = 404, description = "No such comment", body = Problem, content_type = "application/problem+json"),
))]
#[delete("/comments/{id}/like")]
pub async fn unlike(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    set_like(&state, user.id, id.into_inner(), false).await
}
