//! A list to touch: the activity a member came for when two are open at once, or the member
//! themselves among those whose phone ends with the digits typed on the keypad.

use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle, RoundedRectangle};

use super::scale;
use crate::display::Frame;
use crate::ui::column::{self, Block, Column};
use crate::ui::text::{Style, Weight};
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

/// The button that goes back to the idle screen, at the top left as on the keypad: a
/// member who is not among the choices, or came to the wrong screen, leaves without waiting.
pub fn back_button(size: Size) -> Rectangle {
    let margin = scale(size, 16);
    Rectangle::new(
        Point::new(margin as i32, margin as i32),
        Size::new(scale(size, 120), scale(size, 70)),
    )
}

/// The box the heading keeps to: as wide as the screen less the back button on either side,
/// so it stays centred; above the first choice.
pub fn heading_area(size: Size) -> Rectangle {
    let back = back_button(size);
    let side = u32::try_from(back.top_left.x).unwrap_or(0) + back.size.width + scale(size, 12);
    let top = scale(size, 16);
    let bottom = (size.height * 24 / 100).saturating_sub(scale(size, 8));
    Rectangle::new(
        Point::new(side as i32, top as i32),
        Size::new(
            size.width.saturating_sub(2 * side),
            bottom.saturating_sub(top),
        ),
    )
}

/// The box a choice's label keeps to inside its button.
pub fn label_area(size: Size, button: &Rectangle) -> Rectangle {
    let (across, down) = (scale(size, 24), scale(size, 8));
    Rectangle::new(
        button.top_left + Point::new(across as i32, down as i32),
        Size::new(
            button.size.width.saturating_sub(2 * across),
            button.size.height.saturating_sub(2 * down),
        ),
    )
}

fn heading_style(size: Size) -> Style {
    Style::new(scale(size, 40), Weight::Bold, theme::INK, theme::BACKGROUND)
}

fn label_style(size: Size) -> Style {
    Style::new(
        scale(size, 36),
        Weight::Bold,
        theme::ON_COLOUR,
        theme::BRAND,
    )
}

/// The heading laid out in its box, on up to two lines.
pub fn heading_column(size: Size, heading: &str) -> Column {
    let area = heading_area(size);
    column::lay_out(
        &[Block::new(heading, heading_style(size), 2)],
        area.size.width,
        area.size.height,
    )
}

/// A choice's label laid out in its button, on up to two lines.
pub fn label_column(size: Size, button: &Rectangle, label: &str) -> Column {
    let area = label_area(size, button);
    column::lay_out(
        &[Block::new(label, label_style(size), 2)],
        area.size.width,
        area.size.height,
    )
}

pub fn draw(heading_text: &str, choices: &[String], frame: &mut Frame) {
    let size = frame.size();
    let _ = Rectangle::new(Point::zero(), size)
        .into_styled(PrimitiveStyle::with_fill(theme::BACKGROUND))
        .draw(frame);
    let radius = Size::new_equal(scale(size, 12));
    let back = back_button(size);
    let _ = RoundedRectangle::with_equal_corners(back, radius)
        .into_styled(PrimitiveStyle::with_fill(theme::MUTED))
        .draw(frame);
    let back_label = Style::new(
        scale(size, 28),
        Weight::Bold,
        theme::ON_COLOUR,
        theme::MUTED,
    );
    draw_centred_in(
        frame,
        &column::lay_out(
            &[Block::new(BACK, back_label, 1)],
            back.size.width,
            back.size.height,
        ),
        &back,
    );
    draw_centred_in(
        frame,
        &heading_column(size, heading_text),
        &heading_area(size),
    );
    for (button, title) in buttons(size, choices.len()).iter().zip(choices) {
        let _ = RoundedRectangle::with_equal_corners(*button, radius)
            .into_styled(PrimitiveStyle::with_fill(theme::BRAND))
            .draw(frame);
        draw_centred_in(
            frame,
            &label_column(size, button, title),
            &label_area(size, button),
        );
    }
}

/// What the back button says.
pub const BACK: &str = "返回";

/// Draws `column` centred across and down `area`.
fn draw_centred_in(frame: &mut Frame, laid: &Column, area: &Rectangle) {
    column::draw_middle(frame, laid, area);
}
