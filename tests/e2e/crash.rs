//! Acknowledged means durable: kill -9 in the middle of a burst and count what survived.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{As, TestHome, db_path, phone, string};

const MEMBERS: usize = 300;
const SEEDS: u64 = 20;

/// Twenty power cuts, each at a point and under a load its seed chooses, on one home that has
/// to come back from every one of them.
#[test]
fn kill_9_mid_burst_loses_no_acknowledged_checkin_and_counts_none_twice_over_20_seeds() {
    let mut home = TestHome::start();
    let members = register_members(&home, MEMBERS);
    let mut previous: Option<String> = None;
    for seed in 0..SEEDS {
        if let Some(activity) = previous.take() {
            let (status, body) = home.post(
                &format!("/api/v1/activities/{activity}/close"),
                As::Staff,
                json!({}),
            );
            assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        }
        let activity = home.create_open_activity(&format!("断电演练{seed}"));
        let cut = Cut::of_seed(seed);
        let acknowledged = burst_then_kill(&mut home, &members, cut, seed);
        assert_survived(&mut home, &activity, &acknowledged, seed);
        previous = Some(activity);
    }
}

/// Where a seed pulls the plug: after how many answers, with how many kiosks sending.
#[derive(Debug, Clone, Copy)]
struct Cut {
    after: usize,
    clients: usize,
}

impl Cut {
    fn of_seed(seed: u64) -> Self {
        let mixed = splitmix64(seed);
        let span = (MEMBERS * 8 / 10) as u64;
        Self {
            after: MEMBERS / 10 + (mixed % span) as usize,
            clients: [1, 4, 16, 64][((mixed >> 32) % 4) as usize],
        }
    }
}

/// A well-mixed number from a seed (Steele, Lea and Flood's SplitMix64).
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Streams every member's check-in from `cut.clients` threads and kills the server once
/// `cut.after` have been answered; returns the members whose check-in was acknowledged.
fn burst_then_kill(
    home: &mut TestHome,
    members: &[(String, String)],
    cut: Cut,
    seed: u64,
) -> Vec<String> {
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let answered = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, token) = (home.addr, home.kiosk_token.clone());
    let chunks: Vec<Vec<(String, String)>> = members
        .chunks(members.len().div_ceil(cut.clients))
        .map(<[_]>::to_vec)
        .collect();
    let clients: Vec<_> = chunks
        .into_iter()
        .enumerate()
        .map(|(client, chunk)| {
            let (acknowledged, answered, stop, token) = (acknowledged.clone(), answered.clone(), stop.clone(), token.clone());
            std::thread::spawn(move || {
                let http = crate::support::http_builder().timeout(Duration::from_secs(5)).build().expect("client");
                for (n, (member, credential)) in chunk.into_iter().enumerate() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let body = json!({ "credential": credential, "source": "qr", "scan_id": format!("s{seed}-c{client}-{n}") });
                    let Ok(response) = http.post(format!("http://{addr}/api/v1/checkins")).bearer_auth(&token).json(&body).send() else {
                        break;
                    };
                    let Ok(answer) = response.json::<serde_json::Value>() else { break };
                    if answer["outcome"] == "checked_in" {
                        acknowledged.lock().expect("lock").push(member);
                    }
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.load(Ordering::Relaxed) < cut.after && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(200));
    }
    home.kill9();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("client thread");
    }
    let acknowledged: Vec<String> = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() >= cut.after,
        "seed {seed} {cut:?}: burst too short: {}",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() < members.len(),
        "seed {seed} {cut:?}: the kill came after the burst ended"
    );
    acknowledged
}

/// The killed file passes `quick_check`, and the restarted home counts every acknowledged
/// check-in exactly once.
fn assert_survived(home: &mut TestHome, activity: &str, acknowledged: &[String], seed: u64) {
    let conn = rusqlite::Connection::open(db_path(home.data())).expect("open the killed database");
    let verdict: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .expect("quick_check");
    assert_eq!(verdict, "ok", "seed {seed}");
    drop(conn);

    home.restart();
    let present = home.attendance(activity);
    let unique: HashSet<&String> = present.iter().collect();
    assert_eq!(
        unique.len(),
        present.len(),
        "seed {seed}: someone is counted twice"
    );
    assert_eq!(
        home.participants(activity) as usize,
        present.len(),
        "seed {seed}"
    );
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|m| !unique.contains(m))
        .collect();
    assert!(
        missing.is_empty(),
        "seed {seed}: {} acknowledged check-ins lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
}

/// Registers members from several threads; returns (id, credential) pairs.
pub fn register_members(home: &TestHome, count: usize) -> Vec<(String, String)> {
    let next = AtomicUsize::new(0);
    let members = Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        break;
                    }
                    let (status, body) = home.post(
                        "/api/v1/members",
                        As::Staff,
                        json!({ "name": format!("会员{n}"), "phone": phone(10_000 + n), "employer": "某单位", "consent": true }),
                    );
                    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
                    members.lock().expect("lock").push((string(&body["id"]), string(&body["credential"])));
                }
            });
        }
    });
    members.into_inner().expect("lock")
}

const TRACED: usize = 200;

/// The other proof of "acknowledged means durable": the system calls themselves. Under strace,
/// every one of 200 check-ins shows the same order: its request read from the socket, then an
/// fsync of the WAL, then its answer written back. A server that answered before the WAL
/// reached the disk would show the answer first.
#[test]
fn every_acknowledged_checkin_fsyncs_the_wal_between_its_request_and_its_answer() {
    let trace_dir = tempfile::tempdir().expect("trace folder");
    let trace = trace_dir.path().join("serve.strace");
    let trace_arg = trace.to_str().expect("utf-8 path").to_owned();
    let mut home = TestHome::start_under(&[
        "strace",
        "-f",
        "-qq",
        "-y",
        "-s",
        "40",
        "-e",
        "trace=read,recvfrom,readv,write,writev,sendto,sendmsg,fsync,fdatasync",
        "-o",
        &trace_arg,
    ]);
    home.create_open_activity("落盘核查");
    let members = register_members(&home, TRACED);
    let http = crate::support::http();
    for (_, credential) in &members {
        let answer: serde_json::Value = http
            .post(home.url("/api/v1/checkins"))
            .bearer_auth(&home.kiosk_token)
            .json(&json!({ "credential": credential, "source": "qr" }))
            .send()
            .and_then(reqwest::blocking::Response::json)
            .expect("check-in");
        assert_eq!(answer["outcome"], "checked_in", "{answer}");
    }
    stop_traced_server(&mut home);

    let text = std::fs::read_to_string(&trace).expect("the trace");
    let checkins = traced_checkins(&text);
    assert_eq!(
        checkins.len(),
        TRACED,
        "every check-in is in the trace once"
    );
    let unsynced = checkins.iter().filter(|fsynced| !**fsynced).count();
    assert_eq!(
        unsynced, 0,
        "{unsynced} of {TRACED} check-ins were answered before an fsync of the WAL"
    );
}

/// Stops `kejia serve` itself (SIGTERM), so strace writes the rest of its trace and exits.
fn stop_traced_server(home: &mut TestHome) {
    let strace = home.pid().expect("strace runs").to_string();
    let children = std::process::Command::new("pgrep")
        .args(["-P", &strace])
        .output()
        .expect("pgrep");
    let server = String::from_utf8_lossy(&children.stdout).trim().to_owned();
    assert!(!server.is_empty(), "kejia runs under strace");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server])
        .status()
        .expect("kill");
    assert!(status.success());
    home.stop();
}

/// For each check-in request in an `strace -f -y` trace, in order, whether an fsync of the WAL
/// completed after its request was read and before its answer was written. The client sends
/// one check-in at a time, so nothing else writes in between.
fn traced_checkins(trace: &str) -> Vec<bool> {
    let mut unfinished: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    let mut pending: Option<bool> = None;
    let mut checkins = Vec::new();
    for line in trace.lines() {
        let Some((pid, call)) = line.split_once(' ') else {
            continue;
        };
        let call = call.trim_start();
        // A call another thread interrupted is printed in two halves; judge it when it ends,
        // on both halves (the first names the file, the second holds what was read).
        let joined;
        let call = if let Some(rest) = call.strip_prefix("<... ") {
            let Some(start) = unfinished.remove(pid) else {
                continue;
            };
            joined = format!("{start}{rest}");
            joined.as_str()
        } else if call.ends_with("<unfinished ...>") {
            unfinished.insert(pid, call);
            continue;
        } else {
            call
        };
        let name = call.split('(').next().unwrap_or_default();
        let on_socket = call.contains("<TCP") || call.contains("<socket:");
        match name {
            "read" | "recvfrom" | "readv"
                if on_socket && call.contains("POST /api/v1/checkins ") =>
            {
                pending = Some(false);
            }
            "fsync" | "fdatasync" if call.contains("kejia.db-wal>") => {
                if let Some(fsynced) = pending.as_mut() {
                    *fsynced = true;
                }
            }
            "write" | "writev" | "sendto" | "sendmsg"
                if on_socket && call.contains("HTTP/1.1 200") =>
            {
                if let Some(fsynced) = pending.take() {
                    checkins.push(fsynced);
                }
            }
            _ => {}
        }
    }
    checkins
}

/// The trace reader itself: an answer written before the WAL's fsync counts as unsynced, and a
/// call split across threads is judged when it ends.
#[test]
fn the_trace_reader_tells_an_answer_before_the_fsync_from_one_after_it() {
    let trace = r#"10  recvfrom(9<socket:[1]>, "POST /api/v1/checkins HT", 24, 0, NULL, NULL) = 24
11  fdatasync(7</d/kejia.db-wal> <unfinished ...>
10  writev(9<socket:[1]>, [{iov_base="HTTP/1.1 200 OK\r\n"}], 1) = 40
11  <... fdatasync resumed>) = 0
10  recvfrom(9<socket:[1]> <unfinished ...>
12  write(3<pipe:[5]>, "x", 1) = 1
10  <... recvfrom resumed>"POST /api/v1/checkins HT", 24, 0, NULL, NULL) = 24
11  fsync(7</d/kejia.db-wal>) = 0
10  writev(9<socket:[1]>, [{iov_base="HTTP/1.1 200 OK\r\n"}], 1) = 40
"#;
    assert_eq!(traced_checkins(trace), vec![false, true]);
}
