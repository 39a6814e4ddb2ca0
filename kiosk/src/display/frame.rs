//! The in-memory canvas every screen draws into, and the record of what changed on it.

use std::fmt;
use std::ops::Range;

use embedded_graphics::pixelcolor::{Rgb565, Rgb888};
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

/// The kiosk's canvas in memory: width×height RGB565 pixels. Screens draw into it; it remembers
/// the bounding box of what changed since the last [`Frame::take_dirty`].
///
/// A new frame counts as entirely dirty: the device has never shown it, and an all-black first
/// screen must still replace whatever the panel showed before (boot console, previous run).
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    size: Size,
    /// Row-major, `size.width * size.height` long.
    pixels: Vec<Rgb565>,
    dirty: Option<Bounds>,
}

/// An inclusive box of frame coordinates, always inside the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bounds {
    min_x: u32,
    min_y: u32,
    max_x: u32,
    max_y: u32,
}

impl Bounds {
    fn rectangle(self) -> Rectangle {
        Rectangle::with_corners(
            Point::new(self.min_x as i32, self.min_y as i32),
            Point::new(self.max_x as i32, self.max_y as i32),
        )
    }
}

impl Frame {
    pub fn new(size: Size) -> Self {
        let len = size.width as usize * size.height as usize;
        let mut frame = Self {
            size,
            pixels: vec![Rgb565::BLACK; len],
            dirty: None,
        };
        frame.mark_all_dirty();
        frame
    }

    pub fn size(&self) -> Size {
        self.size
    }

    /// The colour at `p`, or `None` outside the frame.
    pub fn pixel(&self, p: Point) -> Option<Rgb565> {
        self.index(p.x, p.y).map(|i| self.pixels[i])
    }

    /// The bounding box of everything that changed since the last call (or since the frame was
    /// made, or [`Frame::mark_all_dirty`]), and forgets it. `None` when nothing changed.
    pub fn take_dirty(&mut self) -> Option<Rectangle> {
        self.dirty.take().map(Bounds::rectangle)
    }

    /// Makes the next [`Frame::take_dirty`] cover the whole frame, e.g. after the device may have
    /// been overwritten by someone else (a console switching back).
    pub fn mark_all_dirty(&mut self) {
        self.dirty = (self.size.width > 0 && self.size.height > 0).then(|| Bounds {
            min_x: 0,
            min_y: 0,
            max_x: self.size.width - 1,
            max_y: self.size.height - 1,
        });
    }

    /// The whole frame as 8-bit RGB.
    ///
    /// Channels are widened with embedded-graphics' own `Rgb888::from` (rounded scaling), so a
    /// frame saved here is pixel-identical to the same drawing saved from a `SimulatorDisplay`:
    /// golden screens and `png:` output can be compared byte for byte. Row by row, three bytes
    /// a pixel, as a PNG encoder takes it.
    pub fn to_rgb8(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.pixels.len() * 3);
        for &colour in &self.pixels {
            let c = Rgb888::from(colour);
            bytes.extend_from_slice(&[c.r(), c.g(), c.b()]);
        }
        bytes
    }

    /// [`Frame::to_rgb8`] as an `image` buffer, for tests that decode PNGs with `image`.
    #[cfg(test)]
    pub(crate) fn to_rgb_image(&self) -> image::RgbImage {
        image::RgbImage::from_raw(self.size.width, self.size.height, self.to_rgb8())
            .expect("three bytes a pixel")
    }

    /// Makes this frame look like `next`, marking dirty only the pixels that differ. Screens
    /// repaint backgrounds under their text, so drawing straight onto the shown frame would
    /// mark every text area dirty; drawing into a scratch frame and copying it here does not.
    pub fn update_from(&mut self, next: &Frame) {
        if next.size != self.size {
            self.pixels.clone_from(&next.pixels);
            self.size = next.size;
            self.mark_all_dirty();
            return;
        }
        let width = self.size.width as usize;
        for (index, (mine, theirs)) in self.pixels.iter_mut().zip(&next.pixels).enumerate() {
            if *mine != *theirs {
                *mine = *theirs;
                let (x, y) = ((index % width) as u32, (index / width) as u32);
                self.dirty = Some(match self.dirty {
                    None => Bounds {
                        min_x: x,
                        min_y: y,
                        max_x: x,
                        max_y: y,
                    },
                    Some(b) => Bounds {
                        min_x: b.min_x.min(x),
                        min_y: b.min_y.min(y),
                        max_x: b.max_x.max(x),
                        max_y: b.max_y.max(y),
                    },
                });
            }
        }
    }

    /// Pixels `columns` of row `y`; empty when any part lies outside the frame. Back ends use
    /// this to copy dirty spans without going pixel by pixel through `pixel()`.
    pub(super) fn row(&self, y: u32, columns: Range<u32>) -> &[Rgb565] {
        if y >= self.size.height || columns.end > self.size.width || columns.start > columns.end {
            return &[];
        }
        let start = y as usize * self.size.width as usize;
        self.pixels
            .get(start + columns.start as usize..start + columns.end as usize)
            .unwrap_or_default()
    }

    fn index(&self, x: i32, y: i32) -> Option<usize> {
        let (x, y) = (u32::try_from(x).ok()?, u32::try_from(y).ok()?);
        (x < self.size.width && y < self.size.height)
            .then(|| y as usize * self.size.width as usize + x as usize)
    }

    /// Grows the dirty box to hold columns `first..=last` of row `y` (all inside the frame).
    fn touch_span(&mut self, y: u32, first: u32, last: u32) {
        self.dirty = Some(match self.dirty {
            None => Bounds {
                min_x: first,
                min_y: y,
                max_x: last,
                max_y: y,
            },
            Some(b) => Bounds {
                min_x: b.min_x.min(first),
                min_y: b.min_y.min(y),
                max_x: b.max_x.max(last),
                max_y: b.max_y.max(y),
            },
        });
    }

    /// Writes one pixel known to be inside the frame; an unchanged colour leaves the dirty box
    /// alone, so redrawing an identical screen costs no device writes.
    fn put(&mut self, x: u32, y: u32, colour: Rgb565) {
        let i = y as usize * self.size.width as usize + x as usize;
        if let Some(slot) = self.pixels.get_mut(i)
            && *slot != colour
        {
            *slot = colour;
            self.touch_span(y, x, x);
        }
    }
}

impl fmt::Debug for Frame {
    // The derived form would print hundreds of thousands of pixels.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("size", &self.size)
            .field("dirty", &self.dirty.map(Bounds::rectangle))
            .finish_non_exhaustive()
    }
}

impl OriginDimensions for Frame {
    fn size(&self) -> Size {
        self.size
    }
}

impl DrawTarget for Frame {
    type Color = Rgb565;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(p, colour) in pixels {
            // Out-of-bounds pixels are dropped: text and shapes may overhang their region.
            if let (Ok(x), Ok(y)) = (u32::try_from(p.x), u32::try_from(p.y))
                && x < self.size.width
                && y < self.size.height
            {
                self.put(x, y, colour);
            }
        }
        Ok(())
    }

    fn fill_contiguous<I>(&mut self, area: &Rectangle, colors: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Self::Color>,
    {
        let mut colors = colors.into_iter();
        let (width, height) = (self.size.width as i32, self.size.height as i32);
        for y in area.rows() {
            if y >= height {
                // Nothing further down can land in the frame; the rest of `colors` is unused.
                break;
            }
            for x in area.columns() {
                let Some(colour) = colors.next() else {
                    return Ok(());
                };
                // Rows above the frame still consume their colours, keeping the rest aligned.
                if y >= 0 && (0..width).contains(&x) {
                    self.put(x as u32, y as u32, colour);
                }
            }
        }
        Ok(())
    }

    fn fill_solid(&mut self, area: &Rectangle, colour: Self::Color) -> Result<(), Self::Error> {
        let area = area.intersection(&self.bounding_box());
        let Some(bottom_right) = area.bottom_right() else {
            return Ok(());
        };
        let (x0, x1) = (area.top_left.x as usize, bottom_right.x as usize + 1);
        let stride = self.size.width as usize;
        for y in area.top_left.y..=bottom_right.y {
            let start = y as usize * stride;
            let Some(row) = self.pixels.get_mut(start + x0..start + x1) else {
                continue;
            };
            // Only the span that really changes counts as dirty.
            let Some(first) = row.iter().position(|&p| p != colour) else {
                continue;
            };
            let last = row.iter().rposition(|&p| p != colour).unwrap_or(first);
            row[first..=last].fill(colour);
            self.touch_span(y as u32, (x0 + first) as u32, (x0 + last) as u32);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};

    fn clean(size: Size) -> Frame {
        let mut frame = Frame::new(size);
        frame.take_dirty();
        frame
    }

    fn rect(x: i32, y: i32, w: u32, h: u32) -> Rectangle {
        Rectangle::new(Point::new(x, y), Size::new(w, h))
    }

    #[test]
    fn a_new_frame_is_black_and_entirely_dirty() {
        let mut frame = Frame::new(Size::new(8, 4));
        assert_eq!(frame.size(), Size::new(8, 4));
        assert_eq!(frame.pixel(Point::new(7, 3)), Some(Rgb565::BLACK));
        assert_eq!(frame.take_dirty(), Some(rect(0, 0, 8, 4)));
        assert_eq!(frame.take_dirty(), None);
    }

    #[test]
    fn pixel_outside_the_frame_is_none() {
        let frame = Frame::new(Size::new(8, 4));
        for p in [
            Point::new(-1, 0),
            Point::new(0, -1),
            Point::new(8, 0),
            Point::new(0, 4),
        ] {
            assert_eq!(frame.pixel(p), None, "{p:?}");
        }
    }

    #[test]
    fn dirty_box_bounds_every_changed_pixel_and_resets() {
        let mut frame = clean(Size::new(20, 10));
        Pixel(Point::new(3, 7), Rgb565::RED)
            .draw(&mut frame)
            .unwrap();
        Pixel(Point::new(12, 2), Rgb565::GREEN)
            .draw(&mut frame)
            .unwrap();
        assert_eq!(frame.pixel(Point::new(3, 7)), Some(Rgb565::RED));
        assert_eq!(frame.take_dirty(), Some(rect(3, 2, 10, 6)));
        assert_eq!(frame.take_dirty(), None);
    }

    #[test]
    fn drawing_the_current_colour_changes_nothing() {
        let mut frame = clean(Size::new(20, 10));
        Pixel(Point::new(3, 3), Rgb565::BLACK)
            .draw(&mut frame)
            .unwrap();
        frame
            .fill_solid(&rect(0, 0, 20, 10), Rgb565::BLACK)
            .unwrap();
        frame
            .fill_contiguous(&rect(2, 2, 2, 2), [Rgb565::BLACK; 4])
            .unwrap();
        assert_eq!(frame.take_dirty(), None);

        frame.fill_solid(&rect(5, 5, 4, 4), Rgb565::BLUE).unwrap();
        frame.take_dirty();
        // Repainting a region that is partly the colour already dirties only the new part.
        frame.fill_solid(&rect(0, 5, 12, 1), Rgb565::BLUE).unwrap();
        assert_eq!(frame.take_dirty(), Some(rect(0, 5, 12, 1)));
        frame.fill_solid(&rect(5, 5, 4, 3), Rgb565::BLUE).unwrap();
        assert_eq!(frame.take_dirty(), None);
    }

    #[test]
    fn out_of_bounds_drawing_is_clipped() {
        let mut frame = clean(Size::new(10, 6));
        Pixel(Point::new(-1, 2), Rgb565::RED)
            .draw(&mut frame)
            .unwrap();
        Pixel(Point::new(10, 2), Rgb565::RED)
            .draw(&mut frame)
            .unwrap();
        assert_eq!(frame.take_dirty(), None);

        rect(-3, -2, 6, 4)
            .into_styled(PrimitiveStyle::with_fill(Rgb565::WHITE))
            .draw(&mut frame)
            .unwrap();
        assert_eq!(frame.take_dirty(), Some(rect(0, 0, 3, 2)));
        assert_eq!(frame.pixel(Point::new(2, 1)), Some(Rgb565::WHITE));
        assert_eq!(frame.pixel(Point::new(3, 1)), Some(Rgb565::BLACK));

        frame.fill_solid(&rect(8, 4, 50, 50), Rgb565::RED).unwrap();
        assert_eq!(frame.take_dirty(), Some(rect(8, 4, 2, 2)));
        frame.fill_solid(&rect(20, 20, 5, 5), Rgb565::RED).unwrap();
        assert_eq!(frame.take_dirty(), None);
    }

    #[test]
    fn fill_contiguous_keeps_colours_aligned_when_clipped() {
        let mut frame = clean(Size::new(4, 4));
        // A 3×3 area hanging off the top-left corner: colours are numbered in row order.
        let colours: Vec<Rgb565> = (0..9u8).map(|i| Rgb565::new(i + 1, 0, 0)).collect();
        frame.fill_contiguous(&rect(-1, -1, 3, 3), colours).unwrap();
        assert_eq!(frame.pixel(Point::new(0, 0)), Some(Rgb565::new(5, 0, 0)));
        assert_eq!(frame.pixel(Point::new(1, 0)), Some(Rgb565::new(6, 0, 0)));
        assert_eq!(frame.pixel(Point::new(0, 1)), Some(Rgb565::new(8, 0, 0)));
        assert_eq!(frame.pixel(Point::new(1, 1)), Some(Rgb565::new(9, 0, 0)));
        assert_eq!(frame.pixel(Point::new(2, 2)), Some(Rgb565::BLACK));
        assert_eq!(frame.take_dirty(), Some(rect(0, 0, 2, 2)));

        // Too few colours: what is given is drawn, and nothing panics.
        frame
            .fill_contiguous(&rect(2, 2, 2, 2), [Rgb565::GREEN])
            .unwrap();
        assert_eq!(frame.take_dirty(), Some(rect(2, 2, 1, 1)));
    }

    #[test]
    fn clear_and_mark_all_dirty_cover_the_frame() {
        let mut frame = clean(Size::new(5, 3));
        frame.clear(Rgb565::WHITE).unwrap();
        assert_eq!(frame.take_dirty(), Some(rect(0, 0, 5, 3)));
        frame.mark_all_dirty();
        assert_eq!(frame.take_dirty(), Some(rect(0, 0, 5, 3)));
        assert_eq!(Frame::new(Size::zero()).take_dirty(), None);
    }

    #[test]
    fn rgb_image_matches_the_simulator_conversion() {
        let mut frame = Frame::new(Size::new(3, 2));
        let odd = Rgb565::new(3, 11, 24);
        Pixel(Point::new(2, 1), odd).draw(&mut frame).unwrap();
        Pixel(Point::new(0, 0), Rgb565::WHITE)
            .draw(&mut frame)
            .unwrap();
        let image = frame.to_rgb_image();
        assert_eq!(image.dimensions(), (3, 2));
        assert_eq!(image.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(image.get_pixel(1, 0).0, [0, 0, 0]);
        let expected = Rgb888::from(odd);
        assert_eq!(
            image.get_pixel(2, 1).0,
            [expected.r(), expected.g(), expected.b()]
        );
    }

    #[test]
    fn rgb_image_is_byte_identical_to_the_simulator_output() {
        use embedded_graphics::primitives::Circle;
        use embedded_graphics_simulator::{OutputSettings, SimulatorDisplay};

        fn scene<D: DrawTarget<Color = Rgb565>>(target: &mut D) {
            let _ = target.clear(Rgb565::new(3, 12, 7));
            let _ = Circle::new(Point::new(-5, 4), 30)
                .into_styled(PrimitiveStyle::with_fill(Rgb565::new(24, 49, 28)))
                .draw(target);
            let _ = rect(20, 10, 30, 30)
                .into_styled(PrimitiveStyle::with_stroke(Rgb565::new(7, 11, 24), 3))
                .draw(target);
        }
        let size = Size::new(40, 30);
        let mut frame = Frame::new(size);
        let mut simulator = SimulatorDisplay::<Rgb565>::new(size);
        scene(&mut frame);
        scene(&mut simulator);
        let expected = simulator.to_rgb_output_image(&OutputSettings::default());
        assert_eq!(
            frame.to_rgb8().as_slice(),
            *expected.as_image_buffer().as_raw()
        );
    }

    #[test]
    fn row_gives_spans_and_refuses_what_is_outside() {
        let mut frame = Frame::new(Size::new(4, 2));
        Pixel(Point::new(2, 1), Rgb565::RED)
            .draw(&mut frame)
            .unwrap();
        assert_eq!(frame.row(1, 1..3), &[Rgb565::BLACK, Rgb565::RED]);
        assert!(frame.row(2, 0..1).is_empty());
        assert!(frame.row(0, 3..5).is_empty());
    }
}
