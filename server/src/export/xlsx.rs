//! The ledger as a real Excel workbook. Every text is written as a string cell, never as a
//! formula, so hostile titles stay text.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::ledger::{HEADERS, LedgerRow};

pub fn ledger(home_name: &str, year: i16, rows: &[LedgerRow]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(format!("{year}年活动台账"))?;
    let bold = Format::new().set_bold();
    sheet.write_string_with_format(0, 0, format!("{home_name} {year} 年活动台账"), &bold)?;
    for (col, header) in (0u16..).zip(HEADERS) {
        sheet.write_string_with_format(1, col, header, &bold)?;
    }
    for (line, row) in (2u32..).zip(rows) {
        sheet.write_number(line, 0, row.number)?;
        for (col, cell) in (1u16..).zip(row.text_cells()) {
            sheet.write_string(line, col, cell)?;
        }
        sheet.write_number(line, 10, row.participants)?;
        sheet.write_number(line, 11, row.manual_participants)?;
        sheet.write_string(line, 12, row.qualifies)?;
    }
    sheet.set_column_width(1, 30)?;
    sheet.set_column_width(3, 17)?;
    sheet.set_column_width(4, 17)?;
    workbook.save_to_buffer()
}
