//! A list to touch: the activity a member came for when two are open at once, or the member
//! themselves among those whose phone ends with the digits typed on the keypad.

use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle, RoundedRectangle};

use super::scale;
use crate::display::Frame;
use crate::ui::text::{self, Style, Weight};
use crate::ui::theme;

/// At most this many choices are shown; a home rarely runs more than two at once.
pub const MAX_CHOICES: usize = 4;

/// The button of each choice, top to bottom.
pub fn buttons(size: Size, count: usize) -> Vec<Rectangle> {
    let count = count.min(MAX_CHOICES);
    let margin = scale(size, 24);
    let top = size.height * 24 / 100;
    let gap = scale(size, 16);
    let available = size.height.saturating_sub(top + margin);
    let height = if count == 0 {
        0
    } else {
        (available.saturating_sub(gap * (count as u32 - 1)) / count as u32).min(scale(size, 110))
    };
    (0..count)
        .map(|n| {
            let y = top + n as u32 * (height + gap);
            Rectangle::new(
                Point::new(margin as i32, y as i32),
                Size::new(size.width.saturating_sub(2 * margin), height),
            )
        })
        .collect()
}

/// Which choice a touch at `point` picks.
pub fn hit(size: Size, count: usize, point: Point) -> Option<usize> {
    buttons(size, count).iter().position(|b| b.contains(point))
}

pub fn draw(heading_text: &str, choices: &[String], frame: &mut Frame) {
    let size = frame.size();
    let _ = Rectangle::new(Point::zero(), size)
        .into_styled(PrimitiveStyle::with_fill(theme::BACKGROUND))
        .draw(frame);
    let heading = Style::new(scale(size, 40), Weight::Bold, theme::INK, theme::BACKGROUND);
    let margin = scale(size, 24);
    let _ = text::draw_centred(
        frame,
        heading_text,
        margin as i32,
        size.width - 2 * margin,
        (size.height * 7 / 100) as i32,
        &heading,
    );
    for (button, title) in buttons(size, choices.len()).iter().zip(choices) {
        let radius = Size::new_equal(scale(size, 12));
        let _ = RoundedRectangle::with_equal_corners(*button, radius)
            .into_styled(PrimitiveStyle::with_fill(theme::BRAND))
            .draw(frame);
        let label = Style::new(
            scale(size, 36),
            Weight::Bold,
            theme::ON_COLOUR,
            theme::BRAND,
        );
        let top = button.top_left.y
            + (button.size.height.saturating_sub(text::line_height(&label)) / 2) as i32;
        let _ = text::draw_centred(
            frame,
            title,
            button.top_left.x + margin as i32,
            button.size.width - 2 * margin,
            top,
            &label,
        );
    }
}
