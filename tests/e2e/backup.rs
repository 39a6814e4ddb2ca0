//! Backups of a running home (`kejia backup`, the nightly copy into `DATA/backups/`), putting
//! one back (`kejia restore`), and a restored home that is behind the association's hub.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::crash::register_members;
use crate::support::{As, KEJIA, TestHome, db_path, phone, string};
use crate::sync::{TestHub, enroll, kejia};

fn run(args: &[&str], paths: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(KEJIA);
    command.args(args);
    for (flag, path) in paths {
        command.arg(flag).arg(path);
    }
    command.output().expect("run kejia")
}

fn backup(data: &Path, to: &Path) -> Output {
    run(&["backup"], &[("--data", data), ("--to", to)])
}

fn restore(data: &Path, from: &Path) -> Output {
    run(&["restore"], &[("--data", data), ("--from", from)])
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn quick_check(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row("PRAGMA quick_check", [], |r| r.get(0))
        .expect("quick_check")
}

/// Members checked in to `activity` in the database file `db`.
fn checked_in(db: &Path, activity: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut statement = conn
        .prepare("SELECT member_id FROM checkins WHERE activity_id = ?1 AND undone_at IS NULL")
        .expect("prepare");
    statement
        .query_map([activity], |r| r.get(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
}

#[test]
fn a_backup_taken_during_a_burst_holds_every_checkin_acknowledged_before_it_and_restores_to_a_working_home()
 {
    const MEMBERS: usize = 600;
    const CLIENTS: usize = 6;
    let home = TestHome::start();
    let activity = home.create_open_activity("备份演练");
    let members = register_members(&home, MEMBERS);

    // Every acknowledged check-in with the moment its answer arrived.
    let acknowledged: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let (addr, token) = (home.addr, home.kiosk_token.clone());
    let clients: Vec<_> = members
        .chunks(MEMBERS / CLIENTS)
        .map(<[_]>::to_vec)
        .enumerate()
        .map(|(client, chunk)| {
            let (acknowledged, stop, token) = (acknowledged.clone(), stop.clone(), token.clone());
            std::thread::spawn(move || {
                let http = crate::support::http_builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("client");
                for (n, (member, credential)) in chunk.into_iter().enumerate() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let body = json!({ "credential": credential, "source": "qr", "scan_id": format!("b{client}-{n}") });
                    let answer: serde_json::Value = http
                        .post(format!("http://{addr}/api/v1/checkins"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .expect("check-in")
                        .json()
                        .expect("json");
                    assert_eq!(answer["outcome"], "checked_in", "{answer}");
                    acknowledged
                        .lock()
                        .expect("lock")
                        .push((member, Instant::now()));
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().expect("lock").len() < MEMBERS / 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let files = tempfile::tempdir().expect("dir");
    let file = files.path().join("during-the-burst.db");
    let began = Instant::now();
    let output = backup(home.data(), &file);
    let ended = Instant::now();
    assert!(output.status.success(), "{}", stderr(&output));
    // Let the burst go on past the backup, then stop it.
    while acknowledged
        .lock()
        .expect("lock")
        .iter()
        .filter(|(_, at)| *at > ended)
        .count()
        < 20
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("client thread");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let before: Vec<&String> = acknowledged
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(m, _)| m)
        .collect();
    assert!(before.len() >= MEMBERS / 4, "burst too short");
    assert!(
        acknowledged.iter().any(|(_, at)| *at > ended),
        "check-ins must go on past the backup"
    );

    assert_eq!(quick_check(&file), "ok");
    let in_backup = checked_in(&file, &activity);
    let missing: Vec<&&String> = before.iter().filter(|m| !in_backup.contains(m)).collect();
    assert!(
        missing.is_empty(),
        "{} check-ins acknowledged before the backup began are not in it",
        missing.len()
    );

    // Restored into a new data folder, it is a home that starts and takes a new check-in.
    let folder = tempfile::tempdir().expect("dir");
    let output = restore(folder.path(), &file);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(quick_check(&db_path(folder.path())), "ok");
    let restored = TestHome::open(folder, home.kiosk_token.clone());
    assert_eq!(restored.participants(&activity) as usize, in_backup.len());
    let (_, credential) = restored.create_member("恢复后新会员", &phone(9_001));
    assert_eq!(restored.checkin(&credential)["outcome"], "checked_in");
    assert_eq!(
        restored.participants(&activity) as usize,
        in_backup.len() + 1
    );
}

#[test]
fn restore_refuses_a_running_home_and_bad_files_and_keeps_the_old_database_aside() {
    let mut home = TestHome::start();
    let activity = home.create_open_activity("讲座");
    let (_, early) = home.create_member("备份前会员", &phone(1));
    home.checkin(&early);
    let files = tempfile::tempdir().expect("dir");
    let good = files.path().join("good.db");
    assert!(backup(home.data(), &good).status.success());
    let (late_member, late) = home.create_member("备份后会员", &phone(2));
    home.checkin(&late);

    // While the home serves.
    let output = restore(home.data(), &good);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("is running"),
        "{}",
        stderr(&output)
    );
    assert!(home.running());
    assert_eq!(home.participants(&activity), 2);

    home.stop();
    let db = db_path(home.data());
    let untouched = std::fs::read(&db).expect("db");
    let garbage = files.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 16_384]).expect("write");
    let foreign = files.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .expect("open")
        .execute_batch("CREATE TABLE notes (text); PRAGMA user_version = 3;")
        .expect("foreign");
    let newer = files.path().join("newer.db");
    std::fs::copy(&good, &newer).expect("copy");
    rusqlite::Connection::open(&newer)
        .expect("open")
        .execute_batch("PRAGMA user_version = 999")
        .expect("bump");
    // The schema's page overwritten after the file header.
    let damaged = files.path().join("damaged.db");
    let mut bytes = std::fs::read(&good).expect("read");
    for b in &mut bytes[100..4096] {
        *b = 0xa5;
    }
    std::fs::write(&damaged, bytes).expect("write");
    for (file, says) in [
        (&garbage, "damaged"),
        (&damaged, "damaged"),
        (&foreign, "not a kejia home's database"),
        (&newer, "newer kejia"),
    ] {
        let output = restore(home.data(), file);
        assert_eq!(output.status.code(), Some(1), "{}", file.display());
        assert!(stderr(&output).contains(says), "{}", stderr(&output));
        assert!(stderr(&output).contains("nothing was changed"));
    }
    assert_eq!(std::fs::read(&db).expect("db"), untouched);

    let output = restore(home.data(), &good);
    assert!(output.status.success(), "{}", stderr(&output));
    let aside: Vec<_> = std::fs::read_dir(home.data())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().contains("kejia.db.before-restore-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(
        checked_in(&aside[0], &activity).contains(&late_member),
        "the set-aside database is the one that was in place"
    );
    assert!(!home.data().join("kejia.db-wal").exists());
    home.restart();
    home.cookie = home
        .login(crate::support::ADMIN, crate::support::PASSWORD)
        .expect("login");
    assert_eq!(home.participants(&activity), 1);
}

#[test]
fn a_home_keeps_a_rotated_set_of_nightly_backups_and_the_dashboard_shows_the_newest() {
    let mut home = TestHome::start();
    home.stop();
    let folder = home.data().join("backups");
    // Without the backup its first start took.
    std::fs::remove_dir_all(&folder).expect("remove");
    std::fs::create_dir_all(&folder).expect("dir");
    // Twenty nights of (pretend) backups, the newest two days old, and one made by hand.
    let newest = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(48);
    let mut taken = Vec::new();
    for n in 0..20 {
        let at = newest - jiff::SignedDuration::from_hours(24 * n);
        let at = jiff::Timestamp::from_second(at.as_second()).expect("seconds");
        std::fs::write(
            folder.join(kejia_server::backup::rotation::file_name(at)),
            b"x",
        )
        .expect("write");
        taken.push(at);
    }
    std::fs::write(folder.join("manual-before-upgrade.db"), b"x").expect("write");

    // Started with its newest backup older than a day: it takes one now, then rotates.
    home.restart();
    let deadline = Instant::now() + Duration::from_secs(30);
    let fresh = loop {
        let found = kejia_server::backup::rotation::newest(&folder).expect("some backup");
        if found > newest || Instant::now() > deadline {
            break found;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(fresh > newest, "no backup at start");
    let rotated = Instant::now() + Duration::from_secs(10);
    taken.push(fresh);
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    let expected: Vec<String> = kejia_server::backup::rotation::keep(&taken, &tz)
        .into_iter()
        .map(kejia_server::backup::rotation::file_name)
        .collect();
    assert_eq!(
        expected.len(),
        7 + 2,
        "7 days, of which 2 weeks, and 2 older weeks"
    );
    let names = || {
        let mut names: Vec<String> = std::fs::read_dir(&folder)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let mut wanted = expected.clone();
    wanted.push("manual-before-upgrade.db".into());
    wanted.sort();
    while names() != wanted && Instant::now() < rotated {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(names(), wanted);
    let file = folder.join(kejia_server::backup::rotation::file_name(fresh));
    assert_eq!(quick_check(&file), "ok");

    let page = home.dashboard();
    let shown = fresh
        .to_zoned_datetime(tz)
        .strftime("最近一次备份：%Y年%-m月%-d日 %H:%M")
        .to_string();
    assert!(page.contains(&shown), "{shown} not on the dashboard");
    assert!(!page.contains("自动备份失败") && !page.contains("超过两天"));
}

#[test]
fn the_dashboard_warns_when_the_nightly_backup_fails() {
    let mut home = TestHome::start();
    home.stop();
    // A file where the backups' folder should be: every nightly backup fails.
    std::fs::remove_dir_all(home.data().join("backups")).expect("remove");
    std::fs::write(home.data().join("backups"), b"not a folder").expect("write");
    home.restart();
    home.cookie = home
        .login(crate::support::ADMIN, crate::support::PASSWORD)
        .expect("login");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut page = home.dashboard();
    while !page.contains("最近一次自动备份失败") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        page = home.dashboard();
    }
    assert!(page.contains("最近一次自动备份失败"), "no warning shown");
    assert!(page.contains("尚无自动备份"));
}

/// The hub's `acked_seq` and `refusals` for its only home.
fn hub_standing(hub: &TestHub) -> (i64, i64) {
    let (status, homes) = hub.get("/api/v1/homes");
    assert_eq!(status, StatusCode::OK, "{homes}");
    (
        homes[0]["acked_seq"].as_i64().expect("acked"),
        homes[0]["refusals"].as_i64().expect("refusals"),
    )
}

#[test]
fn a_home_restored_behind_the_hub_stops_pushing_says_so_and_never_forks_the_chain() {
    let mut home = TestHome::start();
    let hub = TestHub::start();
    enroll(&home, &hub, "桃江县科技工作者之家");
    let activity = home.create_open_activity("科普讲座");
    for n in 0..3 {
        let (_, credential) = home.create_member(&format!("早到{n}"), &phone(100 + n));
        home.checkin(&credential);
    }
    assert!(kejia(home.data(), &["sync"]).status.success());
    let files = tempfile::tempdir().expect("dir");
    let old = files.path().join("old.db");
    assert!(backup(home.data(), &old).status.success());
    for n in 0..3 {
        let (_, credential) = home.create_member(&format!("晚到{n}"), &phone(200 + n));
        home.checkin(&credential);
    }
    assert!(kejia(home.data(), &["sync"]).status.success());
    let (hub_seq, refusals) = hub_standing(&hub);
    assert_eq!(refusals, 0);

    home.stop();
    let output = restore(home.data(), &old);
    assert!(output.status.success(), "{}", stderr(&output));
    home.restart();
    home.cookie = home
        .login(crate::support::ADMIN, crate::support::PASSWORD)
        .expect("login");
    // New changes on the restored log: their numbers are ones the hub holds with other content.
    let (_, credential) = home.create_member("恢复后会员", &phone(300));
    home.checkin(&credential);

    let output = kejia(home.data(), &["sync"]);
    assert!(!output.status.success(), "sync must not succeed");
    assert!(
        stderr(&output).contains("pushing is stopped"),
        "{}",
        stderr(&output)
    );
    let (status, sync) = home.get("/api/v1/sync/status", As::Staff);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sync["push_stopped"], true, "{sync}");
    assert_eq!(sync["push_stopped_reason"], "behind", "{sync}");
    assert_eq!(sync["hub_seq"], hub_seq, "{sync}");
    assert!(sync["restored_at"].is_string(), "{sync}");
    let message = string(&sync["push_stopped_message"]);
    assert!(
        message.starts_with("本机数据是从备份恢复的，比市科协已收到的记录旧"),
        "{message}"
    );
    for field in ["enrolled", "acked_seq", "last_seq", "backlog", "last_error"] {
        assert!(sync.get(field).is_some(), "{field} missing: {sync}");
    }
    assert!(sync["backlog"].as_i64().expect("backlog") > 0);
    assert!(home.dashboard().contains(&message), "not on the dashboard");

    // The running home's own sync (every few seconds) sends nothing that forks either.
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(hub_standing(&hub), (hub_seq, 0), "the hub saw a fork");
    assert_eq!(home.participants(&activity), 4);

    // The technician's way out: a backup that holds what the hub holds (here the database
    // set aside by the restore). Pushing resumes.
    home.stop();
    let aside = std::fs::read_dir(home.data())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.to_string_lossy().contains("before-restore"))
        .expect("set aside");
    let output = restore(home.data(), &aside);
    assert!(output.status.success(), "{}", stderr(&output));
    home.restart();
    home.cookie = home
        .login(crate::support::ADMIN, crate::support::PASSWORD)
        .expect("login");
    let output = kejia(home.data(), &["sync"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, sync) = home.get("/api/v1/sync/status", As::Staff);
    assert_eq!(sync["push_stopped"], false, "{sync}");
    assert!(sync["restored_at"].is_null(), "{sync}");
    let (_, credential) = home.create_member("再后来的会员", &phone(400));
    home.checkin(&credential);
    assert!(kejia(home.data(), &["sync"]).status.success());
    let (acked, refusals) = hub_standing(&hub);
    assert!(acked > hub_seq && refusals == 0, "{acked} {refusals}");
}

#[test]
fn a_data_folder_copied_back_by_hand_stops_pushing_after_at_most_one_refused_push() {
    let mut home = TestHome::start();
    let hub = TestHub::start();
    enroll(&home, &hub, "南县科技工作者之家");
    home.create_open_activity("沙龙");
    for n in 0..2 {
        let (_, credential) = home.create_member(&format!("早到{n}"), &phone(500 + n));
        home.checkin(&credential);
    }
    assert!(kejia(home.data(), &["sync"]).status.success());
    // The copy the old notes told technicians to take: the stopped home's folder.
    home.stop();
    let files = tempfile::tempdir().expect("dir");
    let copy = files.path().join("kejia.db");
    std::fs::copy(db_path(home.data()), &copy).expect("copy");
    home.restart();
    home.cookie = home
        .login(crate::support::ADMIN, crate::support::PASSWORD)
        .expect("login");
    for n in 0..4 {
        let (_, credential) = home.create_member(&format!("晚到{n}"), &phone(600 + n));
        home.checkin(&credential);
    }
    assert!(kejia(home.data(), &["sync"]).status.success());
    let (hub_seq, _) = hub_standing(&hub);

    // Copied back by hand: no restore marker, so the home learns it is behind from the hub.
    home.stop();
    std::fs::copy(&copy, db_path(home.data())).expect("copy back");
    for stale in ["kejia.db-wal", "kejia.db-shm"] {
        let _ = std::fs::remove_file(home.data().join(stale));
    }
    home.restart();
    home.cookie = home
        .login(crate::support::ADMIN, crate::support::PASSWORD)
        .expect("login");
    let (_, credential) = home.create_member("手工恢复后会员", &phone(700));
    home.checkin(&credential);
    let output = kejia(home.data(), &["sync"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("pushing is stopped"),
        "{}",
        stderr(&output)
    );
    let (_, sync) = home.get("/api/v1/sync/status", As::Staff);
    assert_eq!(sync["push_stopped"], true, "{sync}");
    assert_eq!(sync["push_stopped_reason"], "behind", "{sync}");
    assert!(
        string(&sync["push_stopped_message"]).starts_with("本机数据比市科协已收到的记录旧"),
        "{sync}"
    );
    // At most the one push that showed it (when the home pushed before it polled), never again.
    let (acked, refusals) = hub_standing(&hub);
    assert_eq!(acked, hub_seq);
    assert!(refusals <= 1, "{refusals}");
    std::thread::sleep(Duration::from_secs(7));
    assert!(!kejia(home.data(), &["sync"]).status.success());
    assert_eq!(hub_standing(&hub), (hub_seq, refusals));
}
