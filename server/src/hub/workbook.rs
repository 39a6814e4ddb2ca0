//! The evaluation of a year as an Excel workbook: one row per home, the same figures and flags
//! as the staff page. Every text is a string cell, never a formula, so a hostile home name
//! stays text.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::report::ReportRow;

/// The columns before the twelve months.
pub const HEADERS: [&str; 12] = [
    "名称",
    "依托单位",
    "类型",
    "授牌日期",
    "举办活动数",
    "达标活动数（≥10人）",
    "缺少达标活动的月份",
    "人数不足的活动数",
    "是否符合要求",
    "建议评定",
    "协会评定",
    "提示",
];

pub fn evaluation(association: &str, year: i16, rows: &[ReportRow]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(format!("{year}年评估"))?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    sheet.write_string_with_format(
        0,
        0,
        format!("{association} {year} 年度科技工作者之家评估（按同步记录统计）"),
        &bold,
    )?;
    for (col, header) in (0u16..).zip(HEADERS) {
        sheet.write_string_with_format(1, col, header, &bold)?;
    }
    let first_month = u16::try_from(HEADERS.len()).unwrap_or(12);
    for month in 1..=12u16 {
        sheet.write_string_with_format(
            1,
            first_month + month - 1,
            format!("{month}月达标"),
            &bold,
        )?;
    }
    for (line, row) in (2u32..).zip(rows) {
        sheet.write_string(line, 0, &row.name)?;
        sheet.write_string(line, 1, &row.host_unit)?;
        sheet.write_string(line, 2, row.kind)?;
        sheet.write_string(line, 3, &row.awarded_on)?;
        sheet.write_number(line, 4, row.activities_held)?;
        sheet.write_number(line, 5, row.qualifying_activities)?;
        sheet.write_string(line, 6, row.missing_text())?;
        sheet.write_number(line, 7, row.short_activities)?;
        sheet.write_string(line, 8, row.meets_text())?;
        sheet.write_string(line, 9, &row.suggested)?;
        sheet.write_string(line, 10, row.rating_label())?;
        sheet.write_string_with_format(line, 11, row.flags.join("\n"), &wrap)?;
        for month in 1..=12i8 {
            let (qualifying, _) = row.month(&month);
            let col = first_month + u16::try_from(month - 1).unwrap_or(0);
            sheet.write_number(line, col, qualifying)?;
        }
    }
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 24)?;
    sheet.set_column_width(6, 20)?;
    sheet.set_column_width(11, 48)?;
    workbook.save_to_buffer()
}
