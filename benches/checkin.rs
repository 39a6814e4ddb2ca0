//! Check-in throughput and latency over real HTTP on loopback, against the real `kejia serve`
//! process (release build), with the load generator on the same machine.
//!
//! Run by hand: `cargo bench --bench checkin` (figures go to BENCHMARKS.md). Not part of the
//! test suite. Prints check-ins per second and p50/p99 latency at concurrency 1, 8 and 64 for
//! first-time check-ins (distinct members) and for repeat scans (already checked in), then the
//! server's resident memory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::disallowed_methods
)]

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

#[path = "support/mod.rs"]
mod support;

use support::{
    cli, create_open_activity, login, memory, post, register, setup_accounts, spawn_serve,
};

/// (concurrency, first-time check-ins) per run; together over 100,000 check-ins.
const RUNS: &[(usize, usize)] = &[(1, 3_000), (8, 30_000), (64, 40_000), (64, 40_000)];

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    setup_accounts(dir.path());
    let token = cli(
        dir.path(),
        &["token", "add", "--name", "bench", "--role", "kiosk"],
    );
    let (child, addr) = spawn_serve(dir.path());
    let server = Server { child, addr };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench(&server, token.trim()));
}

async fn bench(server: &Server, token: &str) {
    let base = format!("http://{}", server.addr);
    let http = support::http_builder()
        .pool_max_idle_per_host(128)
        .build()
        .expect("client");
    let cookie = login(&http, &base).await;
    let members_needed = RUNS.iter().map(|r| r.1).max().unwrap_or(0);
    let started = Instant::now();
    let credentials = register(&http, &base, &cookie, members_needed).await;
    println!(
        "registered {} members in {:.1} s ({:.0}/s, concurrency 64)\n",
        credentials.len(),
        started.elapsed().as_secs_f64(),
        credentials.len() as f64 / started.elapsed().as_secs_f64()
    );
    println!(
        "{:<28} {:>6} {:>9} {:>12} {:>9} {:>9}",
        "run", "conc.", "requests", "check-ins/s", "p50 ms", "p99 ms"
    );
    let mut total = 0;
    let mut previous: Option<String> = None;
    for (run, &(concurrency, count)) in RUNS.iter().enumerate() {
        // One activity open at a time, so every scan takes the kiosk's real path: resolve the
        // open activity from the clock, no activity_id.
        if let Some(id) = previous.take() {
            post(
                &http,
                &format!("{base}/api/v1/activities/{id}/close"),
                &cookie,
                json!({}),
            )
            .await;
        }
        let activity = create_open_activity(&http, &base, &cookie, run).await;
        let bodies: Vec<String> = credentials[..count]
            .iter()
            .map(|c| checkin_body(c))
            .collect();
        let first = load(
            &http,
            &base,
            token,
            bodies.clone(),
            concurrency,
            "\"checked_in\"",
        )
        .await;
        report("first-time check-in", concurrency, &first);
        total += count;
        if run < 3 {
            let repeat = load(
                &http,
                &base,
                token,
                bodies[..count.min(20_000)].to_vec(),
                concurrency,
                "\"already_checked_in\"",
            )
            .await;
            report("repeat scan (already in)", concurrency, &repeat);
        }
        previous = Some(activity);
    }
    let (rss, peak) = memory(server.child.id());
    println!("\nserver after {total} first-time check-ins: RSS {rss} KiB, peak {peak} KiB");
}

struct Measured {
    requests: usize,
    wrong: usize,
    elapsed: Duration,
    micros: Vec<u32>,
}

fn report(name: &str, concurrency: usize, measured: &Measured) {
    let mut micros = measured.micros.clone();
    micros.sort_unstable();
    let pct = |p: f64| {
        micros
            .get(((micros.len() as f64 * p) as usize).min(micros.len() - 1))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    println!(
        "{:<28} {:>6} {:>9} {:>12.0} {:>9.2} {:>9.2}{}",
        name,
        concurrency,
        measured.requests,
        measured.requests as f64 / measured.elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        if measured.wrong > 0 {
            format!("  ({} unexpected answers!)", measured.wrong)
        } else {
            String::new()
        }
    );
}

/// Sends every body once from `concurrency` workers, timing each request.
async fn load(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    bodies: Vec<String>,
    concurrency: usize,
    expect: &'static str,
) -> Measured {
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let url = format!("{base}/api/v1/checkins");
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, bodies, next, url, token) = (
                http.clone(),
                bodies.clone(),
                next.clone(),
                url.clone(),
                token.to_owned(),
            );
            tokio::spawn(async move {
                let mut micros = Vec::new();
                let mut wrong = 0;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    let sent = Instant::now();
                    let response = http
                        .post(&url)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .expect("request");
                    let ok = response.status().is_success();
                    let text = response.bytes().await.expect("body");
                    micros.push(sent.elapsed().as_micros() as u32);
                    if !ok || !contains(&text, expect.as_bytes()) {
                        wrong += 1;
                    }
                }
                (micros, wrong)
            })
        })
        .collect();
    let mut measured = Measured {
        requests: bodies.len(),
        wrong: 0,
        elapsed: Duration::ZERO,
        micros: Vec::new(),
    };
    for worker in workers {
        let (micros, wrong) = worker.await.expect("worker");
        measured.micros.extend(micros);
        measured.wrong += wrong;
    }
    measured.elapsed = started.elapsed();
    measured
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn checkin_body(credential: &str) -> String {
    json!({ "credential": credential, "source": "qr" }).to_string()
}
