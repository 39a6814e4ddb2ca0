//! Properties of the QR line parser over arbitrary byte streams cut at arbitrary read
//! boundaries. What it guarantees: its payloads are exactly the model's in
//! [`crate::fuzzing::qr_payloads`] (every CR- or LF-terminated line of 1 to 512 bytes of UTF-8
//! without a control character), however reads cut the stream; a terminator forgets everything
//! before it, so a good line after any garbage and a terminator is read; it holds at most
//! [`MAX_PAYLOAD`] bytes whatever arrives.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::*;
use crate::fuzzing::qr_payloads;

/// Pieces of a stream: terminators, clean text, arbitrary text and bytes, and lines around the
/// length limit, so every branch of the parser is taken often.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop_oneof![Just(b"\r".to_vec()), Just(b"\n".to_vec()), Just(b"\r\n".to_vec())],
        3 => "[ -~]{0,40}".prop_map(String::into_bytes),
        2 => any::<String>().prop_map(String::into_bytes),
        2 => vec(any::<u8>(), 0..24),
        1 => (MAX_PAYLOAD - 3..MAX_PAYLOAD + 3).prop_map(|n| vec![b'x'; n]),
    ]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    vec(piece(), 0..40).prop_map(|pieces| pieces.concat())
}

/// A payload the parser must pass on: 1 to 512 bytes of UTF-8, no control character.
fn good_line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[^\\p{Cc}]{1,60}",
        1 => Just("x".repeat(MAX_PAYLOAD)),
        // 170 three-byte characters and two ASCII: exactly 512 bytes.
        1 => Just(format!("{}ab", "张".repeat(170))),
    ]
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

/// Feeds the reads in order, checking the memory bound after each.
fn feed(parser: &mut QrParser, reads: &[&[u8]]) -> Vec<String> {
    let mut payloads = Vec::new();
    for read in reads {
        payloads.extend(parser.push(read));
        assert!(parser.held() <= MAX_PAYLOAD, "holds {}", parser.held());
    }
    payloads
}

proptest! {
    #[test]
    fn any_cut_of_any_stream_gives_what_one_piece_gives(
        stream in stream(),
        points in vec(any::<Index>(), 0..12),
    ) {
        let whole = QrParser::new().push(&stream);
        let reads = cut(&stream, &points);
        prop_assert_eq!(feed(&mut QrParser::new(), &reads), whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..2048)) {
        for payload in QrParser::new().push(&bytes) {
            prop_assert!(!payload.is_empty() && payload.len() <= MAX_PAYLOAD);
            prop_assert!(!payload.chars().any(char::is_control));
        }
    }

    #[test]
    fn payloads_are_exactly_the_clean_terminated_lines(stream in stream()) {
        prop_assert_eq!(QrParser::new().push(&stream), qr_payloads(&stream));
    }

    #[test]
    fn a_good_line_after_garbage_and_a_terminator_is_read(
        parts in vec((stream(), good_line(), prop_oneof![Just("\r"), Just("\n"), Just("\r\n")]), 1..6),
        points in vec(any::<Index>(), 0..12),
    ) {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for (garbage, line, end) in &parts {
            // The terminator after the garbage resets the parser, so what the garbage yields
            // is what it yields alone; then the line comes out exactly as it went in.
            let garbage = [garbage.as_slice(), b"\n"].concat();
            expected.extend(QrParser::new().push(&garbage));
            expected.push(line.clone());
            stream.extend_from_slice(&garbage);
            stream.extend_from_slice(line.as_bytes());
            stream.extend_from_slice(end.as_bytes());
        }
        let reads = cut(&stream, &points);
        prop_assert_eq!(feed(&mut QrParser::new(), &reads), expected);
    }

    #[test]
    fn endless_garbage_without_a_terminator_holds_at_most_the_cap(
        reads in vec(vec(any::<u8>().prop_filter("no terminator", |b| *b != b'\r' && *b != b'\n'), 0..1024), 0..40),
    ) {
        let mut parser = QrParser::new();
        for read in &reads {
            prop_assert_eq!(parser.push(read), Vec::<String>::new());
            prop_assert!(parser.line.len() <= MAX_PAYLOAD);
            prop_assert!(parser.held() <= MAX_PAYLOAD, "holds {}", parser.held());
        }
        // The next terminator recovers, and the line after it is read.
        prop_assert_eq!(parser.push(b"\r\nafter\r\n"), vec!["after".to_owned()]);
    }
}
