//! The cover (封面): who keeps the ledger and the year's figures against article 4 of the notice,
//! as a two-column form that prints on one page.

use rust_xlsxwriter::{Format, RowNum, Worksheet, XlsxError};

use super::style::{self, Styles, height_for_lines, wrapped_lines};
use crate::export::ledger::YearLedger;

pub const SHEET: &str = "封面";
const LABEL_WIDTH: f64 = 30.0;
const VALUE_WIDTH: f64 = 64.0;
/// What article 4 asks of every home, printed above the figures it is measured by.
const RULE: &str = "对照《通知》第四条：每个科技工作者之家每月至少举办 1 次活动、全年不少于 12 次，每次活动参与人数不少于 10 人。";

/// A line of the form: a label and its value.
enum Value {
    Text(String),
    /// A count printed with its unit ("14 次"), kept a number for whoever sums it.
    Count(u32, &'static str),
}

pub fn write(sheet: &mut Worksheet, ledger: &YearLedger, styles: &Styles) -> Result<(), XlsxError> {
    sheet.set_name(SHEET)?;
    sheet.set_column_width(0, LABEL_WIDTH)?;
    sheet.set_column_width(1, VALUE_WIDTH)?;
    style::title_row(sheet, 0, 1, "年度活动台账", &styles.title, 40.0)?;
    let subtitle = format!("{} · {}年", ledger.home, ledger.year);
    style::title_row(sheet, 1, 1, &subtitle, &styles.subtitle, 26.0)?;
    let mut row: RowNum = 3;
    for (label, value) in identity(ledger) {
        form_line(sheet, row, label, &value, styles)?;
        row += 1;
    }
    row += 1;
    let rule_height = height_for_lines(wrapped_lines(RULE, LABEL_WIDTH + VALUE_WIDTH));
    style::title_row(sheet, row, 1, RULE, &styles.section, rule_height)?;
    row += 1;
    for (label, value) in figures(ledger) {
        form_line(sheet, row, label, &value, styles)?;
        row += 1;
    }
    style::freeze_above(sheet, 2)?;
    style::print_setup(sheet, &super::page_heading(ledger), (0, 1))
}

fn identity(ledger: &YearLedger) -> Vec<(&'static str, Value)> {
    let or_blank = |text: &str| {
        if text.trim().is_empty() {
            "（未填写）".to_owned()
        } else {
            text.to_owned()
        }
    };
    vec![
        ("科技工作者之家", Value::Text(or_blank(&ledger.home))),
        ("依托单位", Value::Text(or_blank(&ledger.host_unit))),
        ("年度", Value::Text(format!("{}年", ledger.year))),
        ("授牌时间", Value::Text(or_blank(&ledger.awarded_on))),
        ("制表时间", Value::Text(ledger.made_at.clone())),
    ]
}

fn figures(ledger: &YearLedger) -> Vec<(&'static str, Value)> {
    let f = &ledger.figures;
    vec![
        ("已举办活动", Value::Count(f.held, "次")),
        (
            "达标活动（参与人数≥10人）",
            Value::Count(f.qualifying, "次"),
        ),
        (
            "已达标月份／应达标月份",
            Value::Text(format!("{} / {} 个月", f.months_covered, f.months_due)),
        ),
        ("缺少达标活动的月份", Value::Text(f.missing_text())),
        ("参与人次", Value::Count(f.person_visits, "人次")),
        ("参与人数（不重复）", Value::Count(f.distinct_members, "人")),
        ("是否符合要求", Value::Text(f.meets_text().to_owned())),
    ]
}

fn form_line(
    sheet: &mut Worksheet,
    row: RowNum,
    label: &str,
    value: &Value,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.write_string_with_format(row, 0, label, &styles.label)?;
    match value {
        Value::Text(text) => {
            sheet.write_string_with_format(row, 1, text, &styles.text)?;
            let lines = wrapped_lines(text, VALUE_WIDTH);
            sheet.set_row_height(row, height_for_lines(lines).max(24.0))?;
        }
        Value::Count(count, unit) => {
            let format = count_format(&styles.text, unit);
            sheet.write_number_with_format(row, 1, *count, &format)?;
            sheet.set_row_height(row, 24.0)?;
        }
    }
    Ok(())
}

/// A number shown as "14 次" and left-aligned like the text around it.
fn count_format(text: &Format, unit: &str) -> Format {
    text.clone()
        .set_num_format(format!("0\" {unit}\""))
        .set_align(rust_xlsxwriter::FormatAlign::Left)
}
