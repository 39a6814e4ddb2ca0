//! Bad days for an SD card: full, turned read-only, a WAL cut short, an empty file. Each runs
//! the real server on a real small file system or a damaged copy of a real database.

use std::collections::HashSet;
use std::io::Write;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::mount::Mount;
use crate::support::{As, TestHome, db_path, phone, serve_expecting_refusal, spawn_serve};

/// Posts a kiosk check-in and returns the status and answer, whatever they are.
fn try_checkin(home: &TestHome, credential: &str) -> (StatusCode, Value) {
    home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": credential, "source": "qr" }),
    )
}

fn members(home: &TestHome, count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|n| home.create_member(&format!("会员{n}"), &phone(50_000 + n)))
        .collect()
}

/// Fills the file system holding `dir` until it refuses another byte.
fn fill(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).expect("filler");
    let chunk = vec![0x5A_u8; 4096];
    while file
        .write_all(&chunk)
        .and_then(|()| file.sync_data())
        .is_ok()
    {}
    path
}

#[test]
fn a_full_disk_refuses_checkins_with_503_saying_so_and_recovers_once_space_is_freed() {
    let Some(card) = Mount::tmpfs("6m") else {
        return;
    };
    let mut home = TestHome::start_in(card.path());
    let activity = home.create_open_activity("存储卡写满演练");
    let members = members(&home, 120);
    let filler = fill(card.path());

    let (mut acknowledged, mut refused) = (Vec::new(), Vec::new());
    for (member, credential) in &members {
        let (status, answer) = try_checkin(&home, credential);
        match status {
            StatusCode::OK => {
                assert_eq!(answer["outcome"], "checked_in", "{answer}");
                acknowledged.push(member.clone());
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                let message = answer["error"].as_str().unwrap_or_default();
                assert!(message.contains("存储空间已满"), "{answer}");
                refused.push((member.clone(), credential.clone()));
            }
            other => panic!("a full disk answered {other}: {answer}"),
        }
    }
    assert!(!refused.is_empty(), "the disk never filled up");

    // Space returns: the same server takes the refused check-in, no restart.
    std::fs::remove_file(filler).expect("free space");
    let (retried, credential) = refused.remove(0);
    let (status, answer) = try_checkin(&home, &credential);
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["outcome"], "checked_in", "{answer}");
    acknowledged.push(retried);

    // Pull the plug: every acknowledged check-in is on the card, no refused one is.
    home.kill9();
    home.restart();
    let present: HashSet<String> = home.attendance(&activity).into_iter().collect();
    for member in &acknowledged {
        assert!(
            present.contains(member),
            "an acknowledged check-in was lost"
        );
    }
    for (member, _) in &refused {
        assert!(!present.contains(member), "a refused check-in was counted");
    }
    assert_eq!(present.len(), acknowledged.len());
}

#[test]
fn a_card_turned_read_only_refuses_checkins_with_503_saying_so_and_keeps_what_was_saved() {
    let Some(card) = Mount::ext4(32) else {
        return;
    };
    let home = TestHome::start_in(card.path());
    let activity = home.create_open_activity("存储卡只读演练");
    let members = members(&home, 3);
    assert_eq!(home.checkin(&members[0].1)["outcome"], "checked_in");

    card.abort();
    for (_, credential) in &members[1..] {
        let (status, answer) = try_checkin(&home, credential);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains("只读"), "{answer}");
    }
    // What was saved before is still there to read, and the refused ones are not counted.
    assert_eq!(home.attendance(&activity), vec![members[0].0.clone()]);
    let (status, _) = home.get("/healthz", As::Nobody);
    assert_eq!(status, StatusCode::OK, "the home keeps answering reads");
}

#[test]
fn a_wal_cut_short_recovers_to_the_last_complete_commit() {
    let mut home = TestHome::start();
    let activity = home.create_open_activity("日志截断演练");
    let members = members(&home, 12);
    let arrived: Vec<String> = members
        .iter()
        .map(|(member, credential)| {
            home.checkin(credential);
            member.clone()
        })
        .collect();
    home.kill9();

    // A power cut in the middle of writing a commit: the WAL ends inside its last frame.
    let wal = home.data().join("kejia.db-wal");
    let length = std::fs::metadata(&wal)
        .expect("a killed home leaves its WAL")
        .len();
    let frame = 24 + 4096;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&wal)
        .and_then(|f| f.set_len(length - frame - 100))
        .expect("truncate the WAL");

    home.restart();
    let present = home.attendance(&activity);
    assert!(
        present.len() < arrived.len(),
        "the cut removed the last commit"
    );
    assert!(
        present.len() + 3 >= arrived.len(),
        "only the last commits are lost: {} of {}",
        present.len(),
        arrived.len()
    );
    assert_eq!(
        present,
        arrived[..present.len()],
        "what survives is every commit up to the cut, in order"
    );
    let conn = rusqlite::Connection::open(db_path(home.data())).expect("open");
    let verdict: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .expect("quick_check");
    assert_eq!(verdict, "ok");
    drop(conn);
    // The lost check-in can simply be taken again.
    let lost = &members[present.len()];
    assert_eq!(home.checkin(&lost.1)["outcome"], "checked_in");
}

#[test]
fn an_empty_database_file_starts_a_new_home_when_nothing_was_ever_backed_up() {
    let data = tempfile::tempdir().expect("data");
    std::fs::File::create(db_path(data.path())).expect("empty file");
    let (mut child, _addr, printed) = spawn_serve(data.path());
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        printed.iter().any(|line| line.contains("/setup?token=")),
        "a new home asks for its first staffer: {printed:?}"
    );
}

#[test]
fn an_empty_database_file_beside_backups_is_refused_and_left_alone() {
    let data = tempfile::tempdir().expect("data");
    std::fs::File::create(db_path(data.path())).expect("empty file");
    std::fs::create_dir(data.path().join("backups")).expect("backups");
    std::fs::write(data.path().join("backups").join("kejia-20261201.db"), b"x").expect("backup");
    let stderr = serve_expecting_refusal(data.path());
    assert!(stderr.contains("is empty"), "{stderr}");
    assert!(stderr.contains("kejia restore"), "{stderr}");
    assert_eq!(
        std::fs::metadata(db_path(data.path())).expect("db").len(),
        0,
        "the file is left as it was"
    );
}

/// Ledger exports read a year of records while check-ins keep coming. A read that held its
/// snapshot for the whole export would stop every checkpoint and let the WAL grow with each
/// check-in; the store reads what an export needs in one short transaction, so the WAL keeps
/// to the size one checkpoint interval writes.
#[test]
fn the_wal_stays_bounded_while_exports_run_beside_a_burst_of_checkins() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    let home = TestHome::start();
    home.create_open_activity("导出与签到并行");
    let members = crate::crash::register_members(&home, 1_500);
    let wal = home.data().join("kejia.db-wal");
    let stop = Arc::new(AtomicBool::new(false));
    let largest = Arc::new(AtomicU64::new(0));
    let year = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone"))
        .year();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
                largest.fetch_max(size, Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        });
        for _ in 0..2 {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let response = home
                        .request(
                            reqwest::Method::GET,
                            &format!("/api/v1/exports/ledger.xlsx?year={year}"),
                            As::Staff,
                        )
                        .send()
                        .expect("export");
                    assert_eq!(response.status(), StatusCode::OK);
                    assert!(!response.bytes().expect("ledger").is_empty());
                }
            });
        }
        let senders: Vec<_> = members
            .chunks(members.len() / 4)
            .map(|chunk| {
                let home = &home;
                scope.spawn(move || {
                    for (_, credential) in chunk {
                        assert_eq!(home.checkin(credential)["outcome"], "checked_in");
                    }
                })
            })
            .collect();
        for sender in senders {
            sender.join().expect("sender");
        }
        stop.store(true, Ordering::Relaxed);
    });
    let largest = largest.load(Ordering::Relaxed);
    eprintln!("largest WAL: {largest} bytes");
    assert!(largest > 0, "the WAL was watched");
    assert!(
        largest <= 6 << 20,
        "the WAL grew to {largest} bytes beside the exports"
    );
}

/// If something did hold a read open for long (a technician's sqlite3 shell, say), the WAL
/// grows meanwhile; once it lets go, the next checkpoints bring the file back under the limit
/// instead of leaving tens of megabytes on the card for good.
#[test]
fn once_a_long_read_lets_go_the_wal_shrinks_back_under_its_limit() {
    let home = TestHome::start();
    home.create_open_activity("长读之后");
    let members = crate::crash::register_members(&home, 1_600);
    let wal = home.data().join("kejia.db-wal");
    let reader = rusqlite::Connection::open(db_path(home.data())).expect("open");
    reader.execute_batch("BEGIN").expect("begin");
    let _: i64 = reader
        .query_row("SELECT count(*) FROM checkins", [], |r| r.get(0))
        .expect("read");
    let (during, after) = members.split_at(1_500);
    std::thread::scope(|scope| {
        for chunk in during.chunks(during.len() / 4) {
            let home = &home;
            scope.spawn(move || {
                for (_, credential) in chunk {
                    home.checkin(credential);
                }
            });
        }
    });
    let grown = std::fs::metadata(&wal).expect("wal").len();
    assert!(grown > WAL_LIMIT, "the held read let the WAL grow: {grown}");
    reader.execute_batch("COMMIT").expect("let go");
    drop(reader);
    for (_, credential) in after {
        home.checkin(credential);
    }
    let shrunk = std::fs::metadata(&wal).expect("wal").len();
    assert!(shrunk <= WAL_LIMIT, "the WAL is still {shrunk} bytes");
}

/// `kejia_server::store::WAL_SIZE_LIMIT`.
const WAL_LIMIT: u64 = 8 << 20;
