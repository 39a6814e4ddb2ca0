//! The rotating room code: the kiosk's idle screen shows a QR code for phone check-in whose
//! code changes every 30 seconds, so a photo of it sent out of the room stops working at once.
//!
//! A code is `{period in hex}.{keyed hash}`: the period says how old it is (so an old code is
//! told apart from a forged one) and the hash, keyed by a secret that lives only in the running
//! server's memory, says it was made here.

use jiff::Timestamp;
use sha2::{Digest, Sha256};

/// How long one code is shown.
pub const PERIOD_SECONDS: i64 = 30;
/// Periods a freshly scanned code may be old: the one shown and the one before it.
pub const SCAN_GRACE: i64 = 1;
/// Periods a code may be old when its form is sent: time to type a registration.
pub const FORM_GRACE: i64 = 20;

const MAC_HEX: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomCheck {
    Valid,
    /// Made here, but too long ago: scan the screen again.
    Expired,
    /// Not a code this server made.
    Unknown,
}

pub struct RoomCode {
    key: [u8; 32],
}

impl RoomCode {
    /// A new secret key; codes made before a restart stop working, which is harmless for codes
    /// that live 30 seconds.
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self { key }
    }

    #[cfg(test)]
    fn with_key(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// The code to show now.
    pub fn current(&self, now: Timestamp) -> String {
        let period = period_of(now);
        format!("{period:x}.{}", self.mac(period))
    }

    /// Whether `code` was made here no more than `grace` periods ago.
    pub fn check(&self, code: &str, now: Timestamp, grace: i64) -> RoomCheck {
        let Some((period_hex, mac)) = code.split_once('.') else {
            return RoomCheck::Unknown;
        };
        let Ok(period) = i64::from_str_radix(period_hex, 16) else {
            return RoomCheck::Unknown;
        };
        if period_hex.len() > 16 || !constant_time_eq(mac.as_bytes(), self.mac(period).as_bytes()) {
            return RoomCheck::Unknown;
        }
        let age = period_of(now) - period;
        if age < 0 {
            RoomCheck::Unknown
        } else if age > grace {
            RoomCheck::Expired
        } else {
            RoomCheck::Valid
        }
    }

    fn mac(&self, period: i64) -> String {
        let digest = Sha256::new()
            .chain_update(self.key)
            .chain_update(period.to_be_bytes())
            .finalize();
        let mut text = hex::encode(digest);
        text.truncate(MAC_HEX);
        text
    }
}

impl Default for RoomCode {
    fn default() -> Self {
        Self::new()
    }
}

fn period_of(now: Timestamp) -> i64 {
    now.as_second().div_euclid(PERIOD_SECONDS)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    #[test]
    fn a_fresh_code_is_valid_and_an_old_one_expired() {
        let room = RoomCode::with_key([7; 32]);
        let code = room.current(at(1_800_000_000));
        assert_eq!(
            room.check(&code, at(1_800_000_000), SCAN_GRACE),
            RoomCheck::Valid
        );
        assert_eq!(
            room.check(&code, at(1_800_000_059), SCAN_GRACE),
            RoomCheck::Valid
        );
        assert_eq!(
            room.check(&code, at(1_800_000_100), SCAN_GRACE),
            RoomCheck::Expired
        );
        assert_eq!(
            room.check(&code, at(1_800_000_100), FORM_GRACE),
            RoomCheck::Valid
        );
    }

    #[test]
    fn forged_or_foreign_codes_are_unknown() {
        let room = RoomCode::with_key([7; 32]);
        let other = RoomCode::with_key([8; 32]);
        let now = at(1_800_000_000);
        assert_eq!(
            room.check(&other.current(now), now, SCAN_GRACE),
            RoomCheck::Unknown
        );
        for junk in [
            "",
            ".",
            "zz.123",
            "1.",
            "ffffffffffffffffff.0123456789ab",
            "<script>",
        ] {
            assert_eq!(
                room.check(junk, now, SCAN_GRACE),
                RoomCheck::Unknown,
                "{junk}"
            );
        }
        // A code from the future (a forged period with a guessed hash) is not accepted either.
        let future = room.current(at(1_800_000_300));
        assert_eq!(room.check(&future, now, SCAN_GRACE), RoomCheck::Unknown);
    }
}
