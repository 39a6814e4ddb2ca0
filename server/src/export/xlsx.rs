//! The ledger as a real Excel workbook. Every text is written as a string cell, never as a
//! formula, so hostile titles stay text.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use super::ledger::{Cell, HEADERS, YearLedger};

pub fn ledger(ledger: &YearLedger) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("活动一览")?;
    let bold = Format::new().set_bold();
    sheet.write_string_with_format(
        0,
        0,
        format!("{} {} 年活动台账", ledger.home, ledger.year),
        &bold,
    )?;
    for (col, header) in (0u16..).zip(HEADERS) {
        sheet.write_string_with_format(1, col, header, &bold)?;
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (line, row) in (2u32..).zip(&ledger.rows) {
        for (col, cell) in (0u16..).zip(row.cells()) {
            match cell {
                Cell::Number(n) => sheet.write_number(line, col, n)?,
                Cell::Text(text) => sheet.write_string(line, col, text)?,
                Cell::Date(day) => {
                    let excel = ExcelDateTime::from_ymd(
                        u16::try_from(day.year()).unwrap_or(1900),
                        u8::try_from(day.month()).unwrap_or(1),
                        u8::try_from(day.day()).unwrap_or(1),
                    )?;
                    sheet.write_datetime_with_format(line, col, &excel, &date)?
                }
            };
        }
    }
    workbook.save_to_buffer()
}
