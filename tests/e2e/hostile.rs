//! Hostile and broken input: stored literally, answered with a clear 4xx, never a 500.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{As, TestHome, phone, string};

#[test]
fn hostile_names_are_stored_and_returned_literally() {
    let home = TestHome::start();
    for (n, name) in [
        "<script>alert(1)</script>",
        "O'Brien \"Bob\"",
        "Robert'); DROP TABLE members;--",
        "𠀀𪚥 张三",
    ]
    .into_iter()
    .enumerate()
    {
        let (id, _) = home.create_member(name, &phone(200 + n));
        let (_, member) = home.get(&format!("/api/v1/members/{id}"), As::Staff);
        assert_eq!(member["name"], name);
        let (_, found) = home.get(&format!("/api/v1/members?q={}", urlencode(name)), As::Staff);
        assert_eq!(
            found[0]["name"], name,
            "search finds it by its literal text"
        );
    }
    let (_, all) = home.get("/api/v1/members", As::Staff);
    assert_eq!(
        all.as_array().expect("list").len(),
        4,
        "the members table survived"
    );
}

#[test]
fn bodies_over_64_kib_are_refused_with_413() {
    let home = TestHome::start();
    let big = "张".repeat(200 * 1024 / 3);
    let (status, body) = home.post(
        "/api/v1/members",
        As::Staff,
        json!({ "name": big, "phone": phone(1), "employer": "x", "consent": true }),
    );
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"].as_str().expect("message").contains("64 KiB"));
}

#[test]
fn malformed_bodies_are_400_and_wrong_types_422() {
    let home = TestHome::start();
    let raw = |bytes: Vec<u8>| {
        crate::support::send(
            home.request(reqwest::Method::POST, "/api/v1/members", As::Staff)
                .header("content-type", "application/json")
                .body(bytes),
        )
    };
    let (status, body) = raw(b"{\"name\": \"\xff\xfe\", \"phone\": \"13800138000\"}".to_vec());
    assert_eq!(status, StatusCode::BAD_REQUEST, "invalid UTF-8: {body}");
    let (status, _) = raw(b"{\"name\": ".to_vec());
    assert_eq!(status, StatusCode::BAD_REQUEST, "cut JSON");
    let (status, body) =
        raw(br#"{"name": 42, "phone": ["138"], "employer": "x", "consent": "yes"}"#.to_vec());
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"].is_string());
    let (status, _) = crate::support::send(
        home.request(reqwest::Method::POST, "/api/v1/members", As::Staff)
            .header("content-type", "text/plain")
            .body("name=x"),
    );
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[test]
fn phone_numbers_that_are_not_mainland_mobiles_are_422_saying_why() {
    let home = TestHome::start();
    for bad in [
        "12345",
        "1380013800",
        "138001380001",
        "12800138000",
        "0731-4567890",
        "+852 6123 4567",
        "一三八",
    ] {
        let (status, body) = home.post(
            "/api/v1/members",
            As::Staff,
            json!({ "name": "测试", "phone": bad, "employer": "x", "consent": true }),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["field"], "phone");
        assert!(string(&body["error"]).contains("11 位"), "{body}");
    }
    let (status, body) = home.post(
        "/api/v1/members",
        As::Staff,
        json!({ "name": "测试", "phone": "+86 138-0013-8000", "employer": "x", "consent": true }),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["phone"], "13800138000");
    let (status, body) = home.post(
        "/api/v1/members",
        As::Staff,
        json!({ "name": "又一个", "phone": "13800138000", "employer": "x", "consent": true }),
    );
    assert_eq!(status, StatusCode::CONFLICT, "one member per phone: {body}");
}

#[test]
fn registration_without_consent_is_422() {
    let home = TestHome::start();
    for consent in [Value::Null, json!(false)] {
        let (status, body) = home.post(
            "/api/v1/members",
            As::Staff,
            json!({ "name": "测试", "phone": phone(1), "employer": "x", "consent": consent }),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "consent");
    }
}

#[test]
fn bad_activities_are_422_and_nothing_is_half_written() {
    let home = TestHome::start();
    let cases = [
        (
            json!({ "title": "x", "category": "party", "starts_at": "2026-03-01T14:00:00+08:00", "ends_at": "2026-03-01T16:00:00+08:00" }),
            "category",
        ),
        (
            json!({ "title": "x", "category": "advice", "starts_at": "2026-03-01T16:00:00+08:00", "ends_at": "2026-03-01T14:00:00+08:00" }),
            "ends_at",
        ),
        (
            json!({ "title": "x", "category": "advice", "starts_at": "2026-03-01 14:00", "ends_at": "2026-03-01T16:00:00+08:00" }),
            "starts_at",
        ),
        (
            json!({ "title": "", "category": "advice", "starts_at": "2026-03-01T14:00:00+08:00", "ends_at": "2026-03-01T16:00:00+08:00" }),
            "title",
        ),
        (
            json!({ "title": "x", "category": "advice", "starts_at": "2026-03-01T14:00:00+08:00", "ends_at": "2026-03-01T16:00:00+08:00", "checkin_opens_before_minutes": -5 }),
            "checkin_opens_before_minutes",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = home.post("/api/v1/activities", As::Staff, body);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["field"], field);
    }
    let (_, listed) = home.get("/api/v1/activities?year=2026", As::Staff);
    assert_eq!(listed, json!([]));
}

#[test]
fn hostile_checkin_payloads_are_answered_sanely() {
    let home = TestHome::start();
    home.create_open_activity("安全测试");
    for credential in [
        "' OR 1=1 --",
        "<img src=x onerror=alert(1)>",
        "KJ1' UNION SELECT credential FROM members --",
    ] {
        let (status, answer) = home.post(
            "/api/v1/checkins",
            As::Kiosk,
            json!({ "credential": credential, "source": "qr" }),
        );
        assert_eq!(status, StatusCode::OK);
        assert_eq!(answer["outcome"], "unknown_credential");
    }
    let (_, scans) = home.get("/api/v1/scans", As::Staff);
    assert_eq!(
        scans[1]["credential"], "<img src=x onerror=alert(1)>",
        "stored literally"
    );
    let too_long = "A".repeat(513);
    let (status, body) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": too_long, "source": "qr" }),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": "x\u{0007}y", "source": "qr" }),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": "x", "source": "telepathy" }),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": "x", "source": "qr", "activity_id": "not-a-uuid" }),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": "x", "source": "qr", "activity_id": uuid::Uuid::nil() }),
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = home.get("/api/v1/members/not-a-uuid", As::Staff);
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
