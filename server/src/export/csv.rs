//! The ledger as CSV: UTF-8 with a byte-order mark, which Excel needs to read Chinese.

use super::ledger::{Cell, HEADERS, LedgerRow};

#[derive(Debug, thiserror::Error)]
#[error("could not write the CSV: {0}")]
pub struct CsvError(#[from] csv::Error);

pub fn ledger(rows: &[LedgerRow]) -> Result<Vec<u8>, CsvError> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(HEADERS)?;
    for row in rows {
        let record = row.cells().map(|cell| match cell {
            Cell::Number(n) => n.to_string(),
            Cell::Text(text) => defuse_formula(text),
            Cell::Date(date) => date.to_string(),
        });
        writer.write_record(&record)?;
    }
    writer
        .into_inner()
        .map_err(|e| CsvError(e.into_error().into()))
}

/// A title such as `=HYPERLINK(...)` would run as a formula when the CSV is opened in a
/// spreadsheet; a leading apostrophe keeps it text (OWASP's advice for CSV injection).
fn defuse_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_kept_as_text() {
        assert_eq!(defuse_formula("=1+1"), "'=1+1");
        assert_eq!(defuse_formula("学术沙龙"), "学术沙龙");
    }
}
