//! QR codes as PNG images.

use qrcode::render::{Canvas, Pixel};
use qrcode::{Color, EcLevel, QrCode};

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the text does not fit in a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
    #[error("could not encode the PNG: {0}")]
    Png(#[from] png::EncodingError),
}

/// A QR code of `text` with medium error correction (a badge survives some wear), at least
/// 300 pixels wide, with the standard quiet zone.
pub fn png(text: &str) -> Result<Vec<u8>, QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    let image = code.render::<Gray>().min_dimensions(300, 300).build();
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, image.width, image.height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&image.pixels)?;
    writer.finish()?;
    Ok(png)
}

/// An 8-bit grey pixel, for qrcode's renderer (which would otherwise need the `image` crate).
#[derive(Debug, Clone, Copy)]
struct Gray(u8);

/// A rendered code: `width * height` grey bytes, row by row.
struct GrayImage {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
    dark: u8,
}

impl Pixel for Gray {
    type Image = GrayImage;
    type Canvas = GrayImage;

    fn default_color(color: Color) -> Self {
        Gray(color.select(0, 255))
    }
}

impl Canvas for GrayImage {
    type Pixel = Gray;
    type Image = GrayImage;

    fn new(width: u32, height: u32, dark: Gray, light: Gray) -> Self {
        let pixels = vec![light.0; width as usize * height as usize];
        Self {
            width,
            height,
            pixels,
            dark: dark.0,
        }
    }

    fn draw_dark_pixel(&mut self, x: u32, y: u32) {
        let index = y as usize * self.width as usize + x as usize;
        if let Some(pixel) = self.pixels.get_mut(index) {
            *pixel = self.dark;
        }
    }

    fn into_image(self) -> GrayImage {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_renders_as_a_png() {
        let png = png("KJ10123456789ABCDEF0123456789ABCDEF").expect("png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoded = image::load_from_memory(&png).expect("decodes");
        assert!(decoded.width() >= 300);
    }

    #[test]
    fn the_png_holds_the_same_pixels_as_qrcodes_own_image_renderer_did() {
        let text = "KJ10123456789ABCDEF0123456789ABCDEF";
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap();
        let decoded = image::load_from_memory(&png(text).unwrap())
            .unwrap()
            .to_luma8();
        // What `code.render::<image::Luma<u8>>().min_dimensions(300, 300)` drew: a quiet zone
        // of 4 modules, each module a square of whole pixels, dark 0 and light 255.
        let modules = code.width() as u32 + 8;
        let unit = 300_u32.div_ceil(modules);
        assert_eq!(decoded.dimensions(), (modules * unit, modules * unit));
        let colors = code.to_colors();
        for (x, y, pixel) in decoded.enumerate_pixels() {
            let (mx, my) = (x / unit, y / unit);
            let dark = (4..modules - 4).contains(&mx)
                && (4..modules - 4).contains(&my)
                && colors[(my - 4) as usize * code.width() + (mx - 4) as usize] == Color::Dark;
            assert_eq!(pixel.0[0], if dark { 0 } else { 255 }, "({x}, {y})");
        }
    }
}
