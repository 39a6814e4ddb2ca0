//! The year's 台账 export: how long a busy year's workbook (with every activity's photos) takes
//! to download from `kejia serve`, and how much memory the server needs for it.
//!
//! Run by hand: `cargo bench --bench ledger` (figures go to BENCHMARKS.md). A real release
//! process over HTTP on loopback. The year: 120 activities, 20,000 check-ins among 2,000
//! members, and two phone photos (4000×3000 JPEG, 2–4 MB) uploaded to each activity through
//! the staff page, which keeps a print copy of each. Memory is the server's peak resident set
//! (`VmHWM`), reset through `/proc/PID/clear_refs` just before each download.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::disallowed_methods
)]

use std::time::Instant;

#[path = "support/mod.rs"]
mod support;

use support::{
    backfill, login, memory, past_year, phone_photo, register, setup_accounts, spawn_serve,
};

const MEMBERS: usize = 2_000;
const ACTIVITIES: usize = 120;
const CHECKINS: usize = 20_000;
const PHOTOS_EACH: usize = 2;
const DOWNLOADS: usize = 8;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(year_export());
}

async fn year_export() {
    let dir = tempfile::tempdir().expect("temp dir");
    setup_accounts(dir.path());
    let (mut child, addr) = spawn_serve(dir.path());
    let base = format!("http://{addr}");
    // Redirects are not followed: an upload answers 303 to its activity, a refused one would
    // send the browser elsewhere.
    let http = support::http_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let cookie = login(&http, &base).await;
    let started = Instant::now();
    let credentials = register(&http, &base, &cookie, MEMBERS).await;
    let activities = past_year(&http, &base, &cookie, ACTIVITIES).await;
    backfill(&http, &base, &cookie, &activities, &credentials, CHECKINS).await;
    // Every photo its own picture: a workbook stores identical images once, which would flatter
    // the figures.
    let mut sizes = Vec::new();
    for (n, activity) in activities.iter().enumerate() {
        let photos = two_photos(n as u32);
        for photo in photos.iter().take(PHOTOS_EACH) {
            sizes.push(photo.len());
            upload(&http, &base, &cookie, activity, photo).await;
        }
    }
    println!(
        "phone photos: {:.1} MB on average",
        sizes.iter().sum::<usize>() as f64 / sizes.len() as f64 / 1e6
    );
    println!(
        "seeded: {MEMBERS} members, {ACTIVITIES} activities, {CHECKINS} check-ins, {} photos in {:.1} s",
        ACTIVITIES * PHOTOS_EACH,
        started.elapsed().as_secs_f64()
    );
    let pid = child.id();
    let (resting, _) = memory(pid);
    println!(
        "server resident before the downloads: {:.1} MiB",
        mib(resting)
    );
    let year = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .year();
    for path in ["ledger.xlsx", "ledger.csv"] {
        for _ in 0..DOWNLOADS {
            reset_peak(pid);
            let (before, _) = memory(pid);
            let started = Instant::now();
            let response = http
                .get(format!("{base}/api/v1/exports/{path}?year={year}"))
                .header("cookie", &cookie)
                .send()
                .await
                .expect("export");
            assert!(response.status().is_success(), "{}", response.status());
            let bytes = response.bytes().await.expect("body");
            let took = started.elapsed();
            let (_, peak) = memory(pid);
            // Peak over what the server held just before: what this download needed.
            println!(
                "{path}: {:.2} s, {:.1} MB, server peak {:.1} MiB ({:+.1} MiB over its resident set before)",
                took.as_secs_f64(),
                bytes.len() as f64 / 1e6,
                mib(peak),
                mib(peak) - mib(before)
            );
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Two different phone photos, made on both cores.
fn two_photos(activity: u32) -> [Vec<u8>; 2] {
    std::thread::scope(|scope| {
        let first = scope.spawn(|| phone_photo(activity * 2 + 1));
        let second = phone_photo(activity * 2 + 2);
        [first.join().expect("photo"), second]
    })
}

/// Uploads a photo through the staff page's form, as a browser does.
async fn upload(http: &reqwest::Client, base: &str, cookie: &str, activity: &str, photo: &[u8]) {
    const TOKEN: &str = "bench-csrf-token";
    const BOUNDARY: &str = "kejia-bench-boundary";
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{TOKEN}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"photo.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let response = http
        .post(format!("{base}/admin/activities/{activity}/photos"))
        .header("cookie", format!("{cookie}; kejia_csrf={TOKEN}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .expect("upload");
    let stored = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .is_some_and(|l| l.ends_with("?done=photo"));
    assert!(
        stored,
        "upload: {} {:?}",
        response.status(),
        response.headers()
    );
}

/// Resets the process's peak resident set to its current one (Linux's `clear_refs` 5).
fn reset_peak(pid: u32) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("clear_refs");
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
