//! Identity: accounts, roles, tokens, sessions and profiles.
//!
//! - [`Identity`] is the service: registration and activation, sign-in with throttling,
//!   rotating refresh tokens with reuse detection, password change and reset, sessions,
//!   admin user management ([`users`]) and profiles ([`profiles`]).
//! - [`TokenService`] signs access JWTs and, with [`TokenService::authenticate`], turns a
//!   Bearer token into an [`AuthUser`] with the checks the HTTP API makes — signature, expiry,
//!   an open session, an active account — so another Rust service can accept Cinema tokens
//!   without actix (see the example on [`TokenService::authenticate`]); it reads the session
//!   every time, where [`Identity::authenticate`] may remember it ([`session_cache`]).
//! - [`session_cache`]: who an access token belongs to, remembered for a moment by a process
//!   that hears every revocation from PostgreSQL.
//! - [`profiles::upload_avatar`] / [`profiles::remove_avatar`]: the whole avatar flow (store,
//!   point the profile at it, settle the media ledger, delete the replaced object).
//!
//! Writes compose: every one that changes more than one row has an `_in` form taking the
//! caller's transaction (the plain form opens one with `cinema_kernel::db::begin_write`), and
//! single-statement ones take any `ConnectionTrait`. Time comes from the kernel `Clock` the
//! service was built with. Passwords are bcrypt-hashed off the async executor; one-time tokens
//! are random and stored only as SHA-256 hashes. The slice's e-mails ([`emails`]) go through
//! the kernel's `Outbox` port inside the same transaction as the change. Depends on
//! `cinema-kernel` and `cinema-media`; knows nothing of HTTP.

#![deny(missing_docs)]

mod accounts;
mod crypto;
mod devices;
mod domain;
pub mod emails;
pub mod entity;
mod error;
mod jwt;
pub mod lifecycle;
pub mod profiles;
pub mod purge;
pub mod session_cache;
mod sessions;
mod throttle;
pub mod users;

use std::{sync::Arc, time::Duration};

use cinema_kernel::{mail::Outbox, time::Clock};
use secrecy::SecretString;

pub use accounts::{ClientInfo, TokenPair};
pub use domain::{EMAIL_MAX_LEN, EMAIL_PATTERN, Email, PASSWORD_SPECIALS, Password, Role};
pub use error::{Error, Result};
pub use jwt::{AccessClaims, TokenService};
pub use sessions::{AuthUser, SessionView};
pub use throttle::{AbuseLimits, Limit, MailRequest, ThrottleConfig};

/// Settings of the identity slice.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// HS256 key of access tokens (at least 32 bytes).
    pub jwt_secret: SecretString,
    /// How long an access token lives.
    pub access_ttl: Duration,
    /// How long a refresh token lives.
    pub refresh_ttl: Duration,
    /// How long an activation link works.
    pub activation_ttl: Duration,
    /// How long a password-reset link works.
    pub reset_ttl: Duration,
    /// bcrypt cost of new password hashes.
    pub bcrypt_cost: u32,
    /// Where links in e-mails point, e.g. `https://app.example.com`.
    pub frontend_url: url::Url,
    /// Sign-in throttling.
    pub throttle: ThrottleConfig,
    /// Limits on requests that send e-mail or guess a password.
    pub limits: AbuseLimits,
    /// The least time a reset request or an activation resend takes to answer, so that its
    /// timing does not tell whether the account exists.
    pub mail_answer_floor: Duration,
}

impl IdentityConfig {
    /// The server's defaults around a key and the front end's address: access tokens 15 min,
    /// refresh tokens 7 days, activation links 24 h, reset links 1 h, bcrypt cost 12, the
    /// default throttling and limits, a 250 ms answer floor. Change any field after.
    pub fn new(jwt_secret: SecretString, frontend_url: url::Url) -> Self {
        Self {
            jwt_secret,
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(7 * 86_400),
            activation_ttl: Duration::from_secs(86_400),
            reset_ttl: Duration::from_secs(3_600),
            bcrypt_cost: 12,
            frontend_url,
            throttle: ThrottleConfig::default(),
            limits: AbuseLimits::default(),
            mail_answer_floor: Duration::from_millis(250),
        }
    }
}

/// The identity service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Identity {
    inner: Arc<Inner>,
    session_cache: session_cache::SessionCache,
}

#[derive(Debug)]
struct Inner {
    config: IdentityConfig,
    tokens: TokenService,
    outbox: Arc<dyn Outbox>,
    clock: Clock,
    throttle: throttle::Throttle,
    /// Verified against when the e-mail is unknown, so both failures take as long.
    dummy_hash: tokio::sync::OnceCell<String>,
}

impl Identity {
    /// The service, queueing its e-mails in `outbox` and reading time from `clock`.
    pub fn new(config: IdentityConfig, outbox: Arc<dyn Outbox>, clock: Clock) -> Self {
        let tokens = TokenService::new(&config.jwt_secret, config.access_ttl, clock.clone());
        let throttle = throttle::Throttle::new(config.throttle.clone(), config.limits.clone());
        Self {
            inner: Arc::new(Inner {
                config,
                tokens,
                outbox,
                clock,
                throttle,
                dummy_hash: tokio::sync::OnceCell::new(),
            }),
            session_cache: session_cache::SessionCache::off(),
        }
    }

    /// Remembers sessions in `cache` (start [`session_cache::watch`] beside it): see
    /// [`session_cache`] for what that trades.
    pub fn with_session_cache(mut self, cache: session_cache::SessionCache) -> Self {
        self.session_cache = cache;
        self
    }

    /// The token service.
    pub fn tokens(&self) -> &TokenService {
        &self.inner.tokens
    }

    /// The configuration.
    pub fn config(&self) -> &IdentityConfig {
        &self.inner.config
    }

    /// The clock "now" comes from.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Now, in epoch milliseconds, by the service's clock.
    fn now(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// A link into the front end, e.g. `/activate` with `token` and `email` query parameters.
    fn link(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut url = self.inner.config.frontend_url.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}{path}"));
        url.query_pairs_mut().clear().extend_pairs(query);
        url.to_string()
    }
}

pub(crate) use cinema_kernel::time::{millis as ms, rfc3339};

/// A bcrypt hash made by [`Identity::hash_password`], ready to store.
#[derive(Clone)]
pub struct PasswordHash(String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}
