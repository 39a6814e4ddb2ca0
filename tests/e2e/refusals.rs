//! What a person reads when kejia refuses: Chinese words that say what to correct, a page for
//! the staff and phone pages, `{"error": …}` for programs; never serde's or axum's English.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{As, TestHome, phone, string};

/// English that serde and axum put in their refusals.
const ENGLISH: &[&str] = &[
    "Failed",
    "deserialize",
    "invalid",
    "expected",
    "missing field",
    "unknown variant",
    "line 1",
];

fn no_english(text: &str) {
    for word in ENGLISH {
        assert!(!text.contains(word), "{word:?} in {text}");
    }
}

/// Status, content type and body of a request.
fn raw(home: &TestHome, method: Method, path: &str, who: As) -> (StatusCode, String, String) {
    let response = home
        .request(method, path, who)
        .header("origin", home.url(""))
        .send()
        .expect("request");
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    (status, kind, response.text().expect("body"))
}

#[test]
fn staff_and_phone_pages_refuse_with_a_page_in_chinese() {
    let home = TestHome::start();
    for (method, path, status, words) in [
        (
            Method::GET,
            "/admin/activities?year=abc",
            400,
            "查询参数 year 有误：须为整数",
        ),
        (
            Method::GET,
            "/admin/ledger?year=99999",
            400,
            "查询参数 year 有误：数值过大",
        ),
        (Method::GET, "/admin/members?limit=x&q=%", 200, ""),
        (Method::GET, "/admin/nowhere", 404, "未找到该页面或记录"),
        (
            Method::DELETE,
            "/admin/members",
            405,
            "此地址不支持这种请求方式",
        ),
        (Method::GET, "/m/nowhere", 404, "未找到该页面或记录"),
        (Method::PUT, "/m/checkin", 405, "此地址不支持这种请求方式"),
    ] {
        let (got, kind, body) = raw(&home, method.clone(), path, As::Staff);
        assert_eq!(got.as_u16(), status, "{method} {path}: {body}");
        assert!(kind.starts_with("text/html"), "{method} {path}: {kind}");
        assert!(body.contains(words), "{method} {path}: {body}");
        no_english(&body);
        if path.starts_with("/m/") {
            assert!(
                !body.contains("/admin"),
                "a member's phone is not sent to the admin"
            );
        }
    }
}

#[test]
fn api_refusals_name_the_field_in_chinese() {
    let home = TestHome::start();
    let post = |path: &str, who: As, body: serde_json::Value| {
        let (status, answer) = home.post(path, who, body);
        let message = string(&answer["error"]);
        no_english(&message);
        (status, answer, message)
    };
    let (status, _, message) = post("/api/v1/checkins", As::Kiosk, json!({}));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message.contains("缺少必填字段"), "{message}");

    let (status, answer, message) = post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": 5, "source": "qr" }),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["field"], "credential");
    assert_eq!(message, "字段 credential：类型有误，应为文字");

    let (status, answer, message) = post(
        "/api/v1/members",
        As::Staff,
        json!({ "name": "张三", "phone": phone(1), "employer": "x", "consent": "yes" }),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["field"], "consent");
    assert!(message.contains("true 或 false"), "{message}");

    for (path, words) in [
        (
            "/api/v1/compliance?year=abc",
            "查询参数 year 有误：须为整数",
        ),
        ("/api/v1/members?limit=-1", "查询参数 limit 有误"),
    ] {
        let (status, answer) = home.get(path, As::Staff);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        let message = string(&answer["error"]);
        assert!(message.contains(words), "{path}: {message}");
        no_english(&message);
    }

    let (status, kind, body) = raw(&home, Method::PUT, "/api/v1/members", As::Staff);
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(kind.starts_with("application/json"), "{kind}");
    assert!(body.contains("此地址不支持这种请求方式"), "{body}");
    let (status, kind, body) = raw(&home, Method::GET, "/api/v1/nowhere", As::Staff);
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(kind.starts_with("application/json"), "{kind}");
    no_english(&body);
}

#[test]
fn names_and_titles_with_invisible_or_bidi_characters_are_refused_and_nothing_is_stored() {
    let home = TestHome::start();
    for (n, name) in ["张\u{202E}三", "李\u{200B}四", "\u{FEFF}王五"]
        .into_iter()
        .enumerate()
    {
        let (status, answer) = home.post(
            "/api/v1/members",
            As::Staff,
            json!({ "name": name, "phone": phone(300 + n), "employer": "x", "consent": true }),
        );
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?}: {answer}"
        );
        assert_eq!(answer["field"], "name");
        assert!(
            string(&answer["error"]).contains("不可见的字符"),
            "{answer}"
        );
    }
    let (_, all) = home.get("/api/v1/members", As::Staff);
    assert_eq!(all.as_array().expect("list").len(), 0);

    let (status, answer) = home.post(
        "/api/v1/activities",
        As::Staff,
        json!({
            "title": "人工智能\u{200B}沙龙",
            "category": "academic_exchange",
            "starts_at": crate::support::in_minutes(60),
            "ends_at": crate::support::in_minutes(120),
        }),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["field"], "title");
    let (_, activities) = home.get("/api/v1/activities", As::Staff);
    assert_eq!(activities.as_array().map(Vec::len), Some(0), "{activities}");
}
