use axum::http::StatusCode;

use super::Site;
use crate::domain::activity::{ActivityFields, CheckinWindow};
use crate::store::activities;

async fn activity(site: &Site, title: &str, starts: &str, ends: &str) -> String {
    let draft = ActivityFields {
        title: Some(title),
        category: Some("academic_exchange"),
        starts_at: Some(starts),
        ends_at: Some(ends),
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

#[tokio::test]
async fn the_dashboard_shows_the_open_activity_and_the_years_warnings() {
    // 22 November 2026, 10:00 in Shanghai: nine days left in the month.
    let site = Site::new("2026-11-22T02:00:00Z").await;
    let open = activity(
        &site,
        "<b>量子</b>讲座",
        "2026-11-22T09:30:00+08:00",
        "2026-11-22T11:30:00+08:00",
    )
    .await;
    activity(
        &site,
        "三月沙龙",
        "2026-03-10T14:00:00+08:00",
        "2026-03-10T16:00:00+08:00",
    )
    .await;
    let page = site.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!(r#"data-count-for="{open}""#)));
    assert!(
        page.body.contains("&#60;b&#62;量子"),
        "titles are escaped: {}",
        page.body
    );
    assert!(!page.body.contains("<b>量子"));
    assert!(page.body.contains("本月尚无达标活动，还剩 9 天"));
    assert!(page.body.contains("《三月沙龙》仅 0 人参加，不足 10 人"));
}

/// The position of each text in the page, in the order given; fails if one is missing.
fn positions(body: &str, texts: &[&str]) -> Vec<usize> {
    texts
        .iter()
        .map(|text| {
            body.find(text)
                .unwrap_or_else(|| panic!("{text:?} is not on the page: {body}"))
        })
        .collect()
}

#[tokio::test]
async fn missed_months_read_as_one_line_after_what_can_still_be_done() {
    // 22 November 2026, awarded in January.
    let site = Site::new("2026-11-22T02:00:00Z").await;
    activity(
        &site,
        "三月沙龙",
        "2026-03-10T14:00:00+08:00",
        "2026-03-10T16:00:00+08:00",
    )
    .await;
    let saved = site
        .post(
            "/admin/settings",
            &[
                ("name", "高新区科技工作者之家"),
                ("host_unit", ""),
                ("award_month", "2026-01"),
                ("phone_base", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = site.get("/admin").await.body;
    let alerts = &page[page.find(r#"id="alerts""#).expect("alerts")..];
    let order = positions(
        alerts,
        &[
            "本月尚无达标活动，还剩 9 天",
            "全年需 12 场达标活动，还差 12 场，今年只剩 2 个月",
            "1–10 月没有达标活动",
            "《三月沙龙》仅 0 人参加，不足 10 人",
        ],
    );
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert_eq!(alerts.matches("月没有达标活动").count(), 1);
    assert_eq!(alerts.matches(r#"class="alert urgent""#).count(), 2);
    assert!(!page.contains("counted-from"));
}

#[tokio::test]
async fn a_home_set_up_in_december_is_not_told_the_earlier_months_were_missed() {
    // The staff account (the home's set-up) is made on 5 December 2026.
    let site = Site::new("2026-12-05T01:48:00Z").await;
    let page = site.get("/admin").await.body;
    assert!(!page.contains("月没有达标活动"), "{page}");
    assert!(page.contains("本月尚无达标活动，还剩 27 天"));
    assert!(page.contains("尚未填写授牌月份，暂从本站开始使用的 2026年12月 算起"));
    // The year cannot be made up at one a month: said once, with what it takes.
    assert!(page.contains("还差 12 场，今年只剩 1 个月"));
}

#[tokio::test]
async fn the_month_chart_prints_each_months_figures_and_the_ten_person_line() {
    let site = Site::new("2026-11-22T02:00:00Z").await;
    let march = activity(
        &site,
        "三月沙龙",
        "2026-03-10T14:00:00+08:00",
        "2026-03-10T16:00:00+08:00",
    )
    .await;
    activity(
        &site,
        "三月讲座",
        "2026-03-20T14:00:00+08:00",
        "2026-03-20T16:00:00+08:00",
    )
    .await;
    attend(&site, &march, 12).await;
    let page = site.get("/admin").await.body;
    let chart = &page[page.find(r#"class="month-chart""#).expect("chart")..];
    // The scale is twice the line (20 people), so the line sits at half height and March's
    // 12 at 60 %.
    assert!(chart.contains(r#"<div class="ten-line" style="bottom:50%"><span>10 人</span>"#));
    assert!(
        chart.contains(r#"<span class="best" style="bottom:60%">12</span>"#),
        "{chart}"
    );
    assert!(chart.contains("3月<small>2场</small>"));
    assert!(chart.contains("4月<small>0场</small>"));
}

/// Checks `count` new members into an activity by hand, through the API.
async fn attend(site: &Site, activity: &str, count: usize) {
    for n in 0..count {
        let member = serde_json::json!({
            "name": format!("会员{n}"),
            "phone": format!("139{n:08}"),
            "employer": "某单位",
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

#[tokio::test]
async fn the_ledger_page_lists_the_years_activities() {
    let site = Site::new("2026-11-22T02:00:00Z").await;
    activity(
        &site,
        "三月沙龙",
        "2026-03-10T14:00:00+08:00",
        "2026-03-10T16:00:00+08:00",
    )
    .await;
    let page = site.get("/admin/ledger?year=2026").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("三月沙龙")
            && page.body.contains("2026年3月10日")
            && page.body.contains("14:00–16:00")
    );
    let id: crate::domain::ids::ActivityId = site
        .get("/admin/ledger?year=2026")
        .await
        .body
        .split("/admin/activities/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .parse()
        .unwrap();
    let now = site.now();
    site.state()
        .store
        .write(move |conn| activities::set_summary(conn, id, Some("到场 23 人"), now))
        .await
        .unwrap();
    assert!(
        site.get("/admin/ledger?year=2026")
            .await
            .body
            .contains("到场 23 人")
    );
    let other = site.get("/admin/ledger?year=2025").await;
    assert!(!other.body.contains("三月沙龙"));
    let bad = site.get("/admin/ledger?year=1800").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_live_stream_needs_a_staffer() {
    let site = Site::new("2026-11-22T02:00:00Z").await;
    let anonymous = site.get_anonymous("/admin/live").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_dashboard_shows_the_associations_newest_notice_and_the_sync_state() {
    let site = Site::new("2026-11-22T02:00:00Z").await;
    let before = site.get("/admin").await;
    assert!(before.body.contains("本馆尚未登记到科协平台"));
    assert!(!before.body.contains("科协通知"));
    let now = site.now();
    site.state()
        .store
        .write(move |conn| {
            for (seq, title) in [(1, "旧通知"), (2, "关于<开展>科技活动周的通知")] {
                let notice = crate::wire::Notice {
                    seq,
                    title: title.into(),
                    body: "请各科技工作者之家做好准备。".into(),
                    published_at: "2026-11-20T09:00:00+08:00".into(),
                };
                crate::store::sync_state::add_notice(conn, &notice, now)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let after = site.get("/admin").await;
    assert!(after.body.contains("科协通知"));
    assert!(
        after.body.contains("关于&#60;开展&#62;科技活动周的通知"),
        "escaped"
    );
    assert!(!after.body.contains("旧通知"), "only the newest");
}
