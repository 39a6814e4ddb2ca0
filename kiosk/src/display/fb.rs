//! The Linux framebuffer (`/dev/fbN`), the Pi's panel.
//!
//! No ioctl and no mmap (the workspace forbids `unsafe`): the geometry comes from sysfs and the
//! pixels go in with ordinary positioned writes, one per dirty row. On an 800×480 panel a
//! full-screen update is 480 small writes, well within a frame's time.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

use super::{Display, DisplayError, Frame, size_mismatch};

const SYSFS_GRAPHICS: &str = "/sys/class/graphics";

/// How a framebuffer lays out its memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub width: u32,
    pub height: u32,
    /// 16 = RGB565, 32 = XRGB8888.
    pub bits_per_pixel: u32,
    /// Bytes per line, >= width*bpp/8; drivers may pad lines for alignment.
    pub line_length: u32,
}

impl Geometry {
    /// Reads the geometry sysfs publishes for a framebuffer, e.g. `/sys/class/graphics/fb0`:
    /// `virtual_size` ("800,480"), `bits_per_pixel` ("16") and `stride` ("1600").
    pub fn from_sysfs(dir: &Path) -> Result<Self, DisplayError> {
        let (width, height): (u32, u32) = {
            let (path, text) = read_attribute(dir, "virtual_size")?;
            text.split_once(',')
                .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)))
                .ok_or_else(|| DisplayError::BadGeometry {
                    path,
                    reason: format!("expected WIDTH,HEIGHT but read {text:?}"),
                })?
        };
        let bits_per_pixel = read_number(dir, "bits_per_pixel")?;
        let stride = read_number(dir, "stride")?;
        // Some drivers leave `stride` at 0; their lines are then unpadded.
        let line_length = if stride == 0 {
            width.saturating_mul(bits_per_pixel) / 8
        } else {
            stride
        };
        Ok(Self {
            width,
            height,
            bits_per_pixel,
            line_length,
        })
    }
}

fn read_attribute(dir: &Path, name: &str) -> Result<(PathBuf, String), DisplayError> {
    let path = dir.join(name);
    match fs::read_to_string(&path) {
        Ok(text) => Ok((path, text.trim().to_owned())),
        Err(error) => Err(DisplayError::Io {
            action: "read",
            path,
            error,
        }),
    }
}

fn read_number(dir: &Path, name: &str) -> Result<u32, DisplayError> {
    let (path, text) = read_attribute(dir, name)?;
    text.parse().map_err(|_| DisplayError::BadGeometry {
        path,
        reason: format!("expected a number but read {text:?}"),
    })
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Rgb565,
    Xrgb8888,
}

impl Format {
    fn bytes_per_pixel(self) -> u32 {
        match self {
            Format::Rgb565 => 2,
            Format::Xrgb8888 => 4,
        }
    }

    fn push(self, colour: Rgb565, out: &mut Vec<u8>) {
        match self {
            Format::Rgb565 => out.extend_from_slice(&colour.into_storage().to_le_bytes()),
            Format::Xrgb8888 => {
                // Bit replication maps 0 to 0 and full to 255, as the panel's own widening does.
                let r = (colour.r() << 3) | (colour.r() >> 2);
                let g = (colour.g() << 2) | (colour.g() >> 4);
                let b = (colour.b() << 3) | (colour.b() >> 2);
                // X is written as 0xFF: a driver that reads the byte as alpha then shows opaque.
                out.extend_from_slice(&[b, g, r, 0xFF]);
            }
        }
    }
}

/// A Linux framebuffer device, or any file laid out like one.
#[derive(Debug)]
pub struct Framebuffer {
    file: File,
    geometry: Geometry,
    format: Format,
    /// Reused for each row's bytes, so a show() does not allocate.
    row: Vec<u8>,
}

impl Framebuffer {
    /// Opens `/dev/fbN` with the geometry from `/sys/class/graphics/fbN`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DisplayError> {
        let path = path.as_ref();
        // udev may offer the device under another name; sysfs knows it only as fbN.
        let real = fs::canonicalize(path).map_err(|error| DisplayError::Io {
            action: "open",
            path: path.to_owned(),
            error,
        })?;
        let name = real
            .file_name()
            .and_then(|name| name.to_str())
            .filter(|name| {
                name.strip_prefix("fb")
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
            .ok_or_else(|| DisplayError::BadGeometry {
                path: path.to_owned(),
                reason: format!(
                    "it is not a /dev/fbN device, so {SYSFS_GRAPHICS} has no geometry for it"
                ),
            })?;
        let geometry = Geometry::from_sysfs(&Path::new(SYSFS_GRAPHICS).join(name))?;
        Self::with_geometry(path, geometry)
    }

    /// Opens any existing file as a framebuffer of the given geometry (tests, odd devices).
    pub fn with_geometry(path: impl AsRef<Path>, geometry: Geometry) -> Result<Self, DisplayError> {
        let path = path.as_ref();
        let format = match geometry.bits_per_pixel {
            16 => Format::Rgb565,
            32 => Format::Xrgb8888,
            bits => {
                return Err(DisplayError::UnsupportedDepth {
                    path: path.to_owned(),
                    bits,
                });
            }
        };
        let bad = |reason: String| DisplayError::BadGeometry {
            path: path.to_owned(),
            reason,
        };
        if geometry.width == 0 || geometry.height == 0 {
            return Err(bad(format!(
                "its size is {}x{}",
                geometry.width, geometry.height
            )));
        }
        let min_line = u64::from(geometry.width) * u64::from(format.bytes_per_pixel());
        if u64::from(geometry.line_length) < min_line {
            return Err(bad(format!(
                "its line length {} is shorter than {} pixels of {} bits",
                geometry.line_length, geometry.width, geometry.bits_per_pixel
            )));
        }
        // Write-only and no truncation: the device's memory is written in place.
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|error| DisplayError::Io {
                action: "open",
                path: path.to_owned(),
                error,
            })?;
        Ok(Self {
            file,
            geometry,
            format,
            row: Vec::with_capacity(min_line as usize),
        })
    }

    pub fn geometry(&self) -> Geometry {
        self.geometry
    }
}

impl Display for Framebuffer {
    fn size(&self) -> Size {
        Size::new(self.geometry.width, self.geometry.height)
    }

    fn show(&mut self, frame: &Frame, dirty: Rectangle) -> io::Result<()> {
        let size = self.size();
        if frame.size() != size {
            return Err(size_mismatch(frame.size(), size));
        }
        let area = dirty.intersection(&Rectangle::new(Point::zero(), size));
        let Some(bottom_right) = area.bottom_right() else {
            return Ok(());
        };
        let columns = area.top_left.x as u32..bottom_right.x as u32 + 1;
        let pixel_bytes = u64::from(self.format.bytes_per_pixel());
        // Linux's DRM drivers that keep the framebuffer in a shadow buffer (bochs-drm,
        // virtio-gpu, simpledrm, USB displays) copy to the screen only the rectangle a write
        // covers, and a write that stays within one line and ends exactly at its end gets an
        // empty rectangle (drm_fb_helper_memory_range_to_clip, seen on Linux 6.1): that row never
        // shows. On a line without padding, a span reaching the right edge therefore runs on into
        // the first pixel of the next line, or on the last line starts at the last pixel of the
        // line above and takes the whole line, each written with the colour this frame already
        // has there: the write spans two lines, and both are copied whole.
        let unpadded = u64::from(self.geometry.line_length) == u64::from(size.width) * pixel_bytes;
        let reaches_end = unpadded && columns.end == size.width && size.height > 1;
        let last = size.height - 1;
        for y in area.top_left.y as u32..=bottom_right.y as u32 {
            self.row.clear();
            let mut span = columns.clone();
            let mut offset = u64::from(y) * u64::from(self.geometry.line_length);
            if reaches_end && y == last {
                span = 0..size.width;
                offset -= pixel_bytes;
                for &colour in frame.row(y - 1, size.width - 1..size.width) {
                    self.format.push(colour, &mut self.row);
                }
            }
            offset += u64::from(span.start) * pixel_bytes;
            for &colour in frame.row(y, span) {
                self.format.push(colour, &mut self.row);
            }
            if reaches_end && y < last {
                for &colour in frame.row(y + 1, 0..1) {
                    self.format.push(colour, &mut self.row);
                }
            }
            // Only this row's dirty span is written (with the pixels above): the line padding
            // and the columns outside the dirty box keep whatever the device holds.
            self.file.seek(SeekFrom::Start(offset))?;
            self.file.write_all(&self.row)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use embedded_graphics::primitives::PrimitiveStyle;

    use super::*;

    const PADDING: u8 = 0xAA;
    const EXTRA: u32 = 64;

    fn geometry(bits_per_pixel: u32) -> Geometry {
        Geometry {
            width: 800,
            height: 480,
            bits_per_pixel,
            line_length: 800 * bits_per_pixel / 8 + EXTRA,
        }
    }

    /// A file as large as the framebuffer, every byte `PADDING`, so untouched bytes show.
    fn device(geometry: Geometry) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let len = geometry.line_length as usize * geometry.height as usize;
        file.write_all(&vec![PADDING; len]).unwrap();
        file
    }

    fn contents(file: &tempfile::NamedTempFile) -> Vec<u8> {
        let mut bytes = Vec::new();
        File::open(file.path())
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        bytes
    }

    /// A frame with a few known pixels, and what each becomes in the device's format.
    fn sample_frame(bits_per_pixel: u32) -> (Frame, Vec<(Point, Vec<u8>)>) {
        let mut frame = Frame::new(Size::new(800, 480));
        let odd = Rgb565::new(0b10000, 0b100000, 0b00001);
        let pixels = [
            (Point::new(0, 0), Rgb565::WHITE),
            (Point::new(799, 0), Rgb565::RED),
            (Point::new(0, 479), Rgb565::GREEN),
            (Point::new(799, 479), Rgb565::BLUE),
            (Point::new(123, 45), odd),
        ];
        for (p, colour) in pixels {
            Pixel(p, colour).draw(&mut frame).unwrap();
        }
        let expected = |colour: Rgb565| -> Vec<u8> {
            if bits_per_pixel == 16 {
                colour.into_storage().to_le_bytes().to_vec()
            } else if colour == Rgb565::WHITE {
                vec![0xFF, 0xFF, 0xFF, 0xFF]
            } else if colour == Rgb565::RED {
                vec![0x00, 0x00, 0xFF, 0xFF]
            } else if colour == Rgb565::GREEN {
                vec![0x00, 0xFF, 0x00, 0xFF]
            } else if colour == Rgb565::BLUE {
                vec![0xFF, 0x00, 0x00, 0xFF]
            } else {
                // r 10000 -> 10000100, g 100000 -> 10000010, b 00001 -> 00001000
                vec![0x08, 0x82, 0x84, 0xFF]
            }
        };
        let pixels = pixels.map(|(p, c)| (p, expected(c))).to_vec();
        (frame, pixels)
    }

    fn full_frame_lands_at_the_right_offsets(bits_per_pixel: u32) {
        let geometry = geometry(bits_per_pixel);
        let file = device(geometry);
        let mut fb = Framebuffer::with_geometry(file.path(), geometry).unwrap();
        assert_eq!(fb.size(), Size::new(800, 480));
        let (mut frame, pixels) = sample_frame(bits_per_pixel);
        let dirty = frame.take_dirty().unwrap();
        fb.show(&frame, dirty).unwrap();

        let bytes = contents(&file);
        assert_eq!(bytes.len(), (geometry.line_length * 480) as usize);
        let bpp = (bits_per_pixel / 8) as usize;
        let line = geometry.line_length as usize;
        for (p, expected) in &pixels {
            let at = p.y as usize * line + p.x as usize * bpp;
            assert_eq!(&bytes[at..at + bpp], expected.as_slice(), "pixel {p:?}");
        }
        // Black elsewhere (X byte 0xFF for 32-bit), padding untouched on every line.
        let black: &[u8] = if bpp == 2 { &[0, 0] } else { &[0, 0, 0, 0xFF] };
        assert_eq!(&bytes[line + 10 * bpp..line + 11 * bpp], black);
        for y in 0..480 {
            let padding = &bytes[y * line + 800 * bpp..(y + 1) * line];
            assert!(padding.iter().all(|&b| b == PADDING), "line {y} padding");
        }
    }

    #[test]
    fn rgb565_frame_lands_at_the_right_offsets_and_padding_is_untouched() {
        full_frame_lands_at_the_right_offsets(16);
    }

    #[test]
    fn xrgb8888_frame_lands_at_the_right_offsets_and_padding_is_untouched() {
        full_frame_lands_at_the_right_offsets(32);
    }

    fn dirty_update_touches_only_its_region(bits_per_pixel: u32) {
        let geometry = geometry(bits_per_pixel);
        let file = device(geometry);
        let mut fb = Framebuffer::with_geometry(file.path(), geometry).unwrap();
        let mut frame = Frame::new(Size::new(800, 480));
        frame.take_dirty();
        let region = Rectangle::new(Point::new(100, 50), Size::new(20, 10));
        region
            .into_styled(PrimitiveStyle::with_fill(Rgb565::RED))
            .draw(&mut frame)
            .unwrap();
        let dirty = frame.take_dirty().unwrap();
        assert_eq!(dirty, region);
        fb.show(&frame, dirty).unwrap();

        let bytes = contents(&file);
        let bpp = (bits_per_pixel / 8) as usize;
        let red: Vec<u8> = if bpp == 2 {
            Rgb565::RED.into_storage().to_le_bytes().to_vec()
        } else {
            vec![0x00, 0x00, 0xFF, 0xFF]
        };
        let line = geometry.line_length as usize;
        for (i, &byte) in bytes.iter().enumerate() {
            let (y, column) = ((i / line) as i32, i % line);
            let x = (column / bpp) as i32;
            if column < 800 * bpp && region.contains(Point::new(x, y)) {
                assert_eq!(byte, red[column % bpp], "byte {i} (x {x}, y {y})");
            } else {
                assert_eq!(byte, PADDING, "byte {i} (x {x}, y {y}) outside the region");
            }
        }
    }

    #[test]
    fn rgb565_dirty_update_touches_only_its_region() {
        dirty_update_touches_only_its_region(16);
    }

    #[test]
    fn xrgb8888_dirty_update_touches_only_its_region() {
        dirty_update_touches_only_its_region(32);
    }

    /// On a line without padding, a span reaching the right edge runs on into the first pixel
    /// of the next line (on the last line: starts at the last pixel of the line above and takes
    /// the whole line), with the frame's own colours, so that DRM's shadow-buffer fbdev copies
    /// the row to the screen; nothing else is touched.
    #[test]
    fn a_span_reaching_the_right_edge_of_an_unpadded_line_writes_across_two_lines() {
        let geometry = Geometry {
            width: 8,
            height: 3,
            bits_per_pixel: 32,
            line_length: 32,
        };
        let file = device(geometry);
        let mut fb = Framebuffer::with_geometry(file.path(), geometry).unwrap();
        let mut frame = Frame::new(Size::new(8, 3));
        frame.take_dirty();
        for y in 0..3 {
            Pixel(Point::new(7, y), Rgb565::WHITE)
                .draw(&mut frame)
                .unwrap();
        }
        for y in [0, 2] {
            fb.show(&frame, Rectangle::new(Point::new(5, y), Size::new(3, 1)))
                .unwrap();
        }
        let bytes = contents(&file);
        let pixel = |x: usize, y: usize| &bytes[y * 32 + x * 4..y * 32 + x * 4 + 4];
        let (white, black): (&[u8], &[u8]) = (&[0xFF; 4], &[0, 0, 0, 0xFF]);
        let untouched: &[u8] = &[PADDING; 4];
        // Line 0: its span, and the first pixel of line 1 after it.
        assert_eq!(pixel(4, 0), untouched);
        assert_eq!((pixel(5, 0), pixel(7, 0)), (black, white));
        assert_eq!(pixel(0, 1), black);
        assert_eq!(pixel(1, 1), untouched);
        // Line 2, the last: the last pixel of line 1, then the whole line.
        assert_eq!(pixel(6, 1), untouched);
        assert_eq!(pixel(7, 1), white);
        assert_eq!((pixel(0, 2), pixel(4, 2)), (black, black));
        assert_eq!((pixel(5, 2), pixel(7, 2)), (black, white));
    }

    #[test]
    fn dirty_boxes_outside_the_frame_are_clipped() {
        let geometry = geometry(16);
        let file = device(geometry);
        let mut fb = Framebuffer::with_geometry(file.path(), geometry).unwrap();
        let frame = Frame::new(Size::new(800, 480));
        let beyond = Rectangle::new(Point::new(790, 470), Size::new(100, 100));
        fb.show(&frame, beyond).unwrap();
        let outside = Rectangle::new(Point::new(900, 0), Size::new(10, 10));
        fb.show(&frame, outside).unwrap();
        let bytes = contents(&file);
        assert_eq!(bytes.len(), (geometry.line_length * 480) as usize);
        let line = geometry.line_length as usize;
        let written = bytes.iter().filter(|&&b| b != PADDING).count();
        assert_eq!(written, 10 * 10 * 2);
        assert_eq!(&bytes[479 * line + 799 * 2..479 * line + 800 * 2], &[0, 0]);
    }

    #[test]
    fn a_frame_of_another_size_is_refused() {
        let geometry = geometry(16);
        let file = device(geometry);
        let mut fb = Framebuffer::with_geometry(file.path(), geometry).unwrap();
        let frame = Frame::new(Size::new(480, 800));
        let error = fb.show(&frame, frame.bounding_box()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn unsupported_depths_and_short_lines_are_refused() {
        let file = device(geometry(32));
        for bits in [8, 24] {
            let error = Framebuffer::with_geometry(
                file.path(),
                Geometry {
                    bits_per_pixel: bits,
                    ..geometry(32)
                },
            )
            .unwrap_err();
            assert!(matches!(error, DisplayError::UnsupportedDepth { .. }));
            assert!(
                error
                    .to_string()
                    .contains(&format!("{bits} bits per pixel"))
            );
        }
        let short = Geometry {
            line_length: 1599,
            ..geometry(16)
        };
        let error = Framebuffer::with_geometry(file.path(), short).unwrap_err();
        assert!(error.to_string().contains("line length 1599"), "{error}");
    }

    #[test]
    fn geometry_is_read_from_sysfs_attributes() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("virtual_size"), "800,480\n").unwrap();
        fs::write(dir.path().join("bits_per_pixel"), "32\n").unwrap();
        fs::write(dir.path().join("stride"), "3264\n").unwrap();
        assert_eq!(
            Geometry::from_sysfs(dir.path()).unwrap(),
            Geometry {
                width: 800,
                height: 480,
                bits_per_pixel: 32,
                line_length: 3264
            }
        );
        fs::write(dir.path().join("stride"), "0\n").unwrap();
        assert_eq!(Geometry::from_sysfs(dir.path()).unwrap().line_length, 3200);
        fs::write(dir.path().join("virtual_size"), "800x480\n").unwrap();
        let error = Geometry::from_sysfs(dir.path()).unwrap_err();
        assert!(error.to_string().contains("WIDTH,HEIGHT"), "{error}");
        fs::remove_file(dir.path().join("stride")).unwrap();
        fs::write(dir.path().join("virtual_size"), "800,480\n").unwrap();
        let error = Geometry::from_sysfs(dir.path()).unwrap_err();
        assert!(error.to_string().contains("stride"), "{error}");
    }

    #[test]
    fn open_refuses_a_file_that_is_not_fb_n() {
        let file = device(geometry(16));
        let error = Framebuffer::open(file.path()).unwrap_err();
        assert!(error.to_string().contains("not a /dev/fbN"), "{error}");
        let error = Framebuffer::open("/nonexistent/fb9").unwrap_err();
        assert!(matches!(error, DisplayError::Io { .. }), "{error}");
    }
}
