//! The catalog's read cache: on by default, bounded, and how stale another instance's write
//! may look here.

use std::time::Duration;

use cinema_catalog::cache::CacheConfig;

use super::{ConfigError, Source, parse_or};

#[derive(Debug, Clone)]
pub struct CatalogCacheSettings {
    /// `None` when `CATALOG_CACHE=off`.
    pub cache: Option<CacheConfig>,
    /// `max-age` of public catalog answers; zero means "revalidate every time" (`no-cache`).
    pub http_max_age: Duration,
}

impl CatalogCacheSettings {
    /// The `Cache-Control` of public catalog answers.
    pub fn cache_control(&self) -> String {
        match self.http_max_age.as_secs() {
            0 => "public, no-cache".to_owned(),
            secs => format!("public, max-age={secs}"),
        }
    }
}

fn bounded(
    src: &impl Source,
    var: &'static str,
    default: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let value: u64 = parse_or(src, var, default)?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::new(
            var,
            format!("must be between {} and {}", range.start(), range.end()),
        ))
    }
}

pub(super) fn catalog_cache_settings(
    src: &impl Source,
    link_ttl: Duration,
) -> Result<CatalogCacheSettings, ConfigError> {
    let on = match src.get("CATALOG_CACHE").as_deref() {
        None | Some("on") => true,
        Some("off") => false,
        Some(other) => {
            return Err(ConfigError::new(
                "CATALOG_CACHE",
                format!("must be `on` or `off`, not `{other}`"),
            ));
        }
    };
    let max_entries = bounded(src, "CATALOG_CACHE_MAX_ENTRIES", "20000", 1..=10_000_000)?;
    let max_mb = bounded(src, "CATALOG_CACHE_MAX_MB", "12", 1..=65_536)?;
    // Cached answers carry signed poster links: they must outlive the answer by a margin.
    let longest_ttl = (link_ttl.as_secs() / 2).max(1);
    let ttl =
        bounded(src, "CATALOG_CACHE_TTL_SECS", "300", 1..=longest_ttl.max(1)).map_err(|e| {
            ConfigError::new(
                e.var,
                format!("{} (half of MEDIA_LINK_TTL_SECS)", e.message),
            )
        })?;
    let staleness = bounded(
        src,
        "CATALOG_CACHE_MAX_STALENESS_MS",
        "1000",
        30..=3_600_000,
    )?;
    let http_max_age = bounded(src, "CATALOG_HTTP_MAX_AGE_SECS", "0", 0..=3600)?;
    Ok(CatalogCacheSettings {
        cache: on.then(|| CacheConfig {
            max_entries,
            max_bytes: max_mb * 1024 * 1024,
            ttl: Duration::from_secs(ttl),
            max_staleness: Duration::from_millis(staleness),
        }),
        http_max_age: Duration::from_secs(http_max_age),
    })
}
