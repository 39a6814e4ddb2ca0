//! The year's ledger (台账) and the hub's evaluation as they print: each workbook is converted
//! to PDF by LibreOffice, then read back with poppler. The cover is one page, the overview is
//! one page wide with every column header on every page, and no cell's text is cut.
//!
//! Needs `soffice` (Debian's libreoffice-calc), poppler-utils and fonts-noto-cjk, which
//! `tools/test` installs; without them the tests say so and stop, and fail under `CI`.
//! With `KEJIA_BLESS=1` they write pictures of the printed pages to `docs/screenshots/`.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use kejia_server::domain::compliance::MonthTally;
use kejia_server::hub::profile::Rating;
use kejia_server::hub::report::ReportRow;
use reqwest::StatusCode;
use serde_json::json;
use tempfile::TempDir;

use crate::support::{As, TestHome, phone, string};
use crate::sync::this_year;

/// The overview's column headers, as `export::ledger::HEADERS` has them.
const HEADERS: [&str; 16] = kejia_server::export::ledger::HEADERS;

/// Whether LibreOffice and poppler are here; without them, a message (and a failure under CI).
fn printing_tools() -> bool {
    let runs = |program: &str, arg: &str| {
        Command::new(program)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let present = runs("soffice", "--version") && runs("pdftotext", "-v");
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "soffice (libreoffice-calc) or pdftotext (poppler-utils) is missing under CI"
        );
        eprintln!(
            "skipped: soffice (libreoffice-calc) or pdftotext (poppler-utils) is not installed; \
             tools/test installs them"
        );
    }
    present
}

/// A workbook printed to PDF, with each page's text.
struct Printed {
    pdf: PathBuf,
    pages: Vec<String>,
}

impl Printed {
    /// Converts `xlsx` with LibreOffice in a profile of its own, next to the file.
    fn from(xlsx: &Path) -> Self {
        let dir = xlsx.parent().expect("a folder");
        let profile = dir.join("lo-profile");
        let converted = Command::new("soffice")
            .arg(format!(
                "-env:UserInstallation=file://{}",
                profile.to_str().expect("UTF-8")
            ))
            .args(["--headless", "--convert-to", "pdf", "--outdir"])
            .arg(dir)
            .arg(xlsx)
            .output()
            .expect("soffice runs");
        assert!(
            converted.status.success(),
            "soffice: {}",
            String::from_utf8_lossy(&converted.stderr)
        );
        let pdf = xlsx.with_extension("pdf");
        assert!(
            pdf.exists(),
            "no PDF: {}",
            String::from_utf8_lossy(&converted.stdout)
        );
        let count = page_count(&pdf);
        let pages = (1..=count).map(|page| page_text(&pdf, page)).collect();
        Self { pdf, pages }
    }

    /// The 1-based numbers of the pages whose text holds `needle`.
    fn pages_with(&self, needle: &str) -> Vec<usize> {
        (1..)
            .zip(&self.pages)
            .filter(|(_, text)| squeeze(text).contains(&squeeze(needle)))
            .map(|(page, _)| page)
            .collect()
    }

    /// A number or date too wide for its column prints as "###".
    fn assert_no_overflowing_numbers(&self) {
        for (page, text) in (1..).zip(&self.pages) {
            assert!(
                !text.contains("###"),
                "a cell too narrow on page {page}: {text}"
            );
        }
    }

    /// How many images pages `pages` (1-based) hold.
    fn images_on(&self, pages: std::ops::Range<usize>) -> usize {
        let listed = Command::new("pdfimages")
            .args(["-list", "-f", &pages.start.to_string()])
            .args(["-l", &(pages.end - 1).to_string()])
            .arg(&self.pdf)
            .output()
            .expect("pdfimages");
        // Two header lines, then one line per image.
        String::from_utf8_lossy(&listed.stdout)
            .lines()
            .skip(2)
            .filter(|line| !line.trim().is_empty())
            .count()
    }

    /// With `KEJIA_BLESS=1`: page `page` as `docs/screenshots/{name}.png`.
    fn bless(&self, page: usize, name: &str) {
        if std::env::var_os("KEJIA_BLESS").is_none() {
            return;
        }
        let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        let page = page.to_string();
        let made = Command::new("pdftoppm")
            .args(["-png", "-r", "60", "-singlefile", "-f", &page, "-l", &page])
            .arg(&self.pdf)
            .arg(screenshots.join(name))
            .status()
            .expect("pdftoppm runs");
        assert!(made.success());
    }
}

fn page_count(pdf: &Path) -> usize {
    let info = Command::new("pdfinfo").arg(pdf).output().expect("pdfinfo");
    String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a page count")
}

/// A page's text in content order (`-raw`): LibreOffice draws a cell's lines one after the
/// other, so a wrapped cell's text stays together once the line breaks are taken out.
fn page_text(pdf: &Path, page: usize) -> String {
    let page = page.to_string();
    let text = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8", "-f", &page, "-l", &page])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(text.status.success());
    String::from_utf8(text.stdout).expect("UTF-8")
}

/// Text without its white space, as wrapping and justification leave it comparable.
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The shown text of every cell of `sheet`, row by row.
fn cell_texts(xlsx: &[u8], sheet: &str) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.to_vec())).expect("xlsx");
    let range = workbook.worksheet_range(sheet).expect("the sheet");
    range
        .rows()
        .map(|row| row.iter().map(shown).collect())
        .collect()
}

/// A cell as the printed page shows it: dates as "2025年3月14日".
fn shown(cell: &Data) -> String {
    match cell {
        Data::DateTime(date) => {
            let (year, month, day, ..) = date.to_ymd_hms_milli();
            format!("{year}年{month}月{day}日")
        }
        other => other.to_string(),
    }
}

/// A JPEG like a phone's photo: 1600×1200, a sky over a field, so it is clearly a picture.
fn photo(tint: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(1600, 1200, |x, y| {
        let x = u8::try_from(x * 255 / 1600).unwrap();
        if y < 700 {
            image::Rgb([120, 170u8.saturating_add(x / 4), 230])
        } else {
            image::Rgb([60u8.saturating_add(tint), 140u8.saturating_sub(x / 3), 60])
        }
    });
    let mut out = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .unwrap();
    out
}

const TITLES: [&str; 14] = [
    "新春科技政策宣讲会暨高新技术企业认定申报辅导",
    "人工智能赋能传统制造业转型升级专题讲座",
    "“智慧农业”院士专家进园区科技服务活动（第一期）",
    "青年科技工作者创新创业沙龙",
    "2025/26 科普进校园: 青少年航天知识讲座[第一期]",
    "科技工作者身心健康关爱讲座——颈椎病的预防与康复",
    "知识产权保护与专利申请实务培训班",
    "=HYPERLINK(\"http://example.com\",\"点我\")",
    "全国科技工作者日座谈会",
    "新材料产业链上下游技术对接交流会",
    "科技志愿服务进社区暨防范电信诈骗科普宣传",
    "数字经济与中小企业数字化转型建言献策座谈会",
    "年度优秀科技工作者表彰暨工作总结交流会",
    "冬季安全生产与应急救护知识培训",
];

const PLACES: [&str; 4] = [
    "益阳高新区东部新区科技创新服务中心三楼第一会议室",
    "益阳市资阳区长春镇现代农业示范园区综合服务楼",
    "科技工作者之家活动室",
    "湖南城市学院图书馆报告厅",
];

const CATEGORIES: [&str; 4] = [
    "policy_publicity",
    "academic_exchange",
    "science_popularization",
    "wellbeing",
];

const SPEAKERS: [&str; 4] = ["张建国 研究员", "李华", "王教授（湖南农业大学）", ""];

const EMPLOYERS: [&str; 5] = [
    "湖南省益阳市农业科学研究院水稻研究所",
    "益阳高新区某电子科技有限公司",
    "湖南城市学院",
    "益阳市中心医院",
    "益阳某新材料股份有限公司研发中心",
];

/// A summary of a few hundred characters, as a staffer writes one.
fn summary(title: &str) -> String {
    format!(
        "本次“{title}”活动由科技工作者之家主办，邀请相关领域专家作专题报告。\
         活动围绕行业发展现状、关键技术难点与政策支持方向展开，与会科技工作者结合各自单位的实际情况进行了深入交流，\
         提出了加强产学研合作、完善成果转化机制、加大青年人才培养力度等意见建议。\
         会后，科技工作者之家对意见建议进行了梳理汇总，形成书面材料报送上级科协，并将持续跟踪落实情况。\n\
         下一步，科技工作者之家将继续发挥桥梁纽带作用，组织开展更多贴近科技工作者需求的活动，\
         切实增强科技工作者的获得感和归属感。"
    )
}

/// A year as a busy home has it: 14 activities over twelve months, long titles and places,
/// summaries, 25 sign-ins at the biggest, one short of ten, and two photos.
fn a_realistic_year(home: &TestHome, year: i16) -> Vec<String> {
    home.post_form(
        "/admin/settings",
        &[
            ("name", "益阳高新区科技工作者之家"),
            ("host_unit", "益阳高新技术产业开发区科学技术协会"),
            ("award_month", &format!("{}-09", year - 1)),
            ("phone_base", ""),
        ],
    );
    let members: Vec<String> = (0..25)
        .map(|i| {
            let (status, body) = home.post(
                "/api/v1/members",
                As::Staff,
                json!({
                    "name": format!("科技工作者{i:02}"),
                    "phone": phone(700 + i),
                    "employer": EMPLOYERS[i % EMPLOYERS.len()],
                    "consent": true
                }),
            );
            assert_eq!(status, StatusCode::CREATED, "{body}");
            string(&body["credential"])
        })
        .collect();
    let months = [1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 10, 11, 12];
    let mut ids = Vec::new();
    for (index, (title, month)) in TITLES.iter().zip(months).enumerate() {
        let day = 8 + index % 15;
        let (status, body) = home.post(
            "/api/v1/activities",
            As::Staff,
            json!({
                "title": title,
                "category": CATEGORIES[index % CATEGORIES.len()],
                "starts_at": format!("{year}-{month:02}-{day:02}T14:30:00+08:00"),
                "ends_at": format!("{year}-{month:02}-{day:02}T17:00:00+08:00"),
                "location": PLACES[index % PLACES.len()],
                "speaker": SPEAKERS[index % SPEAKERS.len()],
                "organiser": "益阳高新区科技工作者之家、益阳市农学会",
            }),
        );
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = string(&body["id"]);
        let attendees = match index {
            2 => 25,
            5 => 6,
            _ => 10 + index % 4,
        };
        for credential in &members[..attendees] {
            let (status, body) = home.post(
                "/api/v1/checkins",
                As::Staff,
                json!({ "credential": credential, "source": "manual", "activity_id": id }),
            );
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        home.post_form(
            &format!("/admin/activities/{id}/summary"),
            &[("summary", &summary(title)), ("confirm", "")],
        );
        ids.push(id);
    }
    home.upload_photo(&ids[2], &photo(0));
    home.upload_photo(&ids[2], &photo(80));
    ids
}

#[test]
fn the_ledger_prints_a_one_page_cover_an_overview_one_page_wide_and_whole_cells() {
    if !printing_tools() {
        return;
    }
    let home = TestHome::start();
    let year = this_year() - 1;
    a_realistic_year(&home, year);
    let response = home
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/exports/ledger.xlsx?year={year}"),
            As::Staff,
        )
        .send()
        .expect("xlsx");
    assert_eq!(response.status(), StatusCode::OK);
    let xlsx = response.bytes().expect("bytes").to_vec();
    let dir = TempDir::new().expect("temp dir");
    let file = dir.path().join("ledger.xlsx");
    std::fs::write(&file, &xlsx).expect("write");
    let printed = Printed::from(&file);
    printed.assert_no_overflowing_numbers();

    // The cover: one page, with the figures.
    let cover = squeeze(&printed.pages[0]);
    // LibreOffice draws the labels, then the values: each is checked on its own.
    for expected in [
        "年度活动台账",
        "益阳高新技术产业开发区科学技术协会",
        "已举办活动",
        "14次",
        "达标活动（参与人数≥10人）",
        "13次",
        "11/12个月",
        "缺少达标活动的月份",
        "5月",
        "167人次",
        "25人",
        "是否符合要求",
    ] {
        assert!(cover.contains(expected), "{expected} on the cover: {cover}");
    }
    let overview_title = format!("{year}年活动一览");
    assert_eq!(
        printed.pages_with(&overview_title).first(),
        Some(&2),
        "the cover takes one page, the overview follows"
    );

    // The overview: its pages run up to the first activity's record.
    let first_record = printed.pages_with("活动记录1：")[0];
    let overview: Vec<usize> = (2..first_record).collect();
    assert!(
        overview
            .iter()
            .all(|page| printed.pages_with(&overview_title).contains(page)),
        "every page up to the records is the overview's: {overview:?}"
    );
    let cells = cell_texts(&xlsx, "活动一览");
    let header = cells
        .iter()
        .position(|row| row.first().is_some_and(|c| c == "序号"))
        .expect("a header row");
    assert_eq!(cells[header], HEADERS.map(String::from));
    for page in &overview {
        let text = squeeze(&printed.pages[page - 1]);
        for column in HEADERS {
            assert!(
                text.contains(&squeeze(column)),
                "page {page} shows every column ({column}), so it is one page wide: {text}"
            );
        }
    }
    let rows = &cells[header + 1..];
    assert_eq!(rows.len(), 14);
    for row in rows {
        let page = overview
            .iter()
            .find(|page| squeeze(&printed.pages[*page - 1]).contains(&squeeze(&row[1])))
            .unwrap_or_else(|| panic!("no overview page shows {}", row[1]));
        let text = squeeze(&printed.pages[page - 1]);
        for cell in row {
            assert!(
                text.contains(&squeeze(cell)),
                "page {page} shows all of {cell:?}, nothing cut off: {text}"
            );
        }
    }

    // A record per activity; the biggest with all 25 names and both photos.
    for number in 1..=14 {
        assert!(
            !printed
                .pages_with(&format!("活动记录{number}："))
                .is_empty(),
            "activity {number} has its record"
        );
    }
    let biggest = printed.pages_with("活动记录3：")[0];
    let next = printed.pages_with("活动记录4：")[0];
    let record: String = (biggest..next)
        .map(|p| squeeze(&printed.pages[p - 1]))
        .collect();
    for i in 0..25 {
        assert!(record.contains(&format!("科技工作者{i:02}")), "sign-in {i}");
    }
    assert_eq!(printed.images_on(biggest..next), 2, "both photos print");
    assert_eq!(
        record.matches("本次").count(),
        1,
        "the summary prints once: {record}"
    );
    assert!(
        record.contains(&squeeze(&summary(TITLES[2]))),
        "the whole summary"
    );
    eprintln!(
        "printed: {} pages; cover 1, overview {}, records from page {first_record}",
        printed.pages.len(),
        overview.len()
    );

    printed.bless(1, "ledger-cover");
    printed.bless(2, "ledger-overview");
    let with_photos = (biggest..next)
        .find(|page| printed.images_on(*page..*page + 1) > 0)
        .expect("a page with the photos");
    printed.bless(with_photos, "ledger-activity");
}

/// A home's line of the evaluation, as the hub's report makes it.
fn report_row(name: &str, rating: Option<Rating>, qualifying: u32, missing: &[i8]) -> ReportRow {
    ReportRow {
        id: name.to_owned(),
        name: name.to_owned(),
        host_unit: format!("{name}依托单位科学技术协会"),
        kind: "园区",
        awarded_on: "2024-06-01".to_owned(),
        activities_held: qualifying + 2,
        qualifying_activities: qualifying,
        months: (1..=12)
            .map(|month| MonthTally {
                month,
                activities: 2,
                qualifying: if missing.contains(&month) {
                    0
                } else {
                    1 + u32::from(month % 3 == 0)
                },
            })
            .collect(),
        missing_months: missing.to_vec(),
        short_activities: 2,
        meets_rules: missing.is_empty(),
        suggested: if missing.is_empty() {
            "合格"
        } else {
            "不合格"
        }
        .to_owned(),
        rating,
        flags: if missing.is_empty() {
            Vec::new()
        } else {
            vec![
                "有月份没有达标活动".to_owned(),
                "3 次活动的参与人中补录超过三成，请核实纸质签到表".to_owned(),
            ]
        },
    }
}

#[test]
fn the_hubs_evaluation_prints_one_page_wide_with_every_home_whole() {
    if !printing_tools() {
        return;
    }
    let names = [
        "益阳高新区科技工作者之家",
        "赫山区龙岭工业园科技工作者之家",
        "资阳区长春经济开发区科技工作者之家",
        "沅江市科技工作者之家",
        "南县农业科学研究所科技工作者之家",
        "桃江县竹产业科技工作者之家",
        "安化县黑茶产业园科技工作者之家",
        "大通湖区科技工作者之家",
    ];
    let rows: Vec<ReportRow> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let rating = [
                Some(Rating::Excellent),
                Some(Rating::Qualified),
                None,
                Some(Rating::Failed),
            ][i % 4];
            let missing: &[i8] = if i % 4 == 3 { &[2, 7, 8] } else { &[] };
            report_row(name, rating, 12 + u32::try_from(i).unwrap(), missing)
        })
        .collect();
    let xlsx = kejia_server::hub::workbook::evaluation("益阳市科学技术协会", 2025, &rows)
        .expect("workbook");
    let dir = TempDir::new().expect("temp dir");
    let file = dir.path().join("evaluation.xlsx");
    std::fs::write(&file, &xlsx).expect("write");
    let printed = Printed::from(&file);
    printed.assert_no_overflowing_numbers();
    let sheets = ["2025年评估", "优秀", "合格", "不合格", "未评定"];
    let workbook: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.clone())).expect("xlsx");
    assert_eq!(workbook.sheet_names(), sheets);
    drop(workbook);
    assert_eq!(
        printed.pages.len(),
        sheets.len(),
        "each sheet prints on one page, one page wide"
    );
    for (page, sheet) in (1..).zip(sheets) {
        let text = squeeze(&printed.pages[page - 1]);
        for header in kejia_server::hub::workbook::HEADERS {
            assert!(text.contains(&squeeze(header)), "{header} on page {page}");
        }
        assert!(text.contains("12月"), "the last month on page {page}");
        let cells = cell_texts(&xlsx, sheet);
        let first = usize::try_from(kejia_server::hub::workbook::FIRST_ROW).unwrap();
        for row in &cells[first..] {
            for cell in row {
                assert!(
                    text.contains(&squeeze(cell)),
                    "page {page} shows all of {cell:?}: {text}"
                );
            }
        }
    }
    printed.bless(1, "evaluation-print");
}
