//! Identity: accounts, roles, tokens, sessions and profiles.
//!
//! - [`Identity`] is the service: registration and activation, sign-in with throttling,
//!   rotating refresh tokens with reuse detection, password change and reset, sessions,
//!   admin user management ([`users`]) and profiles ([`profiles`]).
//! - [`TokenService`] signs and verifies access JWTs on its own, so another Rust service can
//!   check a Cinema access token and load the user with [`users::find`] without actix:
//!
//! ```
//! use std::time::Duration;
//! use cinema_identity::TokenService;
//!
//! let tokens = TokenService::new(&"a-secret-of-at-least-32-bytes!!!".to_owned().into(), Duration::from_secs(900));
//! let token = tokens.issue(42, 7).unwrap();
//! let claims = tokens.verify(&token).unwrap();
//! assert_eq!((claims.user_id().unwrap(), claims.sid), (42, 7));
//! assert!(tokens.verify("an activation token or anything else").is_err());
//! ```
//!
//! Passwords are bcrypt-hashed off the async executor; one-time tokens are random and stored
//! only as SHA-256 hashes. E-mails go through the [`AccountMailer`] port inside the same
//! transaction as the change. Depends only on `cinema-kernel`; knows nothing of HTTP.

mod accounts;
mod crypto;
mod domain;
pub mod entity;
mod error;
mod jwt;
mod ports;
pub mod profiles;
pub mod purge;
mod sessions;
mod throttle;
pub mod users;

use std::{sync::Arc, time::Duration};

use secrecy::SecretString;

pub use accounts::{ClientInfo, TokenPair};
pub use domain::{Email, PASSWORD_SPECIALS, Password, Role};
pub use error::{Error, Result};
pub use jwt::{AccessClaims, TokenService};
pub use ports::{AccountEmail, AccountMailer};
pub use sessions::{AuthUser, SessionView};
pub use throttle::ThrottleConfig;

/// Settings of the identity slice.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// HS256 key of access tokens (at least 32 bytes).
    pub jwt_secret: SecretString,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub activation_ttl: Duration,
    pub reset_ttl: Duration,
    pub bcrypt_cost: u32,
    /// Where links in e-mails point, e.g. `https://app.example.com`.
    pub frontend_url: url::Url,
    pub throttle: ThrottleConfig,
}

/// The identity service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Identity {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: IdentityConfig,
    tokens: TokenService,
    mailer: Arc<dyn AccountMailer>,
    throttle: throttle::Throttle,
    /// Verified against when the e-mail is unknown, so both failures take as long.
    dummy_hash: tokio::sync::OnceCell<String>,
}

impl Identity {
    pub fn new(config: IdentityConfig, mailer: Arc<dyn AccountMailer>) -> Self {
        let tokens = TokenService::new(&config.jwt_secret, config.access_ttl);
        let throttle = throttle::Throttle::new(config.throttle.clone());
        Self {
            inner: Arc::new(Inner {
                config,
                tokens,
                mailer,
                throttle,
                dummy_hash: tokio::sync::OnceCell::new(),
            }),
        }
    }

    pub fn tokens(&self) -> &TokenService {
        &self.inner.tokens
    }

    pub fn config(&self) -> &IdentityConfig {
        &self.inner.config
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

pub(crate) use cinema_kernel::time::{millis as ms, now_ms, rfc3339};
