//! Who may call what: sessions, tokens, roles and the cross-site guard.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{As, TestHome, phone, spawn_serve};

/// Every /api/v1 call but the login itself. A new route belongs here too.
const API: &[(&str, &str)] = &[
    ("GET", "/api/v1/session"),
    ("GET", "/api/v1/sync/status"),
    ("DELETE", "/api/v1/session"),
    ("GET", "/api/v1/members"),
    ("POST", "/api/v1/members"),
    ("GET", "/api/v1/members/{member}"),
    ("PATCH", "/api/v1/members/{member}"),
    ("GET", "/api/v1/members/{member}/qr.png"),
    ("POST", "/api/v1/members/{member}/credential"),
    ("DELETE", "/api/v1/members/{member}/credential"),
    ("POST", "/api/v1/members/{member}/cards"),
    ("DELETE", "/api/v1/members/{member}/cards/0A1B2C3D4E"),
    ("GET", "/api/v1/activities"),
    ("POST", "/api/v1/activities"),
    ("GET", "/api/v1/activities/{activity}"),
    ("PATCH", "/api/v1/activities/{activity}"),
    ("GET", "/api/v1/activities/{activity}/attendance"),
    ("POST", "/api/v1/activities/{activity}/open"),
    ("POST", "/api/v1/activities/{activity}/close"),
    ("POST", "/api/v1/activities/{activity}/cancel"),
    ("POST", "/api/v1/activities/{activity}/filing"),
    ("POST", "/api/v1/checkins"),
    ("POST", "/api/v1/checkins/{activity}/undo"),
    ("GET", "/api/v1/scans"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/kiosk/status"),
    ("GET", "/api/v1/kiosk/members?phone_suffix=0001"),
    ("GET", "/api/v1/compliance?year=2026"),
    ("GET", "/api/v1/exports/ledger.xlsx?year=2026"),
    ("GET", "/api/v1/exports/ledger.csv?year=2026"),
];

/// What a kiosk token may do: check in and read activities.
const KIOSK_MAY: &[(&str, &str)] = &[
    ("GET", "/api/v1/activities"),
    ("GET", "/api/v1/activities/{activity}"),
    ("POST", "/api/v1/checkins"),
    ("GET", "/api/v1/kiosk/status"),
    ("GET", "/api/v1/kiosk/members?phone_suffix=0001"),
];

fn call(
    home: &TestHome,
    who: As,
    method: &str,
    path: &str,
    member: &str,
    activity: &str,
) -> StatusCode {
    let path = path
        .replace("{member}", member)
        .replace("{activity}", activity);
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let body = json!({ "credential": "x", "source": "qr", "reason": "r", "uid": "0A1B2C3D4E" });
    crate::support::send(home.request(method, &path, who).json(&body)).0
}

#[test]
fn every_api_call_without_a_session_or_token_is_401() {
    let home = TestHome::start();
    let activity = home.create_open_activity("权限测试");
    let (member, _) = home.create_member("权限", &phone(1));
    for (method, path) in API {
        assert_eq!(
            call(&home, As::Nobody, method, path, &member, &activity),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    let forged = home
        .client
        .get(home.url("/api/v1/members"))
        .bearer_auth("kjt_forged")
        .send()
        .expect("request");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let stale = home
        .client
        .get(home.url("/api/v1/members"))
        .header("cookie", "kejia_session=stale")
        .send()
        .expect("request");
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
}

#[test]
fn a_kiosk_token_can_check_in_but_not_manage_the_home() {
    let home = TestHome::start();
    let activity = home.create_open_activity("权限测试");
    let (member, _) = home.create_member("权限", &phone(1));
    for (method, path) in API {
        let status = call(&home, As::Kiosk, method, path, &member, &activity);
        if KIOSK_MAY.contains(&(method, path)) {
            assert!(status.is_success(), "{method} {path}: {status}");
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        }
    }
}

#[test]
fn a_state_change_from_a_foreign_origin_is_refused_on_a_cookie_session() {
    let home = TestHome::start();
    let body = json!({ "name": "跨站", "phone": phone(1), "employer": "x", "consent": true });
    let foreign = home
        .request(Method::POST, "/api/v1/members", As::Staff)
        .header("origin", "http://evil.example")
        .json(&body)
        .send()
        .expect("request");
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let cross = home
        .request(Method::POST, "/api/v1/members", As::Staff)
        .header("sec-fetch-site", "cross-site")
        .json(&body)
        .send()
        .expect("request");
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let (_, members) = home.get("/api/v1/members", As::Staff);
    assert_eq!(members, json!([]), "nothing was created");

    let own = home
        .request(Method::POST, "/api/v1/members", As::Staff)
        .header("origin", format!("http://{}", home.addr))
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .expect("request");
    assert_eq!(own.status(), StatusCode::CREATED);
}

#[test]
fn login_sets_an_httponly_samesite_cookie_and_wrong_passwords_get_401() {
    let home = TestHome::start();
    assert_eq!(
        home.login("admin", "wrong password"),
        Err(StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        home.login("nobody", "whatever123"),
        Err(StatusCode::UNAUTHORIZED)
    );
    let response = home
        .client
        .post(home.url("/api/v1/session"))
        .json(&json!({ "username": "admin", "password": crate::support::PASSWORD }))
        .send()
        .expect("login");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let (status, me) = home.get("/api/v1/session", As::Staff);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "admin");
}

#[test]
fn logging_out_ends_the_session() {
    let home = TestHome::start();
    let (status, _) =
        crate::support::send(home.request(Method::DELETE, "/api/v1/session", As::Staff));
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        home.get("/api/v1/session", As::Staff).0,
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn first_start_prints_a_one_time_setup_link_that_creates_the_first_account() {
    let dir = tempfile::tempdir().expect("dir");
    let (mut child, addr, printed) = spawn_serve(dir.path());
    let link = printed
        .iter()
        .find(|l| l.contains("/setup?token="))
        .unwrap_or_else(|| panic!("no setup link in {printed:?}"))
        .trim()
        .to_owned();
    let token = link.split("token=").nth(1).expect("token").to_owned();
    let client = crate::support::http();

    let page = client.get(&link).send().expect("setup page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().expect("html").contains("创建账号"));
    let wrong = client
        .get(format!("http://{addr}/setup?token=guess"))
        .send()
        .expect("page");
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);

    let form = [
        ("token", token.as_str()),
        ("username", "xiaowang"),
        ("password", "short"),
        ("confirm", "short"),
    ];
    let short = client
        .post(format!("http://{addr}/setup"))
        .form(&form)
        .send()
        .expect("post");
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text().expect("html").contains("至少需要 8 个字符"));

    let form = [
        ("token", token.as_str()),
        ("username", "xiaowang"),
        ("password", "a long password"),
        ("confirm", "a long password"),
    ];
    let created = client
        .post(format!("http://{addr}/setup"))
        .form(&form)
        .send()
        .expect("post");
    assert_eq!(created.status(), StatusCode::OK);
    let cookie_header = created.headers()["set-cookie"].clone();
    let done = created.text().expect("html");
    // The page goes on: to the home's details, or straight to the staff pages.
    assert!(
        done.contains(r#"href="/admin/settings?welcome=1""#),
        "{done}"
    );
    assert!(done.contains(r#"href="/admin""#), "{done}");
    let cookie = cookie_header
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let me = client
        .get(format!("http://{addr}/api/v1/session"))
        .header("cookie", cookie)
        .send()
        .expect("me");
    assert_eq!(me.status(), StatusCode::OK);

    let again = client
        .post(format!("http://{addr}/setup"))
        .form(&form)
        .send()
        .expect("post");
    assert_eq!(again.status(), StatusCode::NOT_FOUND, "the link works once");
    let login = client
        .post(format!("http://{addr}/api/v1/session"))
        .json(&json!({ "username": "xiaowang", "password": "a long password" }))
        .send()
        .expect("login");
    assert_eq!(login.status(), StatusCode::OK);
    let _ = child.kill();
    let _ = child.wait();

    let (mut child, _, printed) = spawn_serve(dir.path());
    assert!(
        !printed.iter().any(|l| l.contains("/setup")),
        "no setup link once an account exists"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn ten_wrong_passwords_in_a_row_lock_the_login_even_for_the_right_one() {
    let home = TestHome::start();
    for attempt in 0..10 {
        assert_eq!(
            home.login("admin", "guess number {attempt}"),
            Err(StatusCode::UNAUTHORIZED),
            "attempt {attempt}"
        );
    }
    let response = home
        .client
        .post(home.url("/api/v1/session"))
        .json(&json!({ "username": "admin", "password": crate::support::PASSWORD }))
        .send()
        .expect("login");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().expect("json");
    assert!(
        body["error"].as_str().unwrap().contains("登录失败次数过多"),
        "{body}"
    );
    // The session made before the lockout still works: only new logins wait.
    assert_eq!(home.get("/api/v1/session", As::Staff).0, StatusCode::OK);
}

/// A burst of guesses sent at once must not all be checked before the first failure counts:
/// every attempt counts before its password is checked, and only two checks run at a time.
#[test]
fn two_hundred_fifty_parallel_wrong_guesses_check_at_most_ten_passwords() {
    let home = TestHome::start();
    let start = std::sync::Arc::new(std::sync::Barrier::new(250));
    let guesses: Vec<_> = (0..250)
        .map(|n| {
            let start = start.clone();
            let url = home.url("/api/v1/session");
            std::thread::spawn(move || {
                let client = crate::support::http();
                start.wait();
                client
                    .post(url)
                    .json(&json!({ "username": "admin", "password": format!("guess {n}") }))
                    .send()
                    .map(|answer| answer.status())
                    // One address's connection cap may refuse some at the door: also unchecked.
                    .ok()
            })
        })
        .collect();
    let statuses: Vec<Option<StatusCode>> = guesses
        .into_iter()
        .map(|g| g.join().expect("thread"))
        .collect();
    // 401 is the answer of a checked password; 429 of one refused before its check.
    let checked = statuses
        .iter()
        .filter(|s| **s == Some(StatusCode::UNAUTHORIZED))
        .count();
    let refused = statuses
        .iter()
        .filter(|s| matches!(s, None | Some(StatusCode::TOO_MANY_REQUESTS)))
        .count();
    assert_eq!(checked + refused, 250, "{statuses:?}");
    assert!(checked <= 10, "{checked} passwords were checked");
    assert!(checked >= 1, "some guesses are checked");
    // Guessing on one at a time: every checked guess counted, so the lock comes after ten in all
    // and then holds, for the right password too.
    let mut more = 0;
    while home.login("admin", &format!("one more {more}")) == Err(StatusCode::UNAUTHORIZED) {
        more += 1;
        assert!(checked + more <= 10, "{checked} + {more} checked");
    }
    assert_eq!(checked + more, 10);
    assert_eq!(
        home.login("admin", crate::support::PASSWORD),
        Err(StatusCode::TOO_MANY_REQUESTS)
    );
}

#[test]
fn logging_in_again_ends_the_session_the_browser_brought() {
    let home = TestHome::start();
    let before = home.cookie.clone();
    let response = home
        .client
        .post(home.url("/api/v1/session"))
        .header("cookie", &before)
        .json(&json!({ "username": "admin", "password": crate::support::PASSWORD }))
        .send()
        .expect("login");
    assert_eq!(response.status(), StatusCode::OK);
    let after = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!after.starts_with(&before), "a new session token");
    let old = crate::support::send(
        home.client
            .get(home.url("/api/v1/session"))
            .header("cookie", &before),
    );
    assert_eq!(old.0, StatusCode::UNAUTHORIZED);
}

#[test]
fn a_page_form_without_its_csrf_token_is_refused() {
    let home = TestHome::start();
    let response = home
        .client
        .post(home.url("/admin/members"))
        .header("cookie", format!("{}; kejia_csrf=abc", home.cookie))
        .form(&[
            ("name", "张三"),
            ("phone", "13900000009"),
            ("employer", "某公司"),
            ("consent", "on"),
        ])
        .send()
        .expect("post");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (_, found) = home.get("/api/v1/members?q=13900000009", As::Staff);
    assert_eq!(
        found.as_array().map(Vec::len),
        Some(0),
        "nothing was stored"
    );
}

#[test]
fn the_api_answers_a_masked_phone_unless_asked_and_audits_the_look() {
    let home = TestHome::start();
    let number = phone(41);
    let (id, _) = home.create_member("王五", &number);
    let path = format!("/api/v1/members/{id}");
    let (status, member) = home.get(&path, As::Staff);
    assert_eq!(status, StatusCode::OK, "{member}");
    assert!(member.get("phone").is_none(), "{member}");
    assert_eq!(
        member["phone_masked"],
        format!("{}****{}", &number[..3], &number[7..])
    );
    assert!(!member.to_string().contains(&number), "{member}");
    let looks = |home: &TestHome| {
        let (_, log) = home.get("/api/v1/audit", As::Staff);
        log.as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["action"] == "member.phone_viewed" && e["subject"] == id.as_str())
            .count()
    };
    assert_eq!(looks(&home), 0, "a masked read is not a look");

    let (status, shown) = home.get(&format!("{path}?phone=show"), As::Staff);
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["phone"], number.as_str());
    assert_eq!(looks(&home), 1, "the look is audited");

    let (status, refused) = home.get(&format!("{path}?phone=all"), As::Staff);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(looks(&home), 1);
}
