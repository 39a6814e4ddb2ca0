//! Hostile and broken input: stored literally, answered with a clear 4xx, never a 500.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

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

/// What `kejia serve` allows (see `server/src/web/serve.rs`).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_CONNECTIONS_PER_PEER: usize = 128;

/// A connection from `source` (another loopback address stands for another host).
fn connect_from(source: &str, to: std::net::SocketAddr) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    let stream = runtime
        .block_on(async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(format!("{source}:0").parse().expect("address"))?;
            socket.connect(to).await?.into_std()
        })
        .expect("connect");
    stream.set_nonblocking(false).expect("blocking");
    stream
}

/// Whether the server has closed `stream`, without waiting.
fn closed_now(stream: &mut TcpStream) -> bool {
    stream.set_nonblocking(true).expect("nonblocking");
    let mut buffer = [0u8; 512];
    let closed = loop {
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break false,
            Err(_) => break true,
        }
    };
    stream.set_nonblocking(false).expect("blocking");
    closed
}

/// Reads until the server closes `stream`; false if it is still open at `deadline`.
fn closed_by(stream: &mut TcpStream, deadline: Instant) -> bool {
    let mut buffer = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stream.set_read_timeout(Some(left)).expect("timeout");
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn slow_connections_cannot_starve_checkins_and_are_closed_after_the_header_timeout() {
    let home = TestHome::start();
    let activity = home.create_open_activity("慢速连接测试");
    let (_, first) = home.create_member("甲", &phone(1));
    let (_, second) = home.create_member("乙", &phone(2));

    // The dashboard's live count, a long-lived event stream, opened before the flood.
    let mut live = TcpStream::connect(home.addr).expect("connect");
    write!(
        live,
        "GET /admin/live HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\nAccept: text/event-stream\r\n\r\n",
        home.addr, home.cookie
    )
    .expect("request the stream");

    // 300 connections from another host that send half a request head, then nothing.
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut stream = connect_from("127.0.0.2", home.addr);
            // A refused connection may already be closed; that is fine.
            let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: kejia\r\nX-Slow: ");
            stream
        })
        .collect();

    // The door still works while they hang.
    let answer = home.checkin(&first);
    assert_eq!(answer["outcome"], "checked_in", "{answer}");

    // The connections over the per-address cap were closed at once, long before any header
    // timeout; the rest are held, each to its own deadline.
    let over_cap = slow.len() - MAX_CONNECTIONS_PER_PEER;
    let mut refused = 0;
    while Instant::now() < started + HEADER_READ_TIMEOUT / 2 {
        refused = slow.iter_mut().map(closed_now).filter(|&c| c).count();
        if refused >= over_cap {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        refused, over_cap,
        "one address holds at most {MAX_CONNECTIONS_PER_PEER} connections"
    );

    // And the server closes every slow connection once its header timeout has passed.
    let deadline = started + HEADER_READ_TIMEOUT + Duration::from_secs(20);
    let still_open = slow
        .iter_mut()
        .map(|stream| closed_by(stream, deadline))
        .filter(|&closed| !closed)
        .count();
    assert_eq!(still_open, 0, "slow connections left open by the server");
    assert!(
        Instant::now() >= started + HEADER_READ_TIMEOUT,
        "held until the timeout"
    );

    // The event stream outlived the header timeout: it still carries the next count.
    let answer = home.checkin(&second);
    assert_eq!(answer["outcome"], "checked_in", "{answer}");
    live.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    let wanted = format!(r#""activity_id":"{activity}","participants":2"#);
    while !String::from_utf8_lossy(&seen).contains(&wanted) {
        match live.read(&mut buffer) {
            Ok(0) => panic!(
                "the event stream was closed: {}",
                String::from_utf8_lossy(&seen)
            ),
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
            Err(e) => panic!(
                "no count on the stream ({e}): {}",
                String::from_utf8_lossy(&seen)
            ),
        }
    }
    assert_eq!(home.participants(&activity), 2);
}
