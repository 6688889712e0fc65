//! What the HTTP layer is told: browser origins (CORS), which proxies' forwarded addresses
//! to trust, and video uploads and playback.

use super::{ConfigError, Source, parse_or};
use cinema_api::{CorsPolicy, client_addr::ClientAddressPolicy};
use std::time::Duration;

/// `VIDEO_MAX_BYTES`, `PLAYBACK_LINK_TTL_SECS` and `UPLOAD_SPOOL_DIR`.
pub(super) fn watch_settings(src: &impl Source) -> Result<cinema_api::WatchConfig, ConfigError> {
    let defaults = cinema_api::WatchConfig::default();
    let video_limit: u64 = parse_or(src, "VIDEO_MAX_BYTES", &defaults.video_limit.to_string())?;
    if video_limit == 0 {
        return Err(ConfigError::new("VIDEO_MAX_BYTES", "must be at least 1"));
    }
    let ttl: u64 = parse_or(src, "PLAYBACK_LINK_TTL_SECS", "3600")?;
    if !(60..=604_800).contains(&ttl) {
        return Err(ConfigError::new(
            "PLAYBACK_LINK_TTL_SECS",
            "must be between 60 and 604800 (a week, S3's longest presigned link)",
        ));
    }
    Ok(cinema_api::WatchConfig {
        video_limit,
        playback_ttl: Duration::from_secs(ttl),
        spool_dir: src
            .get("UPLOAD_SPOOL_DIR")
            .map_or(defaults.spool_dir.clone(), Into::into),
        // Known once the server is bound (see `startup`).
        ..defaults
    })
}

/// `TRUSTED_PROXIES` and `CLIENT_IPV6_PREFIX`: whose forwarded headers name the client, and
/// the network an IPv6 client is counted by.
pub(super) fn client_address_policy(src: &impl Source) -> Result<ClientAddressPolicy, ConfigError> {
    let trusted_proxies =
        ClientAddressPolicy::parse_proxies(&src.get("TRUSTED_PROXIES").unwrap_or_default())
            .map_err(|e| ConfigError::new("TRUSTED_PROXIES", e))?;
    let ipv6_prefix: u8 = parse_or(src, "CLIENT_IPV6_PREFIX", "64")?;
    if !(16..=128).contains(&ipv6_prefix) {
        return Err(ConfigError::new(
            "CLIENT_IPV6_PREFIX",
            "must be between 16 and 128 (64 counts each IPv6 subscriber's /64 as one client)",
        ));
    }
    Ok(ClientAddressPolicy {
        trusted_proxies,
        ipv6_prefix,
    })
}

/// `*` for any origin, or a comma-separated list of `scheme://host[:port]` origins.
pub(super) fn cors_policy(raw: Option<String>) -> Result<CorsPolicy, ConfigError> {
    const VAR: &str = "CORS_ALLOWED_ORIGINS";
    let Some(raw) = raw else {
        return Ok(CorsPolicy::Disabled);
    };
    if raw.trim() == "*" {
        return Ok(CorsPolicy::AnyOrigin);
    }
    let origins = raw
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let url = url::Url::parse(origin)
                .map_err(|e| ConfigError::new(VAR, format!("has a bad origin `{origin}`: {e}")))?;
            let canonical = url.origin().ascii_serialization();
            if canonical != origin.trim_end_matches('/') {
                return Err(ConfigError::new(
                    VAR,
                    format!(
                        "has `{origin}`, which is not a bare origin like `https://app.example.com`"
                    ),
                ));
            }
            Ok(canonical)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsPolicy::Origins(origins))
}
