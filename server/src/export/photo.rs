//! The print copy of an activity's photo: what the ledger embeds instead of the phone's
//! original. A phone photo is 2–4 MB and 4000 px wide; printed two to an A4 page it needs
//! about 1200 px, and a year of them must still fit a workbook one can open and e-mail.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageReader};

/// The longer side of a print copy, in pixels: a photo prints about 8 cm wide (two across an
/// A4 page), so 1000 px is over 300 dpi there, and still sharp across a whole page's width.
pub const PRINT_SIDE: u32 = 1000;
/// JPEG quality of a print copy: no visible loss on paper, about a twentieth of the original.
const QUALITY: u8 = 80;

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("照片无法读取，请换一张 JPEG 或 PNG 照片")]
    Unreadable(#[source] image::ImageError),
    #[error("照片无法转换: {0}")]
    Encode(#[source] image::ImageError),
}

/// `original` (JPEG or PNG) turned upright as the phone meant it, scaled to fit
/// [`PRINT_SIDE`], as JPEG. A photo already small enough keeps its size.
pub fn print_copy(original: &[u8]) -> Result<Vec<u8>, PhotoError> {
    let mut decoder = ImageReader::new(Cursor::new(original))
        .with_guessed_format()
        .map_err(|e| PhotoError::Unreadable(e.into()))?
        .into_decoder()
        .map_err(PhotoError::Unreadable)?;
    // Phones store a photo sideways and say in EXIF how to turn it; paper has no such tag.
    let orientation = decoder.orientation().map_err(PhotoError::Unreadable)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(PhotoError::Unreadable)?;
    picture.apply_orientation(orientation);
    if picture.width().max(picture.height()) > PRINT_SIDE {
        picture = picture.thumbnail(PRINT_SIDE, PRINT_SIDE);
    }
    // JPEG has no alpha: a transparent PNG prints on white, not black.
    let rgb = flatten_on_white(picture);
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(&rgb)
        .map_err(PhotoError::Encode)?;
    Ok(out)
}

fn flatten_on_white(picture: DynamicImage) -> DynamicImage {
    if !picture.color().has_alpha() {
        return DynamicImage::ImageRgb8(picture.to_rgb8());
    }
    let rgba = picture.to_rgba8();
    let rgb = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| {
            let alpha = u16::from(a);
            u8::try_from((u16::from(c) * alpha + 255 * (255 - alpha)) / 255).unwrap_or(255)
        };
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    });
    DynamicImage::ImageRgb8(rgb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgba, RgbaImage};

    fn png(width: u32, height: u32, pixel: Rgba<u8>) -> Vec<u8> {
        let mut out = Vec::new();
        RgbaImage::from_pixel(width, height, pixel)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_large_photo_is_scaled_to_the_print_side_keeping_its_shape() {
        let copy = print_copy(&png(3000, 2000, Rgba([200, 30, 30, 255]))).unwrap();
        let back = image::load_from_memory_with_format(&copy, ImageFormat::Jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (1000, 667));
        let [r, g, _] = back.to_rgb8().get_pixel(500, 333).0;
        assert!(r > 180 && g < 60, "the colour survives: {r} {g}");
    }

    #[test]
    fn a_small_photo_keeps_its_size_and_transparency_prints_white() {
        let copy = print_copy(&png(40, 30, Rgba([0, 0, 0, 0]))).unwrap();
        let back = image::load_from_memory(&copy).unwrap();
        assert_eq!((back.width(), back.height()), (40, 30));
        assert!(back.to_rgb8().get_pixel(20, 15).0.iter().all(|c| *c > 240));
    }

    #[test]
    fn a_broken_photo_is_refused_in_words() {
        let error = print_copy(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-not-a-whole-image").unwrap_err();
        assert!(error.to_string().contains("照片无法读取"), "{error}");
    }
}
