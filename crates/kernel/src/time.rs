//! Stored times are epoch milliseconds (`BIGINT`): they compare exactly on SQLite and
//! PostgreSQL, unlike timestamps a driver formats as text. These convert to and from them.

use std::time::Duration;

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Now, in whole seconds since the epoch (the unit of link expiries).
pub fn now_secs() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

/// A duration in milliseconds, saturating.
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

/// RFC 3339 (UTC, whole seconds) for an epoch-millisecond time, as the API sends times.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_render_as_utc_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(millis(Duration::from_secs(2)), 2000);
        assert!(now_ms() > 1_700_000_000_000);
    }
}
