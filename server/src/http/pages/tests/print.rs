//! The printable pages: the year's ledger (`/admin/ledger/print`) and an activity's sign-in
//! sheet (`/admin/activities/{id}/sign-in-sheet`). What they look like on paper is the e2e
//! test's (`tests/e2e/print_pages.rs`); here, what they say.

use axum::http::StatusCode;

use super::Site;
use crate::domain::activity::{ActivityFields, CheckinWindow};
use crate::store::{activities, photos};

const HOSTILE: &str = "<img src=x onerror=alert(1)>讲座";
/// 22 November 2026, 10:00 in Shanghai.
const NOW: &str = "2026-11-22T02:00:00Z";

async fn activity(site: &Site, title: &str, starts: &str, ends: &str) -> String {
    let draft = ActivityFields {
        title: Some(title),
        category: Some("academic_exchange"),
        starts_at: Some(starts),
        ends_at: Some(ends),
        location: Some("二楼报告厅"),
        ..ActivityFields::default()
    }
    .create(CheckinWindow::default())
    .expect("valid");
    let now = site.now();
    let created = site
        .state()
        .store
        .write(move |conn| activities::insert(conn, &draft, now))
        .await
        .expect("insert");
    created.id.to_string()
}

async fn json_post(site: &Site, path: &str, body: serde_json::Value) -> serde_json::Value {
    let answer = site
        .send(
            axum::http::Request::post(path).header("content-type", "application/json"),
            true,
            axum::body::Body::from(body.to_string()),
        )
        .await;
    serde_json::from_str(&answer.body).expect("json")
}

/// The phone number of the n-th member these tests register.
fn phone(n: usize) -> String {
    format!("138{n:08}")
}

/// Registers members `numbers` (named 会员N, phone [`phone`]) and checks each into `activity`.
async fn attend(site: &Site, activity: &str, numbers: std::ops::Range<usize>) {
    for n in numbers {
        let member = serde_json::json!({
            "name": format!("会员{n}"),
            "phone": phone(n),
            "employer": format!("单位{n}"),
            "consent": true,
        });
        let created = json_post(site, "/api/v1/members", member).await;
        let checkin = serde_json::json!({
            "credential": created["credential"],
            "source": "manual",
            "activity_id": activity,
        });
        let answer = json_post(site, "/api/v1/checkins", checkin).await;
        assert_eq!(answer["outcome"], "checked_in", "{answer}");
    }
}

/// The part of `body` from the element with `id` to the next section.
fn section<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id}: {body}"));
    let rest = &body[start..];
    rest.find("<section").map_or(rest, |end| &rest[..end])
}

/// A 2026 awarded in January: March with 12 people (qualifying), May with a hostile title and
/// 2 people, a cancelled June, a December not held yet.
async fn a_year(site: &Site) -> [String; 4] {
    let saved = site
        .post(
            "/admin/settings",
            &[
                ("name", "高新区科技工作者之家"),
                ("host_unit", "益阳某研究院"),
                ("award_month", "2026-01"),
                ("phone_base", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let march = activity(
        site,
        "三月学术沙龙",
        "2026-03-10T14:00:00+08:00",
        "2026-03-10T16:00:00+08:00",
    )
    .await;
    let may = activity(
        site,
        HOSTILE,
        "2026-05-08T09:00:00+08:00",
        "2026-05-08T11:00:00+08:00",
    )
    .await;
    let june = activity(
        site,
        "六月参观",
        "2026-06-08T09:00:00+08:00",
        "2026-06-08T11:00:00+08:00",
    )
    .await;
    let december = activity(
        site,
        "十二月年会",
        "2026-12-18T14:00:00+08:00",
        "2026-12-18T16:00:00+08:00",
    )
    .await;
    attend(site, &march, 0..12).await;
    attend(site, &may, 20..22).await;
    let cancelled = site
        .post(&format!("/admin/activities/{june}/cancel"), &[])
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::SEE_OTHER,
        "{}",
        cancelled.body
    );
    [march, may, june, december]
}

#[tokio::test]
async fn the_printed_ledger_has_a_cover_the_overview_and_a_page_per_held_activity() {
    let site = Site::new(NOW).await;
    let [march, may, june, december] = a_year(&site).await;
    let page = site.get("/admin/ledger/print?year=2026").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;

    let cover = section(body, "cover");
    for figure in [
        "<th>依托单位</th><td>益阳某研究院</td>",
        "<th>授牌时间</th><td>2026年1月</td>",
        "<th>已举办活动</th><td>2 场</td>",
        "<th>其中达标活动（≥10人）</th><td>1 场</td>",
        "已覆盖 1 个月",
        "<th>参与人次</th><td>14 人次</td>",
        "<th>参与会员</th><td>14 位</td>",
        "<th>是否符合要求</th><td>否</td>",
    ] {
        assert!(
            cover.contains(figure),
            "{figure} is not on the cover: {cover}"
        );
    }
    let missing = "<th>缺少达标活动的月份</th><td>1、2、4、5、6、7、8、9、10";
    assert!(cover.contains(missing), "{cover}");

    // Every activity is a row of the overview, the cancelled and the coming ones too.
    let overview = section(body, "overview");
    assert_eq!(overview.matches("<tr>").count(), 1 + 4, "{overview}");
    for title in ["三月学术沙龙", "六月参观（已取消）", "十二月年会（未开始）"]
    {
        assert!(overview.contains(title), "{title}: {overview}");
    }

    // One record per held activity, in date order, each with its own sign-ins.
    assert_eq!(body.matches(r#"<section class="a4 record""#).count(), 2);
    let first = section(body, "activity-1");
    assert!(first.contains("三月学术沙龙") && first.contains("签到名单（12 人）"));
    assert!(first.contains("会员0") && first.contains("会员11") && !first.contains("会员20"));
    let second = section(body, "activity-2");
    assert!(second.contains("签到名单（2 人）") && second.contains("会员21"));
    assert!(!body.contains(r#"id="activity-3""#) && !body.contains(r#"id="activity-4""#));
    for id in [&march, &may, &june, &december] {
        assert!(
            !body.contains(&format!("/admin/activities/{id}")),
            "no links on paper"
        );
    }

    // Titles are text, never markup; no phone number, masked or not, is printed.
    assert!(body.contains("&#60;img src=x onerror=alert(1)&#62;讲座"));
    assert!(!body.contains("<img src=x"));
    assert!(
        !body.contains("****"),
        "masked phones are for the sign-in sheet only"
    );
    for n in (0..12).chain(20..22) {
        assert!(!body.contains(&phone(n)), "{} is on the page", phone(n));
    }
    // The way back and the print button are for the screen.
    assert!(body.contains(r#"class="paper-bar no-print""#) && body.contains("data-print"));
    assert!(body.contains("@page { size: A4;"));
}

#[tokio::test]
async fn the_printed_ledger_shows_photos_by_their_print_copies() {
    let site = Site::new(NOW).await;
    let [march, ..] = a_year(&site).await;
    let id = march.parse().expect("id");
    let original = png(1600, 1200);
    let copy = crate::export::photo::print_copy(&original).expect("print copy");
    let (stored, copied) = (original.clone(), copy.clone());
    let now = site.now();
    let photo = site
        .state()
        .store
        .write(move |conn| photos::insert(conn, id, "image/png", &stored, &copied, now))
        .await
        .expect("photo");
    let page = site.get("/admin/ledger/print?year=2026").await.body;
    let record = section(&page, "activity-1");
    assert!(
        record.contains(&format!(r#"<img src="/admin/photos/{photo}/print""#)),
        "{record}"
    );
    let served = site.get(&format!("/admin/photos/{photo}/print")).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(
        served
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/jpeg")
    );
    let full = site.get(&format!("/admin/photos/{photo}")).await;
    assert!(
        served.body.len() < full.body.len() / 2,
        "the print copy ({} bytes) is smaller than the original ({} bytes)",
        served.body.len(),
        full.body.len()
    );
    let anonymous = site
        .get_anonymous(&format!("/admin/photos/{photo}/print"))
        .await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}

/// A PNG of noise, which compresses badly (like a photo).
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut seed: u32 = 7;
    let picture = image::RgbImage::from_fn(width, height, |_, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let [r, g, b, _] = seed.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

#[tokio::test]
async fn the_print_pages_are_for_staff_only() {
    let site = Site::new(NOW).await;
    let [march, ..] = a_year(&site).await;
    for path in [
        "/admin/ledger/print?year=2026".to_owned(),
        format!("/admin/activities/{march}/sign-in-sheet"),
        format!("/admin/activities/{march}/sign-in-sheet?blank=1"),
    ] {
        let answer = site.get_anonymous(&path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            answer
                .location()
                .is_some_and(|l| l.starts_with("/admin/login?next=")),
            "{path}: {:?}",
            answer.location()
        );
        assert!(!answer.body.contains("三月学术沙龙"));
    }
}

#[tokio::test]
async fn the_sheets_old_address_leads_to_the_new_one() {
    let site = Site::new(NOW).await;
    let [march, ..] = a_year(&site).await;
    let answer = site.get(&format!("/admin/activities/{march}/sheet")).await;
    assert_eq!(answer.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        answer.location(),
        Some(format!("/admin/activities/{march}/sign-in-sheet").as_str())
    );
}

#[tokio::test]
async fn the_sign_in_sheet_masks_phones_and_leaves_room_to_sign() {
    let site = Site::new(NOW).await;
    let [march, may, ..] = a_year(&site).await;
    let sheet = site
        .get(&format!("/admin/activities/{march}/sign-in-sheet"))
        .await;
    assert_eq!(sheet.status, StatusCode::OK);
    let body = &sheet.body;
    assert!(
        body.contains("<th>联系电话</th><th>签到时间</th><th>签名</th>"),
        "{body}"
    );
    assert!(body.contains("高新区科技工作者之家") && body.contains("三月学术沙龙"));
    assert!(body.contains("2026年3月10日 14:00–16:00") && body.contains("二楼报告厅"));
    assert!(body.contains("已签到：12 人"));
    for n in 0..12 {
        let masked = format!("138****{:04}", n);
        assert!(body.contains(&format!("<td>会员{n}</td>")), "会员{n}");
        assert!(body.contains(&masked), "{masked}");
        assert!(!body.contains(&phone(n)), "{} in full", phone(n));
    }
    // Twelve names, then empty numbered rows up to the page's twenty, each with a cell to sign.
    assert_eq!(body.matches(r#"<td class="no">"#).count(), 20);
    assert_eq!(body.matches(r#"<td class="sign"></td>"#).count(), 20);
    assert!(body.contains(r#"<td class="no">20</td><td></td>"#));
    // Checked in by hand: the time says so.
    assert!(
        body.contains("<td>14:00（补录）</td>"),
        "the time it stands for, marked"
    );

    let hostile = site
        .get(&format!("/admin/activities/{may}/sign-in-sheet"))
        .await
        .body;
    assert!(hostile.contains("&#60;img src=x onerror=alert(1)&#62;讲座"));
    assert!(!hostile.contains("<img src=x"));
}

#[tokio::test]
async fn a_long_sign_in_sheet_continues_on_a_second_page_of_twenty() {
    let site = Site::new(NOW).await;
    let id = activity(
        &site,
        "大型报告会",
        "2026-04-10T14:00:00+08:00",
        "2026-04-10T16:00:00+08:00",
    )
    .await;
    attend(&site, &id, 100..125).await;
    let body = site
        .get(&format!("/admin/activities/{id}/sign-in-sheet"))
        .await
        .body;
    assert_eq!(body.matches(r#"<td class="no">"#).count(), 40);
    assert!(body.contains(r#"<td class="no">25</td><td>会员124</td>"#));
    assert!(body.contains(r#"<td class="no">26</td><td></td>"#));
    // Two whole sheets of twenty, each with the heading and the table's header.
    assert_eq!(
        body.matches(r#"<section class="a4 sign-in-sheet""#).count(),
        2
    );
    assert_eq!(body.matches("<th>签名</th>").count(), 2);
    assert_eq!(body.matches("（第 2 页，共 2 页）").count(), 1);
    let second = &body[body.find(r#"id="sheet-2""#).expect("a second sheet")..];
    assert!(second.starts_with(r#"id="sheet-2">"#) && second.contains("大型报告会"));
    assert!(second.contains(r#"<td class="no">21</td><td>会员120</td>"#));
    assert!(!second.contains(r#"<td class="no">20</td>"#));
}

#[tokio::test]
async fn the_blank_sign_in_sheet_has_twenty_numbered_empty_rows() {
    let site = Site::new(NOW).await;
    let [march, ..] = a_year(&site).await;
    let body = site
        .get(&format!("/admin/activities/{march}/sign-in-sheet?blank=1"))
        .await
        .body;
    assert!(body.contains("三月学术沙龙") && body.contains("<th>签名</th>"));
    assert!(body.contains("签到人数：＿＿＿ 人"));
    for n in 1..=20 {
        let row = format!(
            r#"<td class="no">{n}</td><td></td><td class="employer"></td><td class="nowrap"></td><td></td><td class="sign"></td>"#
        );
        assert!(body.contains(&row), "row {n}: {body}");
    }
    assert_eq!(body.matches(r#"<td class="no">"#).count(), 20);
    assert!(!body.contains("会员0") && !body.contains("138****"));
}

#[tokio::test]
async fn the_activity_and_ledger_pages_link_to_their_printouts() {
    let site = Site::new(NOW).await;
    let [march, ..] = a_year(&site).await;
    let detail = site.get(&format!("/admin/activities/{march}")).await.body;
    assert!(detail.contains(&format!(
        r#"href="/admin/activities/{march}/sign-in-sheet" id="print-sheet">打印签到表</a>"#
    )));
    assert!(detail.contains(&format!(
        r#"href="/admin/activities/{march}/sign-in-sheet?blank=1" id="print-blank-sheet">打印空白签到表</a>"#
    )));
    let ledger = site.get("/admin/ledger?year=2026").await.body;
    assert!(
        ledger
            .contains(r#"href="/admin/ledger/print?year=2026" id="print-ledger">打印年度台账</a>"#)
    );
}
