//! The change log's hash chain and the signatures on what a home pushes.
//!
//! `hash(n) = SHA-256(hash(n-1) as hex text ‖ record(n) as canonical JSON text)`, starting from
//! [`GENESIS`]. A record commits to facts and to a salted hash of any personal data, never to the
//! data itself, so erasing a member leaves every hash valid.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub fn chain_hash(previous: &str, record: &str) -> String {
    hex::encode(
        Sha256::new()
            .chain_update(previous.as_bytes())
            .chain_update(record.as_bytes())
            .finalize(),
    )
}

/// A salted hash of personal data: what the chain commits to instead of the data.
pub fn personal_hash(salt: &[u8], personal: &str) -> String {
    hex::encode(
        Sha256::new()
            .chain_update(salt)
            .chain_update(personal.as_bytes())
            .finalize(),
    )
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the public key is not a valid Ed25519 key")]
    BadKey,
    #[error("the signature is malformed")]
    Malformed,
    #[error("the signature does not match")]
    Mismatch,
}

/// The home's key pair, made at enrolment.
pub struct HomeKey(SigningKey);

impl HomeKey {
    pub fn from_secret(secret: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&secret))
    }

    pub fn secret(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half, hex, as the hub keeps it.
    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }

    /// A hex signature over `payload`'s exact bytes.
    pub fn sign(&self, payload: &str) -> String {
        hex::encode(self.0.sign(payload.as_bytes()).to_bytes())
    }
}

/// Checks a hex signature over `payload`'s exact bytes against a hex public key.
pub fn verify(public_hex: &str, payload: &str, signature_hex: &str) -> Result<(), SignatureError> {
    let key: [u8; 32] = hex::decode(public_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(SignatureError::BadKey)?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| SignatureError::BadKey)?;
    let signature: [u8; 64] = hex::decode(signature_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(SignatureError::Malformed)?;
    key.verify_strict(payload.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_payload_and_key() {
        let key = HomeKey::from_secret([1; 32]);
        let other = HomeKey::from_secret([2; 32]);
        let signature = key.sign("{\"a\":1}");
        assert_eq!(verify(&key.public_hex(), "{\"a\":1}", &signature), Ok(()));
        assert_eq!(
            verify(&key.public_hex(), "{\"a\":2}", &signature),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&other.public_hex(), "{\"a\":1}", &signature),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify("zz", "x", &signature), Err(SignatureError::BadKey));
        assert_eq!(
            verify(&key.public_hex(), "x", "00"),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn the_chain_depends_on_every_record_before() {
        let one = chain_hash(GENESIS, "a");
        let two = chain_hash(&one, "b");
        assert_ne!(two, chain_hash(&chain_hash(GENESIS, "x"), "b"));
        assert_eq!(two, chain_hash(&chain_hash(GENESIS, "a"), "b"));
        assert_eq!(two.len(), 64);
    }
}
