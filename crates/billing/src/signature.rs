//! Stripe's webhook signature, as a pure function another service can reuse.
//!
//! Stripe sends `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, where each `v1` is
//! the HMAC-SHA256 of `"{t}.{raw body}"` under the endpoint's secret (several appear while a
//! secret is being rolled). A request is genuine when one `v1` matches, compared in constant
//! time, and `t` is within the tolerance of now (default five minutes), so a captured request
//! cannot be replayed later.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How far a signature's timestamp may be from now: Stripe's own default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Why a signature was refused. None of them says which part of a secret was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `t=` part.
    #[error("the Stripe-Signature header has no timestamp (`t=`)")]
    NoTimestamp,
    /// No `v1=` part.
    #[error("the Stripe-Signature header has no `v1=` signature")]
    NoSignature,
    /// Signed too long ago (or in the future), beyond the tolerance.
    #[error("the signature's timestamp is {age_secs} s away from now, beyond the tolerance")]
    Stale {
        /// Seconds between the timestamp and now.
        age_secs: u64,
    },
    /// No `v1=` signature matches the payload with the secret.
    #[error("no signature matches the payload")]
    Mismatch,
}

/// HMAC-SHA256 keyed with `secret`.
pub(crate) fn keyed(secret: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

fn mac(secret: &[u8], timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac = keyed(secret);
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

pub(crate) fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect()
}

pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a `Stripe-Signature` header against the raw body; returns the signed timestamp.
pub fn verify(
    payload: &[u8],
    header: &str,
    secret: &[u8],
    now_secs: i64,
    tolerance: Duration,
) -> Result<i64, SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.trim().parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(hex_decode(value.trim())),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::NoTimestamp)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    let age_secs = now_secs.abs_diff(timestamp);
    if age_secs > tolerance.as_secs() {
        return Err(SignatureError::Stale { age_secs });
    }
    let expected = mac(secret, timestamp, payload);
    // `verify_slice` compares in constant time.
    if signatures
        .iter()
        .any(|candidate| expected.clone().verify_slice(candidate).is_ok())
    {
        Ok(timestamp)
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The `Stripe-Signature` header Stripe would send for this body at `timestamp`: for the
/// built-in test gateway and for fakes in tests.
pub fn sign(payload: &[u8], secret: &[u8], timestamp: i64) -> String {
    let digest = mac(secret, timestamp, payload).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex_encode(&digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_signature_made_by_sign_verifies() {
        let header = sign(BODY, SECRET, NOW);
        assert_eq!(
            verify(BODY, &header, SECRET, NOW + 10, DEFAULT_TOLERANCE),
            Ok(NOW)
        );
    }

    #[test]
    fn it_matches_an_independent_hmac() {
        // printf '1700000000.{}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            sign(b"{}", b"secret", 1_700_000_000),
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let good = sign(BODY, SECRET, NOW);
        let v1 = good.split_once("v1=").map(|(_, v)| v).unwrap_or_default();
        let header = format!("t={NOW},v1={},v0=ignored,v1={v1}", "00".repeat(32));
        assert!(verify(BODY, &header, SECRET, NOW, DEFAULT_TOLERANCE).is_ok());
    }

    #[test]
    fn forged_tampered_stale_and_malformed_headers_are_refused() {
        let header = sign(BODY, SECRET, NOW);
        let tol = DEFAULT_TOLERANCE;
        assert_eq!(
            verify(BODY, &header, b"other", NOW, tol),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"{\"id\":\"evt_2\"}", &header, SECRET, NOW, tol),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(BODY, &header, SECRET, NOW + 301, tol),
            Err(SignatureError::Stale { age_secs: 301 })
        );
        assert_eq!(
            verify(BODY, &header, SECRET, NOW - 301, tol),
            Err(SignatureError::Stale { age_secs: 301 })
        );
        assert_eq!(
            verify(BODY, "v1=abcd", SECRET, NOW, tol),
            Err(SignatureError::NoTimestamp)
        );
        assert_eq!(
            verify(BODY, "t=x,v1=ab", SECRET, NOW, tol),
            Err(SignatureError::NoTimestamp)
        );
        assert_eq!(
            verify(BODY, &format!("t={NOW}"), SECRET, NOW, tol),
            Err(SignatureError::NoSignature)
        );
        assert_eq!(
            verify(BODY, &format!("t={NOW},v1=zz"), SECRET, NOW, tol),
            Err(SignatureError::NoSignature)
        );
        assert_eq!(
            verify(BODY, "", SECRET, NOW, tol),
            Err(SignatureError::NoTimestamp)
        );
    }
}
