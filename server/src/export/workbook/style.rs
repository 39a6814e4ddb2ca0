//! The look every kejia workbook shares: bordered tables with a bold, lightly filled header,
//! columns as wide as their Chinese text needs, and a page set up to print on landscape A4, one
//! page wide, with its titles on every page and numbered pages.

use rust_xlsxwriter::{
    ColNum, Color, Format, FormatAlign, FormatBorder, RowNum, Worksheet, XlsxError,
};

/// The light blue-grey that marks headers and form labels; it prints as a soft grey.
const HEADER_FILL: u32 = 0xDDE6F0;
/// The body text size; a page fitted to one page wide shrinks it, so it starts at 11 pt.
const BODY_SIZE: f64 = 11.0;
/// One line of 11 pt text in a CJK font takes 14–15 pt of row height in Excel (SimSun, DengXian)
/// and in LibreOffice (Noto Sans CJK); the upper end keeps the last line whole in both.
const LINE_HEIGHT: f64 = 15.0;
/// The height of a one-line table row: a little air around the text.
pub const MIN_ROW_HEIGHT: f64 = 20.0;
/// Excel's tallest row.
pub const MAX_ROW_HEIGHT: f64 = 409.0;

/// The formats of a sheet, made once per workbook.
pub struct Styles {
    pub title: Format,
    pub subtitle: Format,
    pub header: Format,
    pub section: Format,
    pub label: Format,
    pub text: Format,
    pub wrapped: Format,
    pub centered: Format,
    pub number: Format,
    pub date: Format,
}

impl Default for Styles {
    fn default() -> Self {
        let cell = Format::new()
            .set_font_size(BODY_SIZE)
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter);
        Self {
            title: Format::new()
                .set_bold()
                .set_font_size(18)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            subtitle: Format::new()
                .set_font_size(13)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            header: cell
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(HEADER_FILL))
                .set_align(FormatAlign::Center)
                .set_text_wrap(),
            section: cell
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(HEADER_FILL))
                .set_text_wrap(),
            label: cell
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(HEADER_FILL))
                .set_text_wrap(),
            text: cell.clone().set_text_wrap(),
            wrapped: cell.clone().set_text_wrap().set_align(FormatAlign::Top),
            centered: cell.clone().set_align(FormatAlign::Center).set_text_wrap(),
            number: cell.clone().set_align(FormatAlign::Center),
            date: cell
                .set_align(FormatAlign::Center)
                .set_num_format("yyyy\"年\"m\"月\"d\"日\""),
        }
    }
}

/// How wide `c` draws, in Excel's width units (the width of a digit): Chinese characters and
/// full-width punctuation take about two.
fn char_width(c: char) -> f64 {
    if c.is_ascii() { 1.0 } else { 2.0 }
}

/// The width of a line of text in Excel's width units.
pub fn line_width(line: &str) -> f64 {
    line.chars().map(char_width).sum()
}

/// The width of the longest line of `text`.
pub fn text_width(text: &str) -> f64 {
    text.lines().map(line_width).fold(0.0, f64::max)
}

/// How many lines `text` takes once wrapped in a cell `width` units wide. A unit is kept back
/// for the cell's padding. Excel draws a Chinese character about two units wide, LibreOffice a
/// little narrower, so the count errs on the long side: a row a little too tall wastes paper,
/// one too short cuts the text off.
pub fn wrapped_lines(text: &str, width: f64) -> u32 {
    let usable = (width - 1.0).max(2.0);
    let lines: f64 = text
        .lines()
        .map(|line| (line_width(line) / usable).ceil().max(1.0))
        .sum();
    // Float to integer: the count is small and positive.
    lines.max(1.0) as u32
}

/// The row height (points) that shows `lines` lines of body text.
pub fn height_for_lines(lines: u32) -> f64 {
    (f64::from(lines) * LINE_HEIGHT + 4.0).min(MAX_ROW_HEIGHT)
}

/// The lines of body text one row can hold at most.
pub fn lines_per_row() -> u32 {
    // Float to integer: about 24.
    ((MAX_ROW_HEIGHT - 4.0) / LINE_HEIGHT).floor() as u32
}

/// Column widths taken from the longest text each column holds, between a floor (so a short
/// column still shows its wrapped header) and a cap (longer text wraps instead).
pub struct ColumnFit {
    bounds: Vec<(f64, f64)>,
    longest: Vec<f64>,
}

impl ColumnFit {
    /// `bounds` holds each column's `(floor, cap)`.
    pub fn new(bounds: &[(f64, f64)]) -> Self {
        Self {
            bounds: bounds.to_vec(),
            longest: vec![0.0; bounds.len()],
        }
    }

    pub fn observe(&mut self, col: usize, text: &str) {
        if let Some(longest) = self.longest.get_mut(col) {
            *longest = longest.max(text_width(text));
        }
    }

    /// The width column `col` gets: its longest text plus padding, within its bounds.
    pub fn width(&self, col: usize) -> f64 {
        let (floor, cap) = self.bounds.get(col).copied().unwrap_or((8.0, 8.0));
        let longest = self.longest.get(col).copied().unwrap_or(0.0);
        (longest + 2.0).clamp(floor, cap)
    }

    /// The combined width of columns `first..=last`, for text in a merged range.
    pub fn span(&self, first: usize, last: usize) -> f64 {
        (first..=last).map(|col| self.width(col)).sum()
    }

    /// The height (points) a row needs so that each of its `(column, text)` cells shows whole
    /// once wrapped: neither Excel nor LibreOffice grows a row to fit when opening a file.
    pub fn row_height<'a>(&self, cells: impl IntoIterator<Item = (usize, &'a str)>) -> f64 {
        let lines = cells
            .into_iter()
            .map(|(col, text)| wrapped_lines(text, self.width(col)))
            .max()
            .unwrap_or(1);
        height_for_lines(lines).max(MIN_ROW_HEIGHT)
    }

    pub fn apply(&self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        for (col, index) in (0..).zip(0..self.bounds.len()) {
            sheet.set_column_width(col, self.width(index))?;
        }
        Ok(())
    }
}

/// Text for a page header or footer: `&` starts a code there, so a literal one is doubled.
fn header_text(text: &str) -> String {
    text.replace('&', "&&")
}

/// Landscape A4, one page wide and as many long as it takes, with `heading` at the top of every
/// page, "第 1 页 共 3 页" at the bottom and rows `titles` repeated on every page.
pub fn print_setup(
    sheet: &mut Worksheet,
    heading: &str,
    titles: (RowNum, RowNum),
) -> Result<(), XlsxError> {
    sheet
        .set_paper_size(9)
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_print_center_horizontally(true)
        .set_margins(0.5, 0.5, 0.65, 0.65, 0.25, 0.25)
        .set_header(format!("&C{}", header_text(heading)))
        .set_footer("&C第 &P 页 共 &N 页");
    sheet.set_repeat_rows(titles.0, titles.1)?;
    Ok(())
}

/// Freezes the rows above `first_body_row`, so the headers stay in view while scrolling.
pub fn freeze_above(sheet: &mut Worksheet, first_body_row: RowNum) -> Result<(), XlsxError> {
    sheet.set_freeze_panes(first_body_row, 0)?;
    Ok(())
}

/// A title across columns `0..=last_col` of row `row`, `height` points tall.
pub fn title_row(
    sheet: &mut Worksheet,
    row: RowNum,
    last_col: ColNum,
    text: &str,
    format: &Format,
    height: f64,
) -> Result<(), XlsxError> {
    if last_col == 0 {
        sheet.write_string_with_format(row, 0, text, format)?;
    } else {
        sheet.merge_range(row, 0, row, last_col, text, format)?;
    }
    sheet.set_row_height(row, height)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_counts_double_and_the_longest_line_wins() {
        assert_eq!(text_width("abc"), 3.0);
        assert_eq!(text_width("人工智能"), 8.0);
        assert_eq!(text_width("14:00–16:00"), 12.0);
        assert_eq!(text_width("短\n长一些的行"), 10.0);
    }

    #[test]
    fn wrapped_lines_count_each_paragraph() {
        // 20 units usable in a 21-unit cell: ten Chinese characters a line.
        assert_eq!(wrapped_lines("", 21.0), 1);
        assert_eq!(wrapped_lines(&"字".repeat(10), 21.0), 1);
        assert_eq!(wrapped_lines(&"字".repeat(11), 21.0), 2);
        assert_eq!(wrapped_lines("一\n二\n三", 21.0), 3);
    }

    #[test]
    fn columns_fit_their_text_within_bounds() {
        let mut fit = ColumnFit::new(&[(6.0, 20.0), (4.0, 10.0)]);
        fit.observe(0, "人工智能沙龙");
        fit.observe(1, "很长很长很长很长的地点");
        assert_eq!(fit.width(0), 14.0);
        assert_eq!(fit.width(1), 10.0, "capped: longer text wraps");
        assert_eq!(fit.span(0, 1), 24.0);
        let empty = ColumnFit::new(&[(6.0, 20.0)]);
        assert_eq!(empty.width(0), 6.0);
    }

    #[test]
    fn an_ampersand_in_a_heading_stays_literal() {
        assert_eq!(header_text("A&B之家"), "A&&B之家");
    }
}
