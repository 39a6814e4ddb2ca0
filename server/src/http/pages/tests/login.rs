use axum::http::StatusCode;

use super::Site;

#[tokio::test]
async fn a_stranger_is_sent_to_the_login_page_and_back() {
    let site = Site::new("2026-05-12T02:00:00Z").await;
    let answer = site.get_anonymous("/admin/ledger?year=2026").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        answer.location(),
        Some("/admin/login?next=/admin/ledger%3Fyear%3D2026")
    );
    let login = site.get_anonymous("/admin/login?next=/admin/members").await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.body.contains(r#"name="next" value="/admin/members""#));
    assert!(
        login
            .body
            .contains(r#"name="csrf" value="test-csrf-token""#)
    );
}

#[tokio::test]
async fn a_login_form_without_the_csrf_token_is_refused() {
    let site = Site::new("2026-05-12T02:00:00Z").await;
    let answer = site
        .post_without_csrf("/admin/login", &[("username", "staff"), ("password", "x")])
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("安全校验码"), "{}", answer.body);
}

#[tokio::test]
async fn a_browser_without_a_csrf_cookie_gets_one() {
    let site = Site::new("2026-05-12T02:00:00Z").await;
    let request = axum::http::Request::get("/admin/login")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(site.home.router(), request)
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("kejia_csrf="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
}
