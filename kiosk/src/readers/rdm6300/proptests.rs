//! Properties of the RDM6300 frame parser over arbitrary byte streams cut at arbitrary read
//! boundaries. What it guarantees: its UIDs are exactly the model's in
//! [`crate::fuzzing::rdm6300_uids`] (every STX, twelve hex digits, ETX in a row with a good
//! checksum), however reads cut the stream. STX always starts a frame afresh and no byte of a
//! frame but its STX can be garbage's, so a good frame is read after any garbage at all, with no
//! resynchronising byte needed. Its memory is one frame's digits in a fixed array.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::*;
use crate::fuzzing::rdm6300_uids;

/// A good frame for the card data `data`, its hex digits in upper or lower case.
fn good_frame(data: [u8; 5], lower: bool) -> (Vec<u8>, String) {
    let xor = data.iter().fold(0, |acc, byte| acc ^ byte);
    let uid: String = data.iter().map(|byte| format!("{byte:02X}")).collect();
    let digits = format!("{uid}{xor:02X}");
    let digits = if lower {
        digits.to_ascii_lowercase()
    } else {
        digits
    };
    ([&[STX], digits.as_bytes(), &[ETX]].concat(), uid)
}

/// Pieces of a stream: good frames, frames with one byte changed or cut short, the framing
/// bytes and hex digits alone, and arbitrary bytes.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    let frame =
        (any::<[u8; 5]>(), any::<bool>()).prop_map(|(data, lower)| good_frame(data, lower).0);
    prop_oneof![
        3 => frame.clone(),
        2 => (frame.clone(), any::<Index>(), any::<u8>()).prop_map(|(mut frame, at, byte)| {
            let at = at.index(frame.len());
            frame[at] = byte;
            frame
        }),
        1 => (frame, any::<Index>()).prop_map(|(frame, at)| frame[..at.index(frame.len())].to_vec()),
        2 => vec(prop_oneof![Just(STX), Just(ETX), proptest::sample::select(b"0123456789abcdefABCDEF".to_vec())], 0..16),
        2 => vec(any::<u8>(), 0..24),
    ]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    vec(piece(), 0..30).prop_map(|pieces| pieces.concat())
}

/// The stream cut at the given points (in any order, repeats allowed: empty reads).
fn cut<'a>(stream: &'a [u8], points: &[Index]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = points.iter().map(|p| p.index(stream.len() + 1)).collect();
    at.push(0);
    at.push(stream.len());
    at.sort_unstable();
    at.windows(2)
        .filter_map(|pair| stream.get(pair[0]..pair[1]))
        .collect()
}

fn feed(parser: &mut Rdm6300Parser, reads: &[&[u8]]) -> Vec<String> {
    reads.iter().flat_map(|read| parser.push(read)).collect()
}

proptest! {
    #[test]
    fn any_cut_of_any_stream_gives_what_one_piece_gives(
        stream in stream(),
        points in vec(any::<Index>(), 0..12),
    ) {
        let whole = Rdm6300Parser::new().push(&stream);
        let reads = cut(&stream, &points);
        prop_assert_eq!(feed(&mut Rdm6300Parser::new(), &reads), whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..2048)) {
        let mut parser = Rdm6300Parser::new();
        let uids = parser.push(&bytes);
        prop_assert!(uids.len() <= bytes.len() / 14);
        for uid in uids {
            prop_assert!(uid.len() == 10);
            prop_assert!(uid.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)), "{}", uid);
        }
        prop_assert!(parser.filled.unwrap_or(0) <= BODY_LEN);
    }

    #[test]
    fn uids_are_exactly_the_good_frames_in_the_stream(stream in stream()) {
        prop_assert_eq!(Rdm6300Parser::new().push(&stream), rdm6300_uids(&stream));
    }

    #[test]
    fn every_good_frame_between_garbage_is_read(
        parts in vec((stream(), any::<[u8; 5]>(), any::<bool>()), 1..8),
        tail in stream(),
        points in vec(any::<Index>(), 0..12),
    ) {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for (garbage, data, lower) in &parts {
            // Whatever state the garbage leaves, the frame's STX starts afresh; and the frame
            // ends in ETX, so the next garbage starts from nothing, as it would alone.
            let (frame, uid) = good_frame(*data, *lower);
            expected.extend(Rdm6300Parser::new().push(garbage));
            expected.push(uid);
            stream.extend_from_slice(garbage);
            stream.extend_from_slice(&frame);
        }
        expected.extend(Rdm6300Parser::new().push(&tail));
        stream.extend_from_slice(&tail);
        let reads = cut(&stream, &points);
        prop_assert_eq!(feed(&mut Rdm6300Parser::new(), &reads), expected);
    }
}
