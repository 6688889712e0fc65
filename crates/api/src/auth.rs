//! Who is calling: extractors that authenticate the Bearer token and enforce a minimum role.
//! No or a bad token is 401 with `WWW-Authenticate: Bearer`; a valid token without the
//! rights is 403.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use cinema_identity::{AuthUser, Role};
use cinema_kernel::ErrorKind;

use crate::{AppState, error::ApiError};

/// Any signed-in, active user.
#[derive(Debug, Clone)]
pub struct Authenticated(pub AuthUser);

/// A moderator or an admin.
#[derive(Debug, Clone)]
pub struct Moderator(pub AuthUser);

/// An admin.
#[derive(Debug, Clone)]
pub struct Admin(pub AuthUser);

/// The caller when a Bearer token is sent (a bad one is still 401), nobody otherwise: for
/// public routes that show signed-in callers something of their own.
#[derive(Debug, Clone)]
pub struct MaybeAuthenticated(pub Option<AuthUser>);

impl FromRequest for MaybeAuthenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if req.headers().contains_key(header::AUTHORIZATION) {
                authenticate(req, Role::User).await.map(|u| Self(Some(u)))
            } else {
                Ok(Self(None))
            }
        })
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::new(
            ErrorKind::Unauthenticated,
            "Sign in: send `Authorization: Bearer <access token>`.",
        )
    })?;
    let value = value.to_str().map_err(|_| {
        ApiError::new(
            ErrorKind::Unauthenticated,
            "The Authorization header is malformed.",
        )
    })?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::new(
            ErrorKind::Unauthenticated,
            "The Authorization header must be `Bearer <access token>`.",
        )),
    }
}

pub(crate) async fn authenticate(req: HttpRequest, min: Role) -> Result<AuthUser, ApiError> {
    let token = bearer(&req)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state is missing"))?;
    let user = state.identity.authenticate(&state.db, &token).await?;
    if user.role < min {
        return Err(ApiError::new(
            ErrorKind::Forbidden,
            format!("This needs the {min} role."),
        ));
    }
    Ok(user)
}

macro_rules! role_extractor {
    ($name:ident, $role:expr) => {
        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move { authenticate(req, $role).await.map($name) })
            }
        }
    };
}

role_extractor!(Authenticated, Role::User);
role_extractor!(Moderator, Role::Moderator);
role_extractor!(Admin, Role::Admin);
