//! What the cargo-fuzz targets in `fuzz/` run, shared with the tests that replay their committed
//! corpora, so each target is one line and CI exercises every corpus file without cargo-fuzz.
//! Each entry panics when the parser breaks a promise; anything else it returns is fine.
//!
//! A reader input is a header and the byte stream: the first byte says how many of the next
//! bytes (`first % 8`) are read sizes, used in turn to cut the stream as a serial port might
//! (0 is an empty read). The same stream is also fed in one piece, and both must agree with a
//! plain model of the protocol.

use crate::readers::qr::{MAX_PAYLOAD, QrParser};
use crate::readers::rdm6300::Rdm6300Parser;

/// A fuzz input's read sizes and the stream they cut (see the module docs).
pub fn split_input(data: &[u8]) -> (Vec<usize>, &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return (Vec::new(), data);
    };
    let count = usize::from(first % 8).min(rest.len());
    let (sizes, stream) = rest.split_at(count);
    (
        sizes.iter().map(|&size| usize::from(size)).collect(),
        stream,
    )
}

/// The stream cut into reads of `sizes` in turn; one read when there are none, or all are 0.
pub fn reads<'a>(stream: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    if sizes.iter().all(|&size| size == 0) {
        return vec![stream];
    }
    let mut reads = Vec::new();
    let mut rest = stream;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (read, after) = rest.split_at(size.min(rest.len()));
        reads.push(read);
        rest = after;
    }
    reads
}

/// The QR payloads a stream holds, by the protocol's definition rather than the parser's
/// state machine: every CR- or LF-terminated line that is 1 to [`MAX_PAYLOAD`] bytes of UTF-8
/// without a control character, in order. The unterminated tail is not (yet) a payload.
pub fn qr_payloads(stream: &[u8]) -> Vec<String> {
    let mut lines: Vec<&[u8]> = stream
        .split(|&byte| byte == b'\r' || byte == b'\n')
        .collect();
    lines.pop();
    lines
        .into_iter()
        .filter(|line| (1..=MAX_PAYLOAD).contains(&line.len()))
        .filter_map(|line| std::str::from_utf8(line).ok())
        .filter(|text| !text.chars().any(char::is_control))
        .map(str::to_owned)
        .collect()
}

/// The card UIDs a stream holds, by the protocol's definition: every STX, twelve hex digits and
/// ETX in a row whose six bytes XOR to zero, its first ten digits upper-cased, in order.
pub fn rdm6300_uids(stream: &[u8]) -> Vec<String> {
    stream
        .windows(14)
        .filter_map(|window| {
            let [0x02, digits @ .., 0x03] = window else {
                return None;
            };
            if !digits.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let digits = std::str::from_utf8(digits).ok()?;
            let mut xor = 0;
            for i in 0..6 {
                xor ^= u8::from_str_radix(digits.get(2 * i..2 * i + 2)?, 16).ok()?;
            }
            if xor != 0 {
                return None;
            }
            digits.get(..10).map(str::to_ascii_uppercase)
        })
        .collect()
}

/// The `qr_reader` target.
pub fn qr_reader(data: &[u8]) {
    let (sizes, stream) = split_input(data);
    let whole = QrParser::new().push(stream);
    assert_eq!(whole, qr_payloads(stream), "one piece against the model");
    let mut parser = QrParser::new();
    let mut cut = Vec::new();
    for read in reads(stream, &sizes) {
        cut.extend(parser.push(read));
        assert!(parser.held() <= MAX_PAYLOAD, "holds {}", parser.held());
    }
    assert_eq!(cut, whole, "cut into reads of {sizes:?}");
}

/// The `rdm6300_reader` target.
pub fn rdm6300_reader(data: &[u8]) {
    let (sizes, stream) = split_input(data);
    let whole = Rdm6300Parser::new().push(stream);
    assert_eq!(whole, rdm6300_uids(stream), "one piece against the model");
    let mut parser = Rdm6300Parser::new();
    let cut: Vec<String> = reads(stream, &sizes)
        .into_iter()
        .flat_map(|read| parser.push(read))
        .collect();
    assert_eq!(cut, whole, "cut into reads of {sizes:?}");
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// Every file of a target's committed corpus, by name.
    fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/corpus")
            .join(target);
        let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                (path, bytes)
            })
            .collect();
        files.sort();
        assert!(files.len() >= 3, "{}: a corpus of seeds", dir.display());
        files
    }

    #[test]
    fn the_qr_reader_corpus_replays_cleanly() {
        for (path, bytes) in corpus("qr_reader") {
            eprintln!("{}", path.display());
            qr_reader(&bytes);
        }
    }

    #[test]
    fn the_rdm6300_reader_corpus_replays_cleanly() {
        for (path, bytes) in corpus("rdm6300_reader") {
            eprintln!("{}", path.display());
            rdm6300_reader(&bytes);
        }
    }

    #[test]
    fn the_input_header_says_how_reads_cut_the_stream() {
        assert_eq!(split_input(&[]), (vec![], &[][..]));
        assert_eq!(split_input(&[2, 3, 0, b'a']), (vec![3, 0], &b"a"[..]));
        // 10 % 8 = 2 sizes, but only one byte follows.
        assert_eq!(split_input(&[10, 4]), (vec![4], &[][..]));
        assert_eq!(reads(b"abcdef", &[]), vec![&b"abcdef"[..]]);
        assert_eq!(reads(b"abcdef", &[0, 0]), vec![&b"abcdef"[..]]);
        assert_eq!(
            reads(b"abcdef", &[4, 0, 1]),
            vec![&b"abcd"[..], b"", b"e", b"f"]
        );
    }

    #[test]
    fn the_models_read_the_protocols_examples() {
        assert_eq!(qr_payloads(b"a\r\nb\nc\rd"), vec!["a", "b", "c"]);
        assert_eq!(
            rdm6300_uids(b"\x0262E3086CED08\x03\x02\x0262e3086ced08\x03\x0262E3086CED09\x03"),
            vec!["62E3086CED", "62E3086CED"]
        );
    }
}
