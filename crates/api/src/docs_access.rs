//! Who may read the API's documentation (`DOCS_ACCESS`): Swagger UI under `/docs/` and the
//! document at `/openapi.json`.
//!
//! - `public`: anyone (the default in development);
//! - `admins`: an admin's access token (`Authorization: Bearer …`, for scripts), or an admin's
//!   e-mail and password through the browser's own sign-in prompt (HTTP Basic: a page load
//!   cannot carry a Bearer token). Basic credentials go through the sign-in checks — throttling,
//!   an active account — and a verified one is remembered for a minute, so the page's dozen
//!   requests cost one bcrypt, not twelve. Send it over TLS only, like any password;
//! - `off`: the routes answer 404, as if they did not exist.

use std::{
    collections::HashMap,
    str::FromStr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::{
    Error, HttpResponse, ResponseError,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
    web,
};
use base64::Engine;
use cinema_identity::Role;
use cinema_kernel::ErrorKind;
use sha2::{Digest, Sha256};

use crate::{AppState, auth, error::ApiError};

/// Who may read the documentation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DocsAccess {
    /// Anyone.
    #[default]
    Public,
    /// Admins only.
    Admins,
    /// Nobody: the routes are not served.
    Off,
}

impl FromStr for DocsAccess {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "public" => Ok(Self::Public),
            "admins" => Ok(Self::Admins),
            "off" => Ok(Self::Off),
            other => Err(format!("must be public, admins or off, not `{other}`")),
        }
    }
}

/// How long a verified Basic credential is trusted without asking bcrypt again.
const REMEMBERED_FOR: Duration = Duration::from_secs(60);
/// At most this many remembered credentials (admins are few; a flood of them is not).
const REMEMBERED_MAX: usize = 256;

/// The access policy and the credentials recently verified under it; one per server.
#[derive(Debug, Clone, Default)]
pub struct DocsGate {
    access: DocsAccess,
    remembered: Arc<Mutex<HashMap<[u8; 32], Instant>>>,
}

impl DocsGate {
    pub fn new(access: DocsAccess) -> Self {
        Self {
            access,
            remembered: Arc::default(),
        }
    }

    fn remembers(&self, key: &[u8; 32]) -> bool {
        let Ok(remembered) = self.remembered.lock() else {
            return false;
        };
        remembered
            .get(key)
            .is_some_and(|at| at.elapsed() < REMEMBERED_FOR)
    }

    fn remember(&self, key: [u8; 32]) {
        if let Ok(mut remembered) = self.remembered.lock() {
            remembered.retain(|_, at| at.elapsed() < REMEMBERED_FOR);
            if remembered.len() < REMEMBERED_MAX {
                remembered.insert(key, Instant::now());
            }
        }
    }
}

/// Whether a path is part of the documentation.
fn is_docs(path: &str) -> bool {
    path == "/openapi.json" || path == "/docs" || path.starts_with("/docs/")
}

/// The gate in front of the documentation's routes; every other request passes untouched.
pub async fn docs_access(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let gate = req
        .app_data::<web::Data<DocsGate>>()
        .map(|g| g.get_ref().clone())
        .unwrap_or_default();
    if gate.access == DocsAccess::Public || !is_docs(req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let refused = match gate.access {
        DocsAccess::Off => Some(not_served()),
        _ => admit(&gate, req.request()).await.err(),
    };
    match refused {
        None => Ok(next.call(req).await?.map_into_left_body()),
        Some(response) => Ok(req.into_response(response).map_into_right_body()),
    }
}

fn not_served() -> HttpResponse {
    ApiError::new(
        ErrorKind::NotFound,
        "The API documentation is not served here (DOCS_ACCESS=off).",
    )
    .error_response()
}

/// An admin's Bearer token or Basic credentials; anything else is the refusal to send.
async fn admit(gate: &DocsGate, req: &actix_web::HttpRequest) -> Result<(), HttpResponse> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(challenge(ApiError::new(
            ErrorKind::Unauthenticated,
            "The API documentation is for admins: sign in with an admin's e-mail and password, \
             or send `Authorization: Bearer <admin access token>`.",
        )));
    };
    let basic = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, credentials)| credentials.trim().to_owned());
    let Some(credentials) = basic else {
        return auth::authenticate(req.clone(), Role::Admin)
            .await
            .map(drop)
            .map_err(challenge);
    };
    let key: [u8; 32] = Sha256::digest(credentials.as_bytes()).into();
    if gate.remembers(&key) {
        return Ok(());
    }
    let (email, password) = decode_basic(&credentials).ok_or_else(|| {
        challenge(ApiError::new(
            ErrorKind::Unauthenticated,
            "The Basic credentials are malformed: base64 of `e-mail:password`.",
        ))
    })?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state is missing").error_response())?;
    let client = crate::accounts::client(req);
    let user = state
        .identity
        .verify_login(&state.db, &email, &password, &client)
        .await
        .map_err(|e| challenge(ApiError::from(e)))?;
    if Role::from_group_id(user.group_id) != Some(Role::Admin) {
        return Err(
            ApiError::new(ErrorKind::Forbidden, "The API documentation is for admins.")
                .error_response(),
        );
    }
    gate.remember(key);
    Ok(())
}

/// `e-mail:password` out of Basic credentials (the password may hold colons).
fn decode_basic(credentials: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (email, password) = text.split_once(':')?;
    Some((email.to_owned(), password.to_owned()))
}

/// A 401 that lets a browser ask for credentials (Basic) besides naming the Bearer scheme.
fn challenge(error: ApiError) -> HttpResponse {
    let mut response = error.error_response();
    if response.status() == actix_web::http::StatusCode::UNAUTHORIZED {
        response.headers_mut().append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Cinema API docs\", charset=\"UTF-8\""),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_split_at_the_first_colon() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("a@b.c:pa:ss");
        assert_eq!(
            decode_basic(&encoded),
            Some(("a@b.c".to_owned(), "pa:ss".to_owned()))
        );
        assert_eq!(decode_basic("%%%"), None);
        let no_colon = base64::engine::general_purpose::STANDARD.encode("nobody");
        assert_eq!(decode_basic(&no_colon), None);
    }

    #[test]
    fn the_documentation_paths_are_named_exactly() {
        assert!(is_docs("/docs") && is_docs("/docs/") && is_docs("/docs/index.css"));
        assert!(is_docs("/openapi.json"));
        assert!(!is_docs("/docsx") && !is_docs("/api/v1/docs"));
    }

    #[test]
    fn a_remembered_credential_is_forgotten_after_a_minute_at_most() {
        let gate = DocsGate::new(DocsAccess::Admins);
        gate.remember([1; 32]);
        assert!(gate.remembers(&[1; 32]) && !gate.remembers(&[2; 32]));
        if let Ok(mut remembered) = gate.remembered.lock() {
            remembered.insert([3; 32], Instant::now() - REMEMBERED_FOR);
        }
        assert!(!gate.remembers(&[3; 32]));
    }
}
