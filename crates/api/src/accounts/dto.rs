//! Request and response bodies of `/api/v1/accounts`.

use cinema_identity::{AuthUser, SessionView, TokenPair};
use cinema_kernel::time::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::commerce::dto::GuestCartReport;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ann@example.com", "password": "Secret#123", "guest_cart_items": [1, 7]}))]
pub struct RegisterRequest {
    pub email: String,
    /// 8–128 characters with upper- and lower-case letters, a digit and one of `@$!%*?#&`.
    pub password: String,
    /// Movie ids from a guest cart: they wait in the new account's cart (see `guest_cart` in
    /// the answer for what was added and what was skipped).
    #[serde(default, deserialize_with = "at_most_100_ids")]
    #[schema(max_items = 100)]
    pub guest_cart_items: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 1, "email": "ann@example.com", "guest_cart": {"added": [1, 7], "skipped": []}}))]
pub struct RegisterResponse {
    pub id: i64,
    pub email: String,
    /// What became of `guest_cart_items`.
    pub guest_cart: GuestCartReport,
}

/// Tokens after sign-in, and what became of `guest_cart_items`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiJ9…", "refresh_token": "q2V…", "token_type": "bearer", "expires_in": 900, "device_token": "m2Q0…", "guest_cart": {"added": [7], "skipped": [{"movie_id": 1, "reason": "already_owned", "detail": "already owned: repeat purchases are not allowed"}]}}))]
pub struct LoginResponse {
    #[serde(flatten)]
    pub tokens: TokenResponse,
    /// This device's known-device token: keep it (a long-lived cookie on the web, secure
    /// storage on mobile) and send it with every later sign-in from this device. Lives
    /// `DEVICE_TOKEN_TTL_DAYS`; revoked by a password change or reset and by deactivation.
    pub device_token: String,
    pub guest_cart: GuestCartReport,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"token": "Jx7…", "email": "ann@example.com"}))]
pub struct ActivateRequest {
    pub token: String,
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ann@example.com"}))]
pub struct EmailRequest {
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"message": "Your account is active."}))]
pub struct MessageResponse {
    pub message: String,
}

impl MessageResponse {
    pub fn new(message: &str) -> Self {
        Self {
            message: message.to_owned(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ann@example.com", "password": "Secret#123", "device_token": "m2Q0…"}))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The `device_token` an earlier sign-in on this device returned. With it, failures from
    /// other devices do not slow this sign-in down; it is no credential by itself.
    #[schema(max_length = 128)]
    pub device_token: Option<String>,
    /// Movie ids from a guest cart, merged into the account's cart (see `guest_cart` in the
    /// answer).
    #[serde(default, deserialize_with = "at_most_100_ids")]
    #[schema(max_items = 100)]
    pub guest_cart_items: Vec<i64>,
}

/// Tokens after sign-in or refresh.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiJ9…", "refresh_token": "q2V…", "token_type": "bearer", "expires_in": 900}))]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

impl From<TokenPair> for TokenResponse {
    fn from(p: TokenPair) -> Self {
        Self {
            access_token: p.access_token,
            refresh_token: p.refresh_token,
            token_type: "bearer",
            expires_in: p.expires_in,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"refresh_token": "q2V…"}))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"refresh_token": "q2V…", "all_devices": false}))]
pub struct LogoutRequest {
    pub refresh_token: String,
    /// Sign out every device, not only this one.
    #[serde(default)]
    pub all_devices: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 1, "email": "ann@example.com", "group": "USER", "is_active": true, "created_at": "2026-11-22T10:00:00Z"}))]
pub struct MeResponse {
    pub id: i64,
    pub email: String,
    /// `USER`, `MODERATOR` or `ADMIN`.
    pub group: String,
    pub is_active: bool,
    pub created_at: String,
}

impl From<AuthUser> for MeResponse {
    fn from(u: AuthUser) -> Self {
        Self {
            id: u.id,
            email: u.email,
            group: u.role.as_str().to_owned(),
            is_active: u.is_active,
            created_at: rfc3339(u.created_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"old_password": "Secret#123", "new_password": "Better#456"}))]
pub struct PasswordChangeRequest {
    pub old_password: String,
    pub new_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ann@example.com", "token": "Zk9…", "password": "Better#456"}))]
pub struct ResetCompleteRequest {
    pub email: String,
    pub token: String,
    pub password: String,
}

/// A signed-in device.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "created_at": "2026-11-22T10:00:00Z", "last_used_at": "2026-11-22T11:00:00Z", "user_agent": "Mozilla/5.0", "ip": "203.0.113.7", "current": true}))]
pub struct SessionResponse {
    pub id: i64,
    pub created_at: String,
    pub last_used_at: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// Whether this is the session of the token making the request.
    pub current: bool,
}

impl From<SessionView> for SessionResponse {
    fn from(s: SessionView) -> Self {
        Self {
            id: s.id,
            created_at: rfc3339(s.created_at),
            last_used_at: rfc3339(s.last_used_at),
            user_agent: s.user_agent,
            ip: s.ip,
            current: s.current,
        }
    }
}

/// A guest cart of at most 100 movie ids: bounded work per request.
fn at_most_100_ids<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<i64>, D::Error> {
    let ids = <Vec<i64> as serde::Deserialize>::deserialize(deserializer)?;
    if ids.len() > 100 {
        return Err(serde::de::Error::invalid_length(
            ids.len(),
            &"at most 100 ids",
        ));
    }
    Ok(ids)
}
