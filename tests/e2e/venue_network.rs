//! The first day on the venue network: the kiosk's phone QR code must open from a phone, and a
//! home that no phone can reach says so in words, at start and on the dashboard.

use std::net::{IpAddr, UdpSocket};

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{As, TestHome, http_builder};
use crate::sync::{TestHub, kejia};

/// This machine's LAN address, found the way the home finds it (the route to a public
/// address; no packet is sent).
fn lan_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

fn phone_url(home: &TestHome) -> String {
    let (status, answer) = home.get("/api/v1/kiosk/status", As::Kiosk);
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["phone_url"].as_str().expect("phone_url").to_owned()
}

#[test]
fn a_home_listening_on_loopback_says_no_phone_can_reach_it_and_keeps_its_qr_on_loopback() {
    let (home, printed) = TestHome::start_listening("127.0.0.1:0");
    let port = home.addr.port();
    let warning = printed
        .iter()
        .find(|line| line.starts_with("注意："))
        .unwrap_or_else(|| panic!("no warning at start: {printed:?}"));
    assert!(
        warning.contains(&format!("--listen 0.0.0.0:{port}")),
        "{warning}"
    );
    assert!(
        home.dashboard().contains("手机和其他设备都无法打开签到页"),
        "the dashboard says it too"
    );
    // Never a LAN address the home does not listen on.
    assert!(
        phone_url(&home).starts_with(&format!("http://127.0.0.1:{port}/m/checkin?code=")),
        "{}",
        phone_url(&home)
    );
}

#[test]
fn listening_on_every_interface_gives_a_qr_code_that_opens_from_the_lan_address() {
    let (home, printed) = TestHome::start_listening("0.0.0.0:0");
    let port = home.addr.port();
    let Some(lan) = lan_address() else {
        // A machine with no network: the home says so instead of showing a dead code.
        assert!(
            printed.iter().any(|l| l.contains("没有局域网地址")),
            "{printed:?}"
        );
        return;
    };
    assert!(
        !printed.iter().any(|line| line.starts_with("注意：")),
        "{printed:?}"
    );
    let url = phone_url(&home);
    let lan_host = match lan {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    };
    assert!(
        url.starts_with(&format!("http://{lan_host}:{port}/m/checkin?code=")),
        "{url}"
    );
    // A phone: a fresh browser, connecting to the LAN address, not to loopback.
    let phone = http_builder().build().expect("client");
    let page = phone.get(&url).send().expect("the phone page opens");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().expect("html");
    assert!(html.contains("签到"), "{html}");
    assert!(!home.dashboard().contains("无法打开签到页"));
}

#[test]
fn enrolment_brings_the_associations_name_host_unit_and_award_month_to_the_home() {
    let hub = TestHub::start();
    let added = kejia(
        hub.dir.path(),
        &[
            "hub",
            "home",
            "add",
            "--name",
            "赫山区科技工作者之家",
            "--host-unit",
            "益阳某研究院",
            "--awarded-on",
            "2026-03-18",
        ],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let stdout = String::from_utf8(added.stdout).expect("utf-8");
    let code = stdout
        .lines()
        .find(|line| !line.trim().is_empty())
        .expect("a code")
        .trim()
        .to_owned();
    let home = TestHome::start();
    let enrolled = kejia(
        home.data(),
        &["enroll", "--hub", &hub.url(""), "--code", &code],
    );
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    // The running home takes them without a restart.
    let (_, status) = home.get("/api/v1/kiosk/status", As::Kiosk);
    assert_eq!(status["home_name"], "赫山区科技工作者之家");
    let settings = home
        .request(reqwest::Method::GET, "/admin/settings", As::Staff)
        .send()
        .expect("settings")
        .text()
        .expect("html");
    assert!(settings.contains("益阳某研究院"));
    assert!(settings.contains(r#"value="2026-03""#), "{settings}");
    // Months before the award are not due.
    let (_, compliance): (StatusCode, Value) = home.get("/api/v1/compliance?year=2026", As::Staff);
    let missing = compliance["missing_months"].as_array().expect("months");
    assert!(
        missing.iter().all(|m| m.as_i64() >= Some(3)),
        "{compliance}"
    );
}
