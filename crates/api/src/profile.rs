//! `/api/v1/profile`: the caller's profile.

use crate::body::Json;
use actix_web::{HttpResponse, get, patch, put, web};
use chrono::NaiveDate;
use cinema_identity::{
    entity::profile,
    profiles::{self, Gender, ProfileData, ProfilePatch},
};
use cinema_kernel::ErrorKind;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::{
    AppState,
    auth::Authenticated,
    error::{ApiError, Problem},
    patch::PatchReader,
};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 1, "user_id": 1, "first_name": "Ann", "last_name": "Lee", "gender": "WOMAN", "date_of_birth": "1990-04-01", "info": "Loves noir.", "avatar": null, "avatar_url": null}))]
pub struct ProfileResponse {
    pub id: i64,
    pub user_id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `MAN` or `WOMAN`.
    pub gender: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub info: Option<String>,
    /// Object key of the avatar.
    pub avatar: Option<String>,
    /// A time-limited download link of the avatar.
    pub avatar_url: Option<String>,
}

impl ProfileResponse {
    /// The profile with a fresh download link for its avatar.
    pub(crate) async fn with_link(
        p: profile::Model,
        media: &cinema_media::Media,
    ) -> Result<Self, ApiError> {
        let avatar_url = media.link_opt(p.avatar.as_deref()).await?;
        Ok(Self {
            avatar_url,
            ..Self::from(p)
        })
    }
}

impl From<profile::Model> for ProfileResponse {
    fn from(p: profile::Model) -> Self {
        Self {
            id: p.id,
            user_id: p.user_id,
            first_name: p.first_name,
            last_name: p.last_name,
            gender: p.gender,
            date_of_birth: p.date_of_birth,
            info: p.info,
            avatar: p.avatar,
            avatar_url: None,
        }
    }
}

/// Every field; a missing one is cleared (PUT replaces the profile).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"first_name": "Ann", "last_name": "Lee", "gender": "WOMAN", "date_of_birth": "1990-04-01", "info": "Loves noir."}))]
pub struct ProfileRequest {
    #[schema(max_length = 100)]
    pub first_name: Option<String>,
    #[schema(max_length = 100)]
    pub last_name: Option<String>,
    #[schema(value_type = Option<GenderName>, inline)]
    pub gender: Option<Gender>,
    /// A date in the past.
    pub date_of_birth: Option<NaiveDate>,
    #[schema(max_length = 5000)]
    pub info: Option<String>,
}

/// A gender on the wire.
#[derive(ToSchema)]
#[schema(rename_all = "UPPERCASE")]
#[expect(dead_code, reason = "documents the values `Gender` reads and writes")]
pub enum GenderName {
    Man,
    Woman,
}

/// The caller's profile, created empty on first read.
#[utoipa::path(
    tag = "profile",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = ProfileResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/profile")]
pub async fn get(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let profile = profiles::get_or_create(&state.db, &state.clock, user.user_id()).await?;
    Ok(HttpResponse::Ok().json(ProfileResponse::with_link(profile, &state.media).await?))
}

/// Replace the profile.
#[utoipa::path(
    tag = "profile",
    request_body = ProfileRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated profile", body = ProfileResponse),
        (status = 400, description = "No known field was sent", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[put("/profile")]
pub async fn replace(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    json: Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    if !PROFILE_FIELDS.iter().any(|f| body.contains_key(*f)) {
        return Err(no_known_field());
    }
    let body: ProfileRequest = crate::body::from_value(Value::Object(body), "")?;
    let data = ProfileData {
        first_name: body.first_name,
        last_name: body.last_name,
        gender: body.gender,
        date_of_birth: body.date_of_birth,
        info: body.info,
    };
    let profile = profiles::update(&state.db, &state.clock, user.user_id(), data.into()).await?;
    Ok(HttpResponse::Ok().json(ProfileResponse::with_link(profile, &state.media).await?))
}

/// Change some fields: only the keys sent change, and an explicit `null` clears a field.
#[utoipa::path(
    tag = "profile",
    request_body = ProfileRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated profile", body = ProfileResponse),
        (status = 400, description = "No known field was sent", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/profile")]
pub async fn update(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    json: Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let patch = parse_patch(&body)?;
    let profile = profiles::update(&state.db, &state.clock, user.user_id(), patch).await?;
    Ok(HttpResponse::Ok().json(ProfileResponse::with_link(profile, &state.media).await?))
}

/// Reads each known key: absent → unchanged, `null` → cleared, a value → set.
fn parse_patch(body: &Map<String, Value>) -> Result<ProfilePatch, ApiError> {
    let mut read = PatchReader::new(body);
    let patch = ProfilePatch {
        first_name: read.nullable("first_name"),
        last_name: read.nullable("last_name"),
        gender: read.nullable("gender"),
        date_of_birth: read.nullable("date_of_birth"),
        info: read.nullable("info"),
    };
    if !read.errors.is_empty() {
        return Err(ApiError::invalid(read.errors));
    }
    if patch == ProfilePatch::default() {
        return Err(no_known_field());
    }
    Ok(patch)
}

/// The keys a profile body may carry.
const PROFILE_FIELDS: [&str; 5] = ["first_name", "last_name", "gender", "date_of_birth", "info"];

fn no_known_field() -> ApiError {
    ApiError::new(
        ErrorKind::BadRequest,
        "Send at least one of first_name, last_name, gender, date_of_birth, info.",
    )
}
