//! `/api/v1/accounts`: registration, activation, sign-in, tokens, passwords and sessions.

pub mod dto;

use crate::body::Json;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, delete, get, http::header, post, web};
use cinema_identity::{ClientInfo, Email, Password};
use cinema_kernel::page::PageRequest;
use cinema_kernel::{MovieId, SessionId};

use crate::{
    AppState,
    auth::Authenticated,
    client_addr::ClientAddr,
    error::{ApiError, Problem},
    page::{PageQuery, PageResponse},
};
use dto::*;

const GENERIC_RESEND: &str =
    "If an inactive account exists for this e-mail, a new activation link is on its way.";
const GENERIC_RESET: &str =
    "If an active account exists for this e-mail, a password reset link is on its way.";

pub(crate) fn client(req: &HttpRequest) -> ClientInfo {
    // Decided once per request by `middleware::request_span` (see `client_addr`).
    let addr = req.extensions().get::<ClientAddr>().copied();
    ClientInfo {
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ip: addr.map(|a| a.ip.to_string()),
        network: addr.map(|a| a.network.to_string()),
        device_token: None,
    }
}

/// Register: creates an inactive USER and e-mails an activation link.
#[utoipa::path(
    tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered; check your e-mail", body = RegisterResponse),
        (status = 409, description = "The e-mail is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid e-mail or a weak password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-ups from this client's network or for this address (`urn:cinema:problem:rate-limited:registration`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/accounts/register")]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    json: Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let email = Email::parse(&body.email);
    let password = Password::parse(&body.password, "password");
    let (email, password) = both(email, password)?;
    let registered = state
        .commerce
        .register_with_cart(
            &state.identity,
            &state.db,
            &email,
            &password,
            &client(&req),
            &cinema_kernel::ids::typed::<MovieId>(&body.guest_cart_items),
        )
        .await?;
    Ok(HttpResponse::Created().json(RegisterResponse {
        id: registered.user.id,
        email: registered.user.email,
        guest_cart: registered.cart.into(),
    }))
}

/// Collects the field errors of two parses into one 422.
fn both<A, B>(
    a: cinema_identity::Result<A>,
    b: cinema_identity::Result<B>,
) -> Result<(A, B), ApiError> {
    use cinema_kernel::DomainError;
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e.into()),
        (Err(e1), Err(e2)) => {
            let mut errors = e1.field_errors();
            errors.extend(e2.field_errors());
            Err(ApiError::invalid(errors))
        }
    }
}

/// Activate an account with the token from the e-mail (single use, valid 24 h).
#[utoipa::path(
    tag = "accounts",
    request_body = ActivateRequest,
    responses(
        (status = 200, description = "Activated", body = MessageResponse),
        (status = 400, description = "Invalid or expired token, or already active", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The account changed meanwhile (an admin acted on it)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/accounts/activate")]
pub async fn activate(
    state: web::Data<AppState>,
    json: Json<ActivateRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let email = body.email.as_deref().map(Email::parse).transpose()?;
    state
        .identity
        .activate(&state.db, &body.token, email.as_ref())
        .await?;
    Ok(HttpResponse::Ok().json(MessageResponse::new(
        "Your account is active. You can sign in now.",
    )))
}

/// Send a new activation link. The answer is the same whether or not the account exists.
#[utoipa::path(
    tag = "accounts",
    request_body = EmailRequest,
    responses(
        (status = 202, description = "Accepted", body = MessageResponse),
        (status = 429, description = "Too many activation e-mails requested from this client's network or for this address (`urn:cinema:problem:rate-limited:activation-resend`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/accounts/resend-activation")]
pub async fn resend_activation(
    state: web::Data<AppState>,
    req: HttpRequest,
    json: Json<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    // A malformed address is a 422 like anywhere else: it says nothing about any account.
    let email = Email::parse(&body.email)?;
    state
        .identity
        .resend_activation(&state.db, &email, &client(&req))
        .await?;
    Ok(HttpResponse::Accepted().json(MessageResponse::new(GENERIC_RESEND)))
}

/// Sign in. The answer's `device_token` marks this device as known: send it back with every
/// later sign-in from it, and guesses at the account from elsewhere will not slow it down.
#[utoipa::path(
    tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 201, description = "Signed in", body = LoginResponse),
        (status = 401, description = "Wrong e-mail or password", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is not active", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins for this account from this client, from this client for any account, or (without a valid `device_token`) for this account from anywhere (`urn:cinema:problem:rate-limited:sign-in`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/accounts/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    json: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let mut client = client(&req);
    client.device_token = body.device_token;
    let signed_in = state
        .commerce
        .login_with_cart(
            &state.identity,
            &state.db,
            &body.email,
            &body.password,
            &client,
            &cinema_kernel::ids::typed::<MovieId>(&body.guest_cart_items),
        )
        .await?;
    let device_token = signed_in.tokens.device_token.clone().unwrap_or_default();
    Ok(HttpResponse::Created().json(LoginResponse {
        device_token,
        tokens: signed_in.tokens.into(),
        guest_cart: signed_in.cart.into(),
    }))
}

/// Exchange a refresh token for new tokens. The refresh token rotates; presenting a rotated
/// one again revokes the whole session.
#[utoipa::path(
    tag = "accounts",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "Invalid, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is not active", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/accounts/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    json: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let pair = state
        .identity
        .refresh(&state.db, &body.refresh_token)
        .await?;
    Ok(HttpResponse::Ok().json(TokenResponse::from(pair)))
}

/// Sign out this device, or every device.
#[utoipa::path(
    tag = "accounts",
    request_body = LogoutRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 400, description = "The refresh token is not yours", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/accounts/logout")]
pub async fn logout(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    json: Json<LogoutRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    state
        .identity
        .logout(&state.db, &user, &body.refresh_token, body.all_devices)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/accounts/me")]
pub async fn me(Authenticated(user): Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(MeResponse::from(user))
}

/// Change the password; every other session is signed out and a notice is e-mailed.
#[utoipa::path(
    tag = "accounts",
    request_body = PasswordChangeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = MessageResponse),
        (status = 400, description = "The old password is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The new password breaks the policy", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong current passwords for this account (`urn:cinema:problem:rate-limited:password-change`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/accounts/password/change")]
pub async fn change_password(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    json: Json<PasswordChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let new_password = Password::parse(&body.new_password, "new_password")?;
    state
        .identity
        .change_password(&state.db, &user, &body.old_password, &new_password)
        .await?;
    Ok(HttpResponse::Ok().json(MessageResponse::new("Your password was changed.")))
}

/// Ask for a password reset link. The answer is the same whether or not the account exists.
#[utoipa::path(
    tag = "accounts",
    request_body = EmailRequest,
    responses(
        (status = 200, description = "Accepted", body = MessageResponse),
        (status = 429, description = "Too many password-reset requests from this client's network or for this address (`urn:cinema:problem:rate-limited:password-reset`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/accounts/password-reset/request")]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    json: Json<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let email = Email::parse(&body.email)?;
    state
        .identity
        .request_password_reset(&state.db, &email, &client(&req))
        .await?;
    Ok(HttpResponse::Ok().json(MessageResponse::new(GENERIC_RESET)))
}

/// Set a new password with the reset token (single use, valid 1 h). Signs out every session.
#[utoipa::path(
    tag = "accounts",
    request_body = ResetCompleteRequest,
    responses(
        (status = 200, description = "Password set", body = MessageResponse),
        (status = 400, description = "Invalid or expired token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The password breaks the policy", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/accounts/reset-password/complete")]
pub async fn complete_password_reset(
    state: web::Data<AppState>,
    json: Json<ResetCompleteRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let (email, password) = both(
        Email::parse(&body.email),
        Password::parse(&body.password, "password"),
    )?;
    state
        .identity
        .complete_password_reset(&state.db, &email, &body.token, &password)
        .await?;
    Ok(HttpResponse::Ok().json(MessageResponse::new(
        "Your password was reset. Sign in with the new one.",
    )))
}

/// The caller's signed-in devices, most recently used first.
#[utoipa::path(
    tag = "accounts",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Sessions", body = PageResponse<SessionResponse>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/accounts/sessions")]
pub async fn sessions(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let request: PageRequest = query.request()?;
    let page = state.identity.sessions(&state.db, &user, request).await?;
    Ok(HttpResponse::Ok().json(PageResponse::from_page(page, SessionResponse::from)))
}

/// Sign out one of the caller's devices.
#[utoipa::path(
    tag = "accounts",
    params(("id" = i64, Path, description = "Session id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such session of yours", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/accounts/sessions/{id}")]
pub async fn revoke_session(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state
        .identity
        .revoke_session(&state.db, &user, SessionId(id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
