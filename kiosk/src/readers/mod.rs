//! Readers turn the bytes that serial devices at the door send into [`Scan`]s: one per
//! presentation of a card or a QR code. The protocols (`rdm6300`, `qr`) are pure byte-stream
//! parsers with no port in sight; `port` is the thin edge that owns a serial device, survives it
//! going away and feeds the parsers. Readers must not decide anything about members, check-ins
//! or screens, must not talk to the server, and must never end the process or pass on a frame
//! they could not verify: a broken frame is dropped, a missing device is waited for.

pub mod port;
pub mod qr;
pub mod rdm6300;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// The speed both modules ship at; the contract says 9600 8N1 unless told otherwise.
pub const DEFAULT_BAUD: u32 = 9600;

/// What a reader reported: one presentation of a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// A 125 kHz card's UID: its 10 hex digits, upper-case.
    Card(String),
    /// The text a QR code decoded to.
    Qr(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderKind {
    Rdm6300,
    Qr,
}

impl ReaderKind {
    /// The name used in `--reader` arguments and in logs.
    pub fn name(self) -> &'static str {
        match self {
            ReaderKind::Rdm6300 => "rdm6300",
            ReaderKind::Qr => "qr",
        }
    }
}

impl fmt::Display for ReaderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which reader sits on which serial device, parsed from `rdm6300:/dev/ttyS0` or
/// `qr:/dev/ttyUSB0@115200`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderSpec {
    pub kind: ReaderKind,
    pub path: PathBuf,
    pub baud: u32,
}

/// Why a `--reader` argument could not be read. Each message is one line that says how to write
/// it instead, because the staffer setting up the kiosk sees it at start-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReaderSpecError {
    #[error("reader `{0}` has no kind: write rdm6300:PATH or qr:PATH, e.g. qr:/dev/ttyUSB0")]
    MissingKind(String),
    #[error("unknown reader kind `{0}`: expected rdm6300 or qr")]
    UnknownKind(String),
    #[error("reader `{0}` has no device path: write e.g. rdm6300:/dev/ttyS0")]
    MissingPath(String),
    #[error("`{0}` is not a baud rate: write a whole number above 0 after @, e.g. @9600")]
    BadBaud(String),
}

impl FromStr for ReaderSpec {
    type Err = ReaderSpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let Some((kind, rest)) = text.split_once(':') else {
            return Err(ReaderSpecError::MissingKind(text.to_owned()));
        };
        let kind = match kind {
            "rdm6300" => ReaderKind::Rdm6300,
            "qr" => ReaderKind::Qr,
            other => return Err(ReaderSpecError::UnknownKind(other.to_owned())),
        };
        // The baud rate is split off at the last `@`, so a path may contain `:` (as
        // /dev/serial/by-path names do) without being mistaken for anything else.
        let (path, baud) = match rest.rsplit_once('@') {
            Some((path, baud)) => (path, parse_baud(baud)?),
            None => (rest, DEFAULT_BAUD),
        };
        if path.is_empty() {
            return Err(ReaderSpecError::MissingPath(text.to_owned()));
        }
        Ok(ReaderSpec {
            kind,
            path: PathBuf::from(path),
            baud,
        })
    }
}

fn parse_baud(text: &str) -> Result<u32, ReaderSpecError> {
    // `u32::from_str` alone would accept `+9600`; only plain digits are a baud rate here.
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<u32>() {
        Ok(baud) if digits && baud > 0 => Ok(baud),
        _ => Err(ReaderSpecError::BadBaud(text.to_owned())),
    }
}

impl fmt::Display for ReaderSpec {
    /// Writes the spec back in the form it is parsed from, baud rate included, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}@{}", self.kind, self.path.display(), self.baud)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_specs_parse() {
        let cases: &[(&str, ReaderKind, &str, u32)] = &[
            (
                "rdm6300:/dev/ttyS0",
                ReaderKind::Rdm6300,
                "/dev/ttyS0",
                9600,
            ),
            (
                "qr:/dev/ttyUSB0@115200",
                ReaderKind::Qr,
                "/dev/ttyUSB0",
                115_200,
            ),
            ("qr:/dev/ttyAMA0@9600", ReaderKind::Qr, "/dev/ttyAMA0", 9600),
            (
                "rdm6300:/dev/serial/by-path/platform-3f980000.usb-usb-0:1.2:1.0-port0",
                ReaderKind::Rdm6300,
                "/dev/serial/by-path/platform-3f980000.usb-usb-0:1.2:1.0-port0",
                9600,
            ),
            (
                "qr:relative/tty@57600",
                ReaderKind::Qr,
                "relative/tty",
                57_600,
            ),
        ];
        for (text, kind, path, baud) in cases {
            let spec: ReaderSpec = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                spec,
                ReaderSpec {
                    kind: *kind,
                    path: PathBuf::from(path),
                    baud: *baud
                },
                "{text}"
            );
            // What a log line shows parses back to the same spec.
            assert_eq!(spec.to_string().parse::<ReaderSpec>(), Ok(spec), "{text}");
        }
    }

    #[test]
    fn bad_reader_specs_say_what_is_wrong_in_one_line() {
        let cases: &[(&str, ReaderSpecError)] = &[
            (
                "/dev/ttyS0",
                ReaderSpecError::MissingKind("/dev/ttyS0".into()),
            ),
            ("", ReaderSpecError::MissingKind(String::new())),
            ("nfc:/dev/ttyS0", ReaderSpecError::UnknownKind("nfc".into())),
            (
                "RDM6300:/dev/ttyS0",
                ReaderSpecError::UnknownKind("RDM6300".into()),
            ),
            ("qr:", ReaderSpecError::MissingPath("qr:".into())),
            ("qr:@9600", ReaderSpecError::MissingPath("qr:@9600".into())),
            ("qr:/dev/ttyUSB0@", ReaderSpecError::BadBaud(String::new())),
            (
                "qr:/dev/ttyUSB0@fast",
                ReaderSpecError::BadBaud("fast".into()),
            ),
            ("qr:/dev/ttyUSB0@0", ReaderSpecError::BadBaud("0".into())),
            ("qr:/dev/ttyUSB0@-1", ReaderSpecError::BadBaud("-1".into())),
            (
                "qr:/dev/ttyUSB0@+9600",
                ReaderSpecError::BadBaud("+9600".into()),
            ),
            (
                "qr:/dev/ttyUSB0@99999999999",
                ReaderSpecError::BadBaud("99999999999".into()),
            ),
        ];
        for (text, expected) in cases {
            let error = text.parse::<ReaderSpec>().expect_err(text);
            assert_eq!(&error, expected, "{text}");
            let message = error.to_string();
            assert!(
                !message.contains('\n') && !message.is_empty(),
                "{text}: {message}"
            );
        }
    }
}
