//! The hub's pages through the whole router: a logged-in staffer's browser (session and CSRF
//! cookies) and an anonymous one, on synced records written straight into the hub's tables.

use std::io::Cursor;

use axum::http::StatusCode;
use calamine::{Reader, Xlsx};
use serde_json::json;

use crate::accounts;
use crate::domain::access::StaffRole;
use crate::hub::store as hub;
use crate::hub::test_support::{CSRF, HubSite, Seeded};
use crate::wire::chain::HomeKey;

fn activity(title: &str, starts_at: &'static str, participants: u32) -> Seeded {
    Seeded {
        title: title.to_owned(),
        starts_at,
        participants,
    }
}

/// One qualifying activity in each month from January to July 2026.
fn a_good_year() -> Vec<Seeded> {
    [
        "2026-01-10T06:00:00Z",
        "2026-02-10T06:00:00Z",
        "2026-03-10T06:00:00Z",
        "2026-04-10T06:00:00Z",
        "2026-05-10T06:00:00Z",
        "2026-06-10T06:00:00Z",
        "2026-07-10T06:00:00Z",
    ]
    .into_iter()
    .enumerate()
    .map(|(i, start)| activity(&format!("学术沙龙 {}", i + 1), start, 11))
    .collect()
}

/// Whether `text` holds `&lt;` + `fragment` (`&gt;` for `>`), as either entity form.
fn escaped(text: &str, fragment: &str) -> bool {
    let named = format!("&lt;{fragment}");
    let numeric = named.replace("&lt;", "&#60;").replace("&gt;", "&#62;");
    text.contains(&named) || text.contains(&numeric)
}

async fn award(site: &HubSite, id: &str, day: &str) {
    let (status, value) = site
        .json(
            "PATCH",
            &format!("/api/v1/homes/{id}"),
            Some(json!({ "awarded_on": day })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{value}");
}

#[tokio::test]
async fn every_staff_page_sends_a_stranger_to_the_login_page() {
    let site = HubSite::new().await;
    let id = site.enrolled_home("赫山区科技工作者之家").await;
    let pages = [
        "/admin".to_owned(),
        "/admin/evaluation?year=2026".to_owned(),
        "/admin/evaluation.xlsx?year=2026".to_owned(),
        "/admin/homes".to_owned(),
        format!("/admin/homes/{id}"),
        "/admin/refusals".to_owned(),
        "/admin/notices".to_owned(),
    ];
    for path in &pages {
        let answer = site.get_anonymous(path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        let to = answer.location().unwrap_or_default();
        assert!(to.starts_with("/admin/login?next=/admin"), "{path} -> {to}");
    }
    for (path, fields) in [
        ("/admin/homes".to_owned(), vec![("name", "冒名之家")]),
        (format!("/admin/homes/{id}"), vec![("name", "改名")]),
        (
            format!("/admin/homes/{id}/ratings"),
            vec![("year", "2026"), ("rating", "excellent")],
        ),
        (
            "/admin/notices".to_owned(),
            vec![("title", "假通知"), ("body", "x")],
        ),
    ] {
        let answer = site.post_anonymous(&path, &fields).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
    }
    assert_eq!(site.count("SELECT count(*) FROM homes").await, 1);
    assert_eq!(site.count("SELECT count(*) FROM notices").await, 0);

    // The login page names the association, not a home; the public page needs no login.
    let login = site.get_anonymous("/admin/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text().contains("<h1>益阳市科学技术协会</h1>"));
    assert!(!login.text().contains("<h1>科技工作者之家</h1>"));
    assert!(
        login
            .text()
            .contains(r#"<a href="/results">查看评定结果公示</a>"#)
    );
    assert_eq!(site.get_anonymous("/results").await.status, StatusCode::OK);
    let root = site.get_anonymous("/").await;
    assert_eq!(root.location(), Some("/results"));
}

#[tokio::test]
async fn a_staffer_logs_in_through_the_page_and_lands_where_they_were_going() {
    let site = HubSite::new().await;
    accounts::add_user(
        site.hub.store(),
        "kexie",
        StaffRole::Staff,
        "correct horse battery",
        site.now(),
    )
    .await
    .expect("user");
    let fields = [
        ("username", "kexie"),
        ("password", "correct horse battery"),
        ("next", "/admin/homes"),
    ];
    let answer = site.post_anonymous("/admin/login", &fields).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());
    assert_eq!(answer.location(), Some("/admin/homes"));
    assert!(
        answer
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().is_ok_and(|c| c.starts_with("kejia_session=")))
    );
    let wrong = site
        .post_anonymous(
            "/admin/login",
            &[("username", "kexie"), ("password", "wrong")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("用户名或密码错误"));
    assert!(wrong.text().contains("益阳市科学技术协会"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused_and_change_nothing() {
    let site = HubSite::new().await;
    let id = site.enrolled_home("赫山区科技工作者之家").await;
    award(&site, &id, "2026-01-05").await;
    let ids = site
        .seed(&id, vec![activity("讲座", "2026-07-01T02:00:00Z", 10)])
        .await;
    for (path, fields) in [
        ("/admin/homes".to_owned(), vec![("name", "另一家")]),
        (format!("/admin/homes/{id}"), vec![("name", "改名之家")]),
        (
            format!("/admin/homes/{id}/ratings"),
            vec![("year", "2026"), ("rating", "excellent")],
        ),
        (
            format!("/admin/homes/{id}/decisions"),
            vec![("activity_id", ids[0].as_str()), ("decision", "approve")],
        ),
        (
            "/admin/notices".to_owned(),
            vec![("title", "通知"), ("body", "内容")],
        ),
        ("/admin/logout".to_owned(), vec![]),
    ] {
        let answer = site.post_without_csrf(&path, &fields).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        assert!(answer.text().contains("安全校验码"), "{path}");
    }
    assert_eq!(site.count("SELECT count(*) FROM homes").await, 1);
    assert_eq!(
        site.count("SELECT count(*) FROM homes WHERE name = '赫山区科技工作者之家'")
            .await,
        1
    );
    assert_eq!(site.count("SELECT count(*) FROM ratings").await, 0);
    assert_eq!(site.count("SELECT count(*) FROM decisions").await, 0);
    assert_eq!(site.count("SELECT count(*) FROM notices").await, 0);
    // Still logged in: the logout was refused too.
    assert_eq!(site.get("/admin/homes").await.status, StatusCode::OK);
    // Every form on the pages carries the token.
    let detail = site.get(&format!("/admin/homes/{id}")).await.text();
    let forms = detail.matches("method=\"post\"").count();
    let tokens = detail
        .matches(&format!("name=\"csrf\" value=\"{CSRF}\""))
        .count();
    assert!(forms >= 4, "{detail}");
    assert_eq!(forms, tokens);
}

#[tokio::test]
async fn registering_on_the_page_shows_the_code_once_and_it_enrols() {
    let site = HubSite::new().await;
    let answer = site
        .post(
            "/admin/homes",
            &[
                ("name", "益阳高新区科技工作者之家"),
                ("host_unit", "益阳某新材料有限公司"),
                ("kind", "enterprise"),
                ("address", ""),
                ("contact", "张敏 0737-1234567"),
                ("applied_on", "2025-09-01"),
                ("awarded_on", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let page = answer.text();
    let code = page
        .split("<p class=\"code\" id=\"code\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .expect("the code on the page")
        .to_owned();
    assert_eq!(code.len(), "XXXX-XXXX".len(), "{code}");
    assert!(page.contains("只显示这一次"));
    assert!(page.contains(&format!("有效期 {}", crate::hub::enrol_code::LIFETIME_TEXT)));

    let homes = site.get("/admin/homes").await.text();
    assert!(homes.contains("益阳高新区科技工作者之家"));
    assert!(homes.contains("高新技术企业"));
    assert!(!homes.contains(&code));
    let (_, list) = site.json("GET", "/api/v1/homes", None).await;
    let id = list[0]["id"].as_str().expect("id").to_owned();
    let detail = site.get(&format!("/admin/homes/{id}")).await.text();
    assert!(!detail.contains(&code));
    assert!(detail.contains("value=\"张敏 0737-1234567\""));

    let key = HomeKey::from_secret([5; 32]);
    let (status, enrolled) = site
        .json(
            "POST",
            "/api/v1/enroll",
            Some(json!({ "code": code, "public_key": key.public_hex() })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{enrolled}");
    assert_eq!(enrolled["home_id"], id.as_str());

    // A refused registration says why in Chinese and keeps what was typed.
    let refused = site
        .post(
            "/admin/homes",
            &[
                ("name", "资阳区科技工作者之家"),
                ("awarded_on", "2026-13-01"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .contains("授牌日期须为 2026-05-20 这样的日期")
    );
    assert!(refused.text().contains("value=\"资阳区科技工作者之家\""));
    let blank = site.post("/admin/homes", &[("name", " ")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.text().contains("名称不能为空"));
    assert_eq!(site.count("SELECT count(*) FROM homes").await, 1);
}

#[tokio::test]
async fn the_detail_page_edits_details_rates_and_decides() {
    let site = HubSite::new().await;
    let id = site.enrolled_home("赫山区科技工作者之家").await;
    let ids = site
        .seed(
            &id,
            vec![
                activity("科普讲座", "2026-06-01T02:00:00Z", 12),
                activity("座谈会", "2026-07-01T02:00:00Z", 3),
            ],
        )
        .await;
    let path = format!("/admin/homes/{id}");
    let page = site.get(&format!("{path}?year=2026")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(text.contains("科普讲座") && text.contains("座谈会"));
    assert!(text.contains("尚未授牌"));

    // Not awarded yet: rating is refused in words.
    let refused = site
        .post(
            &format!("{path}/ratings"),
            &[("year", "2026"), ("rating", "qualified")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("尚未授牌"));

    // The details form: a bad date keeps the typed values; a good one saves.
    let details = |awarded: &'static str| {
        vec![
            ("name", "赫山区科技工作者之家"),
            ("host_unit", "益阳某研究院"),
            ("kind", "park"),
            ("address", "益阳市赫山区"),
            ("contact", "李华 13800138000"),
            ("applied_on", "2025-09-01"),
            ("awarded_on", awarded),
        ]
    };
    let bad = site.post(&path, &details("2025-08-01")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("授牌日期不能早于申报日期"));
    assert!(bad.text().contains("value=\"益阳某研究院\""));
    let saved = site.post(&path, &details("2026-01-05")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        saved.location(),
        Some(format!("{path}?year=2026&done=saved").as_str())
    );
    let (_, home) = site.json("GET", &format!("/api/v1/homes/{id}"), None).await;
    assert_eq!(home["kind"], "park");
    assert_eq!(home["awarded_on"], "2026-01-05");
    assert_eq!(home["host_unit"], "益阳某研究院");

    let rated = site
        .post(
            &format!("{path}/ratings"),
            &[("year", "2026"), ("rating", "qualified")],
        )
        .await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER);
    let text = site
        .get(&format!("{path}?year=2026&done=rated"))
        .await
        .text();
    assert!(text.contains("评定已保存"));
    assert!(text.contains("<strong>合格</strong>"));
    let withdrawn = site
        .post(&format!("{path}/ratings/2026/withdraw"), &[])
        .await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
    assert_eq!(site.count("SELECT count(*) FROM ratings").await, 0);

    // Approve; reject without a comment is refused; reject with one goes through.
    let decide = |activity: &str, decision: &'static str, comment: &'static str| {
        vec![
            ("activity_id", activity.to_owned()),
            ("decision", decision.to_owned()),
            ("comment", comment.to_owned()),
            ("year", "2026".to_owned()),
        ]
    };
    let site = &site;
    let decisions_path = format!("{path}/decisions");
    let post = |fields: Vec<(&'static str, String)>| {
        let path = decisions_path.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            site.post(&path, &fields).await
        }
    };
    let approved = post(decide(&ids[0], "approve", "")).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        site.count("SELECT count(*) FROM activities WHERE filing = 'approved'")
            .await,
        1
    );
    let no_reason = post(decide(&ids[1], "reject", "  ")).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text().contains("驳回时请填写意见"));
    assert_eq!(site.count("SELECT count(*) FROM decisions").await, 1);
    let rejected = post(decide(&ids[1], "reject", "参与人数不足，请补充签到表")).await;
    assert_eq!(rejected.status, StatusCode::SEE_OTHER);
    let decisions = site
        .hub
        .store()
        .read({
            let id = id.clone();
            move |conn| hub::decisions(conn, &id)
        })
        .await
        .expect("decisions");
    assert_eq!(decisions.len(), 2);
    assert!(!decisions[1].approved);
    assert_eq!(decisions[1].comment, "参与人数不足，请补充签到表");
    let text = site.get(&format!("{path}?year=2026")).await.text();
    assert!(text.contains("驳回：参与人数不足，请补充签到表"));
    let unknown = post(decide("no-such-activity", "approve", "")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        site.get("/admin/homes/no-such-home").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        site.get(&format!("{path}?year=abc")).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn untrusted_text_is_escaped_on_every_page() {
    let site = HubSite::new().await;
    let evil = "<script>alert(1)</script>";
    let id = site.enrolled_home(evil).await;
    award(&site, &id, "2026-01-05").await;
    let (status, _) = site
        .json(
            "PATCH",
            &format!("/api/v1/homes/{id}"),
            Some(json!({ "host_unit": "<img src=x onerror=alert(2)>" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    site.seed(
        &id,
        vec![activity(
            "<b onclick=alert(3)>讲座</b>",
            "2026-07-01T02:00:00Z",
            10,
        )],
    )
    .await;
    let (status, _) = site
        .json(
            "PUT",
            &format!("/api/v1/homes/{id}/ratings/2026"),
            Some(json!({ "rating": "excellent" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let published = site
        .post(
            "/admin/notices",
            &[
                ("title", "<script>alert(4)</script>"),
                ("body", "<i>正文</i>"),
            ],
        )
        .await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    let now = site.now();
    site.hub
        .store()
        .write({
            let id = id.clone();
            move |conn| hub::refuse(conn, Some(&id), "签名无效", now)
        })
        .await
        .expect("refusal");

    for path in [
        "/admin/evaluation?year=2026".to_owned(),
        "/admin/homes".to_owned(),
        format!("/admin/homes/{id}?year=2026"),
        "/admin/refusals".to_owned(),
        "/admin/notices".to_owned(),
    ] {
        let answer = site.get(&path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        let text = answer.text();
        for raw in ["<script>alert", "<img src=x", "<b onclick", "<i>正文"] {
            assert!(!text.contains(raw), "{path} holds {raw}");
        }
        assert!(escaped(&text, "script&gt;alert("), "{path}: {text}");
    }
    let public = site.get_anonymous("/results?year=2026").await.text();
    assert!(!public.contains("<script>alert") && !public.contains("<img src=x"));
    assert!(escaped(&public, "script&gt;alert(1)"));
}

#[tokio::test]
async fn the_evaluation_page_and_its_workbook_show_the_same_rows() {
    let site = HubSite::new().await;
    let good = site.enrolled_home("赫山区科技工作者之家").await;
    award(&site, &good, "2026-01-05").await;
    site.seed(&good, a_good_year()).await;
    let patchy = site.enrolled_home("资阳区科技工作者之家").await;
    award(&site, &patchy, "2026-01-05").await;
    site.seed(
        &patchy,
        vec![
            activity("讲座", "2026-02-10T06:00:00Z", 10),
            activity("座谈", "2026-05-10T06:00:00Z", 3),
        ],
    )
    .await;
    // The second home has not synced for a long time.
    site.hub
        .store()
        .write({
            let id = patchy.clone();
            move |conn| {
                conn.execute(
                    "UPDATE homes SET last_push_at = 0 WHERE id = ?1",
                    [id.as_str()],
                )?;
                Ok(())
            }
        })
        .await
        .expect("silent");
    site.hub
        .add_home("安化县科技工作者之家")
        .await
        .expect("add");

    let page = site.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(text.contains("2026 年度评估"));
    assert!(text.contains("赫山区科技工作者之家") && text.contains("资阳区科技工作者之家"));
    assert!(text.contains("没有同步"), "the silent flag");
    assert!(
        text.contains("安化县科技工作者之家"),
        "not enrolled, named apart"
    );
    assert!(text.contains("未评定"));

    // Rated from the evaluation page, back to it.
    let rated = site
        .post(
            &format!("/admin/homes/{good}/ratings"),
            &[
                ("year", "2026"),
                ("rating", "excellent"),
                ("back", "evaluation"),
            ],
        )
        .await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER);
    assert_eq!(
        rated.location(),
        Some("/admin/evaluation?year=2026&done=rated")
    );
    let text = site
        .get("/admin/evaluation?year=2026&done=rated")
        .await
        .text();
    assert!(text.contains("评定已保存"));
    assert!(text.contains("<strong>优秀</strong>"));

    let (_, evaluation) = site.json("GET", "/api/v1/evaluation?year=2026", None).await;
    let answer = site.get("/admin/evaluation.xlsx?year=2026").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.bytes.starts_with(b"PK"));
    assert!(
        answer.headers["content-type"]
            .to_str()
            .is_ok_and(|t| t.contains("spreadsheetml"))
    );
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(answer.bytes)).expect("a real workbook");
    let sheet = workbook
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[1][0], "名称");
    assert_eq!(rows[1][4], "举办活动数");
    assert_eq!(rows[1][10], "协会评定");
    assert_eq!(rows[1][12], "各月达标活动数（≥10人）");
    assert_eq!(rows[2][12], "1月");
    let data = &rows[3..];
    assert_eq!(data.len(), 2, "one row per enrolled home: {rows:?}");
    for entry in evaluation["homes"].as_array().expect("homes") {
        let row = data
            .iter()
            .find(|r| r[0] == entry["home"]["name"].as_str().unwrap_or_default())
            .expect("the home's row");
        assert_eq!(row[4], entry["activities_held"].to_string());
        assert_eq!(row[5], entry["qualifying_activities"].to_string());
        assert_eq!(
            row[7],
            entry["short_activities"]
                .as_array()
                .map_or(0, Vec::len)
                .to_string()
        );
        assert_eq!(
            row[9],
            entry["suggested_rating"].as_str().unwrap_or_default()
        );
        for (flag, line) in entry["flags"]
            .as_array()
            .expect("flags")
            .iter()
            .zip(row[11].split('\n'))
        {
            assert_eq!(flag.as_str(), Some(line));
        }
        for month in entry["months"].as_array().expect("months") {
            let m = usize::try_from(month["month"].as_u64().expect("month")).expect("m");
            assert_eq!(row[11 + m], month["qualifying"].to_string());
        }
    }
    let good_row = data
        .iter()
        .find(|r| r[0] == "赫山区科技工作者之家")
        .expect("row");
    assert_eq!(good_row[3], "2026-01-05");
    assert_eq!(good_row[5], "7");
    assert_eq!(good_row[6], "无");
    assert_eq!(good_row[8], "是");
    assert_eq!(good_row[10], "优秀");
    let patchy_row = data
        .iter()
        .find(|r| r[0] == "资阳区科技工作者之家")
        .expect("row");
    assert_eq!(patchy_row[6], "1月、3月、4月、5月、6月、7月");
    assert_eq!(patchy_row[7], "1");
    assert_eq!(patchy_row[8], "否");
    assert_eq!(patchy_row[10], "未评定");
    assert!(patchy_row[11].contains("没有同步"));

    let bad = site.get("/admin/evaluation.xlsx?year=1999").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_public_results_show_only_ratings_and_no_personal_data() {
    let site = HubSite::new().await;
    let rated = site.enrolled_home("赫山区科技工作者之家").await;
    let (status, _) = site
        .json(
            "PATCH",
            &format!("/api/v1/homes/{rated}"),
            Some(json!({
                "awarded_on": "2026-01-05",
                "host_unit": "益阳某研究院",
                "kind": "park",
                "address": "益阳市赫山区龙岭工业园 9 号",
                "contact": "张敏 13800138000",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    site.seed(&rated, a_good_year()).await;
    let unrated = site.enrolled_home("资阳区科技工作者之家").await;
    award(&site, &unrated, "2026-01-05").await;
    site.seed(&unrated, a_good_year()).await;
    // The hub holds names of consenting members, with employers and phone hashes.
    assert!(
        site.count("SELECT count(*) FROM members WHERE name = '会员王0'")
            .await
            >= 1
    );

    // Nothing is published before the association rates.
    let before = site.get_anonymous("/results?year=2026").await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.text().contains("尚未公布"));
    assert!(!before.text().contains("赫山区科技工作者之家"));

    let (status, _) = site
        .json(
            "PUT",
            &format!("/api/v1/homes/{rated}/ratings/2026"),
            Some(json!({ "rating": "qualified" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Without a year: the latest year with results.
    let answer = site.get_anonymous("/results").await;
    assert_eq!(answer.status, StatusCode::OK);
    let text = answer.text();
    assert!(text.contains("2026 年度科技工作者之家评定结果公示"));
    let row = text
        .split("<tbody>")
        .nth(1)
        .and_then(|t| t.split("</tbody>").next())
        .expect("the results table");
    for shown in [
        "赫山区科技工作者之家",
        "益阳某研究院",
        "产业园区",
        "2026-01-05",
        "<strong>合格</strong>",
        ">7<",
    ] {
        assert!(row.contains(shown), "{shown} in {row}");
    }
    // The other home is enrolled, counted and even suggested 合格 at the hub, but not rated.
    assert!(!text.contains("资阳区科技工作者之家"));
    assert!(!text.contains("优秀</strong>"));
    for private in [
        "会员王",
        "益阳某研究所",
        "张敏",
        "13800138000",
        "138****8000",
        "龙岭工业园",
        &"0".repeat(64),
    ] {
        assert!(!text.contains(private), "the public page shows {private}");
    }
    assert!(text.contains("不含任何个人信息"));

    let bad = site.get_anonymous("/results?year=abc").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("年份须在 2000 到 2100 之间"));
}

#[tokio::test]
async fn notices_are_published_from_their_page_and_refusals_are_listed() {
    let site = HubSite::new().await;
    let id = site.enrolled_home("赫山区科技工作者之家").await;
    let published = site
        .post(
            "/admin/notices",
            &[
                ("title", "关于开展全国科技工作者日活动的通知"),
                ("body", "请各科技工作者之家于 5 月 30 日前组织活动。"),
            ],
        )
        .await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    assert_eq!(published.location(), Some("/admin/notices?done=published"));
    let page = site.get("/admin/notices?done=published").await.text();
    assert!(page.contains("通知已发布"));
    assert!(page.contains("关于开展全国科技工作者日活动的通知"));
    assert!(page.contains("xiehui"));
    // What the homes receive on their next push.
    let notices = site
        .hub
        .store()
        .read(|conn| hub::notices_after(conn, 0))
        .await
        .expect("notices");
    assert_eq!(notices.len(), 1);
    assert_eq!(
        notices[0].body,
        "请各科技工作者之家于 5 月 30 日前组织活动。"
    );

    let empty = site
        .post("/admin/notices", &[("title", " "), ("body", "正文")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.text().contains("通知标题不能为空"));
    assert!(empty.text().contains("正文"), "the typed body stays");
    assert_eq!(site.count("SELECT count(*) FROM notices").await, 1);

    assert!(
        site.get("/admin/refusals")
            .await
            .text()
            .contains("没有被拒收的同步")
    );
    let now = site.now();
    site.hub
        .store()
        .write({
            let id = id.clone();
            move |conn| {
                hub::refuse(conn, Some(&id), "哈希链不连续（序号 7）", now)?;
                hub::refuse(conn, None, "签名无效", now)
            }
        })
        .await
        .expect("refusals");
    let page = site.get("/admin/refusals").await.text();
    assert!(page.contains("哈希链不连续（序号 7）"));
    assert!(page.contains(&format!(
        "<a href=\"/admin/homes/{id}\">赫山区科技工作者之家</a>"
    )));
    assert!(page.contains("未知"));
    let detail = site.get(&format!("/admin/homes/{id}")).await.text();
    assert!(detail.contains("哈希链不连续（序号 7）"));
}

/// The values of the `<td class="num">` cells of the first table row that names `home`.
fn num_cells(text: &str, home: &str) -> Vec<String> {
    let row = text
        .split("<tr")
        .find(|row| row.contains(home))
        .unwrap_or_default();
    // Cells are `<td class="num" …>N</td>` (phone layouts add a caption attribute).
    row.split(r#"<td class="num""#)
        .skip(1)
        .filter_map(|cell| cell.split_once('>').map(|(_, rest)| rest))
        .filter_map(|cell| cell.split("</td>").next())
        .map(|cell| cell.trim().to_owned())
        .collect()
}

#[tokio::test]
async fn the_hub_counts_only_activities_that_have_ended_by_its_clock_or_by_hand() {
    let site = HubSite::new().await;
    let id = site.enrolled_home("赫山区科技工作者之家").await;
    award(&site, &id, "2026-07-01").await;
    // Now is 12:00 on 15 July in Shanghai. A past activity; one running 11:00–13:00 with twelve
    // in already; a future one the home filled in advance; one the home closed early by hand.
    let ids = site
        .seed(
            &id,
            vec![
                activity("已结束的沙龙", "2026-07-10T06:00:00Z", 11),
                activity("正在进行的讲座", "2026-07-15T03:00:00Z", 12),
                activity("下周的讲座", "2026-07-22T06:00:00Z", 15),
                activity("提前结束的培训", "2026-07-25T06:00:00Z", 10),
            ],
        )
        .await;
    let figures = |evaluation: &serde_json::Value| {
        let home = &evaluation["homes"][0];
        (
            home["activities_held"].clone(),
            home["qualifying_activities"].clone(),
            home["short_activities"].clone(),
            home["months"][6].clone(),
        )
    };
    let (status, evaluation) = site.json("GET", "/api/v1/evaluation?year=2026", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        figures(&evaluation),
        (
            json!(1),
            json!(1),
            json!([]),
            json!({ "month": 7, "activities": 1, "qualifying": 1 })
        ),
        "{evaluation}"
    );
    let page = site.get("/admin/evaluation?year=2026").await.text();
    assert_eq!(num_cells(&page, "赫山区科技工作者之家")[..2], ["1", "1"]);

    // The home closes check-in of the 25 July training early (its sync says so).
    let closed = ids[3].clone();
    site.hub
        .store()
        .write(move |conn| {
            conn.execute(
                "UPDATE activities SET checkin_closed = 1 WHERE id = ?1",
                [closed],
            )?;
            Ok(())
        })
        .await
        .expect("close");
    let (_, evaluation) = site.json("GET", "/api/v1/evaluation?year=2026", None).await;
    assert_eq!(evaluation["homes"][0]["activities_held"], 2, "{evaluation}");
    let (status, _) = site
        .json(
            "PUT",
            &format!("/api/v1/homes/{id}/ratings/2026"),
            Some(json!({ "rating": "qualified" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let public = site.get_anonymous("/results?year=2026").await.text();
    assert_eq!(num_cells(&public, "赫山区科技工作者之家"), ["2", "2"]);

    // Two hours later the lecture has ended by the hub's clock: it is held, and qualifies.
    site.clock
        .set("2026-07-15T06:00:00Z".parse().expect("later"));
    let public = site.get_anonymous("/results?year=2026").await.text();
    assert_eq!(num_cells(&public, "赫山区科技工作者之家"), ["3", "3"]);
    let page = site.get("/admin/evaluation?year=2026").await.text();
    assert_eq!(num_cells(&page, "赫山区科技工作者之家")[..2], ["3", "3"]);
}
