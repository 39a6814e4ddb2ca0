//! Sync and evaluation at the association's scale, with real processes on loopback:
//! - a home with a 100,000-change backlog enrols and runs `kejia sync` (timed end to end);
//! - the hub evaluates 500 homes with a year each (about a million check-ins, written straight
//!   into its database) through `GET /api/v1/evaluation`.
//!
//! Run by hand: `cargo bench --bench sync` (figures go to BENCHMARKS.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::disallowed_methods
)]

use std::process::{Child, Command};
use std::sync::Arc;
use std::time::Instant;

use rusqlite::params;
use serde_json::json;

#[path = "support/mod.rs"]
mod support;

use support::{
    PASSWORD, USERNAME, cli, http_builder, login, post, register, setup_accounts, spawn_role,
};

const MEMBERS: usize = 2_000;
/// Activities open at once, each taking every member: 2,000 + 49 + 98,000 changes ≈ 100,000.
const ACTIVITIES: usize = 49;
const HOMES: usize = 500;
const MEMBERS_PER_HOME: usize = 150;
const ACTIVITIES_PER_HOME: usize = 16;
const CHECKINS_PER_ACTIVITY: usize = 125;
/// Members of each home who are also members of a neighbouring home.
const SHARED_PER_HOME: usize = 8;

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let home_dir = tempfile::tempdir().unwrap();
    setup_accounts(home_dir.path());
    let token = cli(
        home_dir.path(),
        &["token", "add", "--name", "bench", "--role", "kiosk"],
    );
    let (home, home_addr) = spawn_role("serve", home_dir.path());
    let changes = runtime.block_on(backlog(&format!("http://{home_addr}"), token.trim()));
    stop(home);

    let hub_dir = tempfile::tempdir().unwrap();
    let (hub, hub_addr) = spawn_role("hub", hub_dir.path());
    let code = cli(
        hub_dir.path(),
        &["hub", "home", "add", "--name", "压测之家"],
    );
    let enrolled = Command::new(support::KEJIA)
        .args([
            "enroll",
            "--hub",
            &format!("http://{hub_addr}"),
            "--code",
            code.trim(),
            "--data",
        ])
        .arg(home_dir.path())
        .status()
        .unwrap();
    assert!(enrolled.success());
    let started = Instant::now();
    let synced = Command::new(support::KEJIA)
        .args(["sync", "--data"])
        .arg(home_dir.path())
        .status()
        .unwrap();
    assert!(synced.success());
    let took = started.elapsed();
    println!(
        "kejia sync: {changes} changes in {:.2} s ({:.0} changes/s)",
        took.as_secs_f64(),
        changes as f64 / took.as_secs_f64()
    );
    stop(hub);

    let big = tempfile::tempdir().unwrap();
    let (hub, _) = spawn_role("hub", big.path());
    stop(hub);
    let started = Instant::now();
    let checkins = seed_hub(&big.path().join("kejia-hub.db"));
    println!(
        "seeded the hub: {HOMES} homes, {checkins} check-ins in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    setup_accounts(big.path());
    let (hub, hub_addr) = spawn_role("hub", big.path());
    runtime.block_on(evaluate(&format!("http://{hub_addr}")));
    stop(hub);
}

/// Members, open activities and check-ins over the API; returns the changes logged.
async fn backlog(base: &str, token: &str) -> usize {
    let http = http_builder().pool_max_idle_per_host(64).build().unwrap();
    let cookie = login(&http, base).await;
    let credentials = register(&http, base, &cookie, MEMBERS).await;
    let now = jiff::Timestamp::now();
    let mut activities = Vec::new();
    for n in 0..ACTIVITIES {
        let body = json!({
            "title": format!("同步压测活动 {n}"),
            "category": "academic_exchange",
            "starts_at": (now - jiff::SignedDuration::from_mins(5)).to_string(),
            "ends_at": (now + jiff::SignedDuration::from_hours(3)).to_string(),
        });
        let made = post(&http, &format!("{base}/api/v1/activities"), &cookie, body).await;
        activities.push(made["id"].as_str().unwrap().to_owned());
    }
    let jobs: Arc<Vec<String>> = Arc::new(
        activities
            .iter()
            .flat_map(|a| {
                credentials.iter().map(move |c| {
                    json!({ "credential": c, "source": "qr", "activity_id": a }).to_string()
                })
            })
            .collect(),
    );
    let sent = jobs.len();
    support::check_in_all(&http, base, support::Auth::Bearer(token), jobs, 64).await;
    MEMBERS + ACTIVITIES + sent
}

/// 500 enrolled homes with a year of activities and check-ins, written straight into the
/// hub's database (as sync would leave it).
fn seed_hub(path: &std::path::Path) -> usize {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    let year = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .year();
    let start = jiff::civil::date(year, 1, 5)
        .at(6, 0, 0, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_millisecond();
    let mut checkins = 0;
    for h in 0..HOMES {
        let home = format!("home-{h:04}");
        tx.execute(
            "INSERT INTO homes (id, name, public_key, enrolled_at, last_push_at, created_at) VALUES (?1, ?2, 'k', 0, ?3, 0)",
            params![home, format!("第{h}号科技工作者之家"), start],
        )
        .unwrap();
        for m in 0..MEMBERS_PER_HOME {
            tx.execute(
                "INSERT INTO members (home_id, id, status, consent_share, phone_hash) VALUES (?1, ?2, 'active', 0, ?3)",
                params![home, format!("m{m}"), phone_hash(h, m)],
            )
            .unwrap();
        }
        for a in 0..ACTIVITIES_PER_HOME {
            let starts = start + (a as i64) * 20 * 86_400_000;
            let activity = format!("a{a}");
            tx.execute(
                "INSERT INTO activities (home_id, id, title, category, starts_at, ends_at, cancelled, filing) VALUES (?1, ?2, ?3, 'academic_exchange', ?4, ?5, 0, 'filed')",
                params![home, activity, format!("第{a}场沙龙"), starts, starts + 7_200_000],
            )
            .unwrap();
            let attending = if a % 5 == 0 { 8 } else { CHECKINS_PER_ACTIVITY };
            for m in 0..attending {
                tx.execute(
                    "INSERT INTO checkins (home_id, id, member_id, activity_id, method, at, clock_trusted, undone) VALUES (?1, ?2, ?3, ?4, 'qr', ?5, 1, 0)",
                    params![home, format!("c{a}-{m}"), format!("m{}", (a * 7 + m) % MEMBERS_PER_HOME), activity, starts],
                )
                .unwrap();
                checkins += 1;
            }
        }
    }
    tx.commit().unwrap();
    checkins
}

/// Most members belong to one home; the first few of each home also attend its neighbour (the
/// same person by the keyed hash of their phone), at the same hours, so the cross-home overlap
/// check has real work.
fn phone_hash(home: usize, member: usize) -> String {
    // Shaped like the real ones (64 lowercase hex digits); computing argon2id for 75,000
    // members would only slow the set-up.
    if member < SHARED_PER_HOME {
        format!("{:064x}", (home / 2) * 1_000 + member)
    } else {
        format!("{:064x}", 1_000_000 + home * 1_000 + member)
    }
}

async fn evaluate(base: &str) {
    let http = http_builder().build().unwrap();
    let response = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "username": USERNAME, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let mut micros = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let answer: serde_json::Value = http
            .get(format!("{base}/api/v1/evaluation"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        micros.push(started.elapsed().as_micros());
        assert_eq!(answer["homes"].as_array().unwrap().len(), HOMES);
    }
    micros.sort_unstable();
    println!(
        "hub evaluation of {HOMES} homes: best {:.0} ms, median {:.0} ms, worst {:.0} ms",
        micros[0] as f64 / 1000.0,
        micros[2] as f64 / 1000.0,
        micros[4] as f64 / 1000.0
    );
}
