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
    assert!(page.body.contains("1 月没有达标活动"));
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
    assert!(page.body.contains("三月沙龙") && page.body.contains("2026-03-10 14:00"));
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
                let notice = crate::sync::wire::Notice {
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
