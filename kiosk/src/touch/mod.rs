//! Touch turns the panel's Linux input device into taps: one screen
//! [`Point`](embedded_graphics::prelude::Point) per finger put down, in the pixels the screens
//! are drawn in. `event` decodes the kernel's `input_event` records into raw taps with no device
//! in sight, `calibrate` scales them to the screen and turns them with a panel mounted rotated,
//! and `device` is the thin edge that owns /dev/input/eventN, survives it going away and sends
//! the points. Touch must not decide what a tap means (which button it hits is the state
//! machine's business), must not report drags or a second finger, and must never end the
//! process: a missing panel is waited for, a touch it cannot place is dropped.

mod calibrate;
mod device;
mod event;

use std::fmt;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::str::FromStr;

pub use calibrate::{Calibration, Rotation};
pub use device::spawn;
pub use event::{RawTouch, TouchDecoder};

use embedded_graphics::prelude::Size;

/// Which input device is the touch panel and how it sits, parsed from a `--touch` argument:
///
/// ```text
/// PATH[:OPTION,OPTION,...]
///
/// rotate=0|90|180|270   the panel is mounted turned clockwise by this much (default 0)
/// x=MIN-MAX             the raw X range, as evtest shows it, smaller first (e.g. x=0-4095)
/// y=MIN-MAX             the raw Y range, likewise
/// invert-x              taps land mirrored left-right on the screen: mirror them back
/// invert-y              taps land mirrored top-bottom: mirror them back
/// ```
///
/// For example `/dev/input/event0` or `/dev/input/event0:rotate=90,x=0-4095,y=0-4095,invert-x`.
/// The options are what follows the last `:` when it contains a `=` or starts with `rotate` or
/// `invert`, so a path with colons in it, as /dev/input/by-path names have, needs no quoting.
/// A range left out is the panel's own size in pixels, which is what the official Raspberry Pi
/// displays report (0-800 by 0-480 on the 7-inch one); see [`TouchSpec::calibration`]. Each
/// option may be given once, in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TouchSpec {
    pub path: PathBuf,
    pub rotation: Rotation,
    /// The raw X range, or None for the panel's width in pixels.
    pub x_range: Option<RangeInclusive<i32>>,
    /// The raw Y range, or None for the panel's height in pixels.
    pub y_range: Option<RangeInclusive<i32>>,
    /// Mirror the screen's horizontal, after the rotation.
    pub invert_x: bool,
    /// Mirror the screen's vertical, after the rotation.
    pub invert_y: bool,
}

impl TouchSpec {
    /// A panel at `path`, mounted upright, reporting pixels.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TouchSpec {
            path: path.into(),
            rotation: Rotation::R0,
            x_range: None,
            y_range: None,
            invert_x: false,
            invert_y: false,
        }
    }

    /// The calibration for a picture of `screen` pixels. A range left out is the panel's own
    /// size: the screen's, turned back by the rotation, so a 720×1280 panel mounted a quarter
    /// turn (a 1280×720 screen) still has a raw X range of 0-720.
    pub fn calibration(&self, screen: Size) -> Calibration {
        let (panel_width, panel_height) = if self.rotation.swaps_axes() {
            (screen.height, screen.width)
        } else {
            (screen.width, screen.height)
        };
        let pixels = |len: u32| 0..=i32::try_from(len).unwrap_or(i32::MAX);
        let x = self.x_range.clone().unwrap_or_else(|| pixels(panel_width));
        let y = self.y_range.clone().unwrap_or_else(|| pixels(panel_height));
        let mut calibration = Calibration::rotated(self.rotation, x, y);
        calibration.invert_x ^= self.invert_x;
        calibration.invert_y ^= self.invert_y;
        calibration
    }
}

/// Why a `--touch` argument could not be read. Each message is one line that says how to write
/// it instead, because the staffer setting up the kiosk sees it at start-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TouchSpecError {
    #[error("touch device `{0}` has no path: write e.g. /dev/input/event0:rotate=90")]
    MissingPath(String),
    #[error(
        "unknown touch option `{0}`: expected rotate=DEGREES, x=MIN-MAX, y=MIN-MAX, invert-x or invert-y"
    )]
    UnknownOption(String),
    #[error("empty touch option in `{0}`: write one comma between options")]
    EmptyOption(String),
    #[error("`{0}` is not a rotation: write rotate=0, 90, 180 or 270")]
    BadRotation(String),
    #[error("`{0}` is not a raw range: write two whole numbers, smaller first, e.g. x=0-4095")]
    BadRange(String),
    #[error("touch option `{0}` is given twice: write it once")]
    Repeated(String),
}

impl FromStr for TouchSpec {
    type Err = TouchSpecError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (path, options) = match text.rsplit_once(':') {
            Some((path, options)) if options.is_empty() || looks_like_options(options) => {
                (path, options)
            }
            _ => (text, ""),
        };
        if path.is_empty() {
            return Err(TouchSpecError::MissingPath(text.to_owned()));
        }
        let mut spec = TouchSpec::new(path);
        if options.is_empty() {
            return Ok(spec);
        }
        let mut seen: Vec<&str> = Vec::new();
        for option in options.split(',') {
            let (name, value) = option.split_once('=').unwrap_or((option, ""));
            if name.is_empty() {
                return Err(TouchSpecError::EmptyOption(text.to_owned()));
            }
            if seen.contains(&name) {
                return Err(TouchSpecError::Repeated(name.to_owned()));
            }
            seen.push(name);
            match (name, option.contains('=')) {
                ("rotate", true) => {
                    spec.rotation = value
                        .parse()
                        .ok()
                        .filter(|_| is_integer(value))
                        .and_then(Rotation::from_degrees)
                        .ok_or_else(|| TouchSpecError::BadRotation(value.to_owned()))?;
                }
                ("x", true) => spec.x_range = Some(parse_range(value)?),
                ("y", true) => spec.y_range = Some(parse_range(value)?),
                ("invert-x", false) => spec.invert_x = true,
                ("invert-y", false) => spec.invert_y = true,
                _ => return Err(TouchSpecError::UnknownOption(option.to_owned())),
            }
        }
        Ok(spec)
    }
}

/// Whether what follows a `:` is options rather than more of the path: /dev/input/by-path
/// names have colons but never an `=`, and no part of them starts with an option's name.
fn looks_like_options(text: &str) -> bool {
    text.contains('=') || text.starts_with("rotate") || text.starts_with("invert")
}

/// `MIN-MAX` with MIN below MAX. Either may be negative, as in `-20-4075`.
fn parse_range(text: &str) -> Result<RangeInclusive<i32>, TouchSpecError> {
    let bad = || TouchSpecError::BadRange(text.to_owned());
    // The cut is looked for after the first character, so that a minus sign on MIN is kept.
    let cut = text
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '-')
        .map(|(at, _)| at)
        .ok_or_else(bad)?;
    let (min, max) = text.split_at(cut);
    let max = max.strip_prefix('-').ok_or_else(bad)?;
    if !is_integer(min) || !is_integer(max) {
        return Err(bad());
    }
    match (min.parse::<i32>(), max.parse::<i32>()) {
        (Ok(min), Ok(max)) if min < max => Ok(min..=max),
        _ => Err(bad()),
    }
}

/// Digits with an optional minus: `i32::from_str` alone would also take `+5`.
fn is_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

impl fmt::Display for TouchSpec {
    /// Writes the spec back in the form it is parsed from, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut options = Vec::new();
        if self.rotation != Rotation::R0 {
            options.push(format!("rotate={}", self.rotation.degrees()));
        }
        if let Some(range) = &self.x_range {
            options.push(format!("x={}-{}", range.start(), range.end()));
        }
        if let Some(range) = &self.y_range {
            options.push(format!("y={}-{}", range.start(), range.end()));
        }
        if self.invert_x {
            options.push("invert-x".to_owned());
        }
        if self.invert_y {
            options.push("invert-y".to_owned());
        }
        write!(f, "{}", self.path.display())?;
        if !options.is_empty() {
            write!(f, ":{}", options.join(","))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::prelude::Point;

    fn spec(
        path: &str,
        rotation: Rotation,
        x_range: Option<RangeInclusive<i32>>,
        y_range: Option<RangeInclusive<i32>>,
        invert_x: bool,
        invert_y: bool,
    ) -> TouchSpec {
        TouchSpec {
            path: PathBuf::from(path),
            rotation,
            x_range,
            y_range,
            invert_x,
            invert_y,
        }
    }

    #[test]
    fn touch_specs_parse() {
        let by_path = "/dev/input/by-path/pci-0000:00:14.0-usb-0:1.2:1.0-event";
        let cases = [
            (
                "/dev/input/event0",
                spec("/dev/input/event0", Rotation::R0, None, None, false, false),
            ),
            (
                "/dev/input/event0:rotate=90,x=0-4095,y=0-4095,invert-x",
                spec(
                    "/dev/input/event0",
                    Rotation::R90,
                    Some(0..=4095),
                    Some(0..=4095),
                    true,
                    false,
                ),
            ),
            (
                "/dev/input/event3:invert-y,rotate=270",
                spec("/dev/input/event3", Rotation::R270, None, None, false, true),
            ),
            (
                "/dev/input/event1:rotate=180",
                spec(
                    "/dev/input/event1",
                    Rotation::R180,
                    None,
                    None,
                    false,
                    false,
                ),
            ),
            (
                "/dev/input/event1:rotate=0,y=-20-4075",
                spec(
                    "/dev/input/event1",
                    Rotation::R0,
                    None,
                    Some(-20..=4075),
                    false,
                    false,
                ),
            ),
            (
                "/dev/input/event1:x=-300--100",
                spec(
                    "/dev/input/event1",
                    Rotation::R0,
                    Some(-300..=-100),
                    None,
                    false,
                    false,
                ),
            ),
            (
                "/dev/input/event2:",
                spec("/dev/input/event2", Rotation::R0, None, None, false, false),
            ),
            (
                by_path,
                spec(by_path, Rotation::R0, None, None, false, false),
            ),
            (
                "/dev/input/by-path/pci-0000:00:14.0-usb-0:1.2:1.0-event:rotate=90",
                spec(by_path, Rotation::R90, None, None, false, false),
            ),
            (
                "touch-fifo",
                spec("touch-fifo", Rotation::R0, None, None, false, false),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<TouchSpec>(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn bad_touch_specs_say_what_to_write() {
        use TouchSpecError::*;
        let cases = [
            ("", MissingPath(String::new())),
            (":rotate=90", MissingPath(":rotate=90".into())),
            ("/dev/input/event0:rotate=45", BadRotation("45".into())),
            ("/dev/input/event0:rotate=", BadRotation(String::new())),
            ("/dev/input/event0:rotate=+90", BadRotation("+90".into())),
            ("/dev/input/event0:rotate", UnknownOption("rotate".into())),
            ("/dev/input/event0:x=4095-0", BadRange("4095-0".into())),
            ("/dev/input/event0:x=5-5", BadRange("5-5".into())),
            ("/dev/input/event0:y=0-", BadRange("0-".into())),
            ("/dev/input/event0:y=4095", BadRange("4095".into())),
            ("/dev/input/event0:y=a-b", BadRange("a-b".into())),
            ("/dev/input/event0:y=+1-9", BadRange("+1-9".into())),
            (
                "/dev/input/event0:y=0-99999999999",
                BadRange("0-99999999999".into()),
            ),
            ("/dev/input/event0:flip=x", UnknownOption("flip=x".into())),
            (
                "/dev/input/event0:invert-z",
                UnknownOption("invert-z".into()),
            ),
            (
                "/dev/input/event0:invert-x=1",
                UnknownOption("invert-x=1".into()),
            ),
            (
                "/dev/input/event0:rotate=90,,invert-x",
                EmptyOption("/dev/input/event0:rotate=90,,invert-x".into()),
            ),
            (
                "/dev/input/event0:invert-x,invert-x",
                Repeated("invert-x".into()),
            ),
            (
                "/dev/input/event0:rotate=90,rotate=180",
                Repeated("rotate".into()),
            ),
        ];
        for (text, expected) in cases {
            let error = text.parse::<TouchSpec>().unwrap_err();
            assert_eq!(error, expected, "{text}");
            let message = error.to_string();
            assert!(!message.contains('\n'), "{message}");
            assert!(
                message.contains("write") || message.contains("expected"),
                "{message}"
            );
        }
    }

    #[test]
    fn touch_specs_print_as_they_parse() {
        for text in [
            "/dev/input/event0",
            "/dev/input/event0:rotate=90,x=0-4095,y=-20-4075,invert-x,invert-y",
            "/dev/input/event5:invert-y",
        ] {
            let spec: TouchSpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
            assert_eq!(spec.to_string().parse::<TouchSpec>(), Ok(spec));
        }
    }

    #[test]
    fn left_out_ranges_are_the_panels_own_pixels() {
        let raw = |x, y| RawTouch { x, y };
        // The official 7-inch display reports 0-800 by 0-480.
        let upright: TouchSpec = "/dev/input/event0".parse().unwrap();
        let screen = Size::new(800, 480);
        assert_eq!(
            upright.calibration(screen),
            Calibration::rotated(Rotation::R0, 0..=800, 0..=480)
        );
        let calibration = upright.calibration(screen);
        for (touch, expected) in [
            (raw(0, 0), Point::new(0, 0)),
            (raw(400, 240), Point::new(400, 240)),
            (raw(800, 480), Point::new(799, 479)),
        ] {
            assert_eq!(calibration.to_screen(touch, screen), Some(expected));
        }

        // The 720×1280 portrait panel mounted a quarter turn clockwise: a 1280×720 screen.
        let turned: TouchSpec = "/dev/input/event0:rotate=90".parse().unwrap();
        let screen = Size::new(1280, 720);
        let calibration = turned.calibration(screen);
        assert_eq!((calibration.x_max, calibration.y_max), (720, 1280));
        assert_eq!(
            calibration.to_screen(raw(0, 0), screen),
            Some(Point::new(1279, 0))
        );
        assert_eq!(
            calibration.to_screen(raw(720, 1280), screen),
            Some(Point::new(0, 719))
        );

        // invert-x mirrors what the rotation already does to the screen's horizontal.
        let mirrored: TouchSpec = "/dev/input/event0:rotate=90,invert-x".parse().unwrap();
        assert_eq!(
            mirrored.calibration(screen).to_screen(raw(0, 0), screen),
            Some(Point::new(0, 0))
        );
        // Given ranges are taken as they are.
        let given: TouchSpec = "/dev/input/event0:x=100-3900,y=200-3800".parse().unwrap();
        assert_eq!(
            given.calibration(screen),
            Calibration::rotated(Rotation::R0, 100..=3900, 200..=3800)
        );
    }
}
