//! What leaves the home as files: QR codes and the ledger.

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{As, TestHome, phone};

#[test]
fn the_qr_png_holds_exactly_the_members_credential() {
    let home = TestHome::start();
    let (id, credential) = home.create_member("二维码", &phone(1));
    let response = home
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/members/{id}/qr.png"),
            As::Staff,
        )
        .send()
        .expect("qr");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    let image = image::load_from_memory(&response.bytes().expect("png"))
        .expect("a PNG")
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, text) = grids[0].decode().expect("decodes");
    assert_eq!(text, credential);

    let (status, reissued) = home.post(
        &format!("/api/v1/members/{id}/credential"),
        As::Staff,
        json!({}),
    );
    assert_eq!(status, StatusCode::OK);
    assert_ne!(reissued["credential"], credential.as_str());
    assert_eq!(
        home.checkin(&credential)["outcome"],
        "unknown_credential",
        "the old code is dead"
    );
}

#[test]
fn the_xlsx_ledger_opens_with_one_row_per_activity() {
    let home = TestHome::start();
    let titles = [
        "一月政策宣讲",
        "=HYPERLINK(\"http://x\")",
        "三月 <b>沙龙</b>",
    ];
    let mut ids = Vec::new();
    for (month, title) in (1..).zip(titles) {
        ids.push(home.create_activity(
            title,
            &format!("2025-{month:02}-10T14:00:00+08:00"),
            &format!("2025-{month:02}-10T16:00:00+08:00"),
        ));
    }
    let credentials: Vec<String> = (0..11)
        .map(|i| home.create_member(&format!("会员{i}"), &phone(300 + i)).1)
        .collect();
    for credential in &credentials {
        home.post(
            "/api/v1/checkins",
            As::Staff,
            json!({ "credential": credential, "source": "manual", "activity_id": ids[0] }),
        );
    }
    home.post(
        "/api/v1/checkins",
        As::Staff,
        json!({ "credential": credentials[0], "source": "manual", "activity_id": ids[1] }),
    );

    let response = home
        .request(
            reqwest::Method::GET,
            "/api/v1/exports/ledger.xlsx?year=2025",
            As::Staff,
        )
        .send()
        .expect("xlsx");
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        disposition.contains("filename=\"ledger-2025.xlsx\"")
            && disposition.contains("filename*=UTF-8''")
            && disposition.contains("2025%E5%B9%B4%E6%B4%BB%E5%8A%A8%E5%8F%B0%E8%B4%A6.xlsx"),
        "a Chinese name (…2025年活动台账.xlsx) with an ASCII fallback: {disposition}"
    );
    let bytes = response.bytes().expect("bytes").to_vec();
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("a real xlsx workbook");
    let sheet = workbook
        .worksheet_range("活动一览")
        .expect("the overview sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let header = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| c == "序号"))
        .expect("a header row");
    assert_eq!(rows[header][1], "活动名称");
    assert_eq!(rows[header][2], "日期");
    assert_eq!(rows[header][11], "参与人数");
    let data: Vec<&Vec<String>> = rows[header + 1..]
        .iter()
        .filter(|r| r.first().is_some_and(|c| !c.is_empty()))
        .collect();
    assert_eq!(data.len(), 3, "{rows:?}");
    for (row, title) in data.iter().zip(titles) {
        assert_eq!(row[1], title, "titles stay literal text");
    }
    assert_eq!(data[0][3], "14:00–16:00");
    assert_eq!(data[0][5], "学术交流");
    assert_eq!(data[0][11], "11");
    assert_eq!(data[0][12], "11");
    assert_eq!(data[0][13], "是");
    assert_eq!(data[1][11], "1");
    assert_eq!(data[1][13], "否");

    let csv = home
        .request(
            reqwest::Method::GET,
            "/api/v1/exports/ledger.csv?year=2025",
            As::Staff,
        )
        .send()
        .expect("csv");
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/csv")
    );
    let text = csv.text().expect("utf-8");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("序号,活动名称,日期,时间"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 4);
    assert!(
        lines[2].contains("'=HYPERLINK"),
        "a formula-looking title is defused: {}",
        lines[2]
    );
}
