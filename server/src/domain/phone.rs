//! Mainland mobile numbers: personal information, masked everywhere but the staff detail page.

use std::fmt;

use super::Invalid;

/// An 11-digit mainland China mobile number, normalised to its digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Accepts the ways people write their number (spaces, dashes, a +86 or 0086 prefix) and
    /// keeps only the 11 digits.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
            .collect();
        let digits = compact
            .strip_prefix("+86")
            .or_else(|| compact.strip_prefix("0086"))
            .unwrap_or(&compact);
        let bytes = digits.as_bytes();
        let well_formed = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if well_formed {
            Ok(Self(digits.to_owned()))
        } else {
            Err(Invalid::new(
                "phone",
                "手机号须为 11 位中国大陆手机号码（以 13–19 开头），例如 13800138000",
            ))
        }
    }

    /// The digits, for the store and the staff detail page only.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****8000`: what every other screen shows.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// Masks the middle four digits of a stored number.
pub fn mask_phone(digits: &str) -> String {
    if digits.len() == 11 && digits.is_ascii() {
        format!("{}****{}", &digits[..3], &digits[7..])
    } else {
        "****".to_owned()
    }
}

/// Debug shows the masked form, so a phone number never reaches a log by accident.
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_spellings_of_one_number() {
        for raw in [
            "13800138000",
            " 138 0013 8000 ",
            "138-0013-8000",
            "+8613800138000",
            "008613800138000",
        ] {
            assert_eq!(
                Phone::parse(raw).map(|p| p.as_str().to_owned()),
                Ok("13800138000".to_owned()),
                "{raw}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_a_mainland_mobile() {
        for raw in [
            "",
            "1380013800",
            "138001380001",
            "12800138000",
            "23800138000",
            "1380013800a",
            "０１３８００１３８０００",
            "+85213800138000",
            "02912345678",
        ] {
            let err = Phone::parse(raw).expect_err(raw);
            assert_eq!(err.field, "phone");
            assert!(err.message.contains("11 位"), "{}", err.message);
        }
    }

    #[test]
    fn masks_the_middle_four_digits() {
        let phone = Phone::parse("13912345678").expect("valid");
        assert_eq!(phone.masked(), "139****5678");
        assert_eq!(format!("{phone:?}"), "Phone(139****5678)");
    }
}
