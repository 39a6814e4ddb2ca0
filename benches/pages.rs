//! Server time of every staff page and the phone page with a year of data (60 activities,
//! 2,000 members, 20,000 check-ins), and how long a check-in takes to reach an open
//! dashboard's live count. Real `kejia serve` (release build) over HTTP on loopback.
//!
//! Run by hand: `cargo bench --bench pages` (figures go to BENCHMARKS.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::disallowed_methods
)]

use std::process::Command;
use std::time::{Duration, Instant};

use jiff::tz::TimeZone;
use serde_json::json;

#[path = "support/mod.rs"]
mod support;

use support::{backfill, cli, login, past_year, post, register, setup_accounts, spawn_serve};

const MEMBERS: usize = 2_000;
const ACTIVITIES: usize = 60;
const CHECKINS: usize = 20_000;
/// Requests per page.
const SAMPLES: usize = 50;
/// Check-ins timed from request to the dashboard's event.
const LIVE_SAMPLES: usize = 200;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    setup_accounts(dir.path());
    let token = cli(
        dir.path(),
        &["token", "add", "--name", "bench", "--role", "kiosk"],
    );
    let (mut child, addr) = spawn_serve(dir.path());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench(&format!("http://{addr}"), token.trim()));
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
}

async fn bench(base: &str, token: &str) {
    let http = support::http_builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let cookie = login(&http, base).await;
    let started = Instant::now();
    let credentials = register(&http, base, &cookie, MEMBERS + LIVE_SAMPLES).await;
    let activities = past_year(&http, base, &cookie, ACTIVITIES).await;
    backfill(
        &http,
        base,
        &cookie,
        &activities,
        &credentials[..MEMBERS],
        CHECKINS,
    )
    .await;
    println!(
        "seeded {MEMBERS} members, {ACTIVITIES} activities, {CHECKINS} check-ins in {:.1} s\n",
        started.elapsed().as_secs_f64()
    );
    let year = jiff::Timestamp::now()
        .to_zoned_datetime(TimeZone::get("Asia/Shanghai").unwrap())
        .year();
    let busiest = &activities[0];
    let member = member_id(&http, base, &cookie).await;
    let status: serde_json::Value = http
        .get(format!("{base}/api/v1/kiosk/status"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let phone_url = status["phone_url"].as_str().unwrap_or_default().to_owned();
    let code = phone_url
        .split("code=")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let pages = [
        ("dashboard", "/admin".to_owned()),
        (
            "activities of the year",
            format!("/admin/activities?year={year}"),
        ),
        (
            "activity (333 attending)",
            format!("/admin/activities/{busiest}"),
        ),
        (
            "sign-in sheet (333)",
            format!("/admin/activities/{busiest}/sheet"),
        ),
        ("members", "/admin/members".to_owned()),
        ("member search", "/admin/members?q=1390000".to_owned()),
        ("member detail", format!("/admin/members/{member}")),
        ("badge sheet (200)", "/admin/badges".to_owned()),
        ("ledger", format!("/admin/ledger?year={year}")),
        ("phone check-in", format!("/m/checkin?code={code}")),
    ];
    println!(
        "{:<28} {:>8} {:>8} {:>8}",
        "page", "p50 ms", "p99 ms", "max ms"
    );
    for (name, path) in pages {
        let mut micros = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            let sent = Instant::now();
            let response = http
                .get(format!("{base}{path}"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{path}");
            response.bytes().await.unwrap();
            micros.push(sent.elapsed().as_micros() as u64);
        }
        let (p50, p99, max) = percentiles(&mut micros);
        println!("{name:<28} {p50:>8.2} {p99:>8.2} {max:>8.2}");
    }
    live_count(&http, base, &cookie, token, &credentials[MEMBERS..]).await;
}

async fn member_id(http: &reqwest::Client, base: &str, cookie: &str) -> String {
    let found: serde_json::Value = http
        .get(format!("{base}/api/v1/members?q=13900000100"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    found[0]["id"].as_str().unwrap().to_owned()
}

/// From a kiosk's check-in request leaving to the dashboard's event stream delivering the new
/// count, with one dashboard connected.
async fn live_count(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    token: &str,
    credentials: &[String],
) {
    let now = jiff::Timestamp::now();
    let body = json!({
        "title": "实时计数测试",
        "category": "academic_exchange",
        "starts_at": (now - jiff::SignedDuration::from_mins(5)).to_string(),
        "ends_at": (now + jiff::SignedDuration::from_hours(2)).to_string(),
    });
    post(http, &format!("{base}/api/v1/activities"), cookie, body).await;
    let mut events = http
        .get(format!("{base}/admin/live"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    // The snapshot of the open activity's count comes first.
    events.chunk().await.unwrap();
    let mut micros = Vec::with_capacity(LIVE_SAMPLES);
    for credential in credentials {
        let sent = Instant::now();
        let answer = http
            .post(format!("{base}/api/v1/checkins"))
            .bearer_auth(token)
            .json(&json!({ "credential": credential, "source": "qr" }))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        loop {
            let chunk = tokio::time::timeout(Duration::from_secs(5), events.chunk())
                .await
                .expect("an event within 5 s")
                .unwrap()
                .unwrap();
            if String::from_utf8_lossy(&chunk).contains("event: count") {
                break;
            }
        }
        micros.push(sent.elapsed().as_micros() as u64);
    }
    let (p50, p99, max) = percentiles(&mut micros);
    println!(
        "\ncheck-in → dashboard event ({LIVE_SAMPLES} check-ins): p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms"
    );
}

fn percentiles(micros: &mut [u64]) -> (f64, f64, f64) {
    micros.sort_unstable();
    let at =
        |p: f64| micros[((micros.len() as f64 * p) as usize).min(micros.len() - 1)] as f64 / 1000.0;
    (at(0.5), at(0.99), at(1.0))
}
