//! The layout every outcome screen shares: a full-screen colour that says good or bad at a
//! glance, a headline, the member's name large, and up to two lines of detail.

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};

use super::scale;
use crate::display::Frame;
use crate::ui::text::{self, Style, Weight};
use crate::ui::theme;

pub struct Card<'a> {
    pub colour: Rgb565,
    pub headline: &'a str,
    pub name: Option<&'a str>,
    pub lines: [Option<&'a str>; 2],
}

/// Where the name's line starts, as a fraction of the height: tests look for its pixels there.
pub const NAME_TOP_FRACTION: (u32, u32) = (38, 100);

pub fn draw(card: &Card<'_>, frame: &mut Frame) {
    let size = frame.size();
    let _ = Rectangle::new(Point::zero(), size)
        .into_styled(PrimitiveStyle::with_fill(card.colour))
        .draw(frame);
    let width = size.width;
    let margin = scale(size, 32);
    let span = width.saturating_sub(2 * margin);
    let on = |px: u32, weight| Style::new(scale(size, px), weight, theme::ON_COLOUR, card.colour);
    let headline = on(44, Weight::Bold);
    let _ = text::draw_centred(
        frame,
        card.headline,
        margin as i32,
        span,
        (size.height * 12 / 100) as i32,
        &headline,
    );
    if let Some(name) = card.name {
        let top = size.height * NAME_TOP_FRACTION.0 / NAME_TOP_FRACTION.1;
        let _ = text::draw_centred(
            frame,
            name,
            margin as i32,
            span,
            top as i32,
            &on(80, Weight::Bold),
        );
    }
    let detail = on(30, Weight::Regular);
    for (n, line) in card.lines.iter().enumerate() {
        if let Some(line) = line {
            let top = size.height * (66 + 12 * n as u32) / 100;
            let _ = text::draw_centred(frame, line, margin as i32, span, top as i32, &detail);
        }
    }
}
