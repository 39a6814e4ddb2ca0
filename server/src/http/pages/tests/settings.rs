use axum::http::StatusCode;

use super::Site;
use crate::store::{audit, home_profile};

fn details<'a>(name: &'a str, award: &'a str, base: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("host_unit", "益阳某新材料有限公司"),
        ("award_month", award),
        ("phone_base", base),
    ]
}

#[tokio::test]
async fn the_first_administrator_is_welcomed_and_saving_goes_on_to_the_dashboard() {
    let site = Site::new("2026-12-05T01:48:00Z").await;
    let page = site.get("/admin/settings?welcome=1").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"id="welcome""#));
    // A home set up now was most likely awarded this month.
    assert!(
        page.body
            .contains(r#"name="award_month" type="month" value="2026-12""#)
    );
    let mut fields = details("高新区科技工作者之家", "2026-12", "");
    fields.push(("welcome", "1"));
    let saved = site.post("/admin/settings", &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), Some("/admin"));
    // Every page and the kiosk follow at once.
    let dashboard = site.get("/admin").await.body;
    assert!(dashboard.contains(r#"<a class="brand" href="/admin">高新区科技工作者之家</a>"#));
    let stored = site
        .state()
        .store
        .read(|conn| Ok((home_profile::get(conn)?, audit::recent(conn, 5)?)))
        .await
        .unwrap();
    let profile = stored.0.expect("saved");
    assert_eq!(profile.host_unit.as_deref(), Some("益阳某新材料有限公司"));
    assert!(stored.1.iter().any(|e| e.action == "home.profile"));
}

#[tokio::test]
async fn a_bad_field_is_refused_in_words_and_nothing_is_saved() {
    let site = Site::new("2026-12-05T01:48:00Z").await;
    for (fields, message) in [
        (details("之家", "2026-13", ""), "授牌月份应形如 2026-05"),
        (
            details("之家", "2026-12", "192.168.1.20:8080"),
            "手机访问地址应形如",
        ),
        (details(" ", "2026-12", ""), "本站名称不能为空"),
    ] {
        let refused = site.post("/admin/settings", &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains(message), "{}", refused.body);
        // What was typed stays in the form.
        assert!(refused.body.contains("益阳某新材料有限公司"));
    }
    let saved = site.state().store.read(home_profile::get).await.unwrap();
    assert_eq!(saved, None);
}

#[tokio::test]
async fn the_award_month_decides_which_months_the_api_counts_as_missing() {
    let site = Site::new("2026-11-22T02:00:00Z").await;
    let saved = site
        .post("/admin/settings", &details("之家", "2026-09", ""))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let answer = site.get("/api/v1/compliance?year=2026").await;
    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(json["missing_months"], serde_json::json!([9, 10, 11]));
}

#[tokio::test]
async fn a_chosen_phone_address_becomes_the_kiosks_qr_code() {
    let site = Site::new("2026-11-22T02:00:00Z").await;
    site.post(
        "/admin/settings",
        &details("之家", "2026-09", "https://kejia.example.cn"),
    )
    .await;
    let status = site.get("/api/v1/kiosk/status").await;
    assert!(
        status
            .body
            .contains(r#""phone_url":"https://kejia.example.cn/m/checkin?code="#),
        "{}",
        status.body
    );
}
