//! A column of text blocks laid out in a box: each block wraps to its few lines (the last one
//! ending with "…" when even they are not enough), and when the blocks together are taller than
//! the box, every size steps down until they fit. A member reads the whole title and the whole
//! count in smaller type rather than half of them in large type.

use embedded_graphics::draw_target::DrawTargetExt;
use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

use super::text::{self, Style};

/// The sizes tried in turn, in percent of the blocks' own: a step a reader hardly notices.
const SCALES: [u32; 7] = [100, 90, 80, 72, 64, 56, 50];
/// Text may get this small (in percent) to be shown whole rather than end in "…".
const WHOLE_DOWN_TO: u32 = 64;
/// No text gets smaller than this, in pixels: below it a character's strokes run together.
const SMALLEST_PX: u32 = 14;

/// One piece of text in the column.
#[derive(Debug, Clone)]
pub struct Block<'a> {
    pub text: &'a str,
    pub style: Style,
    pub max_lines: usize,
    /// Space above the block (none above the first one), at full size.
    pub gap: u32,
    /// Where the block would like to start, from the box's top: screens keep their familiar
    /// places when the text is short. A longer block above pushes it down.
    pub anchor: u32,
}

impl<'a> Block<'a> {
    pub fn new(text: &'a str, style: Style, max_lines: usize) -> Self {
        Self {
            text,
            style,
            max_lines,
            gap: 0,
            anchor: 0,
        }
    }

    pub fn gap(self, gap: u32) -> Self {
        Self { gap, ..self }
    }

    pub fn anchor(self, anchor: u32) -> Self {
        Self { anchor, ..self }
    }
}

/// A laid-out line: its text, the style it is drawn in, its top from the box's top.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub text: String,
    pub style: Style,
    pub top: u32,
}

/// Lines ready to draw, and how tall they are together (the ink of the last line included).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Column {
    pub lines: Vec<Line>,
    pub height: u32,
    /// Whether a block did not fit its lines and ends with "…".
    pub cut: bool,
}

impl Column {
    /// The widest line, in pixels.
    pub fn width(&self) -> u32 {
        self.lines
            .iter()
            .map(|l| text::width(&l.text, &l.style))
            .max()
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Centre,
}

/// `blocks` laid out `width` wide: at the largest scale whose column is at most `height` tall
/// and shows every block whole, if one down to `WHOLE_DOWN_TO` percent does; else at the
/// largest scale that fits, with "…" closing what is still too long; else at the smallest,
/// which drawing clips to the box.
pub fn lay_out(blocks: &[Block<'_>], width: u32, height: u32) -> Column {
    let columns: Vec<(u32, Column)> = SCALES
        .iter()
        .map(|percent| (*percent, place(blocks, width, *percent)))
        .collect();
    let fits = |c: &Column| c.height <= height;
    let whole = columns
        .iter()
        .find(|(percent, c)| *percent >= WHOLE_DOWN_TO && fits(c) && !c.cut);
    whole
        .or_else(|| columns.iter().find(|(_, c)| fits(c)))
        .or(columns.last())
        .map(|(_, c)| c.clone())
        .unwrap_or_default()
}

/// The blocks one under another at `percent` of their size; empty blocks take no room.
fn place(blocks: &[Block<'_>], width: u32, percent: u32) -> Column {
    let mut lines = Vec::new();
    let mut bottom: Option<u32> = None;
    let mut cut = false;
    let mut last_overhang = 0;
    for block in blocks {
        let style = scaled(&block.style, percent);
        let wrapped = balanced(block.text, &style, width, block.max_lines);
        if wrapped.is_empty() {
            continue;
        }
        cut |= wrapped.last().is_some_and(|l| l.ends_with('…')) && !block.text.ends_with('…');
        let after_previous = bottom.map_or(0, |b| b + block.gap * percent / 100);
        let mut top = block.anchor.max(after_previous);
        for line in wrapped {
            lines.push(Line {
                text: line,
                style,
                top,
            });
            top += text::line_height(&style);
        }
        bottom = Some(top);
        last_overhang = text::overhang(&style);
    }
    Column {
        lines,
        // The last line's descenders hang below it: the column holds them.
        height: bottom.map_or(0, |b| b + last_overhang),
        cut,
    }
}

/// `text` wrapped as `text::wrap` does, but on lines of even length: when it takes several
/// lines whole, into the narrowest width that still needs no more of them, so a title never
/// ends on a lone character under a full line.
fn balanced(text: &str, style: &Style, width: u32, max_lines: usize) -> Vec<String> {
    let full = text::wrap(text, style, width, max_lines);
    let whole = |lines: &[String]| {
        lines
            .last()
            .is_none_or(|l| !l.ends_with('…') || text.ends_with('…'))
    };
    if full.len() < 2 || !whole(&full) {
        return full;
    }
    // The narrowest width giving as few lines, by bisection: the line count only grows as
    // the width shrinks.
    let (mut narrow, mut wide) = (width / full.len() as u32, width);
    while narrow + 1 < wide {
        let middle = (narrow + wide) / 2;
        let lines = text::wrap(text, style, middle, max_lines);
        if lines.len() <= full.len() && whole(&lines) {
            wide = middle;
        } else {
            narrow = middle;
        }
    }
    text::wrap(text, style, wide, max_lines)
}

fn scaled(style: &Style, percent: u32) -> Style {
    let size = (style.size * percent / 100).max(SMALLEST_PX.min(style.size));
    Style { size, ..*style }
}

/// Draws `column` in `area`, each line at the left or centred; nothing lands outside `area`.
pub fn draw<D>(target: &mut D, column: &Column, area: &Rectangle, align: Align)
where
    D: DrawTarget<Color = Rgb565>,
{
    let mut inside = target.clipped(area);
    for line in &column.lines {
        let left = match align {
            Align::Left => area.top_left.x,
            Align::Centre => {
                let spare = area
                    .size
                    .width
                    .saturating_sub(text::width(&line.text, &line.style));
                area.top_left.x + (spare / 2) as i32
            }
        };
        let top = area.top_left.y + line.top as i32;
        let _ = text::draw(&mut inside, &line.text, Point::new(left, top), &line.style);
    }
}

/// Draws `column` centred down `area` as well as across; nothing lands outside `area`.
pub fn draw_middle<D>(target: &mut D, column: &Column, area: &Rectangle)
where
    D: DrawTarget<Color = Rgb565>,
{
    let down = area.size.height.saturating_sub(column.height) / 2;
    let shifted = Column {
        lines: column
            .lines
            .iter()
            .map(|l| Line {
                top: l.top + down,
                ..l.clone()
            })
            .collect(),
        height: column.height + down,
        cut: column.cut,
    };
    draw(target, &shifted, area, Align::Centre);
}

/// Lays out `blocks` to fit `area` and draws them there; returns the column drawn.
pub fn fill<D>(target: &mut D, blocks: &[Block<'_>], area: &Rectangle, align: Align) -> Column
where
    D: DrawTarget<Color = Rgb565>,
{
    let column = lay_out(blocks, area.size.width, area.size.height);
    draw(target, &column, area, align);
    column
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::text::Weight;

    const TITLE: &str = "益阳高新区科技工作者之家2026年度人工智能与智能制造产业创新发展专题学术交流报告会（第三期）";

    fn style(size: u32) -> Style {
        Style::new(size, Weight::Bold, Rgb565::BLACK, Rgb565::WHITE)
    }

    #[test]
    fn short_text_keeps_its_size_and_its_anchor() {
        let blocks = [
            Block::new("签到成功", style(44), 2),
            Block::new("张*明", style(80), 2).anchor(120),
        ];
        let column = lay_out(&blocks, 700, 400);
        assert_eq!(column.lines.len(), 2);
        assert_eq!(column.lines[0].style.size, 44);
        assert_eq!(column.lines[1].top, 120);
        assert_eq!(
            column.height,
            120 + text::line_height(&style(80)) + text::overhang(&style(80)),
            "the last line's descenders are held"
        );
    }

    #[test]
    fn a_long_title_wraps_to_two_lines_then_shrinks_to_fit_the_box() {
        let blocks = [
            Block::new(TITLE, style(48), 2),
            Block::new("已签到 1234 人", style(40), 2).gap(8),
        ];
        let roomy = lay_out(&blocks, 440, 1000);
        assert_eq!(roomy.lines.len(), 3, "{roomy:?}");
        assert!(roomy.lines[1].text.ends_with('…'), "{roomy:?}");
        assert_eq!(roomy.lines[2].text, "已签到 1234 人", "the count is whole");
        let tight = lay_out(&blocks, 440, 150);
        assert!(tight.height <= 150, "{tight:?}");
        assert!(tight.lines[0].style.size < 48);
        for column in [roomy, tight] {
            assert!(column.width() <= 440, "{column:?}");
            let lines: Vec<&str> = column.lines.iter().map(|l| l.text.as_str()).collect();
            assert!(lines.len() <= 3 && lines.last() == Some(&"已签到 1234 人"));
        }
    }

    #[test]
    fn smaller_whole_text_wins_over_larger_cut_text() {
        let blocks = [Block::new("人工智能与制造业转型学术沙龙", style(48), 1)];
        let one_line_at_full_size = text::width("人工智能与制造业转型学术沙龙", &style(48));
        let column = lay_out(&blocks, one_line_at_full_size * 85 / 100, 400);
        assert_eq!(column.lines.len(), 1);
        assert_eq!(column.lines[0].text, "人工智能与制造业转型学术沙龙");
        assert!(!column.cut && column.lines[0].style.size < 48);
        // Too long even at the smallest size it may take for that: cut at full size.
        let column = lay_out(&blocks, one_line_at_full_size / 3, 400);
        assert!(column.cut && column.lines[0].style.size == 48, "{column:?}");
    }

    #[test]
    fn wrapped_lines_are_of_even_length() {
        let text = "人工智能与制造业转型学术沙龙";
        let one = text::width("人", &style(40));
        // Thirteen characters fit a line: the fourteenth would go alone on the second.
        let column = lay_out(&[Block::new(text, style(40), 2)], 13 * one + one / 2, 400);
        let lengths: Vec<usize> = column
            .lines
            .iter()
            .map(|l| l.text.chars().count())
            .collect();
        assert_eq!(lengths, vec![7, 7], "{column:?}");
    }

    #[test]
    fn a_box_too_small_for_anything_gets_the_smallest_size_and_clips() {
        let blocks = [Block::new(TITLE, style(48), 2)];
        let column = lay_out(&blocks, 300, 10);
        assert_eq!(column.lines[0].style.size, 24);
        let mut display = embedded_graphics::mock_display::MockDisplay::<Rgb565>::new();
        display.set_allow_overdraw(true);
        display.set_allow_out_of_bounds_drawing(true);
        let area = Rectangle::new(Point::new(2, 2), Size::new(50, 20));
        draw(&mut display, &column, &area, Align::Left);
        let drawn = display.affected_area();
        assert!(!drawn.is_zero_sized(), "something is drawn");
        assert!(
            area.contains(drawn.top_left) && drawn.bottom_right().is_none_or(|c| area.contains(c)),
            "{drawn:?}"
        );
    }

    #[test]
    fn empty_blocks_take_no_room() {
        let blocks = [
            Block::new("", style(40), 2),
            Block::new("第二块", style(20), 2).gap(30),
        ];
        let column = lay_out(&blocks, 300, 300);
        assert_eq!(column.lines[0].top, 0);
    }
}
