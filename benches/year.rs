//! A year unattended on an SD card: how long `kejia serve` takes from a cold start to answering
//! /healthz on a year of data, and how many bytes reach the disk per check-in.
//!
//! Run by hand: `cargo bench --bench year` (figures go to BENCHMARKS.md). Real release
//! processes over HTTP on loopback. Bytes are the server process's `write_bytes` from
//! `/proc/PID/io` (what it sent towards the storage layer: WAL frames, checkpoints into the
//! database file) and `wchar` (what its write calls carried), per first-time check-in.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::disallowed_methods
)]

use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

#[path = "support/mod.rs"]
mod support;

use support::{
    Auth, backfill, check_in_all, cli, create_open_activity, login, past_year, register,
    setup_accounts, spawn_serve,
};

/// A busy home's year: 500 check-ins a day over 365 days, among 2,000 members and 120
/// activities (ten a month).
const YEAR_MEMBERS: usize = 2_000;
const YEAR_ACTIVITIES: usize = 120;
const YEAR_CHECKINS: usize = 182_500;
const COLD_STARTS: usize = 15;
/// (concurrency, first-time check-ins) for the bytes-per-check-in runs.
const WRITE_RUNS: &[(usize, usize)] = &[(1, 3_000), (64, 20_000)];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        cold_start_on_a_year_of_data().await;
        for &(concurrency, count) in WRITE_RUNS {
            bytes_per_checkin(concurrency, count).await;
        }
    });
}

async fn cold_start_on_a_year_of_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    setup_accounts(dir.path());
    let (child, addr) = spawn_serve(dir.path());
    let base = format!("http://{addr}");
    let http = client();
    let cookie = login(&http, &base).await;
    let started = Instant::now();
    let credentials = register(&http, &base, &cookie, YEAR_MEMBERS).await;
    let activities = past_year(&http, &base, &cookie, YEAR_ACTIVITIES).await;
    backfill(
        &http,
        &base,
        &cookie,
        &activities,
        &credentials,
        YEAR_CHECKINS,
    )
    .await;
    println!(
        "seeded a year: {YEAR_MEMBERS} members, {YEAR_ACTIVITIES} activities, {YEAR_CHECKINS} check-ins in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    stop(child);
    let size = std::fs::metadata(dir.path().join("kejia.db"))
        .expect("db")
        .len();
    println!(
        "database after a clean stop: {:.1} MiB",
        size as f64 / 1_048_576.0
    );

    let mut millis = Vec::with_capacity(COLD_STARTS);
    for _ in 0..COLD_STARTS {
        let started = Instant::now();
        let (child, addr) = spawn_serve(dir.path());
        let url = format!("http://{addr}/healthz");
        loop {
            match http.get(&url).send().await {
                Ok(response) if response.status().is_success() => break,
                _ => tokio::time::sleep(Duration::from_micros(200)).await,
            }
        }
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
        stop(child);
    }
    millis.sort_by(f64::total_cmp);
    if std::env::var_os("KEJIA_BENCH_KEEP").is_some() {
        println!("kept the year's data folder: {}", dir.keep().display());
    }
    println!(
        "cold start to /healthz, {COLD_STARTS} starts: min {:.0} ms, median {:.0} ms, max {:.0} ms\n",
        millis[0],
        millis[millis.len() / 2],
        millis[millis.len() - 1]
    );
}

/// A fresh home with `count` members and one open activity takes `count` first-time check-ins
/// from `concurrency` kiosks; prints the disk bytes the server wrote per check-in.
async fn bytes_per_checkin(concurrency: usize, count: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    setup_accounts(dir.path());
    let token = cli(
        dir.path(),
        &["token", "add", "--name", "bench", "--role", "kiosk"],
    );
    let token = token.trim().to_owned();
    let (child, addr) = spawn_serve(dir.path());
    let base = format!("http://{addr}");
    let http = client();
    let cookie = login(&http, &base).await;
    let credentials = register(&http, &base, &cookie, count).await;
    create_open_activity(&http, &base, &cookie, 0).await;
    // Let the registrations' last checkpoint settle before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = io_counters(child.id());

    let bodies: Vec<String> = credentials
        .iter()
        .map(|credential| json!({ "credential": credential, "source": "qr" }).to_string())
        .collect();
    check_in_all(
        &http,
        &base,
        Auth::Bearer(&token),
        Arc::new(bodies),
        concurrency,
    )
    .await;
    let after = io_counters(child.id());
    stop(child);
    let per =
        |field: fn(&IoCounters) -> u64| (field(&after) - field(&before)) as f64 / count as f64;
    let write_bytes = per(|c| c.write_bytes);
    println!(
        "concurrency {concurrency:>2}, {count} check-ins: write_bytes {:.0} B/check-in, wchar {:.0} B/check-in",
        write_bytes,
        per(|c| c.wchar)
    );
    println!(
        "  at 500 check-ins a day: {:.1} MiB a day, {:.2} GiB a year",
        write_bytes * 500.0 / 1_048_576.0,
        write_bytes * 500.0 * 365.0 / 1_073_741_824.0
    );
}

struct IoCounters {
    wchar: u64,
    write_bytes: u64,
}

fn io_counters(pid: u32) -> IoCounters {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).expect("/proc/PID/io");
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .expect("counter")
    };
    IoCounters {
        wchar: field("wchar:"),
        write_bytes: field("write_bytes:"),
    }
}

fn client() -> reqwest::Client {
    support::http_builder()
        .pool_max_idle_per_host(128)
        .build()
        .expect("client")
}

/// SIGTERM, as systemd stops it, and wait: the WAL is checkpointed into the file.
fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
}
