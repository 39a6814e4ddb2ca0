//! The year's ledger (台账) as the workbook a staffer prints and hands in: a cover (封面) with the
//! year's figures against article 4 of the notice, the overview (活动一览) and one sheet per held
//! activity with its details, summary, photos and sign-in list.
//!
//! Every text is written as a string cell, never as a formula, so a hostile title stays text.
//! Phone numbers never enter the workbook: it is printed and passed around.

mod activity;
mod cover;
mod overview;
pub mod style;

use rust_xlsxwriter::{Workbook, XlsxError};

use super::ledger::YearLedger;
use style::Styles;

/// Why a workbook could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    #[error("无法生成 Excel 工作簿：{0}")]
    Xlsx(#[from] XlsxError),
}

/// The ledger of a year as an .xlsx file. The ledger is consumed so that each photo's bytes
/// are dropped as soon as they are in the workbook: a year's photos are held once, not twice.
pub fn ledger(mut ledger: YearLedger) -> Result<Vec<u8>, WorkbookError> {
    let styles = Styles::default();
    let mut workbook = Workbook::new();
    cover::write(workbook.add_worksheet(), &ledger, &styles)?;
    overview::write(workbook.add_worksheet(), &ledger, &styles)?;
    let digits = ledger.rows.len().max(1).to_string().len();
    for mut record in std::mem::take(&mut ledger.records) {
        let day = ledger
            .rows
            .iter()
            .find(|row| row.id == record.id)
            .map(|row| (row.date.month(), row.date.day()));
        let name = activity::sheet_name(record.number, digits, day, &record.title);
        let sheet = workbook.add_worksheet();
        sheet.set_name(name)?;
        let photos = std::mem::take(&mut record.photos);
        activity::write(sheet, &ledger, &record, photos, &styles)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// The heading printed at the top of every page of a home's ledger.
fn page_heading(ledger: &YearLedger) -> String {
    format!("{} {}年活动台账", ledger.home, ledger.year)
}

#[cfg(test)]
mod tests;
