//! The evaluation of a year as an Excel workbook: one sheet with every home, then one sheet per
//! rating the association gave (优秀, 合格, 不合格, and 未评定 for the homes not rated yet), each
//! with the same figures and flags as the staff page and set up to print like the homes'
//! ledgers. Every text is a string cell, never a formula, so a hostile home name stays text.

use rust_xlsxwriter::{ColNum, Color, Format, RowNum, Workbook, Worksheet, XlsxError};

use super::profile::Rating;
use super::report::ReportRow;
use crate::export::workbook::WorkbookError;
use crate::export::workbook::style::{self, ColumnFit, Styles};

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
/// The heading over the twelve month columns.
pub const MONTHS_HEADING: &str = "各月达标活动数（≥10人）";
/// The first row of homes: below the title and the two header rows.
pub const FIRST_ROW: RowNum = 3;
const MONTH_COLUMN: (f64, f64) = (5.0, 5.0);
/// Each column's `(floor, cap)` width before the months: room for a wrapped header, capped so
/// the 24 columns print legibly on one landscape page.
const BOUNDS: [(f64, f64); 12] = [
    (12.0, 20.0), // 名称
    (10.0, 18.0), // 依托单位
    (6.0, 10.0),  // 类型
    (12.0, 12.0), // 授牌日期
    (6.0, 6.0),   // 举办活动数
    (10.0, 10.0), // 达标活动数
    (10.0, 16.0), // 缺少达标活动的月份
    (8.0, 8.0),   // 人数不足的活动数
    (6.0, 6.0),   // 是否符合要求
    (6.0, 8.0),   // 建议评定
    (6.0, 8.0),   // 协会评定
    (16.0, 28.0), // 提示
];
/// A light red that marks a month without a qualifying activity, in print as on screen.
const MISSING_FILL: u32 = 0xF4D6D6;

pub fn evaluation(
    association: &str,
    year: i16,
    rows: &[ReportRow],
) -> Result<Vec<u8>, WorkbookError> {
    let styles = Styles::default();
    let mut workbook = Workbook::new();
    let heading = format!("{association} {year} 年度科技工作者之家评估");
    let all = workbook.add_worksheet();
    all.set_name(format!("{year}年评估"))?;
    let title = format!("{heading}（按同步记录统计）");
    homes_sheet(all, &title, association, rows, &styles)?;
    for label in rating_labels(rows) {
        let rated: Vec<ReportRow> = rows
            .iter()
            .filter(|row| row.rating_label() == label)
            .cloned()
            .collect();
        let sheet = workbook.add_worksheet();
        sheet.set_name(label)?;
        let title = format!("{heading} · 协会评定：{label}（{} 家）", rated.len());
        homes_sheet(sheet, &title, association, &rated, &styles)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// The rating labels that occur among `rows`, best first, 未评定 last.
pub fn rating_labels(rows: &[ReportRow]) -> Vec<&'static str> {
    Rating::ALL
        .iter()
        .map(|rating| rating.label())
        .chain(["未评定"])
        .filter(|label| rows.iter().any(|row| row.rating_label() == *label))
        .collect()
}

/// A table of homes under `title`, set up to print.
fn homes_sheet(
    sheet: &mut Worksheet,
    title: &str,
    association: &str,
    rows: &[ReportRow],
    styles: &Styles,
) -> Result<(), XlsxError> {
    let first_month = ColNum::try_from(HEADERS.len()).unwrap_or(12);
    let last_col = first_month + 11;
    style::title_row(sheet, 0, last_col, title, &styles.title, 34.0)?;
    headers(sheet, first_month, styles)?;
    let mut bounds = BOUNDS.to_vec();
    bounds.extend([MONTH_COLUMN; 12]);
    let mut fit = ColumnFit::new(&bounds);
    for row in rows {
        for (col, text) in texts(row) {
            fit.observe(usize::from(col), &text);
        }
    }
    let missing = styles
        .number
        .clone()
        .set_background_color(Color::RGB(MISSING_FILL));
    for (line, row) in (FIRST_ROW..).zip(rows) {
        home_row(sheet, line, row, first_month, styles, &missing, &fit)?;
    }
    if rows.is_empty() {
        sheet.merge_range(
            FIRST_ROW,
            0,
            FIRST_ROW,
            last_col,
            "没有可评估的科技工作者之家。",
            &styles.text,
        )?;
    }
    fit.apply(sheet)?;
    sheet.set_freeze_panes(FIRST_ROW, 1)?;
    style::print_setup(sheet, association, (0, FIRST_ROW - 1))
}

/// The text cells of a home's row, by column.
fn texts(row: &ReportRow) -> [(ColNum, String); 9] {
    [
        (0, row.name.clone()),
        (1, row.host_unit.clone()),
        (2, row.kind.to_owned()),
        (3, row.awarded_on.clone()),
        (6, row.missing_text()),
        (8, row.meets_text().to_owned()),
        (9, row.suggested.clone()),
        (10, row.rating_label().to_owned()),
        (11, row.flags.join("\n")),
    ]
}

/// Two header rows: the figures' headers span both; the months sit under one heading.
fn headers(sheet: &mut Worksheet, first_month: ColNum, styles: &Styles) -> Result<(), XlsxError> {
    for (col, header) in (0..).zip(HEADERS) {
        sheet.merge_range(1, col, 2, col, header, &styles.header)?;
    }
    sheet.merge_range(
        1,
        first_month,
        1,
        first_month + 11,
        MONTHS_HEADING,
        &styles.header,
    )?;
    for month in 1..=12u16 {
        sheet.write_string_with_format(
            2,
            first_month + month - 1,
            format!("{month}月"),
            &styles.header,
        )?;
    }
    sheet.set_row_height(1, 24.0)?;
    sheet.set_row_height(2, 36.0)?;
    Ok(())
}

fn home_row(
    sheet: &mut Worksheet,
    line: RowNum,
    row: &ReportRow,
    first_month: ColNum,
    styles: &Styles,
    missing: &Format,
    fit: &ColumnFit,
) -> Result<(), XlsxError> {
    let texts = texts(row);
    for (col, text) in &texts {
        let format = match col {
            0 | 1 | 6 => &styles.text,
            11 => &styles.wrapped,
            _ => &styles.centered,
        };
        sheet.write_string_with_format(line, *col, text, format)?;
    }
    let height = fit.row_height(
        texts
            .iter()
            .map(|(col, text)| (usize::from(*col), text.as_str())),
    );
    sheet.set_row_height(line, height)?;
    let numbers = [
        (4, row.activities_held),
        (5, row.qualifying_activities),
        (7, row.short_activities),
    ];
    for (col, number) in numbers {
        sheet.write_number_with_format(line, col, number, &styles.number)?;
    }
    for month in 1..=12i8 {
        let (qualifying, is_missing) = row.month(&month);
        let col = first_month + ColNum::try_from(month - 1).unwrap_or(0);
        let format = if is_missing { missing } else { &styles.number };
        sheet.write_number_with_format(line, col, qualifying, format)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use calamine::{Reader, Xlsx};

    use super::*;
    use crate::domain::compliance::MonthTally;

    fn report_row(name: &str, rating: Option<Rating>, qualifying: u32) -> ReportRow {
        ReportRow {
            id: name.to_owned(),
            name: name.to_owned(),
            host_unit: "某某研究院".to_owned(),
            kind: "园区",
            awarded_on: "2025-06-01".to_owned(),
            activities_held: qualifying + 1,
            qualifying_activities: qualifying,
            months: (1..=12)
                .map(|month| MonthTally {
                    month,
                    activities: 1,
                    qualifying: u32::from(month != 4),
                })
                .collect(),
            missing_months: vec![4],
            short_activities: 1,
            meets_rules: false,
            suggested: "不合格".to_owned(),
            rating,
            flags: vec!["4月没有达标活动".to_owned(), "30 天没有同步".to_owned()],
        }
    }

    fn rows() -> Vec<ReportRow> {
        vec![
            report_row("赫山区科技工作者之家", Some(Rating::Excellent), 20),
            report_row("=HYPERLINK(\"http://x\")", None, 3),
            report_row("资阳区科技工作者之家", Some(Rating::Failed), 2),
            report_row("沅江市科技工作者之家", None, 11),
        ]
    }

    fn sheet_rows(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
        workbook
            .worksheet_range(name)
            .unwrap()
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect()
    }

    #[test]
    fn a_sheet_with_every_home_then_one_per_rating_that_occurs() {
        let bytes = evaluation("益阳市科协", 2026, &rows()).unwrap();
        let workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
        assert_eq!(
            workbook.sheet_names(),
            vec!["2026年评估", "优秀", "不合格", "未评定"],
            "合格 occurs nowhere, so it has no sheet"
        );
        let all = sheet_rows(&bytes, "2026年评估");
        assert_eq!(all[1][..12], HEADERS.map(String::from));
        assert_eq!(all[1][12], MONTHS_HEADING);
        assert_eq!(all[2][12], "1月");
        assert_eq!(all[2][23], "12月");
        assert_eq!(all.len(), 3 + 4);
        assert_eq!(all[4][0], "=HYPERLINK(\"http://x\")", "a name stays text");
        let unrated = sheet_rows(&bytes, "未评定");
        let names: Vec<&str> = unrated[3..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(names, ["=HYPERLINK(\"http://x\")", "沅江市科技工作者之家"]);
        assert!(unrated[0][0].contains("未评定（2 家）"));
        let excellent = sheet_rows(&bytes, "优秀");
        assert_eq!(excellent.len(), 4);
        assert_eq!(excellent[3][10], "优秀");
        assert_eq!(excellent[3][15], "0", "April had no qualifying activity");
        assert_eq!(excellent[3][11], "4月没有达标活动\n30 天没有同步");
    }

    #[test]
    fn every_sheet_prints_landscape_one_page_wide_with_the_headers_repeated() {
        let bytes = evaluation("益阳市科协", 2026, &rows()).unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        for index in 1..=4 {
            let mut xml = String::new();
            archive
                .by_name(&format!("xl/worksheets/sheet{index}.xml"))
                .unwrap()
                .read_to_string(&mut xml)
                .unwrap();
            assert!(xml.contains("paperSize=\"9\"") && xml.contains("orientation=\"landscape\""));
            assert!(xml.contains("fitToHeight=\"0\""), "sheet {index}");
            assert!(
                xml.contains("<pane xSplit=\"1\" ySplit=\"3\""),
                "sheet {index}: {xml}"
            );
            assert!(xml.contains("益阳市科协"), "sheet {index}: the header");
        }
        let mut names = String::new();
        archive
            .by_name("xl/workbook.xml")
            .unwrap()
            .read_to_string(&mut names)
            .unwrap();
        assert_eq!(names.matches("_xlnm.Print_Titles").count(), 4);
        assert!(names.contains("$1:$3"), "{names}");
    }

    #[test]
    fn an_empty_year_still_makes_a_sheet() {
        let bytes = evaluation("益阳市科协", 2026, &[]).unwrap();
        let rows = sheet_rows(&bytes, "2026年评估");
        assert_eq!(rows[3][0], "没有可评估的科技工作者之家。");
    }
}
