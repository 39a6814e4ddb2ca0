//! Where the kiosk's pixels go. Screens draw into a [`Frame`] in memory; a [`Display`] back end
//! then copies the changed part of that frame somewhere a person can see it: the Pi's Linux
//! framebuffer (`fb:`), numbered PNG files for demos and tests (`png:`), or a browser page that
//! mirrors the screen and turns clicks into touches (`mirror:`). The back end is chosen by name
//! from the `--display` string.
//!
//! This module must not know what a screen means: no check-ins, no layout, no server. It must not
//! draw either; it only moves finished pixels. Touch input from a real panel belongs to `touch/`;
//! only the mirror produces touches here, because its "panel" is the browser it already serves.

pub mod fb;
pub mod frame;
pub mod mirror;
pub mod png;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use embedded_graphics::prelude::{Point, Size};
use embedded_graphics::primitives::Rectangle;

pub use fb::{Framebuffer, Geometry};
pub use frame::Frame;
pub use mirror::MirrorDisplay;
pub use png::PngDisplay;

/// A place that shows frames.
pub trait Display: Send {
    /// The frame size this display shows; make the [`Frame`] this size.
    fn size(&self) -> Size;

    /// Shows the `dirty` region of `frame` (the whole frame may be re-sent).
    ///
    /// Blocking: back ends write files or devices. A frame of another size is refused with
    /// `InvalidInput` rather than stretched or cropped.
    fn show(&mut self, frame: &Frame, dirty: Rectangle) -> std::io::Result<()>;
}

/// A parsed `--display` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisplaySpec {
    /// `fb:/dev/fb0`
    Framebuffer(PathBuf),
    /// `png:DIR`
    Png(PathBuf),
    /// `mirror:127.0.0.1:8081`
    Mirror(SocketAddr),
}

#[derive(Debug, thiserror::Error)]
pub enum DisplayError {
    #[error("display {0:?} is not one of fb:DEVICE, png:DIR or mirror:IP:PORT")]
    UnknownKind(String),
    #[error("display {0:?} names no path after the colon")]
    MissingPath(String),
    #[error("mirror address {0:?} is not IP:PORT, for example 127.0.0.1:8081")]
    BadAddress(String),
    #[error("size {0:?} is not WIDTHxHEIGHT with each side 1 to {MAX_SIDE}, for example 800x480")]
    BadSize(String),
    #[error(
        "framebuffer {path} uses {bits} bits per pixel; only 16 (RGB565) and 32 (XRGB8888) work"
    )]
    UnsupportedDepth { path: PathBuf, bits: u32 },
    #[error("framebuffer {path} cannot be used: {reason}")]
    BadGeometry { path: PathBuf, reason: String },
    // The io::Error is part of the message rather than a `source`, so a one-line report of
    // this error already says what went wrong.
    #[error("cannot {action} {path}: {error}")]
    Io {
        action: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot listen on {addr} for the mirror display: {error}")]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
}

/// Largest accepted side: bigger than any kiosk panel, small enough that a typo in `--size`
/// cannot ask for gigabytes of frame.
pub const MAX_SIDE: u32 = 4096;

impl FromStr for DisplaySpec {
    type Err = DisplayError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (kind, rest) = text
            .split_once(':')
            .ok_or_else(|| DisplayError::UnknownKind(text.to_owned()))?;
        let path = || {
            if rest.is_empty() {
                Err(DisplayError::MissingPath(text.to_owned()))
            } else {
                Ok(PathBuf::from(rest))
            }
        };
        match kind {
            "fb" => path().map(DisplaySpec::Framebuffer),
            "png" => path().map(DisplaySpec::Png),
            "mirror" => rest
                .parse()
                .map(DisplaySpec::Mirror)
                .map_err(|_| DisplayError::BadAddress(rest.to_owned())),
            _ => Err(DisplayError::UnknownKind(text.to_owned())),
        }
    }
}

impl fmt::Display for DisplaySpec {
    /// The `--display` text this spec was parsed from, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisplaySpec::Framebuffer(path) => write!(f, "fb:{}", path.display()),
            DisplaySpec::Png(dir) => write!(f, "png:{}", dir.display()),
            DisplaySpec::Mirror(addr) => write!(f, "mirror:{addr}"),
        }
    }
}

/// Parses `--size`: `800x480`, `720x1280`.
pub fn parse_size(text: &str) -> Result<Size, DisplayError> {
    let bad = || DisplayError::BadSize(text.to_owned());
    let (width, height) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let side = |s: &str| {
        // `u32::from_str` accepts a leading '+'; a size never has one.
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        match s.parse::<u32>() {
            Ok(n) if (1..=MAX_SIDE).contains(&n) => Ok(n),
            _ => Err(bad()),
        }
    };
    Ok(Size::new(side(width)?, side(height)?))
}

/// Opens the back end. `size` is used by png: and mirror:; fb: takes its size from the device.
/// For mirror:, must be called inside a tokio runtime: it binds ADDR and spawns its server;
/// touches (clicks in the browser, in display coordinates) are sent on `touches`.
pub async fn open(
    spec: &DisplaySpec,
    size: Size,
    touches: tokio::sync::mpsc::UnboundedSender<Point>,
) -> Result<Box<dyn Display>, DisplayError> {
    match spec {
        DisplaySpec::Framebuffer(path) => Ok(Box::new(Framebuffer::open(path)?)),
        DisplaySpec::Png(dir) => {
            let display = PngDisplay::new(dir, size).map_err(|error| DisplayError::Io {
                action: "write frames into",
                path: dir.clone(),
                error,
            })?;
            Ok(Box::new(display))
        }
        DisplaySpec::Mirror(addr) => {
            let (display, bound) = MirrorDisplay::bind(*addr, size, touches).await?;
            tracing::info!(%bound, "mirror display: open http://{bound}/ in a browser");
            Ok(Box::new(display))
        }
    }
}

/// The error every back end gives for a frame that does not match the display.
fn size_mismatch(frame: Size, display: Size) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "frame is {}x{} but the display is {}x{}",
            frame.width, frame.height, display.width, display.height
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_specs_parse_by_kind() {
        assert_eq!(
            "fb:/dev/fb0".parse::<DisplaySpec>().unwrap(),
            DisplaySpec::Framebuffer("/dev/fb0".into())
        );
        assert_eq!(
            "png:out/frames".parse::<DisplaySpec>().unwrap(),
            DisplaySpec::Png("out/frames".into())
        );
        assert_eq!(
            "mirror:127.0.0.1:8081".parse::<DisplaySpec>().unwrap(),
            DisplaySpec::Mirror("127.0.0.1:8081".parse().unwrap())
        );
        assert_eq!(
            "mirror:[::1]:80".parse::<DisplaySpec>().unwrap(),
            DisplaySpec::Mirror("[::1]:80".parse().unwrap())
        );
        // Windows-style or odd paths keep everything after the first colon.
        assert_eq!(
            "png:C:\\frames".parse::<DisplaySpec>().unwrap(),
            DisplaySpec::Png("C:\\frames".into())
        );
    }

    #[test]
    fn display_specs_print_back_as_parsed() {
        for text in ["fb:/dev/fb1", "png:/tmp/x", "mirror:0.0.0.0:8081"] {
            assert_eq!(text.parse::<DisplaySpec>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn bad_display_specs_say_why_on_one_line() {
        for (text, expected) in [
            ("", "not one of"),
            ("/dev/fb0", "not one of"),
            ("hdmi:0", "not one of"),
            ("FB:/dev/fb0", "not one of"),
            ("fb:", "names no path"),
            ("png:", "names no path"),
            ("mirror:", "not IP:PORT"),
            ("mirror:localhost:8081", "not IP:PORT"),
            ("mirror:127.0.0.1", "not IP:PORT"),
        ] {
            let message = text.parse::<DisplaySpec>().unwrap_err().to_string();
            assert!(message.contains(expected), "{text:?} gave {message:?}");
            assert!(!message.contains('\n'), "{message:?}");
        }
    }

    #[tokio::test]
    async fn open_picks_the_back_end_by_spec() {
        let dir = tempfile::tempdir().unwrap();
        let (touches, _received) = tokio::sync::mpsc::unbounded_channel();
        let spec = DisplaySpec::Png(dir.path().join("frames"));
        let mut display = open(&spec, Size::new(32, 16), touches.clone())
            .await
            .unwrap();
        assert_eq!(display.size(), Size::new(32, 16));
        let frame = Frame::new(Size::new(32, 16));
        display.show(&frame, Rectangle::zero()).unwrap();
        assert!(dir.path().join("frames/latest.png").exists());

        let spec = DisplaySpec::Framebuffer(dir.path().join("fb0"));
        let error = open(&spec, Size::new(32, 16), touches).await.err().unwrap();
        assert!(error.to_string().starts_with("cannot open "), "{error}");
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("800x480").unwrap(), Size::new(800, 480));
        assert_eq!(parse_size("720x1280").unwrap(), Size::new(720, 1280));
        assert_eq!(parse_size("1X1").unwrap(), Size::new(1, 1));
        assert_eq!(parse_size("4096x4096").unwrap(), Size::new(4096, 4096));
    }

    #[test]
    fn bad_sizes_are_refused() {
        for text in [
            "",
            "800",
            "800x",
            "x480",
            "0x480",
            "800x0",
            "800*480",
            "+800x480",
            "800x-480",
            " 800x480",
            "800x480x2",
            "4097x480",
            "99999999999x1",
            "八百x480",
        ] {
            let error = parse_size(text).unwrap_err();
            assert!(error.to_string().contains("WIDTHxHEIGHT"), "{text:?}");
        }
    }
}
