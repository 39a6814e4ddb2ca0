//! Issue 13: what a copy of the hub's files tells about members' phone numbers, and which
//! database `kejia user add` and `kejia hub user add` write to.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use argon2::{Algorithm, Argon2, Params, Version};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{ADMIN, KEJIA, PASSWORD, TestHome, add_user, http_builder, phone};
use crate::sync::{TestHub, enroll, spawn_hub, sync, this_year};

/// The tester's dictionary: every number `139` + eight digits below 10^7, i.e. 13900000000 to
/// 13909999999. The members' numbers are spread over it.
const DICTIONARY: usize = 10_000_000;
const NUMBERS: [usize; 12] = [
    0, 1, 1_234_567, 2_718_281, 3_141_592, 4_242_424, 4_999_999, 5_555_555, 6_180_339, 7_071_067,
    8_660_254, 9_999_999,
];

/// Two homes enrolled at one hub; the first number is a member of both, checked in at an
/// activity of each at the same hours. Everything synced.
fn two_homes_sharing_a_member() -> (TestHub, TestHome, TestHome) {
    let hub = TestHub::start();
    let first = TestHome::start();
    let second = TestHome::start();
    enroll(&first, &hub, "赫山区科技工作者之家");
    enroll(&second, &hub, "资阳区科技工作者之家");
    let mut shared = Vec::new();
    for (i, &n) in NUMBERS.iter().enumerate() {
        let home = if i < 8 { &first } else { &second };
        let (_, credential) = home.create_member(&format!("会员{i}"), &phone(n));
        if i == 0 {
            shared.push(credential);
        }
    }
    let (_, elsewhere) = second.create_member("两馆会员", &phone(NUMBERS[0]));
    shared.push(elsewhere);
    for (home, credential) in [(&first, &shared[0]), (&second, &shared[1])] {
        home.create_open_activity("同一时间的讲座");
        let answer = home.checkin(credential);
        assert_eq!(answer["outcome"], "checked_in", "{answer}");
    }
    for home in [&first, &second] {
        let output = sync(home);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    (hub, first, second)
}

/// The association's key and every phone hash, as a copy of the hub's database gives them.
fn hub_files(data: &Path) -> ([u8; 32], Vec<String>) {
    let conn = rusqlite::Connection::open_with_flags(
        data.join("kejia-hub.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let key: Vec<u8> = conn
        .query_row("SELECT phone_key FROM hub_settings", [], |row| row.get(0))
        .unwrap();
    let mut statement = conn
        .prepare("SELECT phone_hash FROM members WHERE phone_hash IS NOT NULL")
        .unwrap();
    let hashes = statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap();
    (key.try_into().unwrap(), hashes)
}

/// The inner and outer SHA-256 states of HMAC-SHA256 under `key` (at most one block).
fn hmac_states(key: &[u8]) -> (Sha256, Sha256) {
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    (
        Sha256::new().chain_update(block.map(|b| b ^ 0x36)),
        Sha256::new().chain_update(block.map(|b| b ^ 0x5c)),
    )
}

fn hmac(states: &(Sha256, Sha256), message: &[u8]) -> Vec<u8> {
    let inner = states.0.clone().chain_update(message).finalize();
    states.1.clone().chain_update(inner).finalize().to_vec()
}

/// What the tester's cheap attacks recover: every number of the dictionary through
/// SHA-256(key ‖ phone) (the old scheme), SHA-256(phone) and HMAC-SHA256(key, phone),
/// looked up among `stored` (raw hash bytes). Two threads, one per core.
fn cheap_attacks(key: &[u8; 32], stored: &HashSet<Vec<u8>>) -> Vec<String> {
    let keyed = Sha256::new().chain_update(key);
    let mac = hmac_states(key);
    let half = DICTIONARY / 2;
    std::thread::scope(|scope| {
        let workers: Vec<_> = [0..half, half..DICTIONARY]
            .into_iter()
            .map(|range| {
                let (keyed, mac) = (keyed.clone(), mac.clone());
                scope.spawn(move || {
                    let mut found = Vec::new();
                    let mut number = *b"13900000000";
                    for n in range {
                        let mut rest = n;
                        for digit in number[3..].iter_mut().rev() {
                            *digit = b'0' + (rest % 10) as u8;
                            rest /= 10;
                        }
                        let old = keyed.clone().chain_update(number).finalize();
                        let plain = Sha256::digest(number);
                        if stored.contains(old.as_slice())
                            || stored.contains(plain.as_slice())
                            || stored.contains(&hmac(&mac, &number))
                        {
                            found.push(String::from_utf8_lossy(&number).into_owned());
                        }
                    }
                    found
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap())
            .collect()
    })
}

/// argon2id with the parameters README and BENCHMARKS.md publish, computed here on its own.
fn slow_hash(key: &[u8; 32], number: &str) -> String {
    let params = Params::new(19 * 1024, 2, 1, Some(32)).unwrap();
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(number.as_bytes(), key, &mut out)
        .unwrap();
    hex::encode(out)
}

#[test]
fn the_hubs_files_and_ten_million_candidates_recover_no_phone_number() {
    let (hub, _first, _second) = two_homes_sharing_a_member();
    let (key, hashes) = hub_files(hub.dir.path());
    // Thirteen members, twelve numbers: the member of both homes has one hash at both.
    assert_eq!(hashes.len(), 13, "{hashes:?}");
    let distinct: HashSet<&String> = hashes.iter().collect();
    assert_eq!(distinct.len(), 12);
    // Each is argon2id(phone, key) with the published parameters, nothing cheaper.
    let expected: HashSet<String> = NUMBERS
        .iter()
        .map(|&n| slow_hash(&key, &phone(n)))
        .collect();
    assert_eq!(distinct, expected.iter().collect::<HashSet<_>>());

    // The tester's HMAC is HMAC-SHA256 (RFC 4231, test case 2).
    assert_eq!(
        hex::encode(hmac(&hmac_states(b"Jefe"), b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let mut stored: HashSet<Vec<u8>> = hashes.iter().map(|h| hex::decode(h).unwrap()).collect();
    // A hash of the old kind among them, so the attack is shown to find what it can find.
    let canary = phone(NUMBERS[5]);
    stored.insert(
        Sha256::new()
            .chain_update(key)
            .chain_update(&canary)
            .finalize()
            .to_vec(),
    );
    assert_eq!(cheap_attacks(&key, &stored), vec![canary]);

    // And no number is in the hub's files as text.
    let bytes = hub.bytes();
    for &n in &NUMBERS {
        let number = phone(n);
        assert!(
            !bytes.windows(11).any(|w| w == number.as_bytes()),
            "the hub's files hold {number}"
        );
    }
}

#[test]
fn one_phone_at_two_homes_at_the_same_hours_is_flagged_at_both() {
    let (hub, _first, _second) = two_homes_sharing_a_member();
    let (status, evaluation) = hub.get(&format!("/api/v1/evaluation?year={}", this_year()));
    assert_eq!(status, StatusCode::OK, "{evaluation}");
    for name in ["赫山区科技工作者之家", "资阳区科技工作者之家"] {
        let entry = evaluation["homes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["home"]["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {evaluation}"));
        let flags: Vec<&str> = entry["flags"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            flags.iter().any(|f| f.contains("同一时间")),
            "{name}: {flags:?}"
        );
    }
}

/// Runs `kejia ARGS` with the password on standard input.
fn with_password(args: &[&str], data: &Path) -> std::process::Output {
    let mut child = Command::new(KEJIA)
        .args(args)
        .arg("--data")
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn logs_in(addr: std::net::SocketAddr) -> StatusCode {
    http_builder()
        .build()
        .unwrap()
        .post(format!("http://{addr}/api/v1/session"))
        .json(&json!({ "username": ADMIN, "password": PASSWORD }))
        .send()
        .unwrap()
        .status()
}

#[test]
fn the_readmes_hub_order_hub_user_add_then_hub_then_login_logs_in() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("kejia-hub-data");
    let added = with_password(
        &[
            "hub",
            "user",
            "add",
            "--username",
            ADMIN,
            "--role",
            "admin",
            "--password-stdin",
        ],
        &data,
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(data.join("kejia-hub.db").exists());
    assert!(!data.join("kejia.db").exists());
    let (mut child, addr) = spawn_hub(&data);
    let status = logs_in(addr);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn user_add_on_an_empty_folder_says_it_made_a_homes_database_and_names_hub_user_add() {
    let dir = tempfile::tempdir().unwrap();
    let output = with_password(
        &[
            "user",
            "add",
            "--username",
            ADMIN,
            "--role",
            "admin",
            "--password-stdin",
        ],
        dir.path(),
    );
    assert!(output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("新建数据库 kejia.db"), "{said}");
    assert!(said.contains("kejia hub user add"), "{said}");
    assert!(dir.path().join("kejia.db").exists());

    // A second account in the same folder finds the home's database: no hint.
    let again = with_password(
        &[
            "user",
            "add",
            "--username",
            "second",
            "--role",
            "staff",
            "--password-stdin",
        ],
        dir.path(),
    );
    assert!(again.status.success());
    assert!(!String::from_utf8_lossy(&again.stderr).contains("kejia hub user add"));
}

#[test]
fn a_hub_started_beside_a_homes_database_and_no_staff_names_hub_user_add() {
    let dir = tempfile::tempdir().unwrap();
    // The mistake: `kejia user add` on the folder before the hub ever started.
    add_user(dir.path(), ADMIN, "admin", PASSWORD).unwrap();
    let mut child = Command::new(KEJIA)
        .args(["hub", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = lines.next().unwrap().unwrap();
    assert!(started.contains("科协平台已启动"), "{started}");
    let hint = lines.next().unwrap().unwrap();
    let addr: std::net::SocketAddr = started
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap();
    // The login the person tries is refused, as the hint says.
    assert_eq!(logs_in(addr), StatusCode::UNAUTHORIZED);
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    for said in [&hint, &log] {
        assert!(said.contains("kejia hub user add"), "{said}");
        assert!(said.contains("kejia.db"), "{said}");
    }
}
