//! Issue 14: figures count only activities that have ended; closing check-in before the start
//! asks first and can be put back; backfilled check-ins show the activity's day; the
//! association's decisions and notices read in words and Chinese dates.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use super::{Answer, Site};
use crate::domain::activity::{ActivityFields, CheckinWindow};
use crate::domain::credential::QrCredential;
use crate::domain::member::{NewMember, Registration};
use crate::store::{activities, members, sync_state};
use crate::wire::{Decision, Notice};

/// 22 November 2026, 10:00 in Shanghai.
const NOW: &str = "2026-11-22T02:00:00Z";

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

/// Registers `count` members; returns their QR credentials.
async fn members(site: &Site, count: u8) -> Vec<String> {
    let mut credentials = Vec::new();
    for n in 0..count {
        let phone = format!("1380013{n:04}");
        let member = NewMember::parse(&Registration {
            name: Some("张三明"),
            phone: Some(&phone),
            employer: Some("某公司"),
            consent: Some(true),
            ..Registration::default()
        })
        .expect("valid");
        let credential = QrCredential::from_random([n + 1; 16]);
        credentials.push(credential.as_str().to_owned());
        let now = site.now();
        site.state()
            .store
            .write(move |conn| members::insert(conn, &member, &credential, now))
            .await
            .expect("member");
    }
    credentials
}

async fn api(site: &Site, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let builder = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let answer: Answer = site.send(builder, true, body).await;
    let value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    (answer.status, value)
}

/// Staff backfill: a manual check-in of each credential.
async fn backfill(site: &Site, activity: &str, credentials: &[String]) {
    for credential in credentials {
        let (status, answer) = api(
            site,
            "POST",
            "/api/v1/checkins",
            Some(json!({ "credential": credential, "source": "manual", "activity_id": activity })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["outcome"], "checked_in", "{answer}");
    }
}

async fn audit_actions(site: &Site) -> Vec<(String, Option<String>)> {
    site.state()
        .store
        .read(|conn| {
            let mut rows = conn.prepare(
                "SELECT action, detail FROM audit_log WHERE action LIKE 'activity.%' ORDER BY rowid",
            )?;
            let found = rows
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(found)
        })
        .await
        .expect("audit")
}

/// Whether `text` holds an RFC 3339 date-time (`2026-11-21T…`).
fn has_raw_instant(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(11).any(|w| {
        let digits = |range: std::ops::Range<usize>| w[range].iter().all(u8::is_ascii_digit);
        digits(0..4)
            && w[4] == b'-'
            && digits(5..7)
            && w[7] == b'-'
            && digits(8..10)
            && w[10] == b'T'
    })
}

#[test]
fn the_raw_instant_check_finds_what_it_must() {
    assert!(has_raw_instant("科协通知 · 2026-11-20T09:00:00+08:00"));
    assert!(!has_raw_instant(
        "科协通知 · 11月20日 09:00 · 2026-11-20 09:00"
    ));
}

#[tokio::test]
async fn only_ended_activities_are_held_and_a_future_one_closes_only_when_confirmed() {
    let site = Site::new(NOW).await;
    let credentials = members(&site, 12).await;
    let past = activity(
        &site,
        "上旬沙龙",
        "2026-11-10T14:00:00+08:00",
        "2026-11-10T16:00:00+08:00",
    )
    .await;
    backfill(&site, &past, &credentials[..11]).await;
    let running = activity(
        &site,
        "正在进行的讲座",
        "2026-11-22T09:30:00+08:00",
        "2026-11-22T11:30:00+08:00",
    )
    .await;
    backfill(&site, &running, &credentials).await;
    let future = activity(
        &site,
        "下周的讲座",
        "2026-11-28T14:00:00+08:00",
        "2026-11-28T16:00:00+08:00",
    )
    .await;

    let (status, report) = api(&site, "GET", "/api/v1/compliance?year=2026", None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["activities_held"], 1, "{report}");
    assert_eq!(report["qualifying_activities"], 1);
    assert_eq!(
        report["short_activities"],
        json!([]),
        "running is not short"
    );
    assert_eq!(
        report["months"][10],
        json!({ "month": 11, "activities": 1, "qualifying": 1 })
    );
    let page = site.get("/admin").await.body;
    assert!(page.contains("已举办 <strong>1</strong> 场"), "{page}");

    // Closing the future one: refused without confirmation, in words.
    let close = format!("/api/v1/activities/{future}/close");
    for body in [None, Some(json!({})), Some(json!({ "confirm": false }))] {
        let (status, answer) = api(&site, "POST", &close, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        let message = answer["error"].as_str().expect("error");
        assert!(message.contains("该活动尚未开始"), "{message}");
        assert!(message.contains("计为已举办"), "{message}");
    }
    let (_, shown) = api(&site, "GET", &format!("/api/v1/activities/{future}"), None).await;
    assert_eq!(shown["status"], "scheduled", "{shown}");
    let (status, closed) = api(&site, "POST", &close, Some(json!({ "confirm": true }))).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["status"], "closed");
    let (_, report) = api(&site, "GET", "/api/v1/compliance?year=2026", None).await;
    assert_eq!(report["activities_held"], 2, "{report}");
    assert_eq!(report["short_activities"][0]["id"], future.as_str());

    // Closing the running one needs no confirmation (the everyday 结束签到), and counts it.
    let (status, _) = api(
        &site,
        "POST",
        &format!("/api/v1/activities/{running}/close"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, report) = api(&site, "GET", "/api/v1/compliance?year=2026", None).await;
    assert_eq!(report["activities_held"], 3, "{report}");
    assert_eq!(report["qualifying_activities"], 2, "{report}");

    // 恢复: the future one is back on its schedule and no longer held.
    let restore = format!("/api/v1/activities/{future}/restore");
    let (status, restored) = api(&site, "POST", &restore, None).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["status"], "scheduled");
    let (_, report) = api(&site, "GET", "/api/v1/compliance?year=2026", None).await;
    assert_eq!(report["activities_held"], 2, "{report}");
    assert_eq!(report["short_activities"], json!([]));
    let (status, again) = api(&site, "POST", &restore, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    assert_eq!(
        audit_actions(&site).await,
        vec![
            (
                "activity.close".to_owned(),
                Some("closed before the start (confirmed)".to_owned())
            ),
            (
                "activity.close".to_owned(),
                Some("closed before the scheduled end".to_owned())
            ),
            ("activity.restore".to_owned(), Some("was closed".to_owned())),
        ]
    );
}

#[tokio::test]
async fn the_page_asks_before_closing_a_future_activity_and_can_put_it_back() {
    let site = Site::new(NOW).await;
    let future = activity(
        &site,
        "下周的讲座",
        "2026-11-28T14:00:00+08:00",
        "2026-11-28T16:00:00+08:00",
    )
    .await;
    let path = format!("/admin/activities/{future}");
    let ask = site.post(&format!("{path}/close"), &[]).await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(
        ask.body
            .contains("该活动尚未开始，提前结束签到后将计为已举办"),
        "{}",
        ask.body
    );
    assert!(ask.body.contains(r#"name="confirm" value="1""#));
    assert!(ask.body.contains("返回，不结束"));
    let (_, shown) = api(&site, "GET", &format!("/api/v1/activities/{future}"), None).await;
    assert_eq!(shown["status"], "scheduled", "asking changed nothing");

    let done = site
        .post(&format!("{path}/close"), &[("confirm", "1")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = site.get(&path).await.body;
    assert!(
        page.contains("已提前结束签到，本场活动计为已举办"),
        "{page}"
    );
    assert!(page.contains(r#"action="/admin/activities/"#) && page.contains("恢复按时间表"));
    let (_, report) = api(&site, "GET", "/api/v1/compliance?year=2026", None).await;
    assert_eq!(report["activities_held"], 1, "{report}");

    let restored = site.post(&format!("{path}/restore"), &[]).await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER);
    assert_eq!(
        restored.location(),
        Some(format!("{path}?done=restored").as_str())
    );
    let page = site.get(&format!("{path}?done=restored")).await.body;
    assert!(page.contains("已恢复按时间表"), "{page}");
    assert!(!page.contains(r#"id="restore""#), "nothing left to restore");
    let (_, report) = api(&site, "GET", "/api/v1/compliance?year=2026", None).await;
    assert_eq!(report["activities_held"], 0, "{report}");
    let actions: Vec<String> = audit_actions(&site)
        .await
        .into_iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(actions, ["activity.close", "activity.restore"]);
}

#[tokio::test]
async fn a_backfilled_checkin_shows_the_activitys_day_and_time() {
    let site = Site::new(NOW).await;
    let credentials = members(&site, 2).await;
    let past = activity(
        &site,
        "上旬沙龙",
        "2026-11-10T14:00:00+08:00",
        "2026-11-10T16:00:00+08:00",
    )
    .await;
    backfill(&site, &past, &credentials[..1]).await;
    let page = site.get(&format!("/admin/activities/{past}")).await.body;
    let list = page
        .split(r#"id="attendance""#)
        .nth(1)
        .expect("the attendance list");
    assert!(list.contains("11月10日 14:00（补录）"), "{list}");
    assert!(list.contains("录入于 11月22日 10:00"), "{list}");
    assert!(!has_raw_instant(&page));
}

#[tokio::test]
async fn the_associations_decisions_and_notices_read_in_words_with_chinese_dates() {
    let site = Site::new(NOW).await;
    let rejected = activity(
        &site,
        "上旬沙龙",
        "2026-11-10T14:00:00+08:00",
        "2026-11-10T16:00:00+08:00",
    )
    .await;
    let approved = activity(
        &site,
        "中旬讲座",
        "2026-11-15T14:00:00+08:00",
        "2026-11-15T16:00:00+08:00",
    )
    .await;
    let now = site.now();
    let decisions = [
        (
            rejected.clone(),
            false,
            "请补充活动照片",
            "2026-11-21T01:48:00Z",
        ),
        (
            approved.clone(),
            true,
            "同意备案",
            "2026-11-20T09:00:00+08:00",
        ),
    ];
    site.state()
        .store
        .write(move |conn| {
            for (activity_id, approved, comment, decided_at) in decisions {
                sync_state::apply_decision(
                    conn,
                    &Decision {
                        activity_id,
                        approved,
                        comment: comment.into(),
                        decided_at: decided_at.into(),
                    },
                    now,
                )?;
            }
            sync_state::add_notice(
                conn,
                &Notice {
                    seq: 1,
                    title: "关于开展科技活动周的通知".into(),
                    body: "请各科技工作者之家做好准备。".into(),
                    published_at: "2025-12-05T09:48:00+08:00".into(),
                },
                now,
            )
        })
        .await
        .expect("decisions");

    let (_, shown) = api(
        &site,
        "GET",
        &format!("/api/v1/activities/{rejected}"),
        None,
    )
    .await;
    assert_eq!(shown["filing"], "rejected", "the old field stays");
    assert_eq!(
        shown["filing_decision"],
        json!({
            "state": "rejected",
            "comment": "请补充活动照片",
            "decided_at": "2026-11-21T09:48:00+08:00",
        })
    );
    let (_, list) = api(&site, "GET", "/api/v1/activities?year=2026", None).await;
    assert_eq!(list[1]["filing_decision"]["state"], "approved", "{list}");

    let activity_page = site
        .get(&format!("/admin/activities/{rejected}"))
        .await
        .body;
    assert!(
        activity_page.contains("科协驳回了报备（11月21日 09:48）：请补充活动照片"),
        "{activity_page}"
    );
    let dashboard = site.get("/admin").await.body;
    let decisions = dashboard
        .split(r#"id="decisions""#)
        .nth(1)
        .and_then(|d| d.split("</section>").next())
        .expect("the decisions");
    let (urgent, quiet) = decisions.split_once(r#"class="ok""#).expect("both kinds");
    assert!(urgent.contains(r#"class="warn urgent""#), "{decisions}");
    assert!(urgent.contains(&format!(r#"href="/admin/activities/{rejected}""#)));
    assert!(urgent.contains("科协驳回了《"), "{urgent}");
    assert!(
        urgent.contains("（11月21日 09:48）：请补充活动照片"),
        "{urgent}"
    );
    assert!(quiet.contains(&format!(r#"href="/admin/activities/{approved}""#)));
    assert!(quiet.contains("科协已批准《"), "{quiet}");
    assert!(quiet.contains("（11月20日 09:00）：同意备案"), "{quiet}");
    // Last year's notice carries its year.
    assert!(
        dashboard.contains("科协通知 · 2025年12月5日 09:48"),
        "{dashboard}"
    );
    for page in [&dashboard, &activity_page] {
        assert!(!has_raw_instant(page), "a raw instant in {page}");
    }
}
