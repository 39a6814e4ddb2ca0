//! The phone QR card: a white card holding the QR code of a phone page and a caption under it.
//! The code takes whole pixels per module, as many as its area allows, with the standard quiet
//! zone, black on white, so a phone reads it from arm's length.

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle, RoundedRectangle};
use qrcode::{Color, EcLevel, QrCode};

use super::scale;
use crate::display::Frame;
use crate::ui::text::{self, Style, Weight};
use crate::ui::theme;

/// The light margin a QR code needs on every side, in modules.
pub const QUIET_MODULES: u32 = 4;
/// Below this many pixels per module a phone at arm's length cannot read the code; the card is
/// left out rather than shown unreadable.
const MIN_MODULE_PX: u32 = 3;

/// How wide the card's column is in landscape: six-pixel modules for a typical address on
/// 800×480 (a 33-module code, with its quiet zone and the card's padding).
pub fn column_width(size: Size) -> u32 {
    scale(size, 264)
}

/// A QR code's modules, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// Modules per side, without the quiet zone.
    pub width: u32,
    /// `width * width` entries, `true` for dark.
    pub dark: Vec<bool>,
}

impl Matrix {
    /// The QR code of `text` with medium error correction (glare on the panel costs modules),
    /// or `None` if `text` is too long for any QR code.
    pub fn of(text: &str) -> Option<Self> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
        let width = u32::try_from(code.width()).ok()?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        Some(Self { width, dark })
    }

    pub fn is_dark(&self, x: u32, y: u32) -> bool {
        let index = y as usize * self.width as usize + x as usize;
        self.dark.get(index).copied().unwrap_or(false)
    }
}

/// Where a card sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// The whole white card, caption included.
    pub card: Rectangle,
    /// The top-left corner of the first module, inside the quiet zone.
    pub origin: Point,
    /// Pixels per module side.
    pub module: u32,
}

fn caption_style(size: Size) -> Style {
    Style::new(scale(size, 24), Weight::Bold, theme::INK, Rgb565::WHITE)
}

/// Room under the code for the caption and the card's bottom padding.
fn caption_height(size: Size) -> u32 {
    text::line_height(&caption_style(size)) + scale(size, 10)
}

fn corner_radius(size: Size) -> u32 {
    scale(size, 10)
}

/// White around the quiet zone, so the card's rounded corners never cut into it (a corner
/// takes up to 0.3 of its radius from each edge).
fn padding(size: Size) -> u32 {
    corner_radius(size) / 2 + 1
}

/// The largest card for a code `modules` wide that fits `area`, centred in it; `None` when
/// the modules would be too small to scan.
pub fn place(size: Size, area: Rectangle, modules: u32) -> Option<Placement> {
    let side_modules = modules + 2 * QUIET_MODULES;
    let pad = padding(size);
    let room = area
        .size
        .width
        .saturating_sub(2 * pad)
        .min(area.size.height.saturating_sub(pad + caption_height(size)));
    let module = room / side_modules;
    if module < MIN_MODULE_PX {
        return None;
    }
    let side = module * side_modules;
    let card_size = Size::new(side + 2 * pad, pad + side + caption_height(size));
    let top_left = area.top_left
        + Point::new(
            (area.size.width.saturating_sub(card_size.width) / 2) as i32,
            (area.size.height.saturating_sub(card_size.height) / 2) as i32,
        );
    let quiet = (pad + QUIET_MODULES * module) as i32;
    Some(Placement {
        card: Rectangle::new(top_left, card_size),
        origin: top_left + Point::new(quiet, quiet),
        module,
    })
}

/// Draws the card for `url` with `caption` under the code, as large as `area` allows; returns
/// where it went, or `None` when nothing was drawn.
pub fn draw(frame: &mut Frame, area: Rectangle, url: &str, caption: &str) -> Option<Placement> {
    let size = frame.size();
    let matrix = Matrix::of(url)?;
    let placement = place(size, area, matrix.width)?;
    let radius = Size::new_equal(corner_radius(size));
    let _ = RoundedRectangle::with_equal_corners(placement.card, radius)
        .into_styled(PrimitiveStyle::with_fill(Rgb565::WHITE))
        .draw(frame);
    draw_modules(frame, &matrix, placement);
    let side = placement.module * (matrix.width + 2 * QUIET_MODULES);
    let _ = text::draw_centred(
        frame,
        caption,
        placement.card.top_left.x,
        placement.card.size.width,
        placement.card.top_left.y + (padding(size) + side) as i32,
        &caption_style(size),
    );
    Some(placement)
}

/// Each row's runs of dark modules as one filled rectangle: a few hundred fills, not a
/// rectangle per module.
fn draw_modules(frame: &mut Frame, matrix: &Matrix, at: Placement) {
    let m = at.module;
    for y in 0..matrix.width {
        let mut x = 0;
        while x < matrix.width {
            if !matrix.is_dark(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < matrix.width && matrix.is_dark(x, y) {
                x += 1;
            }
            let run = Rectangle::new(
                at.origin + Point::new((start * m) as i32, (y * m) as i32),
                Size::new((x - start) * m, m),
            );
            let _ = frame.fill_solid(&run, Rgb565::BLACK);
        }
    }
}
