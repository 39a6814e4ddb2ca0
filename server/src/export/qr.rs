//! QR codes as PNG images.

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the text does not fit in a QR code: {0}")]
    Encode(#[from] qrcode::types::QrError),
    #[error("could not encode the PNG: {0}")]
    Png(#[from] image::ImageError),
}

/// A QR code of `text` with medium error correction (a badge survives some wear), at least
/// 300 pixels wide, with the standard quiet zone.
pub fn png(text: &str) -> Result<Vec<u8>, QrError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    let image = code.render::<Luma<u8>>().min_dimensions(300, 300).build();
    let mut png = Cursor::new(Vec::new());
    image.write_to(&mut png, ImageFormat::Png)?;
    Ok(png.into_inner())
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
}
