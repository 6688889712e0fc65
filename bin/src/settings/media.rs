//! Where avatars and posters are stored: local disk by default, S3-compatible storage when
//! `MEDIA_STORAGE=s3`.

use std::{path::PathBuf, time::Duration};

use cinema_media::{MediaConfig, S3Config};
use secrecy::SecretString;

use super::{ConfigError, Source, http_url, parse_or};

pub const DEFAULT_MEDIA_DIR: &str = "var/media";
pub const DEFAULT_S3_BUCKET: &str = "cinema-media";

#[derive(Debug, Clone)]
pub enum MediaStorage {
    /// Files under a directory, served by the API through signed links.
    Local {
        dir: PathBuf,
    },
    S3(S3Config),
}

#[derive(Debug, Clone)]
pub struct MediaSettings {
    pub storage: MediaStorage,
    /// How clients reach this API, for local-disk links; `None` means the address it listens on.
    pub public_url: Option<url::Url>,
    pub config: MediaConfig,
    /// How often the worker sweeps orphaned objects.
    pub sweep_interval: Duration,
}

pub(super) fn media_settings(src: &impl Source) -> Result<MediaSettings, ConfigError> {
    let storage = match src.get("MEDIA_STORAGE").as_deref() {
        None | Some("local") => MediaStorage::Local {
            dir: src
                .get("MEDIA_DIR")
                .unwrap_or_else(|| DEFAULT_MEDIA_DIR.to_owned())
                .into(),
        },
        Some("s3") => MediaStorage::S3(s3_settings(src)?),
        Some(other) => {
            return Err(ConfigError::new(
                "MEDIA_STORAGE",
                format!("must be `local` or `s3`, not `{other}`"),
            ));
        }
    };
    let public_url = http_url(src, "PUBLIC_URL")?;
    let link_ttl = Duration::from_secs(parse_or(src, "MEDIA_LINK_TTL_SECS", "3600")?);
    if link_ttl.is_zero() || link_ttl > Duration::from_secs(7 * 24 * 3600) {
        return Err(ConfigError::new(
            "MEDIA_LINK_TTL_SECS",
            "must be between 1 and 604800 (a week, the longest S3 allows)",
        ));
    }
    let sweep_interval = Duration::from_secs(parse_or(src, "MEDIA_SWEEP_INTERVAL_SECS", "900")?);
    if sweep_interval.is_zero() {
        return Err(ConfigError::new(
            "MEDIA_SWEEP_INTERVAL_SECS",
            "must be at least 1",
        ));
    }
    Ok(MediaSettings {
        storage,
        public_url,
        sweep_interval,
        config: MediaConfig {
            link_ttl,
            upload_grace: Duration::from_secs(parse_or(src, "MEDIA_ORPHAN_GRACE_SECS", "3600")?),
        },
    })
}

/// An endpoint as rust-s3 takes it: no trailing slash.
fn endpoint(src: &impl Source, var: &'static str) -> Result<Option<String>, ConfigError> {
    Ok(http_url(src, var)?.map(|url| url.as_str().trim_end_matches('/').to_owned()))
}

fn s3_settings(src: &impl Source) -> Result<S3Config, ConfigError> {
    let required = |var: &'static str| {
        src.get(var)
            .ok_or_else(|| ConfigError::new(var, "is required when MEDIA_STORAGE=s3"))
    };
    Ok(S3Config {
        endpoint: endpoint(src, "S3_ENDPOINT")?,
        public_endpoint: endpoint(src, "S3_PUBLIC_ENDPOINT")?,
        region: src
            .get("S3_REGION")
            .unwrap_or_else(|| "us-east-1".to_owned()),
        bucket: src
            .get("S3_BUCKET")
            .unwrap_or_else(|| DEFAULT_S3_BUCKET.to_owned()),
        access_key: required("S3_ACCESS_KEY")?,
        secret_key: SecretString::from(required("S3_SECRET_KEY")?),
        path_style: parse_or(src, "S3_PATH_STYLE", "true")?,
        timeout: Duration::from_secs(parse_or(src, "S3_TIMEOUT_SECS", "30")?),
    })
}
