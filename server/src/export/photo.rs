//! The print copy of an activity's photo: what the ledger embeds instead of the phone's
//! original. A phone photo is 2–4 MB and 4000 px wide; printed two to an A4 page it needs
//! about 1200 px, and a year of them must still fit a workbook one can open and e-mail.
//!
//! Decoded with zune-jpeg and png, shrunk by averaging, encoded with jpeg-encoder: the
//! `image` crate would do the same but brings a colour-management engine into the binary.

use std::io::Cursor;

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;

/// The longer side of a print copy, in pixels: a photo prints about 8 cm wide (two across an
/// A4 page), so 1000 px is over 300 dpi there, and still sharp across a whole page's width.
pub const PRINT_SIDE: u32 = 1000;
/// JPEG quality of a print copy: no visible loss on paper, about a twentieth of the original.
const QUALITY: u8 = 80;
/// The most memory a decoded photo may take, as with the `image` crate before: about 170
/// megapixels in RGB; a larger one (or a small file claiming a huge size) is refused.
const MAX_DECODED_BYTES: usize = 512 << 20;

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("照片无法读取，请换一张 JPEG 或 PNG 照片")]
    Unreadable(#[source] Unreadable),
    #[error("照片无法转换: {0}")]
    Encode(#[source] jpeg_encoder::EncodingError),
}

/// Why a photo could not be decoded (for the log; the staffer reads [`PhotoError`]'s words).
#[derive(Debug, thiserror::Error)]
pub enum Unreadable {
    #[error("neither a JPEG nor a PNG")]
    Format,
    #[error("JPEG: {0:?}")]
    Jpeg(zune_jpeg::errors::DecodeErrors),
    #[error("PNG: {0}")]
    Png(#[from] png::DecodingError),
    #[error("a photo cannot be {width}×{height} pixels")]
    Size { width: usize, height: usize },
}

impl From<Unreadable> for PhotoError {
    fn from(error: Unreadable) -> Self {
        Self::Unreadable(error)
    }
}

/// `original` (JPEG or PNG) turned upright as the phone meant it, scaled to fit
/// [`PRINT_SIDE`], as JPEG. A photo already small enough keeps its size.
pub fn print_copy(original: &[u8]) -> Result<Vec<u8>, PhotoError> {
    let (decoded, orientation) = decode(original)?;
    let (width, height) = fit(decoded.width, decoded.height);
    let mut picture = if (width, height) == (decoded.width, decoded.height) {
        decoded
    } else {
        decoded.shrunk(width, height)
    };
    // Phones store a photo sideways and say in EXIF how to turn it; paper has no such tag.
    // Turning after shrinking gives the same picture: the fitting box is square.
    picture = picture.oriented(orientation);
    let mut out = Vec::new();
    // Both sides are at most PRINT_SIDE here.
    let side = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    let mut encoder = Encoder::new(&mut out, QUALITY);
    // Full colour resolution (4:4:4), as the image crate wrote print copies; jpeg-encoder would
    // halve it both ways below quality 90.
    encoder.set_sampling_factor(SamplingFactor::F_1_1);
    encoder
        .encode(
            &picture.rgb,
            side(picture.width),
            side(picture.height),
            ColorType::Rgb,
        )
        .map_err(PhotoError::Encode)?;
    Ok(out)
}

/// 8-bit RGB, row by row. Alpha is gone by the time a picture is one: JPEG has none, and a
/// transparent PNG prints on white, not black.
struct Picture {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

/// The picture, and its EXIF orientation (1–8; 1, as stored, when it has none).
fn decode(original: &[u8]) -> Result<(Picture, u8), Unreadable> {
    if original.starts_with(&[0xFF, 0xD8, 0xFF]) {
        decode_jpeg(original)
    } else if original.starts_with(b"\x89PNG\r\n\x1a\n") {
        decode_png(original)
    } else {
        Err(Unreadable::Format)
    }
}

fn decode_jpeg(original: &[u8]) -> Result<(Picture, u8), Unreadable> {
    let options = DecoderOptions::default()
        .set_strict_mode(false)
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX))
        .jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(original), options);
    decoder.decode_headers().map_err(Unreadable::Jpeg)?;
    let orientation = decoder.exif().and_then(|exif| orientation(exif));
    let (width, height) = decoder.dimensions().unwrap_or_default();
    let mut rgb = vec![0; decoded_bytes(width, height, 3)?];
    decoder.decode_into(&mut rgb).map_err(Unreadable::Jpeg)?;
    Ok((Picture::new(width, height, rgb)?, orientation.unwrap_or(1)))
}

fn decode_png(original: &[u8]) -> Result<(Picture, u8), Unreadable> {
    let limits = png::Limits {
        bytes: MAX_DECODED_BYTES,
    };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(original), limits);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info()?;
    let info = reader.info();
    let orientation = info.exif_metadata.as_deref().and_then(orientation);
    let (width, height) = info.size();
    let (width, height) = (width as usize, height as usize);
    decoded_bytes(width, height, 4)?;
    let mut pixels = vec![0; reader.output_buffer_size().unwrap_or_default()];
    let frame = reader.next_frame(&mut pixels)?;
    pixels.truncate(frame.buffer_size());
    let rgb = match frame.color_type {
        png::ColorType::Rgb => pixels,
        png::ColorType::Rgba => pixels
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]].map(|c| over_white(c, p[3])))
            .collect(),
        png::ColorType::Grayscale => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        png::ColorType::GrayscaleAlpha => pixels
            .chunks_exact(2)
            .flat_map(|p| [over_white(p[0], p[1]); 3])
            .collect(),
        // normalize_to_color8 expands palettes to RGB(A).
        png::ColorType::Indexed => Vec::new(),
    };
    Ok((Picture::new(width, height, rgb)?, orientation.unwrap_or(1)))
}

/// The bytes a `width`×`height` picture takes at `channels` bytes a pixel, unless too many.
fn decoded_bytes(width: usize, height: usize, channels: usize) -> Result<usize, Unreadable> {
    width
        .checked_mul(height)
        .and_then(|pixels| pixels.checked_mul(channels))
        .filter(|&bytes| bytes <= MAX_DECODED_BYTES)
        .ok_or(Unreadable::Size { width, height })
}

/// A channel of a pixel with the given opacity, laid on white.
fn over_white(channel: u8, alpha: u8) -> u8 {
    let (c, a) = (u16::from(channel), u16::from(alpha));
    u8::try_from((c * a + 255 * (255 - a)) / 255).unwrap_or(255)
}

/// The Orientation tag (0x0112) of IFD0 in a TIFF-structured EXIF block, if it holds 1–8.
fn orientation(exif: &[u8]) -> Option<u8> {
    let big_endian = match exif.get(..4)? {
        [b'I', b'I', 42, 0] => false,
        [b'M', b'M', 0, 42] => true,
        _ => return None,
    };
    let u16_at = |at: usize| {
        let b: [u8; 2] = exif.get(at..at + 2)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| {
        let b: [u8; 4] = exif.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = u16_at(ifd)?;
    (0..usize::from(entries)).find_map(|i| {
        let entry = ifd + 2 + 12 * i;
        // Tag 0x0112, type SHORT (3), count 1: the value sits in the entry's first two bytes.
        let is_orientation =
            u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3 && u32_at(entry + 4)? == 1;
        let value = u16_at(entry + 8)?;
        (is_orientation && (1..=8).contains(&value)).then_some(value as u8)
    })
}

/// The size that fits `width`×`height` into PRINT_SIDE×PRINT_SIDE keeping its shape, rounded
/// to the nearest pixel; the size itself when it already fits.
fn fit(width: usize, height: usize) -> (usize, usize) {
    let side = PRINT_SIDE as usize;
    if width.max(height) <= side {
        return (width, height);
    }
    let ratio = side as f64 / width.max(height) as f64;
    let scale = |n: usize| ((n as f64 * ratio).round() as usize).clamp(1, side);
    (scale(width), scale(height))
}

impl Picture {
    fn new(width: usize, height: usize, rgb: Vec<u8>) -> Result<Self, Unreadable> {
        if width == 0 || height == 0 || rgb.len() != width * height * 3 {
            return Err(Unreadable::Size { width, height });
        }
        Ok(Self { width, height, rgb })
    }

    /// Scaled down to `width`×`height` (each no larger than now): every new pixel is the
    /// average of the block of old pixels it covers.
    fn shrunk(&self, width: usize, height: usize) -> Self {
        let blocks = |from: usize, to: usize| -> Vec<(usize, usize)> {
            (0..to)
                .map(|i| (i * from / to, (i + 1) * from / to))
                .collect()
        };
        let (columns, rows) = (blocks(self.width, width), blocks(self.height, height));
        let mut rgb = Vec::with_capacity(width * height * 3);
        let mut sums = vec![0_u64; width * 3];
        for &(top, bottom) in &rows {
            sums.fill(0);
            for line in self.rgb.chunks_exact(self.width * 3).take(bottom).skip(top) {
                for (sum, &(left, right)) in sums.chunks_exact_mut(3).zip(&columns) {
                    for pixel in line[left * 3..right * 3].chunks_exact(3) {
                        sum[0] += u64::from(pixel[0]);
                        sum[1] += u64::from(pixel[1]);
                        sum[2] += u64::from(pixel[2]);
                    }
                }
            }
            for (sum, &(left, right)) in sums.chunks_exact(3).zip(&columns) {
                let count = ((right - left) * (bottom - top)).max(1) as u64;
                rgb.extend(sum.iter().map(|s| ((s + count / 2) / count) as u8));
            }
        }
        Self { width, height, rgb }
    }

    /// Turned and mirrored as EXIF orientation `tag` (1–8) asks, so that it shows upright.
    fn oriented(self, tag: u8) -> Self {
        let (w, h) = (self.width, self.height);
        // Where each pixel of the result comes from: (x, y, w, h) to a pixel of the original.
        type Source = fn(usize, usize, usize, usize) -> (usize, usize);
        let source: Source = match tag {
            2 => |x, y, w, _| (w - 1 - x, y),
            3 => |x, y, w, h| (w - 1 - x, h - 1 - y),
            4 => |x, y, _, h| (x, h - 1 - y),
            5 => |x, y, _, _| (y, x),
            6 => |x, y, _, h| (y, h - 1 - x),
            7 => |x, y, w, h| (w - 1 - y, h - 1 - x),
            8 => |x, y, w, _| (w - 1 - y, x),
            _ => return self,
        };
        let (width, height) = if tag >= 5 { (h, w) } else { (w, h) };
        let mut rgb = Vec::with_capacity(self.rgb.len());
        for y in 0..height {
            for x in 0..width {
                let (sx, sy) = source(x, y, w, h);
                let at = (sy * w + sx) * 3;
                rgb.extend_from_slice(&self.rgb[at..at + 3]);
            }
        }
        Self { width, height, rgb }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

    fn png(width: u32, height: u32, pixel: Rgba<u8>) -> Vec<u8> {
        let mut out = Vec::new();
        RgbaImage::from_pixel(width, height, pixel)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    /// A 4×2 JPEG, left half red and right half blue, as a phone that held it turned would
    /// store it with EXIF orientation `tag` (an APP1 segment after SOI).
    fn jpeg_with_orientation(tag: u16, big_endian: bool) -> Vec<u8> {
        let picture = RgbImage::from_fn(40, 20, |x, _| {
            if x < 20 {
                Rgb([220, 20, 20])
            } else {
                Rgb([20, 20, 220])
            }
        });
        let mut plain = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut plain), ImageFormat::Jpeg)
            .unwrap();
        let u16b = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32b = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut tiff = if big_endian { b"MM\0\x2a" } else { b"II\x2a\0" }.to_vec();
        tiff.extend_from_slice(&u32b(8));
        tiff.extend_from_slice(&u16b(2));
        // An unrelated tag first (ImageDescription, ASCII), then Orientation.
        for (tag_id, kind, value) in [(0x010E, 2, 0), (0x0112, 3, tag)] {
            tiff.extend_from_slice(&u16b(tag_id));
            tiff.extend_from_slice(&u16b(kind));
            tiff.extend_from_slice(&u32b(1));
            tiff.extend_from_slice(&u16b(value));
            tiff.extend_from_slice(&[0, 0]);
        }
        tiff.extend_from_slice(&u32b(0));
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let length = u16::try_from(app1.len() + 2).unwrap();
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&plain[2..]);
        out
    }

    fn decoded(copy: &[u8]) -> RgbImage {
        image::load_from_memory_with_format(copy, ImageFormat::Jpeg)
            .unwrap()
            .to_rgb8()
    }

    fn is_red(pixel: &Rgb<u8>) -> bool {
        pixel.0[0] > 150 && pixel.0[2] < 100
    }

    #[test]
    fn a_large_photo_is_scaled_to_the_print_side_keeping_its_shape() {
        let copy = print_copy(&png(3000, 2000, Rgba([200, 30, 30, 255]))).unwrap();
        let back = decoded(&copy);
        assert_eq!((back.width(), back.height()), (1000, 667));
        let [r, g, _] = back.get_pixel(500, 333).0;
        assert!(r > 180 && g < 60, "the colour survives: {r} {g}");
    }

    #[test]
    fn a_tall_photo_is_scaled_by_its_height() {
        let copy = print_copy(&png(1200, 2500, Rgba([30, 30, 200, 255]))).unwrap();
        assert_eq!(decoded(&copy).dimensions(), (480, 1000));
    }

    #[test]
    fn a_small_photo_keeps_its_size_and_transparency_prints_white() {
        let copy = print_copy(&png(40, 30, Rgba([0, 0, 0, 0]))).unwrap();
        let back = image::load_from_memory(&copy).unwrap();
        assert_eq!((back.width(), back.height()), (40, 30));
        assert!(back.to_rgb8().get_pixel(20, 15).0.iter().all(|c| *c > 240));
    }

    #[test]
    fn half_transparent_black_prints_grey() {
        let copy = print_copy(&png(16, 16, Rgba([0, 0, 0, 128]))).unwrap();
        let [r, g, b] = decoded(&copy).get_pixel(8, 8).0;
        for c in [r, g, b] {
            assert!((120..=135).contains(&c), "{r} {g} {b}");
        }
    }

    #[test]
    fn shrinking_averages_the_pixels_it_covers() {
        // Stripes one pixel wide, black and white: halved, they are an even grey.
        let stripes = RgbImage::from_fn(2000, 10, |x, _| {
            if x % 2 == 0 {
                Rgb([0, 0, 0])
            } else {
                Rgb([255, 255, 255])
            }
        });
        let mut original = Vec::new();
        stripes
            .write_to(&mut Cursor::new(&mut original), ImageFormat::Png)
            .unwrap();
        let back = decoded(&print_copy(&original).unwrap());
        assert_eq!(back.dimensions(), (1000, 5));
        let [r, _, _] = back.get_pixel(500, 2).0;
        assert!((110..=145).contains(&r), "{r}");
    }

    #[test]
    fn the_exif_orientation_turns_the_photo_upright() {
        // 40×20, red on the left. Turned by 90° either way it is 20×40, red at the top (6:
        // clockwise) or the bottom (8: anticlockwise); 3 (180°) puts red on the right; 2
        // mirrors it; 5 and 7 turn and mirror.
        for big_endian in [false, true] {
            // (tag, size of the print copy, a pixel that must be red)
            let cases = [
                (1_u16, (40_u32, 20_u32), (5_u32, 10_u32)),
                (2, (40, 20), (35, 10)),
                (3, (40, 20), (35, 10)),
                (4, (40, 20), (5, 10)),
                (5, (20, 40), (10, 5)),
                (6, (20, 40), (10, 5)),
                (7, (20, 40), (10, 35)),
                (8, (20, 40), (10, 35)),
            ];
            for (tag, size, red_at) in cases {
                let original = jpeg_with_orientation(tag, big_endian);
                let back = decoded(&print_copy(&original).unwrap());
                assert_eq!(back.dimensions(), size, "orientation {tag}");
                assert!(
                    is_red(back.get_pixel(red_at.0, red_at.1)),
                    "orientation {tag}: {:?} at {red_at:?}",
                    back.get_pixel(red_at.0, red_at.1)
                );
            }
        }
    }

    #[test]
    fn orientation_agrees_with_the_image_crate() {
        use image::ImageDecoder;
        for tag in 1..=8 {
            for big_endian in [false, true] {
                let original = jpeg_with_orientation(tag, big_endian);
                let mut reference =
                    image::codecs::jpeg::JpegDecoder::new(Cursor::new(&original)).unwrap();
                let theirs = reference.orientation().unwrap();
                let (_, ours) = decode(&original).unwrap();
                assert_eq!(
                    image::metadata::Orientation::from_exif(ours),
                    Some(theirs),
                    "{tag}"
                );
            }
        }
    }

    #[test]
    fn a_broken_photo_is_refused_in_words() {
        for broken in [
            &b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-not-a-whole-image"[..],
            b"\xFF\xD8\xFF\xE0 not a whole jpeg",
            b"GIF89a",
            b"",
        ] {
            let error = print_copy(broken).unwrap_err();
            assert!(error.to_string().contains("照片无法读取"), "{error}");
        }
    }

    #[test]
    fn a_grey_jpeg_and_a_palette_png_are_read() {
        let grey = image::GrayImage::from_pixel(30, 20, image::Luma([90]));
        let mut jpeg = Vec::new();
        grey.write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        let [r, g, b] = decoded(&print_copy(&jpeg).unwrap()).get_pixel(15, 10).0;
        assert!(r.abs_diff(90) < 8 && g.abs_diff(90) < 8 && b.abs_diff(90) < 8);

        let mut palette = Vec::new();
        let mut encoder = ::png::Encoder::new(&mut palette, 3, 2);
        encoder.set_color(::png::ColorType::Indexed);
        encoder.set_palette(vec![10, 200, 10]);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[0; 6]).unwrap();
        writer.finish().unwrap();
        let [r, g, _] = decoded(&print_copy(&palette).unwrap()).get_pixel(1, 1).0;
        assert!(r < 60 && g > 160, "{r} {g}");
    }
}
