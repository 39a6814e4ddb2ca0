//! The QR scanner module's serial protocol: the decoded text in UTF-8, then CR, LF or CRLF.
//! Whatever a code decodes to reaches the kiosk, so a payload is passed on exactly as read or
//! not at all: never trimmed, repaired or stripped of the bytes that made it suspect.

/// The longest payload passed on, in bytes. kejia's own codes are far shorter; anything longer
/// is not ours, and the cap bounds what a scanner stuck without a terminator can make us hold.
pub const MAX_PAYLOAD: usize = 512;

/// Turns the scanner's byte stream into payloads, dropping any that is over [`MAX_PAYLOAD`],
/// not UTF-8, or holds a control character.
#[derive(Debug, Clone)]
pub struct QrParser {
    /// The payload so far; never longer than `MAX_PAYLOAD`.
    line: Vec<u8>,
    /// The current payload went over `MAX_PAYLOAD`: skip to the next terminator.
    overlong: bool,
}

impl Default for QrParser {
    fn default() -> Self {
        Self::new()
    }
}

impl QrParser {
    pub fn new() -> Self {
        Self {
            line: Vec::with_capacity(MAX_PAYLOAD),
            overlong: false,
        }
    }

    /// Feeds the bytes of one read, however the stream was cut, and returns the payloads
    /// completed by them, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut payloads = Vec::new();
        for &byte in bytes {
            if byte == b'\r' || byte == b'\n' {
                // Neither byte can occur inside a multi-byte UTF-8 sequence, so splitting here
                // never cuts a character in two. CRLF ends a payload at CR and leaves an empty
                // line at LF, which is ignored like any empty line.
                if !std::mem::take(&mut self.overlong)
                    && let Some(payload) = accept(&self.line)
                {
                    payloads.push(payload);
                }
                self.line.clear();
            } else if self.overlong {
                continue;
            } else if self.line.len() == MAX_PAYLOAD {
                self.overlong = true;
                self.line.clear();
            } else {
                self.line.push(byte);
            }
        }
        payloads
    }

    /// How many bytes the parser holds on to between reads, at most [`MAX_PAYLOAD`].
    pub(crate) fn held(&self) -> usize {
        self.line.capacity()
    }
}

/// The payload as text, if it may be passed on at all.
fn accept(line: &[u8]) -> Option<String> {
    if line.is_empty() {
        return None;
    }
    let text = std::str::from_utf8(line).ok()?;
    // `is_control` covers C0, DEL and C1: escape sequences, NULs and tabs that could steer
    // whatever shows or stores the text.
    if text.chars().any(char::is_control) {
        return None;
    }
    Some(text.to_owned())
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(list: &[&str]) -> Vec<String> {
        list.iter().map(|text| (*text).to_owned()).collect()
    }

    fn cases() -> Vec<(&'static str, Vec<u8>, Vec<String>)> {
        let at_limit = "x".repeat(MAX_PAYLOAD);
        let over_limit = "x".repeat(MAX_PAYLOAD + 1);
        // 170 three-byte characters and two ASCII: exactly 512 bytes, 172 characters.
        let wide_at_limit = format!("{}ab", "张".repeat(170));
        let wide_over_limit = format!("{}abc", "张".repeat(170));
        let two_kb = "K".repeat(2048);
        vec![
            ("nothing", vec![], texts(&[])),
            ("CR", b"hello\r".to_vec(), texts(&["hello"])),
            ("LF", b"hello\n".to_vec(), texts(&["hello"])),
            (
                "CRLF is one terminator",
                b"hello\r\n".to_vec(),
                texts(&["hello"]),
            ),
            (
                "all three in a row",
                b"a\r\nb\nc\rd\r\n".to_vec(),
                texts(&["a", "b", "c", "d"]),
            ),
            (
                "LFCR is two terminators around nothing",
                b"a\n\rb\n".to_vec(),
                texts(&["a", "b"]),
            ),
            (
                "empty lines are ignored",
                b"\r\n\r\n\n\r\rx\n\n".to_vec(),
                texts(&["x"]),
            ),
            ("no terminator yet", b"pending".to_vec(), texts(&[])),
            (
                "a trailing part waits for its terminator",
                b"one\r\ntwo".to_vec(),
                texts(&["one"]),
            ),
            (
                "UTF-8 text",
                "张三 科技工作者之家\r\n".as_bytes().to_vec(),
                texts(&["张三 科技工作者之家"]),
            ),
            (
                "spaces are kept as they are",
                b"  a b  \n".to_vec(),
                texts(&["  a b  "]),
            ),
            (
                "HTML passes literally",
                b"<script>alert('x')</script>&amp;<b>\"hi\"</b>\r\n".to_vec(),
                texts(&["<script>alert('x')</script>&amp;<b>\"hi\"</b>"]),
            ),
            (
                "a URL",
                b"https://example.org/c?a=1&b=%20\r\n".to_vec(),
                texts(&["https://example.org/c?a=1&b=%20"]),
            ),
            (
                "NUL drops the payload whole",
                b"ab\x00cd\r\n".to_vec(),
                texts(&[]),
            ),
            (
                "BEL is not cleaned away",
                b"ab\x07cd\nok\n".to_vec(),
                texts(&["ok"]),
            ),
            (
                "an escape sequence",
                b"\x1b[31mred\x1b[0m\r\n".to_vec(),
                texts(&[]),
            ),
            ("a tab", b"a\tb\n".to_vec(), texts(&[])),
            ("DEL", b"a\x7fb\n".to_vec(), texts(&[])),
            (
                "a C1 control (NEL) in UTF-8",
                "a\u{85}b\n".as_bytes().to_vec(),
                texts(&[]),
            ),
            (
                "a C1 control (CSI) in UTF-8",
                "\u{9b}31m\n".as_bytes().to_vec(),
                texts(&[]),
            ),
            (
                "STX from a card module on the wrong port",
                b"\x020A1B2C3D4E15\x03\r\n".to_vec(),
                texts(&[]),
            ),
            ("invalid UTF-8", b"\xff\xfeabc\r\n".to_vec(), texts(&[])),
            (
                "a cut multi-byte character",
                b"ab\xe5\xbc\r\nnext\r\n".to_vec(),
                texts(&["next"]),
            ),
            (
                "an overlong encoding",
                b"\xc0\xafetc\n".to_vec(),
                texts(&[]),
            ),
            (
                "an encoded surrogate",
                b"\xed\xa0\x80\n".to_vec(),
                texts(&[]),
            ),
            (
                "exactly 512 bytes pass",
                format!("{at_limit}\r\n").into_bytes(),
                vec![at_limit.clone()],
            ),
            (
                "513 bytes are dropped",
                format!("{over_limit}\r\nok\r\n").into_bytes(),
                texts(&["ok"]),
            ),
            (
                "512 bytes of wide characters pass",
                format!("{wide_at_limit}\n").into_bytes(),
                vec![wide_at_limit.clone()],
            ),
            (
                "513 bytes of wide characters are dropped",
                format!("{wide_over_limit}\n").into_bytes(),
                texts(&[]),
            ),
            (
                "2 KB is dropped and the next line read",
                format!("{two_kb}\r\nnext\r\n").into_bytes(),
                texts(&["next"]),
            ),
            (
                "2 KB with no terminator yet",
                two_kb.clone().into_bytes(),
                texts(&[]),
            ),
            (
                "2 KB then CR alone",
                format!("{two_kb}\rnext\n").into_bytes(),
                texts(&["next"]),
            ),
        ]
    }

    #[test]
    fn payloads_are_passed_on_literally_or_dropped_whole() {
        for (name, input, expected) in cases() {
            assert_eq!(QrParser::new().push(&input), expected, "{name}");
        }
    }

    #[test]
    fn how_reads_cut_the_stream_does_not_matter() {
        for (name, input, expected) in cases() {
            for cut in 0..=input.len() {
                let mut parser = QrParser::new();
                let (first, second) = input.split_at(cut);
                let mut got = parser.push(first);
                got.extend(parser.push(second));
                assert_eq!(got, expected, "{name}, cut at {cut}");
            }
            let mut parser = QrParser::new();
            let got: Vec<String> = input
                .iter()
                .flat_map(|byte| parser.push(&[*byte]))
                .collect();
            assert_eq!(got, expected, "{name}, one byte at a time");
        }
    }

    #[test]
    fn a_scanner_that_never_ends_its_line_costs_bounded_memory() {
        let mut parser = QrParser::new();
        for _ in 0..1000 {
            assert_eq!(parser.push(&[b'x'; 1024]), texts(&[]));
            assert!(
                parser.line.capacity() <= MAX_PAYLOAD,
                "{}",
                parser.line.capacity()
            );
        }
        assert_eq!(parser.push(b"\r\nafter\r\n"), texts(&["after"]));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_only_clean_text_comes_out() {
        // A fixed linear congruential generator: the same "random" bytes on every run.
        let mut state: u32 = 0x9e37_79b9;
        let mut parser = QrParser::new();
        for _ in 0..5_000 {
            let chunk: Vec<u8> = (0..37)
                .map(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    // Mostly printable ASCII so that some lines survive, with terminators and
                    // arbitrary bytes mixed in.
                    match state >> 28 {
                        0 => b'\n',
                        1 => b'\r',
                        2 => (state >> 16) as u8,
                        _ => b' ' + (state >> 8) as u8 % 95,
                    }
                })
                .collect();
            for payload in parser.push(&chunk) {
                assert!(!payload.is_empty() && payload.len() <= MAX_PAYLOAD);
                assert!(!payload.chars().any(char::is_control), "{payload:?}");
            }
        }
    }
}
