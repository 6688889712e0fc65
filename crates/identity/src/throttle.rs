//! Failed sign-in throttling per account and per client address: after `max` failures in a
//! window, further attempts are refused until the window ends.
//!
//! Counters live in this process. Several API instances each count on their own, so the
//! effective limit is multiplied by the number of instances (noted for a shared store later).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    pub max_failures_per_account: u32,
    pub max_failures_per_address: u32,
    pub window: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            max_failures_per_account: 5,
            max_failures_per_address: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug)]
struct Window {
    started: Instant,
    failures: u32,
}

#[derive(Debug)]
pub struct Throttle {
    config: ThrottleConfig,
    windows: Mutex<HashMap<String, Window>>,
}

impl Throttle {
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            config,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, address: Option<&str>) -> [(String, bool); 2] {
        [
            (format!("account:{account}"), true),
            (
                format!("address:{}", address.unwrap_or("")),
                address.is_some(),
            ),
        ]
    }

    /// `Err(seconds)` while either key is over its limit.
    pub fn check(&self, account: &str, address: Option<&str>) -> Result<(), u64> {
        let Ok(windows) = self.windows.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        let mut wait = Duration::ZERO;
        for ((key, used), max) in Self::keys(account, address).into_iter().zip([
            self.config.max_failures_per_account,
            self.config.max_failures_per_address,
        ]) {
            if !used {
                continue;
            }
            if let Some(w) = windows.get(&key) {
                let elapsed = now.duration_since(w.started);
                if elapsed < self.config.window && w.failures >= max {
                    wait = wait.max(self.config.window - elapsed);
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.as_secs().max(1))
        }
    }

    pub fn record_failure(&self, account: &str, address: Option<&str>) {
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        let now = Instant::now();
        let window = self.config.window;
        if windows.len() > 100_000 {
            windows.retain(|_, w| now.duration_since(w.started) < window);
        }
        for (key, used) in Self::keys(account, address) {
            if !used {
                continue;
            }
            let w = windows.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now.duration_since(w.started) >= window {
                *w = Window {
                    started: now,
                    failures: 0,
                };
            }
            w.failures += 1;
        }
    }

    /// A successful sign-in clears the account's counter (not the address's).
    pub fn reset_account(&self, account: &str) {
        if let Ok(mut windows) = self.windows.lock() {
            windows.remove(&format!("account:{account}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_blocked_after_max_failures_and_a_success_clears_it() {
        let t = Throttle::new(ThrottleConfig {
            max_failures_per_account: 2,
            max_failures_per_address: 100,
            window: Duration::from_secs(60),
        });
        t.record_failure("a", Some("1.1.1.1"));
        assert!(t.check("a", Some("1.1.1.1")).is_ok());
        t.record_failure("a", Some("1.1.1.1"));
        let wait = t.check("a", Some("2.2.2.2")).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(
            t.check("b", Some("1.1.1.1")).is_ok(),
            "other accounts are not blocked"
        );
        t.reset_account("a");
        assert!(t.check("a", None).is_ok());
    }

    #[test]
    fn an_address_is_blocked_across_accounts() {
        let t = Throttle::new(ThrottleConfig {
            max_failures_per_account: 100,
            max_failures_per_address: 3,
            window: Duration::from_secs(60),
        });
        for account in ["a", "b", "c"] {
            t.record_failure(account, Some("9.9.9.9"));
        }
        assert!(t.check("d", Some("9.9.9.9")).is_err());
        assert!(t.check("d", Some("8.8.8.8")).is_ok());
    }
}
