//! The phone hash a home sends the hub, so the hub can recognise one person at two homes
//! without holding a number it can read back.
//!
//! `argon2id(password = the normalised phone, salt = the association's phone key)` with the
//! parameters in [`PARAMS`], 32 bytes as 64 lowercase hex digits. The key is the same at every
//! home (so the same phone gives the same hash everywhere) and is therefore no real secret: the
//! hub keeps it and every home holds it. What protects the numbers is the cost of each guess:
//! about 19 MiB of memory and tens of milliseconds per candidate, so the 10^7 numbers of one
//! prefix cost days of a core instead of seconds (measured in BENCHMARKS.md, "Phone hashes").
//!
//! The home computes each member's hash once and keeps it (`store::phone_hashes`, dropped by a
//! trigger when the phone changes), so a backfill of thousands of members is paid once.

use argon2::{Algorithm, Argon2, Params, Version};
use thiserror::Error;

/// What a batch says its phone hashes are; the hub keeps hashes of no other kind.
pub const PHONE_HASH_KIND: &str = "argon2id-v19-m19456-t2-p1-32";

/// Memory in KiB (19 MiB), passes, lanes: OWASP's first argon2id setting, also what the
/// home's password hashes use.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const PASSES: u32 = 2;
pub const LANES: u32 = 1;
/// Bytes of output (64 hex digits).
pub const OUTPUT_LEN: usize = 32;

#[derive(Debug, Error)]
pub enum PhoneHashError {
    #[error("argon2 refused the phone hash: {0}")]
    Argon2(#[from] argon2::Error),
}

fn hasher() -> Result<Argon2<'static>, PhoneHashError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, Some(OUTPUT_LEN))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The hash of `phone` (as the home stores it: 11 digits) under the association's key.
pub fn phone_hash(key: &[u8; 32], phone: &str) -> Result<String, PhoneHashError> {
    let mut out = [0u8; OUTPUT_LEN];
    hasher()?.hash_password_into(phone.as_bytes(), key, &mut out)?;
    Ok(hex::encode(out))
}

/// Whether `text` has the shape of a phone hash: exactly 64 lowercase hex digits.
pub fn is_phone_hash(text: &str) -> bool {
    text.len() == 2 * OUTPUT_LEN && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_phone_and_key_give_the_same_hash_and_anything_else_another() {
        let key = [7u8; 32];
        let one = phone_hash(&key, "13912345678").expect("hash");
        assert_eq!(one, phone_hash(&key, "13912345678").expect("hash"));
        assert!(is_phone_hash(&one), "{one}");
        assert_ne!(one, phone_hash(&key, "13912345679").expect("hash"));
        assert_ne!(one, phone_hash(&[8u8; 32], "13912345678").expect("hash"));
    }

    #[test]
    fn the_hash_is_argon2id_with_the_published_parameters() {
        let key = [3u8; 32];
        let params = Params::new(19 * 1024, 2, 1, Some(32)).expect("params");
        let mut expected = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(b"13800138000", &key, &mut expected)
            .expect("argon2");
        assert_eq!(
            phone_hash(&key, "13800138000").expect("hash"),
            hex::encode(expected)
        );
    }

    #[test]
    fn only_64_lowercase_hex_digits_are_a_phone_hash() {
        assert!(is_phone_hash(&"0a".repeat(32)));
        assert!(!is_phone_hash("13912345678"));
        assert!(!is_phone_hash(&"0A".repeat(32)));
        assert!(!is_phone_hash(&"0a".repeat(31)));
        assert!(!is_phone_hash(&format!("{}g", "0".repeat(63))));
        assert!(!is_phone_hash(""));
    }
}
