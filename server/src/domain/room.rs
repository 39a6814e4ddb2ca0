//! The rotating room code: the kiosk's idle screen shows a QR code for phone check-in whose
//! code changes every 30 seconds, so a photo of it sent out of the room stops working at once.
//!
//! A code is `{period in hex}.{keyed hash}`: the period says how old it is (so an old code is
//! told apart from a forged one) and the hash, keyed by a secret that lives only in the running
//! server's memory, says it was made here.
//!
//! A code opens a page; it never sends a form. The page that a fresh code opened carries a
//! [`FormTicket`]: `{issued second in hex}.{nonce}.{keyed hash}`, made by the server when it
//! showed the page. A form is taken only with a ticket this server made, no older than the
//! form's life, and its nonce is the check-in's scan id, so one ticket counts once. A photo of
//! the screen is therefore of no use once its code is a minute old: no page opens with it, and
//! no form can be made up without a page.

use jiff::Timestamp;
use sha2::{Digest, Sha256};

/// How long one code is shown.
pub const PERIOD_SECONDS: i64 = 30;
/// Periods a freshly scanned code may be old: the one shown and the one before it, so a
/// code opens a page for at most a minute.
pub const SCAN_GRACE: i64 = 1;
/// Seconds a one-tap page's form (签到, 不是本人, the choice between two activities) may be
/// sent after the page was shown: a tap follows the page within seconds.
pub const TAP_FORM_SECONDS: i64 = 60;
/// Seconds a registration form may be sent after the page that first showed it: time to type
/// a name, a number and an employer on a phone, and to correct a refused field.
pub const REGISTER_FORM_SECONDS: i64 = 10 * 60;

const MAC_HEX: usize = 12;
/// A ticket's hash is longer than a code's: it lives minutes, not seconds.
const TICKET_MAC_HEX: usize = 24;

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

    /// A ticket for a page shown now, with a new nonce.
    pub fn issue(&self, now: Timestamp) -> FormTicket {
        self.ticket(now.as_second(), uuid::Uuid::new_v4().simple().to_string())
    }

    /// A ticket for the same page load as `earlier` (so it ends when that one does), with a
    /// new nonce: the form shown again for someone else after "不是本人".
    pub fn renew(&self, earlier: &FormTicket) -> FormTicket {
        self.ticket(earlier.issued, uuid::Uuid::new_v4().simple().to_string())
    }

    /// The ticket `text` if this server made it no more than `life_seconds` ago.
    pub fn check_ticket(
        &self,
        text: &str,
        now: Timestamp,
        life_seconds: i64,
    ) -> Result<FormTicket, RoomCheck> {
        let mut parts = text.trim().split('.');
        let (Some(issued_hex), Some(nonce), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(RoomCheck::Unknown);
        };
        let issued = match i64::from_str_radix(issued_hex, 16) {
            Ok(issued) if issued_hex.len() <= 16 => issued,
            _ => return Err(RoomCheck::Unknown),
        };
        let expected = self.ticket_mac(issued, nonce);
        if !constant_time_eq(mac.as_bytes(), expected.as_bytes()) {
            return Err(RoomCheck::Unknown);
        }
        let age = now.as_second() - issued;
        if age < 0 {
            Err(RoomCheck::Unknown)
        } else if age > life_seconds {
            Err(RoomCheck::Expired)
        } else {
            Ok(FormTicket {
                issued,
                nonce: nonce.to_owned(),
                text: text.trim().to_owned(),
            })
        }
    }

    fn ticket(&self, issued: i64, nonce: String) -> FormTicket {
        let text = format!("{issued:x}.{nonce}.{}", self.ticket_mac(issued, &nonce));
        FormTicket {
            issued,
            nonce,
            text,
        }
    }

    fn ticket_mac(&self, issued: i64, nonce: &str) -> String {
        let digest = Sha256::new()
            .chain_update(self.key)
            .chain_update(b"form ticket")
            .chain_update(issued.to_be_bytes())
            .chain_update(nonce.as_bytes())
            .finalize();
        let mut text = hex::encode(digest);
        text.truncate(TICKET_MAC_HEX);
        text
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

/// What a page's form carries back: proof that this server showed the page, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormTicket {
    /// The second the page was first shown.
    issued: i64,
    /// Unique per ticket: the check-in's scan id, so one ticket counts once.
    pub nonce: String,
    /// The ticket as the form's hidden field holds it.
    pub text: String,
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
    }

    #[test]
    fn a_ticket_lives_as_long_as_its_form_and_renewing_keeps_its_start() {
        let room = RoomCode::with_key([7; 32]);
        let shown = at(1_800_000_000);
        let ticket = room.issue(shown);
        let checked = room.check_ticket(&ticket.text, at(1_800_000_060), TAP_FORM_SECONDS);
        assert_eq!(checked, Ok(ticket.clone()));
        assert_eq!(
            room.check_ticket(&ticket.text, at(1_800_000_075), TAP_FORM_SECONDS),
            Err(RoomCheck::Expired)
        );
        assert!(
            room.check_ticket(&ticket.text, at(1_800_000_075), REGISTER_FORM_SECONDS)
                .is_ok()
        );
        let renewed = room.renew(&ticket);
        assert_ne!(renewed.nonce, ticket.nonce);
        assert_eq!(
            room.check_ticket(&renewed.text, at(1_800_000_601), REGISTER_FORM_SECONDS),
            Err(RoomCheck::Expired),
            "a renewed ticket ends with the page load it came from"
        );
        assert_ne!(room.issue(shown).nonce, ticket.nonce, "every page its own");
    }

    #[test]
    fn forged_or_altered_tickets_are_unknown() {
        let room = RoomCode::with_key([7; 32]);
        let now = at(1_800_000_000);
        let ticket = room.issue(now);
        let other = RoomCode::with_key([8; 32]).issue(now);
        let (issued, rest) = ticket.text.split_once('.').expect("parts");
        let later = format!(
            "{:x}.{rest}",
            i64::from_str_radix(issued, 16).expect("hex") + 50
        );
        let (head, _) = ticket.text.rsplit_once('.').expect("parts");
        for forged in [
            other.text.as_str(),
            later.as_str(),
            &format!("{head}.000000000000000000000000"),
            &format!("{}.{}", ticket.text, "x"),
            room.current(now).as_str(),
            uuid::Uuid::new_v4().to_string().as_str(),
            "",
        ] {
            assert_eq!(
                room.check_ticket(forged, now, TAP_FORM_SECONDS),
                Err(RoomCheck::Unknown),
                "{forged}"
            );
        }
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
