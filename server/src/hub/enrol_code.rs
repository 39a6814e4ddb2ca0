//! The one-time enrolment code a home's staffer types in (`kejia enroll --code`): short enough
//! to read over the phone, single-use, expiring, and guarded against guessing.
//!
//! Eight characters from a 30-letter alphabet (Crockford's base32 without 0, 1, I, L, O and U,
//! so nothing reads as something else), shown as `XXXX-XXXX`. That is 30^8 ≈ 6.6 × 10^11, about
//! 39 bits: far too few to withstand an unlimited guesser, so [`EnrolThrottle`] limits wrong
//! codes per address and in all, and a code expires after [`CODE_LIFETIME`]. At the global
//! limit a guesser gets [`GLOBAL_FAILURES`] tries an hour, some 34,000 over a code's life:
//! a chance of about 1 in 20 million per open code.
//!
//! Only the code's SHA-256 is stored. A stolen hub database would let someone try every code
//! offline; such a thief has the association's data anyway, and codes die within a week.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

use crate::secrets::{self, SecretError};
use crate::web::rate_limit::{Rule, Throttle, WindowStart};

/// The letters a code is made of.
pub const ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Letters in a code (without the hyphen it is shown with).
pub const CODE_LENGTH: usize = 8;
/// How long a code may be used after it is issued: time enough to post it, or to reach the
/// home's staffer after a weekend, short enough that a code on a lost note soon dies.
pub const CODE_LIFETIME: SignedDuration = SignedDuration::from_hours(7 * 24);
/// The lifetime as people read it, for the command line and the hub's pages.
pub const LIFETIME_TEXT: &str = "7 天";

/// What an expired code is answered with.
pub const EXPIRED_MESSAGE: &str = "登记码已过期（有效期 7 天），请向市科协索取新的登记码";
/// What an unknown or used code is answered with.
pub const UNKNOWN_MESSAGE: &str = "登记码无效或已使用";

/// A new code, as shown: `XXXX-XXXX`.
pub fn new_code() -> Result<String, SecretError> {
    let mut letters = String::with_capacity(CODE_LENGTH + 1);
    while letters.len() < CODE_LENGTH {
        for byte in secrets::random_bytes::<16>()? {
            // 240 = 8 × 30: taking only bytes below it keeps every letter equally likely.
            if byte < 240 && letters.len() < CODE_LENGTH {
                letters.push(char::from(ALPHABET[usize::from(byte % 30)]));
            }
        }
    }
    letters.insert(CODE_LENGTH / 2, '-');
    Ok(letters)
}

/// The code as typed, in the form its hash is kept of: spaces and hyphens dropped, upper case.
/// Text that is not a code of this kind (the 64-hex-digit codes of earlier versions, or
/// rubbish) is only trimmed, so an old code still works and rubbish still fails.
pub fn normalize(typed: &str) -> String {
    let letters: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let is_code = letters.len() == CODE_LENGTH && letters.bytes().all(|b| ALPHABET.contains(&b));
    if is_code {
        letters
    } else {
        typed.trim().to_owned()
    }
}

/// What the hub keeps of a code.
pub fn code_hash(typed: &str) -> String {
    secrets::token_hash(&normalize(typed))
}

/// When a code issued at `issued` stops working.
pub fn expires_at(issued: Timestamp) -> Timestamp {
    // Only a clock at the end of time overflows; such a code simply never expires.
    issued
        .saturating_add(CODE_LIFETIME)
        .unwrap_or(Timestamp::MAX)
}

/// Wrong codes from one address before it is locked out for [`PEER_LOCKOUT`].
pub const PEER_FAILURES: u32 = 10;
pub const PEER_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Wrong codes from everyone together per hour. Many addresses (an IPv6 block, a botnet) get
/// no more than this; the price is that such a flood can make an honest home wait up to an
/// hour, never let anyone in.
pub const GLOBAL_FAILURES: u32 = 200;
pub const GLOBAL_WINDOW: Duration = Duration::from_secs(60 * 60);

/// Counts enrolment attempts, per address and in all. An attempt counts as a failure from the
/// moment it is admitted, before its code is looked up, and is taken back only if the code
/// was right: so parallel guesses cannot all slip through before the first is counted. While
/// locked, even the right code is refused, or guessing would simply go on.
pub struct EnrolThrottle {
    per_peer: Throttle<IpAddr>,
    global: Throttle<()>,
}

impl Default for EnrolThrottle {
    fn default() -> Self {
        Self::new(
            Rule {
                max: PEER_FAILURES,
                window: PEER_LOCKOUT,
                start: WindowStart::Latest,
            },
            Rule {
                max: GLOBAL_FAILURES,
                window: GLOBAL_WINDOW,
                start: WindowStart::First,
            },
        )
    }
}

/// An admitted attempt; [`EnrolAttempt::succeeded`] takes its counted failure back.
#[must_use = "an attempt counts as a failure unless it succeeded"]
pub struct EnrolAttempt<'a> {
    throttle: &'a EnrolThrottle,
    peer: Option<IpAddr>,
}

impl EnrolThrottle {
    pub fn new(per_peer: Rule, global: Rule) -> Self {
        Self {
            per_peer: Throttle::new(per_peer),
            global: Throttle::new(global),
        }
    }

    /// Admits an attempt from `peer` (unknown when the router is called without connection
    /// info), or says how long to wait.
    pub fn admit(&self, peer: Option<IpAddr>, now: Instant) -> Result<EnrolAttempt<'_>, Duration> {
        let peer = peer.map(|p| p.to_canonical());
        if let Some(peer) = peer {
            self.per_peer.admit(peer, now)?;
        }
        if let Err(left) = self.global.admit((), now) {
            if let Some(peer) = peer {
                self.per_peer.take_back(peer);
            }
            return Err(left);
        }
        Ok(EnrolAttempt {
            throttle: self,
            peer,
        })
    }
}

impl EnrolAttempt<'_> {
    /// The code was right: the attempt is not a failure after all. Only this attempt is
    /// taken back, not the address's earlier failures: a home that re-enrols with its own
    /// code must not wipe a guesser's count clean.
    pub fn succeeded(self) {
        if let Some(peer) = self.peer {
            self.throttle.per_peer.take_back(peer);
        }
        self.throttle.global.take_back(());
    }
}

/// How a refused attempt reads.
pub fn wait_message(left: Duration) -> String {
    let minutes = left.as_secs().div_ceil(60).max(1);
    format!("登记码错误次数过多，请 {minutes} 分钟后再试")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_eight_unambiguous_letters_shown_in_two_fours() {
        for _ in 0..200 {
            let code = new_code().expect("code");
            assert_eq!(code.len(), 9, "{code}");
            assert_eq!(&code[4..5], "-", "{code}");
            let letters = code.replace('-', "");
            assert!(
                letters.bytes().all(|b| ALPHABET.contains(&b)),
                "{code} uses only the alphabet"
            );
            for ambiguous in ['0', 'O', '1', 'I', 'L'] {
                assert!(!code.contains(ambiguous), "{code}");
            }
        }
        assert_ne!(new_code().expect("a"), new_code().expect("b"));
    }

    #[test]
    fn a_code_is_read_whatever_its_case_spaces_and_hyphens() {
        let kept = code_hash("ABCD-EFGH");
        for typed in [
            "ABCDEFGH",
            "abcd-efgh",
            " abcd efgh ",
            "Ab-Cd-Ef-Gh",
            "ABCD - EFGH",
        ] {
            assert_eq!(code_hash(typed), kept, "{typed}");
        }
        assert_ne!(code_hash("ABCD-EFGJ"), kept);
        // An old 64-hex-digit code is taken as it was issued, lower case and all.
        let old = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(normalize(old), old);
        assert_eq!(normalize(" not a code "), "not a code");
    }

    #[test]
    fn a_code_lives_seven_days() {
        let issued: Timestamp = "2026-07-15T04:00:00Z".parse().expect("time");
        let expiry: Timestamp = "2026-07-22T04:00:00Z".parse().expect("time");
        assert_eq!(expires_at(issued), expiry);
        assert!(EXPIRED_MESSAGE.contains(LIFETIME_TEXT));
    }

    #[test]
    fn wrong_codes_lock_an_address_out_and_the_whole_hub_at_its_limit() {
        let rule = |max, start| Rule {
            max,
            window: Duration::from_secs(60),
            start,
        };
        let throttle =
            EnrolThrottle::new(rule(3, WindowStart::Latest), rule(5, WindowStart::First));
        let now = Instant::now();
        let guesser = Some(IpAddr::from([192, 0, 2, 1]));
        for _ in 0..2 {
            drop(throttle.admit(guesser, now).expect("admitted"));
        }
        // Its own right code between guesses does not wipe its count clean.
        throttle.admit(guesser, now).expect("admitted").succeeded();
        drop(throttle.admit(guesser, now).expect("admitted"));
        assert!(
            throttle.admit(guesser, now).is_err(),
            "the guesser is locked out"
        );
        // A right code takes its attempt back: an honest home is not counted.
        let honest = Some(IpAddr::from([198, 51, 100, 7]));
        throttle.admit(honest, now).expect("admitted").succeeded();
        // Two more wrong codes from a second address fill the hub's limit for everyone.
        let other = Some(IpAddr::from([203, 0, 113, 9]));
        for _ in 0..2 {
            drop(throttle.admit(other, now).expect("admitted"));
        }
        assert!(
            throttle.admit(honest, now).is_err(),
            "the hub's limit is reached"
        );
        let later = now + Duration::from_secs(61);
        assert!(
            throttle.admit(honest, later).is_ok(),
            "the window has passed"
        );
    }
}
