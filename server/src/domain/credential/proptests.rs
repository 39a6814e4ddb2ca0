//! Properties of the filter that tells a member's QR credential and a card UID from any other
//! scanned text ([`Presented::classify`], [`CardUid::parse`]). What it guarantees: it never
//! panics; an issued credential is recognised as itself, with or without whitespace around it
//! (so it is never kept in the scan log as unrecognised text); a card UID in either case comes
//! out upper-case; and whatever it decides, its own text is decided the same way again.

use proptest::prelude::*;

use super::*;

/// The text a decision keeps.
fn text(presented: &Presented) -> &str {
    match presented {
        Presented::Qr(text) | Presented::Unrecognised(text) => text,
        Presented::Card(uid) => uid.as_str(),
    }
}

/// Whitespace a scanner, a form or a hand-typed request may put around a code.
fn padding() -> impl Strategy<Value = String> {
    "[ \t\r\n\u{3000}]{0,3}"
}

/// Texts near the shapes the filter looks for, as well as arbitrary ones.
fn scanned() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\s{0,2}KJ1[0-9A-Fa-f]{0,40}\\s{0,2}",
        "\\s{0,2}[0-9A-Fa-f]{0,24}\\s{0,2}",
        "[kKjJ1 ]{0,6}.{0,8}",
    ]
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(raw in any::<String>()) {
        let _ = Presented::classify(&raw);
        let _ = CardUid::parse(&raw);
    }

    #[test]
    fn an_issued_credential_is_recognised_as_itself(
        bytes in any::<[u8; 16]>(),
        before in padding(),
        after in padding(),
    ) {
        let credential = QrCredential::from_random(bytes);
        let canonical = credential.as_str().to_owned();
        prop_assert_eq!(canonical.len(), 35);
        prop_assert_eq!(
            Presented::classify(&format!("{before}{canonical}{after}")),
            Presented::Qr(canonical)
        );
    }

    #[test]
    fn a_card_uid_in_either_case_comes_out_upper_case(
        uid in "[0-9A-Fa-f]{4,20}",
        before in padding(),
        after in padding(),
    ) {
        let upper = uid.to_ascii_uppercase();
        let parsed = CardUid::parse(&format!("{before}{uid}{after}"));
        prop_assert_eq!(parsed.as_ref().map(CardUid::as_str), Some(upper.as_str()));
        prop_assert_eq!(
            Presented::classify(&format!("{before}{uid}{after}")),
            Presented::Card(CardUid(upper))
        );
    }

    #[test]
    fn whatever_is_decided_is_decided_again_from_its_own_text(raw in scanned()) {
        let presented = Presented::classify(&raw);
        match &presented {
            Presented::Card(_) => prop_assert!(text(&presented).eq_ignore_ascii_case(raw.trim())),
            _ => prop_assert_eq!(text(&presented), raw.trim()),
        }
        prop_assert_eq!(Presented::classify(text(&presented)), presented.clone());
        if let Presented::Card(uid) = &presented {
            let again = CardUid::parse(uid.as_str());
            prop_assert_eq!(again.as_ref(), Some(uid));
            prop_assert!((4..=20).contains(&uid.as_str().len()));
            prop_assert!(!uid.as_str().bytes().any(|b| b.is_ascii_lowercase()));
        }
    }
}
