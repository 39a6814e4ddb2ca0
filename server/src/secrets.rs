//! Random secrets, their hashes and password hashing. Tokens and session ids are stored only
//! as SHA-256 hashes (they are long and random, so a fast hash suffices); passwords as argon2id.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the operating system's random source failed: {0}")]
    Random(#[source] getrandom::Error),
    #[error("password hashing failed: {0}")]
    Hash(#[source] argon2::password_hash::Error),
    /// The blocking thread that hashed stopped (panicked) before it answered.
    #[error("password hashing failed: {0}")]
    Interrupted(#[source] tokio::task::JoinError),
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], SecretError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(SecretError::Random)?;
    Ok(bytes)
}

/// A new bearer secret: a short prefix saying what it is, then 256 random bits in hex.
pub fn new_token(prefix: &str) -> Result<String, SecretError> {
    Ok(format!("{prefix}{}", hex::encode(random_bytes::<32>()?)))
}

/// What the store keeps of a token or session id.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An argon2id PHC string with the crate's default cost (19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, SecretError> {
    let salt = random_bytes::<16>()?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(SecretError::Hash)
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// A hash to verify against when the username is unknown, so a login takes as long whether or
/// not the account exists.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password for unknown users").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let phc = hash_password("correct horse").expect("hash");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong horse", &phc));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token("kjt_").expect("token");
        let b = new_token("kjt_").expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
