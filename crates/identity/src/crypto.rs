//! Secrets at rest: one-time tokens (random, stored as SHA-256) and passwords (bcrypt, off the
//! async executor and bounded to half the cores, without bcrypt's silent 72-byte truncation).

use std::sync::{Arc, OnceLock};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use crate::{Error, Password, Result};

/// A new random token (256 bits, URL-safe) and the hash to store for it.
pub fn new_token() -> Result<(String, String)> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Token(e.to_string()))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    Ok((token, hash))
}

/// The stored form of a token: SHA-256, URL-safe base64 (43 characters).
pub fn hash_token(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` hashes to `stored`, in constant time.
pub fn token_matches(token: &str, stored: &str) -> bool {
    hash_token(token).as_bytes().ct_eq(stored.as_bytes()).into()
}

/// bcrypt reads at most 72 bytes, so longer passwords would be silently truncated. Hashing
/// with SHA-256 first (base64: 44 bytes) makes every byte count.
fn prehash(password: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(password.as_bytes()))
}

/// At most this many bcrypt computations run at once in this process: half the cores, at least
/// one. bcrypt is meant to take a core for a quarter of a second; a storm of sign-ins on every
/// core starved the catalog's reads (their p99 tripled, docs/benchmarks.md). With a bound the
/// storm queues for a permit — the wait is part of each sign-in's latency, and none fails —
/// while reads keep the other cores. Process-wide on purpose: the cores are.
fn hashing_permits() -> Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            Arc::new(Semaphore::new((cores / 2).max(1)))
        })
        .clone()
}

/// Runs `work` on the blocking pool once a hashing permit is free, holding the permit until
/// it ends (even if the caller stops waiting).
async fn bcrypt_off_executor<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let permit = hashing_permits()
        .acquire_owned()
        .await
        .map_err(|e| Error::Hashing(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let done = work();
        drop(permit);
        done
    })
    .await
    .map_err(|e| Error::Hashing(e.to_string()))
}

/// Hashes off the executor, within the hashing bound: bcrypt is deliberately slow.
pub async fn hash_password(password: &Password, cost: u32) -> Result<String> {
    let input = prehash(password.expose());
    bcrypt_off_executor(move || bcrypt::hash(input, cost))
        .await?
        .map_err(|e| Error::Hashing(e.to_string()))
}

/// Verifies off the executor, within the hashing bound. A malformed stored hash counts as a
/// mismatch.
pub async fn verify_password(password: &str, hash: &str) -> Result<bool> {
    let input = prehash(password);
    let hash = hash.to_owned();
    bcrypt_off_executor(move || bcrypt::verify(input, &hash).unwrap_or(false)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, ha) = new_token().unwrap();
        let (b, _) = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_ne!(a, ha);
        assert!(token_matches(&a, &ha));
        assert!(!token_matches(&b, &ha));
    }

    #[tokio::test]
    async fn passwords_longer_than_72_bytes_are_not_truncated() {
        let base = format!("Aa1#{}", "x".repeat(80));
        let hash = hash_password(&Password::parse(&format!("{base}1"), "p").unwrap(), 4)
            .await
            .unwrap();
        assert!(verify_password(&format!("{base}1"), &hash).await.unwrap());
        assert!(!verify_password(&format!("{base}2"), &hash).await.unwrap());
    }
}
