//! Check-in by the last digits of a phone number, for a member without their code or card.

use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle, RoundedRectangle};

use super::scale;
use crate::display::Frame;
use crate::ui::column::{self, Block};
use crate::ui::text::{self, Style, Weight};
use crate::ui::theme;

/// Digits needed before a search: fewer would list too many members to a stranger.
pub const MIN_DIGITS: usize = 4;
pub const MAX_DIGITS: usize = 11;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Digit(u8),
    Delete,
    Search,
    Cancel,
}

impl Key {
    fn label(self) -> String {
        match self {
            Self::Digit(d) => d.to_string(),
            Self::Delete => "删除".into(),
            Self::Search => "查找".into(),
            Self::Cancel => "返回".into(),
        }
    }
}

/// Each key and where it is: a 3×4 grid of digits, delete and search, with "back" beside the
/// display line.
pub fn keys(size: Size) -> Vec<(Key, Rectangle)> {
    let margin = scale(size, 16);
    let gap = scale(size, 10);
    let top = scale(size, 110);
    let grid_height = size.height.saturating_sub(top + margin);
    let key_height = grid_height.saturating_sub(3 * gap) / 4;
    let grid_width = (size.width.saturating_sub(2 * margin)).min(scale(size, 620));
    let key_width = grid_width.saturating_sub(2 * gap) / 3;
    let left = (size.width.saturating_sub(grid_width) / 2) as i32;
    let layout = [
        [Key::Digit(1), Key::Digit(2), Key::Digit(3)],
        [Key::Digit(4), Key::Digit(5), Key::Digit(6)],
        [Key::Digit(7), Key::Digit(8), Key::Digit(9)],
        [Key::Delete, Key::Digit(0), Key::Search],
    ];
    let mut placed = Vec::with_capacity(13);
    for (row, keys) in layout.iter().enumerate() {
        for (col, key) in keys.iter().enumerate() {
            let x = left + (col as u32 * (key_width + gap)) as i32;
            let y = (top + row as u32 * (key_height + gap)) as i32;
            placed.push((
                *key,
                Rectangle::new(Point::new(x, y), Size::new(key_width, key_height)),
            ));
        }
    }
    let back = Rectangle::new(
        Point::new(margin as i32, margin as i32),
        Size::new(scale(size, 120), scale(size, 70)),
    );
    placed.push((Key::Cancel, back));
    placed
}

/// What the display line says before the first digit.
pub const PROMPT: &str = "请输入您手机号的后 4 位";

/// The box the display line keeps to: above the keys, clear of the back button on either
/// side so it stays centred.
pub fn prompt_area(size: Size) -> Rectangle {
    let margin = scale(size, 16);
    let side = margin + scale(size, 120) + scale(size, 10);
    let bottom = scale(size, 110).saturating_sub(scale(size, 6));
    Rectangle::new(
        Point::new(side as i32, margin as i32),
        Size::new(
            size.width.saturating_sub(2 * side),
            bottom.saturating_sub(margin),
        ),
    )
}

/// The key under a touch.
pub fn hit(size: Size, point: Point) -> Option<Key> {
    keys(size)
        .into_iter()
        .find(|(_, area)| area.contains(point))
        .map(|(key, _)| key)
}

pub fn draw(digits: &str, frame: &mut Frame) {
    let size = frame.size();
    let _ = Rectangle::new(Point::zero(), size)
        .into_styled(PrimitiveStyle::with_fill(theme::BACKGROUND))
        .draw(frame);
    let shown = if digits.is_empty() { PROMPT } else { digits };
    let colour = if digits.is_empty() {
        theme::MUTED
    } else {
        theme::INK
    };
    let line = Style::new(
        scale(size, if digits.is_empty() { 34 } else { 52 }),
        Weight::Bold,
        colour,
        theme::BACKGROUND,
    );
    let area = prompt_area(size);
    let laid = column::lay_out(
        &[Block::new(shown, line, 2)],
        area.size.width,
        area.size.height,
    );
    // Centred down the space above the keys, whether one line or two.
    column::draw_middle(frame, &laid, &area);
    for (key, area) in keys(size) {
        let fill = match key {
            Key::Search if digits.len() >= MIN_DIGITS => theme::SUCCESS,
            Key::Search => theme::MUTED,
            Key::Delete | Key::Cancel => theme::MUTED,
            Key::Digit(_) => theme::BRAND,
        };
        let radius = Size::new_equal(scale(size, 10));
        let _ = RoundedRectangle::with_equal_corners(area, radius)
            .into_styled(PrimitiveStyle::with_fill(fill))
            .draw(frame);
        let px = if matches!(key, Key::Digit(_)) { 40 } else { 28 };
        let label = Style::new(scale(size, px), Weight::Bold, theme::ON_COLOUR, fill);
        let top = area.top_left.y
            + (area.size.height.saturating_sub(text::line_height(&label)) / 2) as i32;
        let _ = text::draw_centred(
            frame,
            &key.label(),
            area.top_left.x,
            area.size.width,
            top,
            &label,
        );
    }
}
