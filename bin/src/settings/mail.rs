//! E-mail and the job worker: sender, transport (SMTP or files), and the worker's polling,
//! lease, attempts and backoff.

use super::{ConfigError, Source, parse_or};
use cinema_kernel::time::Clock;
use cinema_notify::{MailConfig, MailTransport, WorkerConfig};
use secrecy::SecretString;
use std::time::Duration;

pub const DEFAULT_MAIL_FROM: &str = "Cinema <no-reply@cinema.localhost>";

pub const DEFAULT_MAIL_DIR: &str = "var/mail";

/// SMTP when `SMTP_URL` is set, otherwise `.eml` files in `MAIL_DIR`.
pub(super) fn mail_settings(src: &impl Source) -> Result<MailConfig, ConfigError> {
    let timeout = Duration::from_secs(parse_or(src, "SMTP_TIMEOUT_SECS", "10")?);
    let transport = match src.get("SMTP_URL") {
        Some(url) => MailTransport::Smtp {
            url: SecretString::from(url),
            timeout,
        },
        None => MailTransport::Files {
            dir: src
                .get("MAIL_DIR")
                .unwrap_or_else(|| DEFAULT_MAIL_DIR.to_owned())
                .into(),
        },
    };
    let config = MailConfig {
        from: src
            .get("MAIL_FROM")
            .unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned()),
        transport,
    };
    // Checks the sender and the URL now rather than at the first e-mail.
    cinema_notify::validate_config(&config).map_err(|e| match e {
        cinema_notify::Error::BadSender(_) => ConfigError::new("MAIL_FROM", e),
        other => ConfigError::new("SMTP_URL", other),
    })?;
    Ok(config)
}

pub(super) fn worker_settings(src: &impl Source) -> Result<WorkerConfig, ConfigError> {
    let config = WorkerConfig {
        poll_interval: Duration::from_millis(parse_or(src, "JOB_POLL_INTERVAL_MS", "1000")?),
        lease: Duration::from_secs(parse_or(src, "JOB_LEASE_SECS", "60")?),
        max_attempts: parse_or(src, "JOB_MAX_ATTEMPTS", "8")?,
        backoff_base: Duration::from_millis(parse_or(src, "JOB_BACKOFF_BASE_MS", "10000")?),
        backoff_cap: Duration::from_secs(parse_or(src, "JOB_BACKOFF_MAX_SECS", "3600")?),
        done_retention: Duration::from_secs(
            parse_or::<u64>(src, "JOB_RETENTION_DAYS", "7")?.saturating_mul(24 * 3600),
        ),
        // The process's clock is set by `jobs::worker` (see `Settings::clock`).
        clock: Clock::system(),
    };
    if config.poll_interval.is_zero() {
        return Err(ConfigError::new(
            "JOB_POLL_INTERVAL_MS",
            "must be at least 1",
        ));
    }
    if config.lease < Duration::from_secs(1) {
        return Err(ConfigError::new("JOB_LEASE_SECS", "must be at least 1"));
    }
    if config.max_attempts == 0 {
        return Err(ConfigError::new("JOB_MAX_ATTEMPTS", "must be at least 1"));
    }
    Ok(config)
}
