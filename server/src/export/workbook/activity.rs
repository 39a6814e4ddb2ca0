//! The record of one held activity: its details, its summary, its photos two by two and its
//! sign-in list. Phones stay out, even masked: the sheet is printed and filed.

use rust_xlsxwriter::{ColNum, Image, RowNum, Worksheet, XlsxError};

use super::style::{self, ColumnFit, Styles, height_for_lines, lines_per_row, wrapped_lines};
use crate::export::ledger::{ActivityRecord, LedgerPhoto, SIGN_IN_HEADERS, SignIn, YearLedger};

const LAST_COL: ColNum = 4;
/// The five columns of the sign-in list; their floors add up to room for two photos side by
/// side (2 × 8 cm and a gap, about 640 px).
const BOUNDS: [(f64, f64); 5] = [
    (10.0, 10.0), // 序号, and the labels of the details
    (14.0, 20.0), // 姓名
    (36.0, 44.0), // 工作单位
    (12.0, 12.0), // 签到方式
    (20.0, 20.0), // 签到时间
];
/// A photo is scaled to fit 8 cm × 6 cm (at 96 dpi) keeping its shape.
const PHOTO_WIDTH: u32 = 302;
const PHOTO_HEIGHT: u32 = 227;
const PHOTO_GAP: u32 = 16;
/// Excel sheet names hold at most 31 characters.
const SHEET_NAME_MAX: usize = 31;

/// A sheet name Excel accepts and no other sheet has: the activity's number (unique in the
/// ledger) first, then its day and title, without the characters Excel refuses, cut to 31.
pub fn sheet_name(number: u32, digits: usize, day: Option<(i8, i8)>, title: &str) -> String {
    let day = day.map_or(String::new(), |(month, day)| format!(" {month}月{day}日"));
    let title: String = title
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' | '\'' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let name = format!("{number:0digits$}{day} {}", title.trim());
    // Excel counts UTF-16 units; every character of a Chinese title is one.
    let mut cut = String::new();
    for c in name.trim_end().chars() {
        if cut.encode_utf16().count() + c.len_utf16() > SHEET_NAME_MAX {
            break;
        }
        cut.push(c);
    }
    cut.trim_end().to_owned()
}

pub fn write(
    sheet: &mut Worksheet,
    ledger: &YearLedger,
    record: &ActivityRecord,
    photos: Vec<LedgerPhoto>,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let fit = fit_columns(record);
    fit.apply(sheet)?;
    let title = format!("活动记录 {}：{}", record.number, record.title);
    // The title is set in 18 pt: about 1.6 times as wide and tall as body text.
    let title_lines = wrapped_lines(&title, fit.span(0, 4) / 1.6);
    let title_height = (f64::from(title_lines) * 26.0 + 8.0).min(style::MAX_ROW_HEIGHT);
    style::title_row(sheet, 0, LAST_COL, &title, &styles.title, title_height)?;
    // A thin empty row between blocks: enough to part them, little enough that the details,
    // summary and photos of a usual activity share its first page.
    let row = spacer(sheet, 1)?;
    let (row, details_height) = details(sheet, row, record, styles, &fit)?;
    let row = spacer(sheet, row)?;
    let (row, summary_height) = summary(sheet, row, &record.summary, styles, &fit)?;
    let row = spacer(sheet, row)?;
    let above = title_height + details_height + summary_height + 3.0 * SPACER_HEIGHT;
    if !photos.is_empty() && above + SECTION_HEIGHT + photo_row_points() > PAGE_HEIGHT {
        // The photos would not fit under the summary: start them on a new page rather than
        // leave their heading alone at the bottom of this one.
        sheet.set_page_breaks(&[row])?;
    }
    let row = write_photos(sheet, row, photos, styles)?;
    let row = spacer(sheet, row)?;
    sign_ins(sheet, row, &record.sign_ins, styles)?;
    style::freeze_above(sheet, 1)?;
    style::print_setup(sheet, &super::page_heading(ledger), (0, 0))
}

/// The printable height of a landscape A4 page (points) between the margins `print_setup`
/// sets, less a little for the rounding of row heights.
const PAGE_HEIGHT: f64 = 595.0 - 2.0 * 0.65 * 72.0 - 10.0;
const SPACER_HEIGHT: f64 = 8.0;
const SECTION_HEIGHT: f64 = 22.0;

/// The height of a row of photos in points (Excel's 96 pixels to 72 points).
fn photo_row_points() -> f64 {
    f64::from(PHOTO_HEIGHT + 8) * 0.75
}

/// Makes `row` a thin gap; returns the row after it.
fn spacer(sheet: &mut Worksheet, row: RowNum) -> Result<RowNum, XlsxError> {
    sheet.set_row_height(row, SPACER_HEIGHT)?;
    Ok(row + 1)
}

fn fit_columns(record: &ActivityRecord) -> ColumnFit {
    let mut fit = ColumnFit::new(&BOUNDS);
    for sign_in in &record.sign_ins {
        for (col, text) in sign_in_cells(sign_in).iter().enumerate() {
            fit.observe(col, text);
        }
    }
    fit
}

/// The details block: a label and its value across the other four columns.
fn details(
    sheet: &mut Worksheet,
    mut row: RowNum,
    record: &ActivityRecord,
    styles: &Styles,
    fit: &ColumnFit,
) -> Result<(RowNum, f64), XlsxError> {
    let or_blank = |text: &str| {
        if text.trim().is_empty() {
            "—".to_owned()
        } else {
            text.to_owned()
        }
    };
    let lines = [
        ("活动名称", record.title.clone()),
        ("活动时间", record.when.clone()),
        ("活动地点", or_blank(&record.location)),
        ("活动类别", record.category.to_owned()),
        ("主讲人", or_blank(&record.speaker)),
        ("主办方", or_blank(&record.organiser)),
        ("参与人数", format!("{} 人", record.participants)),
    ];
    let value_width = fit.span(1, 4);
    let mut used = 0.0;
    for (label, value) in lines {
        sheet.write_string_with_format(row, 0, label, &styles.label)?;
        sheet.merge_range(row, 1, row, LAST_COL, &value, &styles.text)?;
        let height = height_for_lines(wrapped_lines(&value, value_width)).max(20.0);
        sheet.set_row_height(row, height)?;
        used += height;
        row += 1;
    }
    Ok((row, used))
}

/// The summary under its heading, in as many merged rows as its length needs (a row is at
/// most 409 pt tall). Returns the next free row and the height used.
fn summary(
    sheet: &mut Worksheet,
    row: RowNum,
    text: &str,
    styles: &Styles,
    fit: &ColumnFit,
) -> Result<(RowNum, f64), XlsxError> {
    style::title_row(
        sheet,
        row,
        LAST_COL,
        "活动小结",
        &styles.section,
        SECTION_HEIGHT,
    )?;
    let text = if text.trim().is_empty() {
        "（未填写）"
    } else {
        text
    };
    let width = fit.span(0, 4);
    let mut next = row + 1;
    let mut used = SECTION_HEIGHT;
    for chunk in chunks(text, width, lines_per_row()) {
        let height = height_for_lines(wrapped_lines(&chunk, width));
        sheet.merge_range(next, 0, next, LAST_COL, &chunk, &styles.wrapped)?;
        sheet.set_row_height(next, height)?;
        used += height;
        next += 1;
    }
    Ok((next, used))
}

/// `text` cut into pieces of at most `max_lines` wrapped lines, at paragraph ends where it can
/// and inside a paragraph where one alone is longer.
fn chunks(text: &str, width: f64, max_lines: u32) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    for paragraph in text
        .lines()
        .flat_map(|p| split_paragraph(p, width, max_lines))
    {
        let joined = if current.is_empty() {
            paragraph.clone()
        } else {
            format!("{current}\n{paragraph}")
        };
        if wrapped_lines(&joined, width) > max_lines && !current.is_empty() {
            pieces.push(std::mem::replace(&mut current, paragraph));
        } else {
            current = joined;
        }
    }
    if !current.is_empty() || pieces.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// One paragraph cut into pieces that each fit in `max_lines` lines.
fn split_paragraph(paragraph: &str, width: f64, max_lines: u32) -> Vec<String> {
    let mut pieces = vec![String::new()];
    for c in paragraph.chars() {
        let last = pieces.len() - 1;
        pieces[last].push(c);
        if wrapped_lines(&pieces[last], width) > max_lines {
            pieces[last].pop();
            pieces.push(c.to_string());
        }
    }
    pieces
}

/// The photos two to a row, each scaled to 8 cm wide at most. Returns the next free row.
fn write_photos(
    sheet: &mut Worksheet,
    row: RowNum,
    photos: Vec<LedgerPhoto>,
    styles: &Styles,
) -> Result<RowNum, XlsxError> {
    let images: Vec<Image> = photos.into_iter().filter_map(print_copy).collect();
    let heading = format!("活动照片（{} 张）", images.len());
    style::title_row(
        sheet,
        row,
        LAST_COL,
        &heading,
        &styles.section,
        SECTION_HEIGHT,
    )?;
    let mut next = row + 1;
    if images.is_empty() {
        sheet.merge_range(next, 0, next, LAST_COL, "（无照片）", &styles.text)?;
        return Ok(next + 1);
    }
    for pair in images.chunks(2) {
        sheet.set_row_height_pixels(next, PHOTO_HEIGHT + 8)?;
        for (image, x) in pair.iter().zip([0, PHOTO_WIDTH + PHOTO_GAP]) {
            sheet.insert_image_with_offset(next, 0, image, x + 4, 4)?;
        }
        next += 1;
    }
    Ok(next)
}

/// A photo's print copy ready to embed, or `None` (logged) when its bytes are not an image
/// Excel takes: one bad file must not cost the home its whole ledger.
fn print_copy(photo: LedgerPhoto) -> Option<Image> {
    // The bytes are dropped on return: the image holds its own copy.
    let bytes = photo.bytes?;
    match Image::new_from_buffer(&bytes) {
        Ok(image) => Some(
            image
                .set_scale_to_size(PHOTO_WIDTH, PHOTO_HEIGHT, true)
                .set_alt_text("活动照片"),
        ),
        Err(error) => {
            tracing::warn!(photo = %photo.id, %error, "a photo left out of the workbook");
            None
        }
    }
}

fn sign_in_cells(sign_in: &SignIn) -> [String; 5] {
    [
        sign_in.number.to_string(),
        sign_in.name.clone(),
        sign_in.employer.clone(),
        sign_in.source.to_owned(),
        sign_in.time.clone(),
    ]
}

/// The sign-in list under its heading: number, name, employer, how and when.
fn sign_ins(
    sheet: &mut Worksheet,
    row: RowNum,
    sign_ins: &[SignIn],
    styles: &Styles,
) -> Result<RowNum, XlsxError> {
    let heading = format!("签到名单（{} 人）", sign_ins.len());
    style::title_row(
        sheet,
        row,
        LAST_COL,
        &heading,
        &styles.section,
        SECTION_HEIGHT,
    )?;
    let header = row + 1;
    for (col, text) in (0..).zip(SIGN_IN_HEADERS) {
        sheet.write_string_with_format(header, col, text, &styles.header)?;
    }
    if sign_ins.is_empty() {
        sheet.merge_range(
            header + 1,
            0,
            header + 1,
            LAST_COL,
            "（无签到记录）",
            &styles.text,
        )?;
        return Ok(header + 2);
    }
    for (line, sign_in) in (header + 1..).zip(sign_ins) {
        let [_, name, employer, source, time] = sign_in_cells(sign_in);
        sheet.write_number_with_format(line, 0, sign_in.number, &styles.number)?;
        sheet.write_string_with_format(line, 1, &name, &styles.text)?;
        sheet.write_string_with_format(line, 2, &employer, &styles.text)?;
        sheet.write_string_with_format(line, 3, &source, &styles.centered)?;
        sheet.write_string_with_format(line, 4, &time, &styles.centered)?;
    }
    Ok(header + 1 + RowNum::try_from(sign_ins.len()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_legal_short_and_start_with_the_number() {
        assert_eq!(
            sheet_name(1, 2, Some((3, 14)), "人工智能沙龙"),
            "01 3月14日 人工智能沙龙"
        );
        let hostile = sheet_name(2, 2, Some((2, 10)), "=HYPERLINK(\"http://x\")[a]*?'\n");
        assert!(!hostile.contains(['[', ']', ':', '*', '?', '/', '\\', '\'', '\n']));
        assert!(hostile.starts_with("02 2月10日 =HYPERLINK"), "{hostile}");
        let long = sheet_name(12, 2, Some((12, 31)), &"很长的活动名称".repeat(10));
        assert_eq!(long.chars().count(), 31);
        assert!(long.starts_with("12 12月31日 很长"));
        assert_eq!(sheet_name(7, 3, None, "  "), "007");
    }

    #[test]
    fn a_long_summary_is_cut_into_rows_that_each_fit() {
        let paragraph = "字".repeat(100);
        let text = [paragraph.as_str(); 12].join("\n");
        let pieces = chunks(&text, 42.0, 24);
        assert!(pieces.len() > 1);
        assert!(pieces.iter().all(|p| wrapped_lines(p, 42.0) <= 24));
        assert_eq!(pieces.join("\n"), text, "nothing lost, paragraphs kept");
        let one_long = "字".repeat(2000);
        let pieces = chunks(&one_long, 42.0, 24);
        assert!(pieces.iter().all(|p| wrapped_lines(p, 42.0) <= 24));
        assert_eq!(pieces.concat(), one_long);
        assert_eq!(chunks("", 42.0, 24), vec![String::new()]);
    }
}
