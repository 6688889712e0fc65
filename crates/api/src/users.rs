//! `/api/v1/users`: admin user management.

use crate::body::Json;
use actix_web::{HttpRequest, HttpResponse, get, patch, web};
use cinema_identity::{Role, entity::user, users};
use cinema_kernel::UserId;
use cinema_kernel::time::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    AppState,
    auth::Admin,
    error::{ApiError, Problem},
    page::{PageResponse, page_request},
};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 2, "email": "bob@example.com", "group": "MODERATOR", "is_active": true, "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:05:00Z"}))]
pub struct UserResponse {
    pub id: i64,
    pub email: String,
    pub group: String,
    pub is_active: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<user::Model> for UserResponse {
    fn from(u: user::Model) -> Self {
        Self {
            id: u.id,
            group: Role::from_group_id(u.group_id)
                .unwrap_or(Role::User)
                .as_str()
                .to_owned(),
            email: u.email,
            is_active: u.is_active,
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserQuery {
    /// Part of the e-mail (case-insensitive, literal).
    pub email: Option<String>,
    /// `USER`, `MODERATOR` or `ADMIN`.
    #[param(value_type = Option<RoleName>, inline)]
    pub group: Option<Role>,
    pub is_active: Option<bool>,
    /// Items to skip (default 0).
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub skip: Option<u64>,
    /// Items per page (1–100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"group": "MODERATOR", "is_active": true}))]
pub struct UserPatch {
    #[serde(default, deserialize_with = "crate::patch::present")]
    #[schema(value_type = RoleName, inline)]
    pub group: Option<Role>,
    #[serde(default, deserialize_with = "crate::patch::present")]
    #[schema(value_type = bool)]
    pub is_active: Option<bool>,
}

/// A role on the wire (documentation of `cinema_identity::Role`'s encoding).
#[derive(ToSchema)]
#[schema(rename_all = "UPPERCASE")]
#[expect(dead_code, reason = "documents the values `Role` reads and writes")]
pub enum RoleName {
    User,
    Moderator,
    Admin,
}

/// Users, by id, filtered by e-mail part, group and activation.
#[utoipa::path(
    tag = "users",
    params(UserQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = PageResponse<UserResponse>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/users")]
pub async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.skip, query.limit)?;
    let filter = users::UserFilter {
        email: query.email.clone(),
        role: query.group,
        is_active: query.is_active,
    };
    let found = users::list(&state.db, &filter, page).await?;
    Ok(HttpResponse::Ok().json(PageResponse::from_page(found, UserResponse::from)))
}

/// One user.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = UserResponse),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/users/{id}")]
pub async fn get(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let user = users::find(&state.db, UserId(id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("User {id} not found.")))?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// Change a user's group and/or activate or deactivate them (deactivation signs them out
/// everywhere).
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path)),
    request_body = UserPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = UserResponse),
        (status = 400, description = "Nothing to change, or a change to your own account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The account changed meanwhile", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/users/{id}")]
pub async fn update(
    Admin(admin): Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    json: Json<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let change = users::UserUpdate {
        role: body.group,
        is_active: body.is_active,
    };
    let id = UserId(id.into_inner());
    let user = users::update(
        &state.db,
        &state.clock,
        &crate::audit::actor(&req, &admin),
        id,
        &change,
    )
    .await?;
    // A role or state change ends this process's memory of the user's sessions at once.
    state.identity.sessions_changed(id);
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}
