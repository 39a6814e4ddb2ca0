//! Colours, chosen for contrast at a metre's distance under venue lighting.

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::RgbColor;

pub const fn rgb(r: u8, g: u8, b: u8) -> Rgb565 {
    Rgb565::new(r >> 3, g >> 2, b >> 3)
}

pub const BACKGROUND: Rgb565 = rgb(0xF4, 0xF6, 0xF8);
pub const INK: Rgb565 = rgb(0x1D, 0x27, 0x33);
pub const MUTED: Rgb565 = rgb(0x5B, 0x67, 0x75);
pub const BRAND: Rgb565 = rgb(0x0B, 0x4F, 0x9C);
pub const SUCCESS: Rgb565 = rgb(0x1B, 0x7F, 0x3B);
pub const NOTICE: Rgb565 = rgb(0x1F, 0x6F, 0xB2);
pub const WARNING: Rgb565 = rgb(0xB2, 0x6A, 0x00);
pub const DANGER: Rgb565 = rgb(0xB3, 0x26, 0x1E);
pub const ON_COLOUR: Rgb565 = Rgb565::WHITE;
