//! What a device reads: a member's QR text or a card's UID.

use std::fmt;

/// Prefix of every QR credential kejia issues; a version tag leaves room for other formats.
const QR_PREFIX: &str = "KJ1";

/// The secret text a member's QR code holds: 128 random bits in QR alphanumeric mode (upper-case
/// hex), so the printed code stays small. Revocable and reissuable; a bearer secret, so it is
/// never written to logs.
#[derive(Clone, PartialEq, Eq)]
pub struct QrCredential(String);

impl QrCredential {
    pub fn from_random(bytes: [u8; 16]) -> Self {
        Self(format!("{QR_PREFIX}{}", hex::encode_upper(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for QrCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QrCredential(…)")
    }
}

/// A card UID as readers report it (hex), normalised to upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardUid(String);

impl CardUid {
    /// 125 kHz cards report 10 hex digits, Mifare cards 8 or 14; anything from 4 to 20 hex
    /// digits is accepted.
    pub fn parse(raw: &str) -> Option<Self> {
        let text = raw.trim();
        let plausible =
            (4..=20).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit());
        plausible.then(|| Self(text.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a scanned text can be, decided by its shape alone (the store then looks it up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    Qr(String),
    Card(CardUid),
    Unrecognised(String),
}

impl Presented {
    pub fn classify(raw: &str) -> Self {
        let text = raw.trim();
        if text.starts_with(QR_PREFIX) {
            Self::Qr(text.to_owned())
        } else if let Some(uid) = CardUid::parse(text) {
            Self::Card(uid)
        } else {
            Self::Unrecognised(text.to_owned())
        }
    }
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_credentials_are_recognised_as_qr() {
        let credential = QrCredential::from_random([0xab; 16]);
        assert_eq!(credential.as_str().len(), 35);
        assert_eq!(
            Presented::classify(credential.as_str()),
            Presented::Qr(credential.into_string())
        );
    }

    #[test]
    fn card_uids_are_case_insensitive() {
        assert_eq!(
            Presented::classify("00a1b2c3d4"),
            Presented::Card(CardUid("00A1B2C3D4".into()))
        );
        assert_eq!(
            Presented::classify("hello"),
            Presented::Unrecognised("hello".into())
        );
        assert_eq!(CardUid::parse("12"), None);
    }
}
