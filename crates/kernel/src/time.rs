//! Time. Stored times are epoch milliseconds (`BIGINT`): they compare exactly on SQLite and
//! PostgreSQL, unlike timestamps a driver formats as text.
//!
//! Every slice reads "now" from a [`Clock`] it was handed, never from the system directly
//! (`clippy.toml` forbids `Utc::now()` and `SystemTime::now()` elsewhere), so a test can move
//! time forward — expire a token, age a pending order — instead of sleeping.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, NaiveDate, Utc};

/// The source of "now": the system clock plus an offset that only tests move. Cheap to clone;
/// clones share the offset, so moving one moves every service built with it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Moves this clock (and its clones) forward. For tests: production code never calls it.
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(millis(by), Ordering::SeqCst);
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        let offset = chrono::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst));
        #[expect(
            clippy::disallowed_methods,
            reason = "the one place that reads the system clock"
        )]
        let system = Utc::now();
        system + offset
    }

    /// Now, in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Now, in whole seconds since the epoch (the unit of JWT and link expiries).
    pub fn now_secs(&self) -> u64 {
        u64::try_from(self.now().timestamp()).unwrap_or(0)
    }

    /// Today's date (UTC).
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// A duration in milliseconds, saturating.
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

/// RFC 3339 (UTC, whole seconds) for an epoch-millisecond time, as the API sends times.
pub fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
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
    }

    #[test]
    fn a_moved_clock_moves_its_clones() {
        let clock = Clock::system();
        let clone = clock.clone();
        let before = clone.now_ms();
        assert!(before > 1_700_000_000_000);
        clock.advance(Duration::from_secs(3600));
        let after = clone.now_ms();
        assert!(after - before >= 3_600_000, "{before} → {after}");
        assert!(after - before < 3_660_000, "{before} → {after}");
    }
}
