//! The overview (活动一览): one row per activity of the year, in the columns of [`HEADERS`].

use jiff::civil::Date;
use rust_xlsxwriter::{ColNum, ExcelDateTime, Format, RowNum, Worksheet, XlsxError};

use super::style::{self, ColumnFit, Styles};
use crate::export::ledger::{Cell, HEADERS, LedgerRow, YearLedger, chinese_date};

pub const SHEET: &str = "活动一览";
/// The row of column headers; the title sits above it.
const HEADER_ROW: RowNum = 1;

/// Each column's `(floor, cap)` width, in [`HEADERS`] order: wide enough for its wrapped
/// header, capped so the sixteen columns still print legibly on one landscape page.
const BOUNDS: [(f64, f64); 16] = [
    (6.0, 6.0),   // 序号
    (12.0, 24.0), // 活动名称
    (15.0, 15.0), // 日期
    (8.0, 14.0),  // 时间
    (8.0, 18.0),  // 地点
    (8.0, 10.0),  // 活动类别
    (8.0, 12.0),  // 主讲人
    (8.0, 16.0),  // 主办方
    (6.0, 10.0),  // 报备状态
    (6.0, 16.0),  // 科协意见
    (6.0, 8.0),   // 活动状态
    (6.0, 6.0),   // 参与人数
    (6.0, 6.0),   // 其中补录
    (8.0, 8.0),   // 是否达标（≥10人）
    (16.0, 40.0), // 活动小结
    (6.0, 6.0),   // 照片
];

pub fn write(sheet: &mut Worksheet, ledger: &YearLedger, styles: &Styles) -> Result<(), XlsxError> {
    sheet.set_name(SHEET)?;
    let last_col = ColNum::try_from(HEADERS.len() - 1).unwrap_or(0);
    let title = format!("{} {}年活动一览", ledger.home, ledger.year);
    style::title_row(sheet, 0, last_col, &title, &styles.title, 34.0)?;
    for (col, header) in (0..).zip(HEADERS) {
        sheet.write_string_with_format(HEADER_ROW, col, header, &styles.header)?;
    }
    sheet.set_row_height(HEADER_ROW, 36.0)?;
    let fit = fit_columns(&ledger.rows);
    for (line, row) in (HEADER_ROW + 1..).zip(&ledger.rows) {
        write_row(sheet, line, row, styles, &fit)?;
    }
    if ledger.rows.is_empty() {
        let note = format!("{}年没有活动。", ledger.year);
        sheet.merge_range(
            HEADER_ROW + 1,
            0,
            HEADER_ROW + 1,
            last_col,
            &note,
            &styles.text,
        )?;
    }
    fit.apply(sheet)?;
    style::freeze_above(sheet, HEADER_ROW + 1)?;
    style::print_setup(sheet, &super::page_heading(ledger), (0, HEADER_ROW))
}

/// Widths from the text every row shows.
fn fit_columns(rows: &[LedgerRow]) -> ColumnFit {
    let mut fit = ColumnFit::new(&BOUNDS);
    for row in rows {
        for (index, cell) in row.cells().into_iter().enumerate() {
            fit.observe(index, &shown(&cell));
        }
    }
    fit
}

/// A cell's text as it prints.
fn shown(cell: &Cell<'_>) -> String {
    match cell {
        Cell::Number(n) => n.to_string(),
        Cell::Text(text) => (*text).to_owned(),
        Cell::Date(day) => chinese_date(*day),
    }
}

fn write_row(
    sheet: &mut Worksheet,
    line: RowNum,
    row: &LedgerRow,
    styles: &Styles,
    fit: &ColumnFit,
) -> Result<(), XlsxError> {
    let cells = row.cells();
    for ((col, index), cell) in (0..).zip(0usize..).zip(&cells) {
        match cell {
            Cell::Number(n) => sheet.write_number_with_format(line, col, *n, &styles.number)?,
            Cell::Text(text) => {
                sheet.write_string_with_format(line, col, *text, text_format(index, styles))?
            }
            Cell::Date(day) => {
                sheet.write_datetime_with_format(line, col, excel_date(*day)?, &styles.date)?
            }
        };
    }
    let texts: Vec<String> = cells.iter().map(shown).collect();
    let height = fit.row_height(texts.iter().map(String::as_str).enumerate());
    sheet.set_row_height(line, height)?;
    Ok(())
}

/// Short labels are centred; names, places and the summary read from the left.
fn text_format(index: usize, styles: &Styles) -> &Format {
    match HEADERS.get(index).copied() {
        Some("活动小结" | "科协意见") => &styles.wrapped,
        Some("时间" | "活动类别" | "报备状态" | "活动状态" | "是否达标（≥10人）") => {
            &styles.centered
        }
        _ => &styles.text,
    }
}

pub fn excel_date(day: Date) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(day.year()).map_err(|_| XlsxError::DateTimeRangeError(day.to_string()))?,
        u8::try_from(day.month()).map_err(|_| XlsxError::DateTimeRangeError(day.to_string()))?,
        u8::try_from(day.day()).map_err(|_| XlsxError::DateTimeRangeError(day.to_string()))?,
    )
}
