//! Accounts and tokens: the JWT key (generated when unset, with a warning), token lifetimes,
//! bcrypt cost, sign-in throttling and the abuse limits of mail-sending requests.

use super::{ConfigError, Source, http_url, parse_or};
use cinema_identity::{AbuseLimits, IdentityConfig, ThrottleConfig};
use secrecy::SecretString;
use std::time::Duration;

pub const DEFAULT_FRONTEND_URL: &str = "http://localhost:3000";

pub(super) fn identity_settings(src: &impl Source) -> Result<(IdentityConfig, bool), ConfigError> {
    let (jwt_secret, generated) = match src.get("JWT_SECRET") {
        Some(secret) if secret.len() < 32 => {
            return Err(ConfigError::new(
                "JWT_SECRET",
                "must be at least 32 bytes long",
            ));
        }
        Some(secret) => (SecretString::from(secret), false),
        None => (random_secret("JWT_SECRET")?, true),
    };
    let access_minutes: u64 = parse_or(src, "ACCESS_TOKEN_TTL_MINUTES", "15")?;
    if !(15..=30).contains(&access_minutes) {
        return Err(ConfigError::new(
            "ACCESS_TOKEN_TTL_MINUTES",
            "must be between 15 and 30",
        ));
    }
    let bcrypt_cost: u32 = parse_or(src, "BCRYPT_COST", "12")?;
    if !(4..=31).contains(&bcrypt_cost) {
        return Err(ConfigError::new("BCRYPT_COST", "must be between 4 and 31"));
    }
    let frontend_url = match http_url(src, "FRONTEND_URL")? {
        Some(url) => url,
        None => parse_or(src, "FRONTEND_URL", DEFAULT_FRONTEND_URL)?,
    };
    let device_token_days: u64 = parse_or(src, "DEVICE_TOKEN_TTL_DAYS", "365")?;
    if !(1..=3650).contains(&device_token_days) {
        return Err(ConfigError::new(
            "DEVICE_TOKEN_TTL_DAYS",
            "must be between 1 and 3650",
        ));
    }
    let config = IdentityConfig {
        jwt_secret,
        access_ttl: Duration::from_secs(access_minutes * 60),
        refresh_ttl: Duration::from_secs(
            parse_or::<u64>(src, "REFRESH_TOKEN_TTL_DAYS", "7")? * 24 * 3600,
        ),
        activation_ttl: Duration::from_secs(24 * 3600),
        reset_ttl: Duration::from_secs(3600),
        bcrypt_cost,
        frontend_url,
        throttle: ThrottleConfig {
            max_failures_per_account: parse_or(src, "LOGIN_MAX_FAILURES", "5")?,
            max_failures_per_address: parse_or(src, "LOGIN_MAX_FAILURES_PER_ADDRESS", "20")?,
            window: Duration::from_secs(parse_or(src, "LOGIN_THROTTLE_WINDOW_SECS", "900")?),
            max_delay: Duration::from_secs(parse_or(src, "LOGIN_MAX_DELAY_SECS", "30")?),
            device_token_ttl: Duration::from_secs(device_token_days * 86_400),
        },
        limits: AbuseLimits {
            window: Duration::from_secs(parse_or(src, "ABUSE_WINDOW_SECS", "3600")?),
            mails_per_recipient: parse_or(src, "MAIL_LIMIT_PER_RECIPIENT", "5")?,
            mails_per_client: parse_or(src, "MAIL_LIMIT_PER_CLIENT", "20")?,
            registrations_per_client: parse_or(src, "REGISTRATION_LIMIT_PER_CLIENT", "10")?,
            password_change_failures: parse_or(src, "PASSWORD_CHANGE_MAX_FAILURES", "5")?,
        },
        mail_answer_floor: Duration::from_millis(parse_or(
            src,
            "MAIL_REQUEST_MIN_ANSWER_MS",
            "250",
        )?),
    };
    Ok((config, generated))
}

/// A process-local key for zero-configuration runs: sign-ins do not survive a restart and
/// several processes do not share it, which is why production sets `JWT_SECRET`.
pub(crate) fn random_secret(var: &'static str) -> Result<SecretString, ConfigError> {
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes)
        .map_err(|e| ConfigError::new(var, format!("is unset and cannot be generated: {e}")))?;
    Ok(SecretString::from(
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    ))
}

/// `AUTH_CACHE_MAX_STALENESS_MS`: 0 turns the session cache off; otherwise 10 ms to 60 s.
pub(super) fn session_cache_settings(src: &impl Source) -> Result<Option<Duration>, ConfigError> {
    let ms: u64 = parse_or(src, "AUTH_CACHE_MAX_STALENESS_MS", "1000")?;
    match ms {
        0 => Ok(None),
        10..=60_000 => Ok(Some(Duration::from_millis(ms))),
        _ => Err(ConfigError::new(
            "AUTH_CACHE_MAX_STALENESS_MS",
            "must be 0 (off) or between 10 and 60000",
        )),
    }
}
