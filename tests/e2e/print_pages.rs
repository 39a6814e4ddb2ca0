//! Issue 15: the year's ledger and an activity's sign-in sheets, printed to PDF by headless
//! Chromium with WebDriver's print command (A4, the same 12 mm margins as the pages' own
//! `@page` rule) and read back with poppler: the page count says where the breaks fall, each
//! page's text says what it holds. A year of six held activities with long Chinese titles, one
//! with 25 sign-ins and one with 20, makes the pages. `KEJIA_BLESS=1` rewrites the README's
//! pictures of them (`docs/screenshots/print-*.png`, `sign-in-sheet.png`).

use std::path::{Path, PathBuf};
use std::process::Command;

use fantoccini::Client;
use fantoccini::wd::{PrintConfiguration, PrintMargins, PrintSize};
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::browser::{self, Device, Driver};
use crate::support::{ADMIN, As, PASSWORD, TestHome, phone, string};
use crate::sync::this_year;

const HOME: &str = "益阳高新区科技工作者之家";
const HOST_UNIT: &str = "益阳高新技术产业开发区管理委员会";
const TITLES: [&str; 6] = [
    "人工智能赋能智能制造产业转型升级专题学术报告会（第一期）",
    "新材料产业科技工作者创新创业经验交流沙龙暨成果对接会",
    "“科技之春”科普宣传进社区志愿服务活动",
    "湖南省青年科技人才论坛益阳分论坛：数字经济与乡村振兴",
    "高新区企业知识产权保护与专利申请实务培训班",
    "年终科技工作者座谈会暨优秀会员表彰活动",
];
const MONTHS: [i8; 6] = [2, 3, 5, 7, 9, 11];
/// Sign-ins of each activity: the first fills a sheet and a half, the second exactly one.
const ATTENDING: [usize; 6] = [25, 20, 12, 10, 9, 3];
const SURNAMES: [&str; 10] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "欧阳"];
const GIVEN: [&str; 5] = ["建国", "秀英", "志强", "丽娟", "海燕"];
const EMPLOYERS: [&str; 4] = [
    "湖南省益阳市高新区智能制造研究院",
    "益阳某新材料科技有限公司",
    "中南大学机电工程学院",
    "益阳市第一中学",
];
/// The pages' `@page` margin, in cm.
const MARGIN: f64 = 1.2;

/// What the year holds.
struct Year {
    year: i16,
    /// The six activities, in date order.
    activities: Vec<String>,
    /// Member names, in registration order.
    names: Vec<String>,
}

#[test]
fn the_year_file_and_the_sign_in_sheets_print_to_the_pages_they_should() {
    if !poppler_installed() {
        return;
    }
    let home = TestHome::start_configured(&format!(
        "home_name = \"{HOME}\"\naward_month = \"{}-01\"\n",
        this_year() - 1
    ));
    let year = a_year_in(&home);
    let mut driver = Driver::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = driver.browser(Device::Laptop).await;
        log_in(&client, &home).await;
        year_file(&client, &home, &year).await;
        sign_in_sheets(&client, &home, &year).await;
        if std::env::var_os("KEJIA_BLESS").is_some() {
            screenshots(&client, &home, &year).await;
        }
        client.close().await.unwrap();
    });
}

/// Cover, overview, then one page per held activity.
async fn year_file(client: &Client, home: &TestHome, year: &Year) {
    let path = format!("/admin/ledger/print?year={}", year.year);
    let pdf = print(client, home, &path, "ledger").await;
    let pages = page_texts(&pdf);
    let n = pages.len();
    assert!(
        n >= 8,
        "a cover, the overview and 6 records, got {n} pages:\n{}",
        pages.join("\n-- page --\n")
    );
    let cover = &pages[0];
    for figure in [
        "年度活动台账",
        HOST_UNIT,
        "已举办活动6场",
        "其中达标活动（≥10人）4场",
        "应办12个月，已覆盖4个月",
        "1、4、6、8、9、10、11、12月",
        "参与人次79人次",
        "参与会员25位",
        "是否符合要求否",
    ] {
        assert!(
            cover.contains(figure),
            "{figure} is not on the cover:\n{cover}"
        );
    }
    assert!(!cover.contains("活动一览"), "the overview starts a page");
    // The overview: one page here (six rows), its header on every page it takes.
    let overview = &pages[1..n - 6];
    assert_eq!(overview.len(), 1, "six rows take one page");
    for page in overview {
        assert!(page.contains("序号日期时间活动名称"), "{page}");
    }
    assert!(overview[0].contains("活动一览（共6场）"));
    // Each record on a page of its own, in order, with every sign-in of its activity.
    for (k, page) in pages[n - 6..].iter().enumerate() {
        assert!(page.contains(&format!("活动记录{}", k + 1)), "{page}");
        assert!(page.contains(&squeeze(TITLES[k])), "{}: {page}", TITLES[k]);
        assert!(
            page.contains(&format!("签到名单（{}人）", ATTENDING[k])),
            "{page}"
        );
        for name in &year.names[..ATTENDING[k]] {
            assert!(page.contains(name.as_str()), "{name} on record {}", k + 1);
        }
    }
    let all = pages.concat();
    assert!(!all.contains("****"), "no phone number in the year file");
    assert!(!all.contains("打印"), "the print button is not printed");
}

/// The filled sheets (20 rows: one page; 25: two, the header on both) and the blank one.
async fn sign_in_sheets(client: &Client, home: &TestHome, year: &Year) {
    let twenty = &year.activities[1];
    let one = page_texts(&print(client, home, &sheet(twenty, false), "sheet-20").await);
    assert_eq!(
        one.len(),
        1,
        "20 sign-ins fill one page:\n{}",
        one.join("\n-- page --\n")
    );
    assert_eq!(row_numbers(&one[0]), (1..=20).collect::<Vec<_>>());
    assert!(one[0].contains("姓名") && one[0].contains("签名"));
    assert!(one[0].contains(&squeeze(TITLES[1])) && one[0].contains(HOME));
    for (n, name) in year.names[..20].iter().enumerate() {
        assert!(one[0].contains(name.as_str()), "{name}");
        let number = phone(700 + n);
        assert!(one[0].contains(&format!("{}****{}", &number[..3], &number[7..])));
        assert!(!one[0].contains(&number), "{number} in full");
    }

    let long = &year.activities[0];
    let two = page_texts(&print(client, home, &sheet(long, false), "sheet-25").await);
    assert_eq!(two.len(), 2, "25 sign-ins take two pages");
    for page in &two {
        assert!(
            page.contains("序号姓名工作单位联系电话签到时间签名"),
            "the header repeats:\n{page}"
        );
    }
    assert_eq!(row_numbers(&two[0]), (1..=20).collect::<Vec<_>>());
    // The rest, then empty rows to the end of the page for latecomers.
    assert_eq!(row_numbers(&two[1]), (21..=40).collect::<Vec<_>>());
    assert!(two[1].contains(year.names[24].as_str()));
    assert!(
        two[1].contains(&squeeze(TITLES[0])) && two[1].contains("（第2页，共2页）"),
        "the second sheet says whose it is:\n{}",
        two[1]
    );

    let blank = page_texts(&print(client, home, &sheet(long, true), "sheet-blank").await);
    assert_eq!(blank.len(), 1, "the blank sheet is one page");
    assert_eq!(row_numbers(&blank[0]), (1..=20).collect::<Vec<_>>());
    assert!(blank[0].contains("签到人数：＿＿＿人"));
    assert!(
        !year
            .names
            .iter()
            .any(|name| blank[0].contains(name.as_str()))
    );
}

fn sheet(activity: &str, blank: bool) -> String {
    let query = if blank { "?blank=1" } else { "" };
    format!("/admin/activities/{activity}/sign-in-sheet{query}")
}

/// The README's pictures: the year file on a 1280×800 screen, and printed pages as paper
/// shows them (the PDF rasterised).
async fn screenshots(client: &Client, home: &TestHome, year: &Year) {
    window_of(client, 1280, 800).await;
    let path = format!("/admin/ledger/print?year={}", year.year);
    client.goto(&home.url(&path)).await.unwrap();
    wait_for_images(client).await;
    browser::screenshot(client, "print-ledger-cover").await;
    let ledger = print(client, home, &path, "ledger").await;
    let pages = page_texts(&ledger).len();
    rasterise(&ledger, pages - 5, "print-ledger-activity");
    let blank = print(client, home, &sheet(&year.activities[0], true), "blank").await;
    rasterise(&blank, 1, "sign-in-sheet");
}

/// Poppler reads the PDFs; `tools/test` installs it. On CI its absence fails the test, on a
/// developer's machine it skips it.
fn poppler_installed() -> bool {
    let found = Command::new("pdfinfo").arg("-v").output().is_ok()
        && Command::new("pdftotext").arg("-v").output().is_ok();
    assert!(
        found || std::env::var_os("CI").is_none(),
        "pdfinfo/pdftotext are missing: apt-get install -y poppler-utils"
    );
    if !found {
        eprintln!("skipped: the print test needs poppler-utils (pdfinfo, pdftotext)");
    }
    found
}

/// A year ago: six held activities with summaries, photos on two of them, 25 members.
fn a_year_in(home: &TestHome) -> Year {
    let year = this_year() - 1;
    home.post_form(
        "/admin/settings",
        &[
            ("name", HOME),
            ("host_unit", HOST_UNIT),
            ("award_month", &format!("{year}-01")),
            ("phone_base", ""),
        ],
    );
    let mut names = Vec::new();
    let mut credentials = Vec::new();
    for n in 0..25 {
        let name = format!("{}{}", SURNAMES[n % 10], GIVEN[n / 5]);
        let (status, body) = home.post(
            "/api/v1/members",
            As::Staff,
            json!({ "name": name, "phone": phone(700 + n), "employer": EMPLOYERS[n % 4],
                    "consent": true }),
        );
        assert_eq!(status, StatusCode::CREATED, "{body}");
        names.push(name);
        credentials.push(string(&body["credential"]));
    }
    let mut activities = Vec::new();
    for (k, title) in TITLES.iter().enumerate() {
        let id = activity(home, title, year, MONTHS[k]);
        for credential in &credentials[..ATTENDING[k]] {
            let (status, answer) = home.post(
                "/api/v1/checkins",
                As::Staff,
                json!({ "credential": credential, "source": "manual", "activity_id": id }),
            );
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
        let summary = format!(
            "本次活动围绕“{title}”展开，共有 {} 位会员参加。与会人员进行了深入交流，形成了多项合作意向。",
            ATTENDING[k]
        );
        home.post_form(
            &format!("/admin/activities/{id}/summary"),
            &[("summary", &summary)],
        );
        activities.push(id);
    }
    for (k, id) in activities.iter().enumerate().take(3) {
        for shade in 0..2 {
            home.upload_photo(id, &photo(k * 2 + shade));
        }
    }
    Year {
        year,
        activities,
        names,
    }
}

fn activity(home: &TestHome, title: &str, year: i16, month: i8) -> String {
    let tz = TimeZone::get("Asia/Shanghai").unwrap();
    let starts = jiff::civil::date(year, month, 15)
        .at(14, 0, 0, 0)
        .to_zoned_datetime(tz)
        .unwrap()
        .timestamp();
    let (status, body) = home.post(
        "/api/v1/activities",
        As::Staff,
        json!({
            "title": title,
            "category": "academic_exchange",
            "starts_at": starts.to_string(),
            "ends_at": (starts + SignedDuration::from_hours(2)).to_string(),
            "location": "益阳高新区科技创新大厦三楼学术报告厅",
            "speaker": "中南大学 李教授",
            "organiser": HOST_UNIT,
        }),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    string(&body["id"])
}

/// A 2400×1800 JPEG (a phone photo's size) of a hall: a sky, a stage, rows of seats.
fn photo(shade: usize) -> Vec<u8> {
    let tint = u8::try_from(shade * 30).unwrap();
    let picture = image::RgbImage::from_fn(2400, 1800, |x, y| {
        if y < 630 {
            let sky = u8::try_from(110 + 80 * y / 1800).unwrap();
            image::Rgb([60 + tint, sky, 190])
        } else if y < 990 && (480..1920).contains(&x) {
            image::Rgb([170, 40 + tint / 2, 40])
        } else if (y / 75).is_multiple_of(2) && !(x / 60).is_multiple_of(3) {
            image::Rgb([40, 60 + tint / 3, 90])
        } else {
            image::Rgb([200, 190, 170 - tint / 2])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

async fn log_in(client: &Client, home: &TestHome) {
    client.goto(&home.url("/admin/login")).await.unwrap();
    browser::fill_and_submit(
        client,
        "form[action='/admin/login']",
        &[("username", ADMIN), ("password", PASSWORD)],
    )
    .await;
}

/// Waits until the page and every image on it are loaded (a photo still loading prints blank).
async fn wait_for_images(client: &Client) {
    let ready = "return document.readyState === 'complete' && \
                 Array.from(document.images).every(i => i.complete && i.naturalWidth > 0);";
    browser::eventually(
        std::time::Duration::from_secs(20),
        "the page's images",
        || async { matches!(client.execute(ready, vec![]).await, Ok(Value::Bool(true))) },
    )
    .await;
}

/// Opens `path` and prints it to an A4 PDF, kept under the test's target directory as `name`.
async fn print(client: &Client, home: &TestHome, path: &str, name: &str) -> PathBuf {
    client.goto(&home.url(path)).await.unwrap();
    wait_for_images(client).await;
    let margins = PrintMargins {
        top: MARGIN,
        bottom: MARGIN,
        left: MARGIN,
        right: MARGIN,
    };
    let config = PrintConfiguration::builder()
        .size(PrintSize::A4)
        .margins(margins)
        .shrink_to_fit(false)
        .build()
        .unwrap();
    let pdf = client.print(config).await.unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("print");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf).unwrap();
    file
}

/// The text of each page, with all white space removed (`pdftotext -layout` pads columns and
/// breaks long titles at the cell's edge).
fn page_texts(pdf: &Path) -> Vec<String> {
    let info = run("pdfinfo", &[pdf.to_str().unwrap()]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count: {info}"));
    assert!(info.contains("(A4)"), "A4: {info}");
    (1..=pages)
        .map(|page| {
            let page = page.to_string();
            let file = pdf.to_str().unwrap();
            let text = run(
                "pdftotext",
                &["-layout", "-f", &page, "-l", &page, file, "-"],
            );
            lines(&text).join("\n")
        })
        .collect()
}

/// Each line of `text` without its white space; blank lines dropped.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(squeeze)
        .filter(|l| !l.is_empty())
        .collect()
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect()
}

/// The row numbers of a sign-in sheet's page: the lines that begin with a number (a blank row
/// is its number alone).
fn row_numbers(page: &str) -> Vec<u32> {
    page.lines()
        .filter_map(|line| {
            let digits: String = line.chars().take_while(char::is_ascii_digit).collect();
            let rest = &line[digits.len()..];
            // A time (14:05) or a date (2025年) starts with digits too.
            let is_row = !digits.is_empty() && !rest.starts_with([':', '年', '月', '*']);
            is_row.then(|| digits.parse().ok()).flatten()
        })
        .collect()
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Page `page` of `pdf` as a PNG at 60 dpi, saved as the README's `name`.png.
fn rasterise(pdf: &Path, page: usize, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    let page = page.to_string();
    let prefix = dir.join(name);
    run(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            "-f",
            &page,
            "-l",
            &page,
            "-singlefile",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
}

/// Sizes the window so that the page inside it is `width` × `height`.
async fn window_of(client: &Client, width: u32, height: u32) {
    client.set_window_size(width, height).await.unwrap();
    let chrome = client
        .execute(
            "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];",
            vec![],
        )
        .await
        .unwrap();
    let extra = |n: usize| u32::try_from(chrome[n].as_i64().unwrap_or(0)).unwrap_or(0);
    client
        .set_window_size(width + extra(0), height + extra(1))
        .await
        .unwrap();
}
