//! Secrets at rest: one-time tokens (random, stored as SHA-256) and passwords (bcrypt, off the
//! async executor, without bcrypt's silent 72-byte truncation).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

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

/// Hashes on the blocking pool: bcrypt is deliberately slow and must not stall the executor.
pub async fn hash_password(password: &Password, cost: u32) -> Result<String> {
    let input = prehash(password.expose());
    tokio::task::spawn_blocking(move || bcrypt::hash(input, cost))
        .await
        .map_err(|e| Error::Hashing(e.to_string()))?
        .map_err(|e| Error::Hashing(e.to_string()))
}

/// Verifies on the blocking pool. A malformed stored hash counts as a mismatch.
pub async fn verify_password(password: &str, hash: &str) -> Result<bool> {
    let input = prehash(password);
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || bcrypt::verify(input, &hash).unwrap_or(false))
        .await
        .map_err(|e| Error::Hashing(e.to_string()))
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
