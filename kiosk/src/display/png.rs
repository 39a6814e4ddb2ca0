//! Frames as numbered PNG files, for demos, screenshots and end-to-end tests of the kiosk.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

use super::{Display, Frame, size_mismatch};

const LATEST: &str = "latest.png";

/// Writes each shown frame whole as `DIR/NNNNNN.png` (000001, 000002, ...) and replaces
/// `DIR/latest.png`.
///
/// Every file appears by rename from a temporary file in DIR, so a reader (a test, a browser
/// refreshing) never sees half a PNG. Numbering continues after the highest number already in
/// DIR, so a restarted kiosk adds to the sequence instead of overwriting its start.
#[derive(Debug)]
pub struct PngDisplay {
    dir: PathBuf,
    size: Size,
    next: u64,
}

impl PngDisplay {
    /// Creates DIR if needed.
    pub fn new(dir: impl Into<PathBuf>, size: Size) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        let next = highest_number(&dir)?.map_or(1, |n| n.saturating_add(1));
        Ok(Self { dir, size, next })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn write_atomically(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        // The leading dot keeps `*.png` globs from picking up a file still being written.
        let temporary = self.dir.join(format!(".{name}.tmp"));
        fs::write(&temporary, bytes)?;
        fs::rename(&temporary, self.dir.join(name))
    }
}

/// The highest `NNNNNN.png` in `dir`, if any.
fn highest_number(dir: &Path) -> io::Result<Option<u64>> {
    let mut highest = None;
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let number = name
            .to_str()
            .and_then(|name| name.strip_suffix(".png"))
            .filter(|stem| stem.len() >= 6 && stem.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|stem| stem.parse::<u64>().ok());
        highest = highest.max(number);
    }
    Ok(highest)
}

/// The whole frame as a PNG file's bytes.
pub(super) fn encode(frame: &Frame) -> io::Result<Vec<u8>> {
    let size = frame.size();
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, size.width, size.height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Fast compression: frames are written often and read once; size matters little.
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::Filter::Adaptive);
    let mut writer = encoder.write_header().map_err(io::Error::other)?;
    writer
        .write_image_data(&frame.to_rgb8())
        .map_err(io::Error::other)?;
    writer.finish().map_err(io::Error::other)?;
    Ok(bytes)
}

impl Display for PngDisplay {
    fn size(&self) -> Size {
        self.size
    }

    fn show(&mut self, frame: &Frame, _dirty: Rectangle) -> io::Result<()> {
        if frame.size() != self.size {
            return Err(size_mismatch(frame.size(), self.size));
        }
        let bytes = encode(frame)?;
        self.write_atomically(&format!("{:06}.png", self.next), &bytes)?;
        self.write_atomically(LATEST, &bytes)?;
        self.next += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use embedded_graphics::pixelcolor::Rgb565;
    use embedded_graphics::primitives::PrimitiveStyle;

    use super::*;

    fn decode(path: &Path) -> image::RgbImage {
        image::open(path).unwrap().to_rgb8()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn each_show_writes_a_numbered_file_and_latest() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("frames");
        let size = Size::new(32, 20);
        let mut display = PngDisplay::new(&dir, size).unwrap();
        assert_eq!(display.size(), size);

        let mut frame = Frame::new(size);
        Rectangle::new(Point::new(2, 3), Size::new(4, 5))
            .into_styled(PrimitiveStyle::with_fill(Rgb565::RED))
            .draw(&mut frame)
            .unwrap();
        let first = frame.clone();
        let dirty = frame.take_dirty().unwrap();
        display.show(&frame, dirty).unwrap();

        Pixel(Point::new(31, 19), Rgb565::new(3, 11, 24))
            .draw(&mut frame)
            .unwrap();
        let dirty = frame.take_dirty().unwrap();
        display.show(&frame, dirty).unwrap();

        assert_eq!(names(&dir), ["000001.png", "000002.png", "latest.png"]);
        assert_eq!(decode(&dir.join("000001.png")), first.to_rgb_image());
        let latest = decode(&dir.join("latest.png"));
        assert_eq!(latest, frame.to_rgb_image());
        assert_eq!(decode(&dir.join("000002.png")), latest);
        assert_eq!(latest.get_pixel(2, 3).0, [255, 0, 0]);
        assert_eq!(latest.get_pixel(6, 3).0, [0, 0, 0]);
    }

    #[test]
    fn numbering_continues_after_frames_already_in_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("000041.png"), b"old").unwrap();
        fs::write(dir.path().join("notes.png"), b"not a frame").unwrap();
        let size = Size::new(4, 4);
        let mut display = PngDisplay::new(dir.path(), size).unwrap();
        let frame = Frame::new(size);
        display.show(&frame, frame.bounding_box()).unwrap();
        assert!(dir.path().join("000042.png").exists());
    }

    #[test]
    fn a_frame_of_another_size_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut display = PngDisplay::new(dir.path(), Size::new(4, 4)).unwrap();
        let frame = Frame::new(Size::new(5, 4));
        let error = display.show(&frame, frame.bounding_box()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(names(dir.path()).is_empty());
    }
}
