//! From the panel's raw units to the screen's pixels: scaling, clamping and the turns of a panel
//! mounted rotated. Pure arithmetic, in integers so that a corner lands exactly on a corner.

use std::ops::RangeInclusive;

use embedded_graphics::prelude::{Point, Size};

use super::event::RawTouch;

/// How a panel is mounted, as a clockwise turn from its native orientation, when the picture
/// is turned the same way so that it reads upright. The names follow libinput's calibration
/// matrices: a quarter turn clockwise (`R90`) puts the panel's top-left corner at the top-right
/// of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    #[default]
    R0,
    R90,
    R180,
    R270,
}

impl Rotation {
    pub fn from_degrees(degrees: u32) -> Option<Self> {
        match degrees {
            0 => Some(Rotation::R0),
            90 => Some(Rotation::R90),
            180 => Some(Rotation::R180),
            270 => Some(Rotation::R270),
            _ => None,
        }
    }

    pub fn degrees(self) -> u32 {
        match self {
            Rotation::R0 => 0,
            Rotation::R90 => 90,
            Rotation::R180 => 180,
            Rotation::R270 => 270,
        }
    }

    /// Whether the panel's X axis runs along the screen's height.
    pub fn swaps_axes(self) -> bool {
        matches!(self, Rotation::R90 | Rotation::R270)
    }

    /// The `(swap_xy, invert_x, invert_y)` flags of [`Calibration`] for this turn.
    pub fn flags(self) -> (bool, bool, bool) {
        match self {
            Rotation::R0 => (false, false, false),
            Rotation::R90 => (true, true, false),
            Rotation::R180 => (false, true, true),
            Rotation::R270 => (true, false, true),
        }
    }
}

/// How raw touches map onto the screen.
///
/// The ranges are the panel's own axes, as `evtest` shows them, before any swap: a raw X of
/// `x_min` is one edge and `x_max` the other. A range given high to low mirrors its axis, which
/// is how calibration tools write a panel wired backwards. Then `swap_xy` makes the raw X the
/// screen's vertical, and `invert_x`/`invert_y` mirror the screen's horizontal/vertical, after
/// the swap, so that they mean what one sees on the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calibration {
    pub x_min: i32,
    pub x_max: i32,
    pub y_min: i32,
    pub y_max: i32,
    pub swap_xy: bool,
    pub invert_x: bool,
    pub invert_y: bool,
}

impl Calibration {
    /// The calibration of a panel with these raw ranges, mounted turned by `rotation`.
    pub fn rotated(rotation: Rotation, x: RangeInclusive<i32>, y: RangeInclusive<i32>) -> Self {
        let (swap_xy, invert_x, invert_y) = rotation.flags();
        Calibration {
            x_min: *x.start(),
            x_max: *x.end(),
            y_min: *y.start(),
            y_max: *y.end(),
            swap_xy,
            invert_x,
            invert_y,
        }
    }

    /// The pixel of a `screen`-sized picture that `raw` touches, clamped to the screen: panels
    /// report a little beyond their declared range at the edges. None when a raw range is empty
    /// (`min == max`) or the screen has no pixels, which leaves nothing to scale.
    pub fn to_screen(&self, raw: RawTouch, screen: Size) -> Option<Point> {
        let along_x = Fraction::along(raw.x, self.x_min, self.x_max)?;
        let along_y = Fraction::along(raw.y, self.y_min, self.y_max)?;
        let (mut across, mut down) = if self.swap_xy {
            (along_y, along_x)
        } else {
            (along_x, along_y)
        };
        if self.invert_x {
            across = across.flipped();
        }
        if self.invert_y {
            down = down.flipped();
        }
        Some(Point::new(
            across.scale(screen.width)?,
            down.scale(screen.height)?,
        ))
    }
}

/// A place along an axis as `offset / span`, with `0 <= offset <= span` and `span > 0`. Kept as
/// a ratio of integers so that the two ends scale exactly onto the first and last pixel.
#[derive(Debug, Clone, Copy)]
struct Fraction {
    offset: i128,
    span: i128,
}

impl Fraction {
    fn along(value: i32, min: i32, max: i32) -> Option<Self> {
        let (mut offset, mut span) = (
            i128::from(value) - i128::from(min),
            i128::from(max) - i128::from(min),
        );
        if span == 0 {
            return None;
        }
        if span < 0 {
            (offset, span) = (-offset, -span);
        }
        Some(Fraction {
            offset: offset.clamp(0, span),
            span,
        })
    }

    fn flipped(self) -> Self {
        Fraction {
            offset: self.span - self.offset,
            span: self.span,
        }
    }

    /// The nearest of `len` pixels.
    fn scale(self, len: u32) -> Option<i32> {
        let last = i128::from(len.checked_sub(1)?);
        i32::try_from((self.offset * last + self.span / 2) / self.span).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LANDSCAPE: Size = Size::new(800, 480);
    const PORTRAIT: Size = Size::new(720, 1280);

    fn raw(x: i32, y: i32) -> RawTouch {
        RawTouch { x, y }
    }

    #[test]
    fn each_rotation_maps_the_raw_corners_to_the_right_screen_corners() {
        // The panel's own corners, as it reports them.
        let (top_left, top_right, bottom_left, bottom_right) =
            (raw(0, 0), raw(4095, 0), raw(0, 4095), raw(4095, 4095));
        for screen in [LANDSCAPE, PORTRAIT] {
            let (right, bottom) = (screen.width as i32 - 1, screen.height as i32 - 1);
            let (tl, tr, bl, br) = (
                Point::new(0, 0),
                Point::new(right, 0),
                Point::new(0, bottom),
                Point::new(right, bottom),
            );
            // Where each of the panel's corners shows: a clockwise turn moves the panel's
            // top-left corner to the top-right, then the bottom-right, then the bottom-left.
            let cases = [
                (Rotation::R0, [tl, tr, bl, br]),
                (Rotation::R90, [tr, br, tl, bl]),
                (Rotation::R180, [br, bl, tr, tl]),
                (Rotation::R270, [bl, tl, br, tr]),
            ];
            for (rotation, expected) in cases {
                let calibration = Calibration::rotated(rotation, 0..=4095, 0..=4095);
                let got = [top_left, top_right, bottom_left, bottom_right]
                    .map(|corner| calibration.to_screen(corner, screen));
                assert_eq!(got, expected.map(Some), "{rotation:?} on {screen:?}");
            }
        }
    }

    #[test]
    fn a_quarter_turn_moves_the_middle_of_an_edge_to_the_matching_edge() {
        // The middle of the panel's top edge is on the screen's right edge after R90.
        let calibration = Calibration::rotated(Rotation::R90, 0..=480, 0..=800);
        assert_eq!(
            calibration.to_screen(raw(240, 0), LANDSCAPE),
            Some(Point::new(799, 240))
        );
        let calibration = Calibration::rotated(Rotation::R270, 0..=480, 0..=800);
        assert_eq!(
            calibration.to_screen(raw(240, 0), LANDSCAPE),
            Some(Point::new(0, 240))
        );
    }

    #[test]
    fn touches_beyond_the_range_are_clamped_to_the_screen() {
        let calibration = Calibration::rotated(Rotation::R0, 200..=3900, 300..=3800);
        let cases = [
            (raw(-50, -50), Point::new(0, 0)),
            (raw(0, 5000), Point::new(0, 479)),
            (raw(i32::MAX, i32::MIN), Point::new(799, 0)),
            (raw(4095, 4095), Point::new(799, 479)),
            (raw(200, 300), Point::new(0, 0)),
            (raw(3900, 3800), Point::new(799, 479)),
            (raw(2050, 2050), Point::new(400, 240)),
        ];
        for (touch, expected) in cases {
            assert_eq!(
                calibration.to_screen(touch, LANDSCAPE),
                Some(expected),
                "{touch:?}"
            );
        }
    }

    #[test]
    fn inverted_axes_mirror_the_screen() {
        let plain = Calibration::rotated(Rotation::R0, 0..=800, 0..=480);
        let cases = [
            (false, false, Point::new(100, 50)),
            (true, false, Point::new(699, 50)),
            (false, true, Point::new(100, 429)),
            (true, true, Point::new(699, 429)),
        ];
        for (invert_x, invert_y, expected) in cases {
            let calibration = Calibration {
                invert_x,
                invert_y,
                ..plain
            };
            assert_eq!(
                calibration.to_screen(raw(100, 50), LANDSCAPE),
                Some(expected),
                "invert_x {invert_x}, invert_y {invert_y}"
            );
        }
        // After a swap, invert_x still means the screen's horizontal.
        let swapped = Calibration {
            swap_xy: true,
            invert_x: true,
            ..Calibration::rotated(Rotation::R0, 0..=480, 0..=800)
        };
        assert_eq!(
            swapped.to_screen(raw(0, 100), LANDSCAPE),
            Some(Point::new(699, 0))
        );
    }

    #[test]
    fn a_range_given_high_to_low_mirrors_its_axis() {
        let backwards = Calibration {
            x_min: 4095,
            x_max: 0,
            ..Calibration::rotated(Rotation::R0, 0..=4095, 0..=4095)
        };
        let inverted = Calibration {
            invert_x: true,
            ..Calibration::rotated(Rotation::R0, 0..=4095, 0..=4095)
        };
        for touch in [raw(0, 0), raw(1000, 3000), raw(4095, 17), raw(-5, 5000)] {
            assert_eq!(
                backwards.to_screen(touch, PORTRAIT),
                inverted.to_screen(touch, PORTRAIT),
                "{touch:?}"
            );
        }
    }

    #[test]
    fn a_degenerate_range_or_screen_maps_nothing() {
        let flat_x = Calibration::rotated(Rotation::R0, 100..=100, 0..=4095);
        assert_eq!(flat_x.to_screen(raw(100, 10), LANDSCAPE), None);
        let flat_y = Calibration::rotated(Rotation::R90, 0..=4095, 7..=7);
        assert_eq!(flat_y.to_screen(raw(100, 7), LANDSCAPE), None);
        let fine = Calibration::rotated(Rotation::R0, 0..=4095, 0..=4095);
        assert_eq!(fine.to_screen(raw(1, 1), Size::new(0, 480)), None);
        assert_eq!(fine.to_screen(raw(1, 1), Size::new(800, 0)), None);
        // The widest ranges there are still scale without overflowing.
        let widest = Calibration::rotated(Rotation::R0, i32::MIN..=i32::MAX, 0..=1);
        assert_eq!(
            widest.to_screen(raw(i32::MAX, 1), Size::new(u32::MAX, 1)),
            None,
            "a pixel beyond i32 cannot be a Point"
        );
        assert_eq!(
            widest.to_screen(raw(i32::MAX, 1), LANDSCAPE),
            Some(Point::new(799, 479))
        );
    }
}
