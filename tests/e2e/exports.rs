//! What leaves the home as files: QR codes and the ledger.

use std::io::Cursor;

use calamine::{DataType, Reader, Xlsx};
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
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes.clone())).expect("a real xlsx workbook");
    // The cover, the overview, then a sheet per held activity (all three have ended).
    let names = workbook.sheet_names();
    assert_eq!(names.len(), 5, "{names:?}");
    assert_eq!(names[..2], ["封面", "活动一览"]);
    assert_eq!(names[2], "1 1月10日 一月政策宣讲");
    assert!(names[3].starts_with("2 2月10日 =HYPERLINK"), "{names:?}");
    let cover: Vec<Vec<String>> = workbook
        .worksheet_range("封面")
        .expect("the cover")
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let figure = |label: &str| {
        cover
            .iter()
            .find(|r| r[0] == label)
            .map(|r| r[1].clone())
            .unwrap_or_else(|| panic!("{label} on the cover: {cover:?}"))
    };
    assert_eq!(figure("已举办活动"), "3");
    assert_eq!(figure("达标活动（参与人数≥10人）"), "1");
    assert_eq!(figure("参与人次"), "12");
    assert_eq!(figure("参与人数（不重复）"), "11");
    assert_eq!(figure("是否符合要求"), "否");
    let first: Vec<Vec<String>> = workbook
        .worksheet_range(&names[2])
        .expect("the first activity's sheet")
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let list = first
        .iter()
        .position(|r| r[0] == "序号")
        .expect("a sign-in list");
    assert_eq!(first.len() - list - 1, 11, "eleven sign-ins");
    assert!(first[list + 1..].iter().all(|r| r[1].starts_with("会员")));
    // Typed in from a paper list long after: the activity's start, marked, not the typing time.
    assert!(
        first[list + 1..].iter().all(|r| r[4] == "14:00（补录）"),
        "{:?}",
        &first[list + 1]
    );
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("an entry");
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).expect("read");
        let text = String::from_utf8_lossy(&content);
        for n in 300..311 {
            let number = phone(n);
            assert!(
                !text.contains(&number) && !text.contains(&format!("****{}", &number[7..])),
                "no phone in the workbook ({:?})",
                entry.name()
            );
        }
    }
    let overview = workbook
        .worksheet_range("活动一览")
        .expect("the overview sheet");
    let date = overview.get((2, 2)).expect("the first date");
    assert!(date.is_datetime(), "a real date cell: {date:?}");
    let rows: Vec<Vec<String>> = overview
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
