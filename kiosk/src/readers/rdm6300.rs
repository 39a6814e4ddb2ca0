//! The RDM6300 125 kHz card module's serial protocol. Each read of a card is a 14-byte frame:
//! STX (0x02), ten ASCII hex digits of card data, two ASCII hex digits holding the XOR of the five
//! data bytes, ETX (0x03). While a card lies on the coil the module sends its frame again about
//! every 100 ms, so [`CardDebouncer`] folds those repeats into one presentation.

use std::time::{Duration, Instant};

const STX: u8 = 0x02;
const ETX: u8 = 0x03;
/// Ten digits of card data and two of checksum: everything between STX and ETX.
const BODY_LEN: usize = 12;
const UID_LEN: usize = 10;

/// How long a card may go unseen and still count as the same presentation. The module repeats
/// every ~100 ms; half a second rides over a few frames lost to a card at the edge of the field
/// while staying shorter than lifting a card and presenting it again.
pub const REPEAT_GAP: Duration = Duration::from_millis(500);

/// Turns the module's byte stream into card UIDs, dropping anything that is not a whole frame
/// with a good checksum. It holds at most one frame's digits, whatever arrives.
#[derive(Debug, Clone, Default)]
pub struct Rdm6300Parser {
    body: [u8; BODY_LEN],
    /// How many digits of the current frame have arrived; `None` between frames, where bytes are
    /// line noise and skipped until the next STX.
    filled: Option<usize>,
}

impl Rdm6300Parser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the bytes of one read, however the stream was cut, and returns the UIDs of the
    /// frames completed by them (upper-case, in order).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut uids = Vec::new();
        for &byte in bytes {
            if byte == STX {
                // A frame cut short is forgotten: STX only ever means "a frame starts here".
                self.filled = Some(0);
                continue;
            }
            let Some(filled) = self.filled else { continue };
            if byte == ETX {
                self.filled = None;
                if filled == BODY_LEN
                    && let Some(uid) = verify(&self.body)
                {
                    uids.push(uid);
                }
            } else if filled < BODY_LEN && byte.is_ascii_hexdigit() {
                self.body[filled] = byte;
                self.filled = Some(filled + 1);
            } else {
                // Not a digit, or too many: the frame is broken; wait for the next STX.
                self.filled = None;
            }
        }
        uids
    }
}

/// The UID if the checksum matches the card data.
fn verify(body: &[u8; BODY_LEN]) -> Option<String> {
    let mut xor = 0;
    for pair in body.chunks_exact(2) {
        let [high, low] = pair else { return None };
        // XOR over all six bytes, checksum included, is zero exactly when the checksum matches.
        xor ^= (hex_value(*high)? << 4) | hex_value(*low)?;
    }
    if xor != 0 {
        return None;
    }
    Some(
        body[..UID_LEN]
            .iter()
            .map(|digit| char::from(digit.to_ascii_uppercase()))
            .collect(),
    )
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Tells a new presentation of a card from the module repeating the one lying on it.
#[derive(Debug, Clone)]
pub struct CardDebouncer {
    gap: Duration,
    /// The last UID seen and when it was last seen.
    last: Option<(String, Instant)>,
}

impl CardDebouncer {
    pub fn new(gap: Duration) -> Self {
        Self { gap, last: None }
    }

    /// Whether this sighting of `uid` is a new scan. The same UID again within `gap` of its last
    /// sighting is the card still lying there; every sighting extends that, so a card held for
    /// minutes is still one scan. A different UID, or the same one after a longer gap, is new.
    pub fn accept(&mut self, uid: &str, now: Instant) -> bool {
        match &mut self.last {
            Some((last_uid, seen)) if last_uid == uid => {
                // `saturating_…` and `max` keep an out-of-order `now` from panicking or from
                // moving the last sighting backwards.
                let repeat = now.saturating_duration_since(*seen) <= self.gap;
                *seen = (*seen).max(now);
                !repeat
            }
            _ => {
                self.last = Some((uid.to_owned(), now));
                true
            }
        }
    }
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame as the module sends it, with a correct checksum.
    fn frame(uid: &str) -> Vec<u8> {
        let xor = (0..5)
            .map(|i| u8::from_str_radix(&uid[2 * i..2 * i + 2], 16).unwrap())
            .fold(0, |acc, byte| acc ^ byte);
        let mut frame = vec![STX];
        frame.extend_from_slice(uid.as_bytes());
        frame.extend_from_slice(format!("{xor:02X}").as_bytes());
        frame.push(ETX);
        frame
    }

    fn concat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    fn uids(list: &[&str]) -> Vec<String> {
        list.iter().map(|uid| (*uid).to_owned()).collect()
    }

    fn cases() -> Vec<(&'static str, Vec<u8>, Vec<String>)> {
        let good = frame("0A1B2C3D4E");
        let other = frame("62E3086CED");
        vec![
            ("nothing", vec![], uids(&[])),
            // Worked by hand: 62^E3^08^6C^ED = 08, so the helper is not checking itself.
            (
                "a frame from the data sheet",
                b"\x0262E3086CED08\x03".to_vec(),
                uids(&["62E3086CED"]),
            ),
            ("a frame", good.clone(), uids(&["0A1B2C3D4E"])),
            (
                "data without its checksum",
                b"\x020A1B2C3D4E\x03".to_vec(),
                uids(&[]),
            ),
            (
                "lower-case frame with its checksum",
                frame("0a1b2c3d4e"),
                uids(&["0A1B2C3D4E"]),
            ),
            (
                "two frames back to back",
                concat(&[&good, &other]),
                uids(&["0A1B2C3D4E", "62E3086CED"]),
            ),
            (
                "a repeat is passed on; debouncing is not the parser's job",
                concat(&[&good, &good]),
                uids(&["0A1B2C3D4E", "0A1B2C3D4E"]),
            ),
            ("bad checksum", b"\x0262E3086CED09\x03".to_vec(), uids(&[])),
            (
                "checksum of the wrong digits",
                b"\x0262E3086CEE08\x03".to_vec(),
                uids(&[]),
            ),
            (
                "bad checksum, then a good frame",
                concat(&[b"\x0262E3086CED09\x03", &good]),
                uids(&["0A1B2C3D4E"]),
            ),
            (
                "non-hex in the data",
                b"\x0262E3G86CED08\x03".to_vec(),
                uids(&[]),
            ),
            (
                "non-hex in the checksum",
                b"\x0262E3086CED0Z\x03".to_vec(),
                uids(&[]),
            ),
            (
                "a space in the frame",
                b"\x0262E3 086CED08\x03".to_vec(),
                uids(&[]),
            ),
            ("too few digits", b"\x0262E3086CED0\x03".to_vec(), uids(&[])),
            (
                "too many digits",
                b"\x0262E3086CED088\x03".to_vec(),
                uids(&[]),
            ),
            (
                "a frame cut short, then a whole one",
                concat(&[b"\x0262E308", &good]),
                uids(&["0A1B2C3D4E"]),
            ),
            (
                "a frame without its ETX, then a whole one",
                concat(&[b"\x0262E3086CED08", &good]),
                uids(&["0A1B2C3D4E"]),
            ),
            ("ETX with no STX", b"62E3086CED08\x03".to_vec(), uids(&[])),
            ("only the tail of a frame", good[5..].to_vec(), uids(&[])),
            (
                "line noise between frames",
                concat(&[
                    b"\xff\x00\x03garbage\r\n",
                    &good,
                    b"\x03\x03 12\xfe",
                    &other,
                    b"\x00\xff",
                ]),
                uids(&["0A1B2C3D4E", "62E3086CED"]),
            ),
            (
                "noise that looks like digits between frames",
                concat(&[&good, b"0A1B2C3D4E15\x03", &other]),
                uids(&["0A1B2C3D4E", "62E3086CED"]),
            ),
            (
                "a frame inside a frame",
                concat(&[b"\x0212", &good[..7], &other]),
                uids(&["62E3086CED"]),
            ),
            (
                "a trailing STX waits for the rest",
                concat(&[&good, &[STX]]),
                uids(&["0A1B2C3D4E"]),
            ),
        ]
    }

    #[test]
    fn frames_are_checked_and_broken_ones_dropped() {
        for (name, input, expected) in cases() {
            assert_eq!(Rdm6300Parser::new().push(&input), expected, "{name}");
        }
    }

    #[test]
    fn how_reads_cut_the_stream_does_not_matter() {
        for (name, input, expected) in cases() {
            for cut in 0..=input.len() {
                let mut parser = Rdm6300Parser::new();
                let (first, second) = input.split_at(cut);
                let mut got = parser.push(first);
                got.extend(parser.push(second));
                assert_eq!(got, expected, "{name}, cut at {cut}");
            }
            let mut parser = Rdm6300Parser::new();
            let got: Vec<String> = input
                .iter()
                .flat_map(|byte| parser.push(&[*byte]))
                .collect();
            assert_eq!(got, expected, "{name}, one byte at a time");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_a_frame_after_them_is_read() {
        // A fixed linear congruential generator: the same "random" noise on every run.
        let mut state: u32 = 0x2545_f491;
        let mut parser = Rdm6300Parser::new();
        for _ in 0..20_000 {
            let chunk: Vec<u8> = (0..17)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    // Bias towards the bytes that matter so half-frames are common.
                    match state >> 29 {
                        0 => STX,
                        1 => ETX,
                        2 | 3 => b"0123456789ABCDEF"[(state >> 8) as usize % 16],
                        _ => (state >> 16) as u8,
                    }
                })
                .collect();
            for uid in parser.push(&chunk) {
                assert_eq!(uid.len(), 10);
                assert!(
                    uid.bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()),
                    "{uid}"
                );
            }
        }
        assert_eq!(parser.push(&frame("0A1B2C3D4E")), uids(&["0A1B2C3D4E"]));
    }

    const CARD: &str = "0A1B2C3D4E";

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_card_held_five_seconds_is_one_scan() {
        let start = Instant::now();
        let mut parser = Rdm6300Parser::new();
        let mut debouncer = CardDebouncer::new(REPEAT_GAP);
        let mut scans = 0;
        // A frame every 100 ms for 5 s, each arriving in two reads as a UART would hand it over.
        for tick in 0..=50 {
            let bytes = frame(CARD);
            let (head, tail) = bytes.split_at(6);
            parser.push(head);
            for uid in parser.push(tail) {
                if debouncer.accept(&uid, start + ms(100 * tick)) {
                    scans += 1;
                }
            }
        }
        assert_eq!(scans, 1);
    }

    #[test]
    fn repeats_merge_and_new_presentations_count() {
        let a = "0A1B2C3D4E";
        let b = "62E3086CED";
        /// (UID, milliseconds after the start) of each frame read.
        type Sightings<'a> = &'a [(&'a str, u64)];
        let cases: &[(&str, Sightings, &[bool])] = &[
            ("one sighting", &[(a, 0)], &[true]),
            (
                "repeats every 100 ms",
                &[(a, 0), (a, 100), (a, 200), (a, 300)],
                &[true, false, false, false],
            ),
            (
                "a gap of exactly 500 ms is still the same card",
                &[(a, 0), (a, 500)],
                &[true, false],
            ),
            (
                "lifted and presented again",
                &[(a, 0), (a, 100), (a, 701)],
                &[true, false, true],
            ),
            (
                "the gap counts from the last sighting, not the first",
                &[(a, 0), (a, 400), (a, 800), (a, 1200), (a, 1600)],
                &[true, false, false, false, false],
            ),
            (
                "a few lost frames",
                &[(a, 0), (a, 100), (a, 450), (a, 550)],
                &[true, false, false, false],
            ),
            (
                "a different card at once",
                &[(a, 0), (b, 100)],
                &[true, true],
            ),
            (
                "two cards swapped back and forth",
                &[(a, 0), (b, 100), (a, 200)],
                &[true, true, true],
            ),
            (
                "a different card, then the first held",
                &[(a, 0), (b, 100), (b, 200), (a, 300), (a, 400)],
                &[true, true, false, true, false],
            ),
            (
                "time going backwards is a repeat, not a panic",
                &[(a, 1000), (a, 0), (a, 1400)],
                &[true, false, false],
            ),
        ];
        let start = Instant::now();
        for (name, sightings, expected) in cases {
            let mut debouncer = CardDebouncer::new(REPEAT_GAP);
            let got: Vec<bool> = sightings
                .iter()
                .map(|(uid, at)| debouncer.accept(uid, start + ms(*at)))
                .collect();
            assert_eq!(&got, expected, "{name}");
        }
    }
}
