//! What the command line says when setup goes wrong: one Chinese line per failure, no folder
//! left behind by a failed enrolment or sync, a hub that says how to make its first account,
//! and a home that stops quickly and quietly with a dashboard's event stream open.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{ADMIN, KEJIA, PASSWORD, add_user, http};

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The command failed with one line on standard error, in Chinese, that contains `says`.
fn fails_once_in_chinese(output: &Output, says: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "said once, on one line: {stderr}");
    assert!(has_chinese(lines[0]) && lines[0].contains(says), "{stderr}");
    stderr
}

/// A loopback address nothing listens on.
fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

fn enroll(data: &Path, hub: &str) -> Output {
    Command::new(KEJIA)
        .args(["enroll", "--hub", hub, "--code", "ABCD-EFGH", "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .output()
        .expect("kejia enroll")
}

#[test]
fn a_failed_enroll_says_why_once_in_chinese_and_leaves_no_folder_it_made() {
    let parent = tempfile::tempdir().expect("dir");
    let hub = format!("http://{}", closed_port());
    let data = parent.path().join("new").join("kejia-data");
    let output = enroll(&data, &hub);
    fails_once_in_chinese(&output, "无法连接科协平台");
    assert!(
        !parent.path().join("new").exists(),
        "the folders enroll made are gone"
    );

    // A folder that was there before stays, whatever enroll put in it.
    let existing = parent.path().join("existing");
    std::fs::create_dir(&existing).expect("mkdir");
    let output = enroll(&existing, &hub);
    fails_once_in_chinese(&output, "无法连接科协平台");
    assert!(existing.is_dir());
}

#[test]
fn an_enrolment_whose_answer_was_garbled_keeps_its_folder_for_the_retry() {
    // A "hub" that takes the request and answers with nothing kejia can use: the real hub may
    // have enrolled the home, and a retry must present the same key, made from the seed kept
    // in the folder.
    let hub = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = hub.local_addr().expect("addr");
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = hub.accept() {
            // The whole request (its JSON body ends in a brace), then the useless answer.
            let mut request = Vec::new();
            let mut chunk = [0u8; 4096];
            while !request.ends_with(b"}") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&chunk[..n]),
                }
            }
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        }
    });
    let parent = tempfile::tempdir().expect("dir");
    let data = parent.path().join("kejia-data");
    let output = enroll(&data, &format!("http://{addr}"));
    fails_once_in_chinese(&output, "科协平台的回答无法识别");
    assert!(data.join("kejia.db").exists(), "the seed is kept");
}

#[test]
fn a_failed_sync_of_a_folder_that_was_not_there_leaves_none() {
    let parent = tempfile::tempdir().expect("dir");
    let data = parent.path().join("kejia-data");
    let output = Command::new(KEJIA)
        .args(["sync", "--data"])
        .arg(&data)
        .env("RUST_LOG", "warn")
        .output()
        .expect("kejia sync");
    fails_once_in_chinese(&output, "kejia enroll");
    assert!(!data.exists());
}

#[test]
fn a_backup_to_a_place_that_cannot_be_written_says_so_once_in_chinese() {
    let data = tempfile::tempdir().expect("dir");
    add_user(data.path(), ADMIN, "admin", PASSWORD).expect("user add");
    let not_a_folder = data.path().join("a-file");
    std::fs::write(&not_a_folder, b"").expect("file");
    let output = Command::new(KEJIA)
        .args(["backup", "--data"])
        .arg(data.path())
        .arg("--to")
        .arg(not_a_folder.join("backup.db"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("kejia backup");
    fails_once_in_chinese(&output, "无法在");
}

#[test]
fn bad_arguments_are_refused_in_one_chinese_line() {
    for args in [
        &["serve", "--listen", "not-an-address"][..],
        &["frobnicate"],
        &["token", "add", "--name", "x", "--role", "god"],
        &["enroll", "--hub", "http://127.0.0.1:1"],
    ] {
        let output = Command::new(KEJIA).args(args).output().expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(has_chinese(&stderr), "{args:?}: {stderr}");
    }
    let help = Command::new(KEJIA)
        .args(["enroll", "--help"])
        .output()
        .expect("help");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("用法") && help.contains("登记码"), "{help}");
}

#[test]
fn a_registered_home_gets_a_short_code_with_its_lifetime_and_can_get_a_new_one() {
    let hub = tempfile::tempdir().expect("dir");
    let output = Command::new(KEJIA)
        .args([
            "hub",
            "home",
            "add",
            "--name",
            "赫山区科技工作者之家",
            "--data",
        ])
        .arg(hub.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("hub home add");
    assert!(output.status.success());
    let code = String::from_utf8(output.stdout).expect("utf-8");
    let code = code.trim();
    assert_eq!(code.len(), "XXXX-XXXX".len(), "{code}");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("有效期 7 天"), "{said}");

    let output = Command::new(KEJIA)
        .args([
            "hub",
            "home",
            "code",
            "--home",
            "赫山区科技工作者之家",
            "--data",
        ])
        .arg(hub.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("hub home code");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let renewed = String::from_utf8(output.stdout).expect("utf-8");
    assert_ne!(renewed.trim(), code);
    assert!(String::from_utf8_lossy(&output.stderr).contains("旧码已失效"));

    // Asking a folder that holds no hub makes none.
    let empty = hub.path().join("nothing-here");
    let output = Command::new(KEJIA)
        .args(["hub", "home", "code", "--home", "x", "--data"])
        .arg(&empty)
        .output()
        .expect("hub home code");
    fails_once_in_chinese(&output, "没有科协平台的数据库");
    assert!(!empty.exists());
}

#[test]
fn a_hub_without_staff_names_the_command_that_makes_its_first_account() {
    let parent = tempfile::tempdir().expect("dir");
    let data = parent.path().join("kejia-hub-data");
    let mut child = Command::new(KEJIA)
        .args(["hub", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kejia hub");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let started = lines.next().expect("a line").expect("utf-8");
    let hint = lines.next().expect("the hint").expect("utf-8");
    terminate(&child);
    let _ = child.wait();
    assert!(started.contains("科协平台已启动"), "{started}");
    let command = format!(
        "kejia hub user add --data {} --username 用户名 --role admin --password-stdin",
        data.display()
    );
    assert!(hint.contains(&command), "{hint}");
}

fn terminate(child: &Child) {
    let sent = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(sent.success());
}

/// `kejia serve` on `data`, its standard error collected as it comes.
fn serve(data: &Path) -> (Child, SocketAddr, Arc<Mutex<String>>) {
    let mut child = Command::new(KEJIA)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kejia serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    std::thread::spawn(move || lines.for_each(drop));
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut pipe = child.stderr.take().expect("stderr");
    let collected = Arc::clone(&stderr);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
            collected.lock().expect("lock").push_str(&text);
        }
    });
    (child, addr, stderr)
}

fn staff_cookie(addr: SocketAddr) -> String {
    let response = http()
        .post(format!("http://{addr}/api/v1/session"))
        .json(&serde_json::json!({ "username": ADMIN, "password": PASSWORD }))
        .send()
        .expect("login");
    assert!(response.status().is_success());
    let cookie = response.headers()["set-cookie"].to_str().expect("ascii");
    cookie.split(';').next().expect("pair").to_owned()
}

#[test]
fn sigterm_with_a_dashboard_stream_open_stops_within_two_seconds_without_warnings() {
    let data = tempfile::tempdir().expect("dir");
    add_user(data.path(), ADMIN, "admin", PASSWORD).expect("user add");
    let (mut child, addr, stderr) = serve(data.path());
    let cookie = staff_cookie(addr);

    // The dashboard's live counts, as a browser's EventSource holds them open.
    let mut live = TcpStream::connect(addr).expect("connect");
    write!(
        live,
        "GET /admin/live HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("request the stream");
    live.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        live.read_exact(&mut byte).expect("the stream's head");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/event-stream"), "{head}");

    terminate(&child);
    let deadline = Instant::now() + Duration::from_secs(2);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "still running 2 s after SIGTERM: {}",
                stderr.lock().expect("lock")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");

    // The stream ended as a stream ends (the last chunk), not cut off.
    let mut rest = Vec::new();
    let _ = live.read_to_end(&mut rest);
    assert!(
        rest.ends_with(b"0\r\n\r\n"),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );

    // The stderr reader finishes once the process is gone.
    std::thread::sleep(Duration::from_millis(200));
    let said = stderr.lock().expect("lock").clone();
    assert!(said.contains("INFO"), "logs were collected: {said}");
    for alarm in [" WARN ", " ERROR "] {
        assert!(!said.contains(alarm), "{alarm} in: {said}");
    }
}
