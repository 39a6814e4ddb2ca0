//! The layout every outcome screen shares: a full-screen colour that says good or bad at a
//! glance, a headline, the member's name large, and up to two lines of detail; optionally a
//! phone QR card, at the right in landscape (the text moves left of it) or between the headline
//! and the details in portrait.

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};

use super::{phone, scale};
use crate::display::Frame;
use crate::ui::column::{self, Align, Block};
use crate::ui::text::{self, Style, Weight};
use crate::ui::theme;

pub struct Card<'a> {
    pub colour: Rgb565,
    pub headline: &'a str,
    pub name: Option<&'a str>,
    pub lines: [Option<&'a str>; 2],
    /// A phone page to show as a QR code, and what to say under it.
    pub phone: Option<Phone<'a>>,
}

pub struct Phone<'a> {
    pub url: &'a str,
    pub caption: &'a str,
}

/// Where the name's line starts, as a fraction of the height: tests look for its pixels there.
pub const NAME_TOP_FRACTION: (u32, u32) = (38, 100);
/// Where the first detail line starts, in hundredths of the height; the next is 12 lower.
const DETAIL_TOP_PERCENT: u32 = 66;

fn landscape(size: Size) -> bool {
    size.width > size.height
}

fn headline_style(size: Size, colour: Rgb565) -> Style {
    Style::new(scale(size, 44), Weight::Bold, theme::ON_COLOUR, colour)
}

fn name_style(size: Size, colour: Rgb565) -> Style {
    Style::new(scale(size, 80), Weight::Bold, theme::ON_COLOUR, colour)
}

/// Where the phone card may go: a column at the right in landscape; in portrait the band
/// between the headline (or the name) and the detail lines.
pub fn phone_area(size: Size, card: &Card<'_>) -> Rectangle {
    let margin = scale(size, 32);
    if landscape(size) {
        let column = phone::column_width(size);
        return Rectangle::new(
            Point::new(
                size.width.saturating_sub(margin + column) as i32,
                margin as i32,
            ),
            Size::new(column, size.height.saturating_sub(2 * margin)),
        );
    }
    let above = match card.name {
        Some(_) => {
            size.height * NAME_TOP_FRACTION.0 / NAME_TOP_FRACTION.1
                + text::line_height(&name_style(size, card.colour))
        }
        None => size.height * 12 / 100 + text::line_height(&headline_style(size, card.colour)),
    };
    let top = above + margin;
    let bottom = (size.height * DETAIL_TOP_PERCENT / 100).saturating_sub(margin);
    Rectangle::new(
        Point::new(margin as i32, top as i32),
        Size::new(
            size.width.saturating_sub(2 * margin),
            bottom.saturating_sub(top),
        ),
    )
}

/// How wide the text may be: in landscape, with a phone card, it stops short of its column.
fn text_span(size: Size, with_card: bool) -> u32 {
    let margin = scale(size, 32);
    let full = size.width.saturating_sub(2 * margin);
    if with_card && landscape(size) {
        full.saturating_sub(phone::column_width(size) + scale(size, 24))
    } else {
        full
    }
}

pub fn draw(card: &Card<'_>, frame: &mut Frame) {
    let size = frame.size();
    let _ = Rectangle::new(Point::zero(), size)
        .into_styled(PrimitiveStyle::with_fill(card.colour))
        .draw(frame);
    let drawn = card
        .phone
        .as_ref()
        .and_then(|p| phone::draw(frame, phone_area(size, card), p.url, p.caption));
    let area = text_area(size, drawn.is_some());
    column::fill(frame, &blocks(size, card), &area, Align::Centre);
}

/// The box the text keeps to: the panel less its margins, and in landscape less the phone
/// card's column when one is drawn.
pub fn text_area(size: Size, with_card: bool) -> Rectangle {
    let margin = scale(size, 32);
    Rectangle::new(
        Point::new(margin as i32, margin as i32),
        Size::new(
            text_span(size, with_card),
            size.height.saturating_sub(2 * margin),
        ),
    )
}

/// The headline, the name and the details, each on up to two lines, at their usual places
/// (12 %, 38 % and 66 % of the height, from the top of the text box) while they fit there.
pub fn blocks<'a>(size: Size, card: &Card<'a>) -> Vec<Block<'a>> {
    let margin = scale(size, 32);
    let at = |percent: u32| (size.height * percent / 100).saturating_sub(margin);
    let detail = Style::new(
        scale(size, 30),
        Weight::Regular,
        theme::ON_COLOUR,
        card.colour,
    );
    let mut blocks =
        vec![Block::new(card.headline, headline_style(size, card.colour), 2).anchor(at(12))];
    if let Some(name) = card.name {
        blocks.push(
            Block::new(name, name_style(size, card.colour), 2)
                .anchor(at(NAME_TOP_FRACTION.0 * 100 / NAME_TOP_FRACTION.1))
                .gap(scale(size, 16)),
        );
    }
    for (n, line) in card.lines.iter().enumerate() {
        if let Some(line) = line {
            blocks.push(
                Block::new(line, detail, 2)
                    .anchor(at(DETAIL_TOP_PERCENT + 12 * n as u32))
                    .gap(scale(size, 12)),
            );
        }
    }
    blocks
}
