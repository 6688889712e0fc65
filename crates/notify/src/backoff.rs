//! Retry delays: exponential in the attempt number, capped, with jitter so that jobs which
//! failed together (an SMTP outage) do not all retry in the same instant.

use std::time::Duration;

/// Delay before the next try after `attempt` failed tries (1-based).
/// "Equal jitter": half the exponential delay is fixed, the other half random.
pub fn delay(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let full = exp.min(cap);
    let half = full / 2;
    half + half.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(10);
    const CAP: Duration = Duration::from_secs(3600);

    #[test]
    fn delays_grow_exponentially_within_their_jitter_band() {
        for attempt in 1..=6 {
            let full = BASE * (1 << (attempt - 1));
            for _ in 0..100 {
                let d = delay(attempt, BASE, CAP);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
            }
        }
    }

    #[test]
    fn delays_are_capped_even_for_huge_attempt_counts() {
        for attempt in [12, 30, u32::MAX] {
            assert!(delay(attempt, BASE, CAP) <= CAP);
        }
    }

    #[test]
    fn jitter_spreads_retries() {
        let samples: std::collections::HashSet<_> =
            (0..50).map(|_| delay(5, BASE, CAP).as_millis()).collect();
        assert!(samples.len() > 10);
    }
}
