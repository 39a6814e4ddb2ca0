//! Acknowledged means durable: kill -9 in the middle of a burst and count what survived.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{As, TestHome, db_path, phone, string};

const MEMBERS: usize = 1200;
const CLIENTS: usize = 16;

#[test]
fn kill_9_mid_burst_loses_no_acknowledged_checkin_and_counts_none_twice() {
    let mut home = TestHome::start();
    let activity = home.create_open_activity("断电演练");
    let members = register_members(&home, MEMBERS);

    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let answered = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, token) = (home.addr, home.kiosk_token.clone());
    let chunks: Vec<Vec<(String, String)>> = members
        .chunks(MEMBERS / CLIENTS)
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
                    let body = json!({ "credential": credential, "source": "qr", "scan_id": format!("c{client}-{n}") });
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

    // Pull the plug once a third of the burst has been answered.
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.load(Ordering::Relaxed) < MEMBERS / 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    home.kill9();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("client thread");
    }
    let acknowledged: Vec<String> = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() >= MEMBERS / 3,
        "burst too short: {}",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() < MEMBERS,
        "the kill came after the burst ended"
    );

    let conn = rusqlite::Connection::open(db_path(home.data())).expect("open the killed database");
    let verdict: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .expect("quick_check");
    assert_eq!(verdict, "ok");
    drop(conn);

    home.restart();
    let present = home.attendance(&activity);
    let unique: HashSet<&String> = present.iter().collect();
    assert_eq!(unique.len(), present.len(), "someone is counted twice");
    assert_eq!(home.participants(&activity) as usize, present.len());
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|m| !unique.contains(m))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged check-ins lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
}

/// Registers members from several threads; returns (id, credential) pairs.
pub(crate) fn register_members(home: &TestHome, count: usize) -> Vec<(String, String)> {
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
                        json!({ "name": format!("成员{n}"), "phone": phone(10_000 + n), "employer": "某单位", "consent": true }),
                    );
                    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
                    members.lock().expect("lock").push((string(&body["id"]), string(&body["credential"])));
                }
            });
        }
    });
    members.into_inner().expect("lock")
}
