//! The ledger workbook read back as Excel would: sheets, figures, rows, dates, photos, and what
//! must never be in it.

use std::io::{Cursor, Read};

use calamine::{Data, DataType, Range, Reader, Xlsx};
use jiff::civil::date;

use super::ledger as workbook_of;
use crate::domain::ids::{ActivityId, PhotoId};
use crate::export::ledger::{
    ActivityRecord, LedgerPhoto, LedgerRow, SignIn, YearFigures, YearLedger,
};

const PHONE: &str = "13800138000";
const MASKED: &str = "138****8000";
const HOSTILE: &str = "=HYPERLINK(\"http://x\",\"点我\")";

/// A JPEG of its own: `seed` tints it, so no two photos are the same file.
fn jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, (seed * 40 % 256) as u8])
    })
    .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
    .unwrap();
    out
}

fn row(number: u32, id: ActivityId, title: &str, month: i8, held: bool) -> LedgerRow {
    LedgerRow {
        number,
        id,
        title: title.to_owned(),
        date: date(2026, month, 14),
        time: "14:00–16:00".to_owned(),
        location: "高新区科技大厦三楼报告厅".to_owned(),
        category: "学术交流",
        speaker: "李教授".to_owned(),
        organiser: "益阳市科协".to_owned(),
        filing: "已同意",
        comment: String::new(),
        status: if held { "已结束" } else { "未开始" },
        participants: if held { 12 } else { 0 },
        manual_participants: 1,
        qualifies: if held { "是" } else { "—" },
        summary: "本次活动围绕人工智能在农业中的应用展开。".repeat(8),
        photos: 2,
    }
}

fn record(number: u32, id: ActivityId, title: &str) -> ActivityRecord {
    ActivityRecord {
        number,
        id,
        title: title.to_owned(),
        when: "2026年3月14日 14:00–16:00".to_owned(),
        location: "高新区科技大厦三楼报告厅".to_owned(),
        category: "学术交流",
        speaker: "李教授".to_owned(),
        organiser: "益阳市科协".to_owned(),
        participants: 12,
        summary: "本次活动围绕人工智能在农业中的应用展开。".repeat(8),
        sign_ins: (1..=12)
            .map(|n| SignIn {
                number: n,
                name: format!("会员{n}"),
                employer: "益阳某科技公司".to_owned(),
                phone_masked: MASKED.to_owned(),
                source: "扫码签到",
                time: "14:05".to_owned(),
            })
            .collect(),
        photos: vec![
            LedgerPhoto {
                id: PhotoId::new(),
                bytes: Some(jpeg(640, 480, number * 2)),
            },
            LedgerPhoto {
                id: PhotoId::new(),
                bytes: Some(jpeg(480, 640, number * 2 + 1)),
            },
        ],
    }
}

fn ledger() -> YearLedger {
    let ids = [ActivityId::new(), ActivityId::new(), ActivityId::new()];
    YearLedger {
        home: "益阳高新区科技工作者之家".to_owned(),
        host_unit: "益阳高新区科学技术协会".to_owned(),
        awarded_on: "2025年6月".to_owned(),
        year: 2026,
        figures: YearFigures {
            held: 2,
            qualifying: 2,
            months_due: 12,
            months_covered: 2,
            missing_months: vec![1, 2, 4, 5, 6, 7, 8, 9, 10, 11],
            person_visits: 24,
            distinct_members: 12,
            meets_rules: false,
        },
        rows: vec![
            row(1, ids[0], "人工智能沙龙", 3, true),
            row(2, ids[1], HOSTILE, 3, true),
            row(3, ids[2], "年终座谈", 12, false),
        ],
        records: vec![
            record(1, ids[0], "人工智能沙龙"),
            record(2, ids[1], HOSTILE),
        ],
        made_at: "2026年12月5日 15:30".to_owned(),
    }
}

fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    Xlsx::new(Cursor::new(bytes.to_vec())).unwrap()
}

fn sheet(workbook: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Range<Data> {
    workbook.worksheet_range(name).unwrap()
}

fn text_rows(range: &Range<Data>) -> Vec<Vec<String>> {
    range
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect()
}

/// The value beside `label` on the cover.
fn cover_value(rows: &[Vec<String>], label: &str) -> String {
    rows.iter()
        .find(|r| r.first().is_some_and(|c| c == label))
        .and_then(|r| r.get(1).cloned())
        .unwrap_or_else(|| panic!("no {label} on the cover: {rows:?}"))
}

#[test]
fn the_sheets_are_the_cover_the_overview_and_one_per_held_activity() {
    let bytes = workbook_of(ledger()).unwrap();
    let workbook = open(&bytes);
    assert_eq!(
        workbook.sheet_names(),
        vec![
            "封面".to_owned(),
            "活动一览".to_owned(),
            "1 3月14日 人工智能沙龙".to_owned(),
            "2 3月14日 =HYPERLINK(\"http___x\",\"点我\")"
                .chars()
                .take(31)
                .collect::<String>(),
        ]
    );
}

#[test]
fn the_cover_holds_the_home_and_the_years_figures() {
    let bytes = workbook_of(ledger()).unwrap();
    let rows = text_rows(&sheet(&mut open(&bytes), "封面"));
    assert_eq!(rows[0][0], "年度活动台账");
    assert_eq!(
        cover_value(&rows, "科技工作者之家"),
        "益阳高新区科技工作者之家"
    );
    assert_eq!(cover_value(&rows, "依托单位"), "益阳高新区科学技术协会");
    assert_eq!(cover_value(&rows, "年度"), "2026年");
    assert_eq!(cover_value(&rows, "授牌时间"), "2025年6月");
    assert_eq!(cover_value(&rows, "制表时间"), "2026年12月5日 15:30");
    assert_eq!(cover_value(&rows, "已举办活动"), "2");
    assert_eq!(cover_value(&rows, "达标活动（参与人数≥10人）"), "2");
    assert_eq!(cover_value(&rows, "已达标月份／应达标月份"), "2 / 12 个月");
    assert_eq!(
        cover_value(&rows, "缺少达标活动的月份"),
        "1、2、4、5、6、7、8、9、10、11月"
    );
    assert_eq!(cover_value(&rows, "参与人次"), "24");
    assert_eq!(cover_value(&rows, "参与人数（不重复）"), "12");
    assert_eq!(cover_value(&rows, "是否符合要求"), "否");
}

#[test]
fn the_overview_has_a_title_the_headers_and_a_row_per_activity_with_real_dates() {
    let bytes = workbook_of(ledger()).unwrap();
    let range = sheet(&mut open(&bytes), "活动一览");
    let rows = text_rows(&range);
    assert!(rows[0][0].contains("2026年活动一览"));
    assert_eq!(rows[1], crate::export::ledger::HEADERS.map(String::from));
    assert_eq!(rows.len(), 5, "title, header, three activities");
    assert_eq!(rows[2][1], "人工智能沙龙");
    assert_eq!(rows[3][1], HOSTILE, "a formula-looking title stays text");
    assert!(matches!(range.get((3, 1)), Some(Data::String(_))));
    assert_eq!(rows[4][13], "—");
    let date = range.get((2, 2)).unwrap();
    assert!(date.is_datetime(), "a real date cell: {date:?}");
    let (year, month, day, ..) = date.get_datetime().unwrap().to_ymd_hms_milli();
    assert_eq!((year, month, day), (2026, 3, 14), "the activity's day");
}

#[test]
fn each_held_activity_has_its_details_summary_and_sign_in_list() {
    let bytes = workbook_of(ledger()).unwrap();
    let mut workbook = open(&bytes);
    let name = workbook.sheet_names()[2].clone();
    let rows = text_rows(&sheet(&mut workbook, &name));
    let flat: Vec<&str> = rows.iter().flatten().map(String::as_str).collect();
    assert!(flat.contains(&"活动记录 1：人工智能沙龙"));
    assert!(flat.contains(&"高新区科技大厦三楼报告厅"));
    assert!(flat.contains(&"李教授"));
    assert!(flat.iter().any(|c| c.starts_with("本次活动围绕")));
    let header = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| c == "序号"))
        .expect("the sign-in header");
    assert_eq!(
        rows[header][..5],
        ["序号", "姓名", "工作单位", "签到方式", "签到时间"]
    );
    let names: Vec<&str> = rows[header + 1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(names.len(), 12);
    assert_eq!(names[0], "会员1");
    assert_eq!(names[11], "会员12");
}

#[test]
fn no_phone_number_is_anywhere_in_the_file() {
    let bytes = workbook_of(ledger()).unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).unwrap();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        let text = String::from_utf8_lossy(&content);
        assert!(
            !text.contains(MASKED) && !text.contains(PHONE) && !text.contains("****"),
            "a phone in {:?}",
            entry.name()
        );
    }
}

#[test]
fn the_photos_are_embedded() {
    let bytes = workbook_of(ledger()).unwrap();
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    let media: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("xl/media/"))
        .collect();
    // Two activities with two photos each.
    assert_eq!(media.len(), 4, "{media:?}");
    let drawings = names
        .iter()
        .filter(|n| n.starts_with("xl/drawings/drawing"))
        .count();
    assert_eq!(drawings, 2, "one drawing per activity sheet");
}

#[test]
fn every_sheet_prints_landscape_a4_one_page_wide_with_titles_and_page_numbers() {
    let bytes = workbook_of(ledger()).unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    for index in 1..=4 {
        let mut xml = String::new();
        archive
            .by_name(&format!("xl/worksheets/sheet{index}.xml"))
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        assert!(xml.contains("paperSize=\"9\""), "sheet {index}: A4");
        assert!(xml.contains("orientation=\"landscape\""), "sheet {index}");
        assert!(xml.contains("fitToHeight=\"0\""), "sheet {index}");
        assert!(xml.contains("<pane "), "sheet {index}: frozen rows");
        assert!(xml.contains("第 &amp;P 页 共 &amp;N 页"), "sheet {index}");
        assert!(
            xml.contains("益阳高新区科技工作者之家"),
            "sheet {index}: header"
        );
    }
    let mut workbook_xml = String::new();
    archive
        .by_name("xl/workbook.xml")
        .unwrap()
        .read_to_string(&mut workbook_xml)
        .unwrap();
    assert_eq!(
        workbook_xml.matches("_xlnm.Print_Titles").count(),
        4,
        "{workbook_xml}"
    );
}

#[test]
fn an_empty_year_still_makes_a_cover_and_an_overview() {
    let empty = YearLedger {
        rows: Vec::new(),
        records: Vec::new(),
        ..ledger()
    };
    let workbook = open(&workbook_of(empty).unwrap());
    assert_eq!(workbook.sheet_names(), vec!["封面", "活动一览"]);
}
