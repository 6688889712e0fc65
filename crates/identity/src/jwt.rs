//! Access tokens: short-lived HS256 JWTs carrying `sub`, `sid`, `typ`, `jti`, `iat`, `exp`.
//! Only a token whose `typ` is `access` (and whose issuer and audience match) is accepted, so
//! no other token — refresh, activation, reset, or a JWT minted for something else with the
//! same key — can ever act as one.

use cinema_kernel::{SessionId, UserId};
use std::time::Duration;

use cinema_kernel::time::Clock;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const ISSUER: &str = "cinema";
const AUDIENCE: &str = "cinema-api";
const ACCESS: &str = "access";
/// How far the clocks of two instances may disagree.
const CLOCK_SKEW_SECS: i64 = 5;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    /// The session (signed-in device) id.
    pub sid: i64,
    /// Always `access`.
    pub typ: String,
    /// A unique id of the token.
    pub jti: String,
    /// Issued at (epoch seconds).
    pub iat: i64,
    /// Expires at (epoch seconds).
    pub exp: i64,
    /// The issuer (`cinema`).
    pub iss: String,
    /// The audience (`cinema-api`).
    pub aud: String,
    /// Not before (never set by us; checked when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

impl AccessClaims {
    /// The user id in `sub`.
    pub fn user_id(&self) -> Result<i64> {
        self.sub
            .parse()
            .map_err(|_| Error::Unauthenticated("The access token names no valid user.".into()))
    }
}

/// Signs and verifies access tokens with one secret.
#[derive(Clone)]
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
    clock: Clock,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenService {
    /// Tokens signed with `secret` (at least 32 bytes), living `ttl`, timed by `clock`.
    pub fn new(secret: &SecretString, ttl: Duration, clock: Clock) -> Self {
        let key = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        // Expiry is checked against our clock below, not the system's, so tests can move it.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
            ttl,
            clock,
        }
    }

    /// The clock tokens are timed by.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Seconds an access token lives.
    pub fn ttl_secs(&self) -> u64 {
        self.ttl.as_secs()
    }

    /// An access token for this user's session, valid for the configured lifetime.
    pub fn issue(&self, user_id: UserId, session_id: SessionId) -> Result<String> {
        let user_id = user_id.get();

        let session_id = session_id.get();
        let now = self.clock.now().timestamp();
        let claims = AccessClaims {
            sub: user_id.to_string(),
            sid: session_id,
            typ: ACCESS.to_owned(),
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now,
            exp: now + i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            nbf: None,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::Token(e.to_string()))
    }

    /// Checks signature, expiry, issuer, audience and `typ`.
    pub fn verify(&self, token: &str) -> Result<AccessClaims> {
        let data =
            decode::<AccessClaims>(token, &self.decoding, &self.validation).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                Error::Unauthenticated(match e.kind() {
                    ErrorKind::ExpiredSignature => "The access token has expired.".into(),
                    _ => "The access token is invalid.".into(),
                })
            })?;
        let now = self.clock.now().timestamp();
        if data.claims.exp <= now - CLOCK_SKEW_SECS {
            return Err(Error::Unauthenticated(
                "The access token has expired.".into(),
            ));
        }
        // A token from the future was not issued by this clock: refused, not trusted early.
        if data.claims.iat > now + CLOCK_SKEW_SECS
            || data
                .claims
                .nbf
                .is_some_and(|nbf| nbf > now + CLOCK_SKEW_SECS)
        {
            return Err(Error::Unauthenticated(
                "The access token is not valid yet.".into(),
            ));
        }
        if data.claims.typ != ACCESS {
            return Err(Error::Unauthenticated(
                "This is not an access token.".into(),
            ));
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> TokenService {
        TokenService::new(
            &"x".repeat(32).into(),
            Duration::from_secs(900),
            Clock::system(),
        )
    }

    #[test]
    fn an_issued_token_verifies_and_names_user_and_session() {
        let s = service();
        let claims = s
            .verify(&s.issue(UserId(7), SessionId(42)).unwrap())
            .unwrap();
        assert_eq!((claims.user_id().unwrap(), claims.sid), (7, 42));
        assert_eq!(claims.typ, "access");
        assert!(claims.exp - claims.iat == 900);
    }

    #[test]
    fn a_token_of_another_type_is_refused_even_when_correctly_signed() {
        let s = service();
        let now = Clock::system().now().timestamp();
        let claims = AccessClaims {
            sub: "7".into(),
            sid: 1,
            typ: "refresh".into(),
            jti: "j".into(),
            iat: now,
            exp: now + 60,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            nbf: None,
        };
        let forged = encode(&Header::new(Algorithm::HS256), &claims, &s.encoding).unwrap();
        assert!(matches!(s.verify(&forged), Err(Error::Unauthenticated(_))));
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let other = TokenService::new(
            &"y".repeat(32).into(),
            Duration::from_secs(900),
            Clock::system(),
        );
        assert!(
            service()
                .verify(&other.issue(UserId(1), SessionId(1)).unwrap())
                .is_err()
        );
        assert!(service().verify("not.a.jwt").is_err());
    }

    #[test]
    fn tokens_expire_by_the_services_clock() {
        let clock = Clock::system();
        let s = TokenService::new(
            &"x".repeat(32).into(),
            Duration::from_secs(900),
            clock.clone(),
        );
        let token = s.issue(UserId(7), SessionId(42)).unwrap();
        clock.advance(Duration::from_secs(899));
        assert!(s.verify(&token).is_ok());
        clock.advance(Duration::from_secs(10));
        assert!(
            matches!(s.verify(&token), Err(Error::Unauthenticated(m)) if m.contains("expired"))
        );
    }

    #[test]
    fn tokens_from_the_future_are_refused() {
        let clock = Clock::system();
        let future = TokenService::new(
            &"x".repeat(32).into(),
            Duration::from_secs(900),
            clock.clone(),
        );
        clock.advance(Duration::from_secs(60));
        let token = future.issue(UserId(7), SessionId(42)).unwrap();
        assert!(service().verify(&token).is_err());
    }
}
