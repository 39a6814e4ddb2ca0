//! What the by-hand benches share: the release `kejia` binary, an account, a token, a server.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Cursor, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use jiff::civil::date;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

pub const KEJIA: &str = env!("CARGO_BIN_EXE_kejia");
pub const USERNAME: &str = "bench";
pub const PASSWORD: &str = "bench password";

/// Creates the bench's administrator in `data`.
pub fn setup_accounts(data: &Path) {
    let mut child = Command::new(KEJIA)
        .args([
            "user",
            "add",
            "--username",
            USERNAME,
            "--role",
            "admin",
            "--password-stdin",
            "--data",
        ])
        .arg(data)
        .stdin(Stdio::piped())
        .spawn()
        .expect("user add");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("write");
    assert!(child.wait().expect("wait").success());
}

/// Runs a `kejia` command on `data` and returns what it printed.
pub fn cli(data: &Path, args: &[&str]) -> String {
    let output = Command::new(KEJIA)
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

/// Starts `kejia serve` on a free loopback port and reads the address it printed; the
/// database is open before that line appears.
pub fn spawn_serve(data: &Path) -> (Child, SocketAddr) {
    spawn_role("serve", data)
}

/// `kejia serve` or `kejia hub` on a free loopback port; returns the process and its address.
pub fn spawn_role(role: &str, data: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(KEJIA)
        .args([role, "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.trim().parse().ok())
        .expect("address");
    (child, addr)
}

/// Registers `count` members over the API with 64 requests in flight; returns their QR texts.
pub async fn register(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    count: usize,
) -> Vec<String> {
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..64)
        .map(|_| {
            let (http, next, base, cookie) = (http.clone(), next.clone(), base.to_owned(), cookie.to_owned());
            tokio::spawn(async move {
                let mut credentials = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        break;
                    }
                    let body = json!({ "name": format!("会员{n}"), "phone": format!("139{n:08}"), "employer": "益阳某公司", "consent": true });
                    let member = post(&http, &format!("{base}/api/v1/members"), &cookie, body).await;
                    credentials.push(member["credential"].as_str().expect("credential").to_owned());
                }
                credentials
            })
        })
        .collect();
    let mut all = Vec::with_capacity(count);
    for worker in workers {
        all.extend(worker.await.expect("worker"));
    }
    all
}

/// POSTs JSON with the session cookie and returns the JSON answer (any failure panics).
pub async fn post(http: &reqwest::Client, url: &str, cookie: &str, body: Value) -> Value {
    let response = http
        .post(url)
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.expect("json")
}

/// Logs the bench's administrator in; returns the session cookie's `name=value`.
pub async fn login(http: &reqwest::Client, base: &str) -> String {
    let response = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "username": USERNAME, "password": PASSWORD }))
        .send()
        .await
        .expect("login");
    let cookie = response.headers()["set-cookie"].to_str().expect("ascii");
    cookie.split(';').next().expect("pair").to_owned()
}

/// Resident and peak resident memory of a process, in KiB.
pub fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// An async HTTP client builder; installs the TLS crypto provider reqwest is built without.
pub fn http_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// `count` activities spread over this year up to last week, all in the past.
pub async fn past_year(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    count: usize,
) -> Vec<String> {
    let tz = TimeZone::get("Asia/Shanghai").unwrap();
    let today = jiff::Timestamp::now().to_zoned_datetime(tz.clone()).date();
    let first = date(today.year(), 1, 3);
    let span = (today - first).get_days().max(70) - 7;
    let mut ids = Vec::new();
    for n in 0..count {
        let day = first + jiff::Span::new().days(span * n as i32 / count as i32);
        let starts = day.at(14, 30, 0, 0).to_zoned_datetime(tz.clone()).unwrap();
        let ends = day.at(16, 30, 0, 0).to_zoned_datetime(tz.clone()).unwrap();
        let body = json!({
            "title": format!("{}月第{}场学术沙龙", day.month(), n + 1),
            "category": "academic_exchange",
            "starts_at": starts.timestamp().to_string(),
            "ends_at": ends.timestamp().to_string(),
            "location": "二楼报告厅",
        });
        let made = post(http, &format!("{base}/api/v1/activities"), cookie, body).await;
        ids.push(made["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// Paper sign-in sheets entered by the staffer: `checkins` spread evenly over `activities`.
pub async fn backfill(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    activities: &[String],
    credentials: &[String],
    checkins: usize,
) {
    let jobs: Arc<Vec<String>> = Arc::new(
        (0..checkins)
            .map(|n| {
                // Each activity gets its own run of distinct members.
                let activity = n % activities.len();
                let member = (activity * 37 + n / activities.len()) % credentials.len();
                json!({
                    "credential": credentials[member],
                    "source": "manual",
                    "activity_id": activities[activity],
                })
                .to_string()
            })
            .collect(),
    );
    check_in_all(http, base, Auth::Cookie(cookie), jobs, 16).await;
}

/// An activity that began five minutes ago and runs three hours: the kiosk's scans land in it.
pub async fn create_open_activity(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    run: usize,
) -> String {
    let now = jiff::Timestamp::now();
    let body = json!({
        "title": format!("压测活动 {run}"),
        "category": "academic_exchange",
        "starts_at": (now - jiff::SignedDuration::from_mins(5)).to_string(),
        "ends_at": (now + jiff::SignedDuration::from_hours(3)).to_string(),
    });
    let activity = post(http, &format!("{base}/api/v1/activities"), cookie, body).await;
    activity["id"].as_str().expect("id").to_owned()
}

/// Who the check-ins are sent as.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// A staff session (`name=value`), for manual entries.
    Cookie(&'a str),
    /// A kiosk's device token.
    Bearer(&'a str),
}

/// POSTs every JSON body to `/api/v1/checkins` from `workers` concurrent clients; each must
/// be a first-time check-in.
pub async fn check_in_all(
    http: &reqwest::Client,
    base: &str,
    auth: Auth<'_>,
    bodies: Arc<Vec<String>>,
    workers: usize,
) {
    let next = Arc::new(AtomicUsize::new(0));
    let (cookie, token) = match auth {
        Auth::Cookie(cookie) => (Some(cookie.to_owned()), None),
        Auth::Bearer(token) => (None, Some(token.to_owned())),
    };
    let workers: Vec<_> = (0..workers)
        .map(|_| {
            let (http, bodies, next) = (http.clone(), bodies.clone(), next.clone());
            let (url, cookie, token) = (
                format!("{base}/api/v1/checkins"),
                cookie.clone(),
                token.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(n) else { break };
                    let mut request = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone());
                    if let Some(cookie) = &cookie {
                        request = request.header("cookie", cookie);
                    }
                    if let Some(token) = &token {
                        request = request.bearer_auth(token);
                    }
                    let text = request.send().await.unwrap().text().await.unwrap();
                    assert!(text.contains("\"checked_in\""), "{text}");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
}

/// A phone's photo: 4000×3000, smooth light with a little grain, as JPEG at the quality
/// phones use. The grain keeps it from compressing unrealistically well.
pub fn phone_photo(seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761);
    let picture = RgbImage::from_fn(4000, 3000, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let grain = (state % 24) as u8;
        let r = ((x * 160 / 4000 + seed) % 160) as u8 + 40 + grain;
        let g = (y * 120 / 3000) as u8 + 60 + grain;
        let b = ((x + y) * 80 / 7000) as u8 + 90 + grain;
        Rgb([r, g, b])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut out), 88)
        .encode_image(&picture)
        .expect("jpeg");
    out
}
