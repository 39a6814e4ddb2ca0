//! The command line as the contract gives it.

use std::process::Command;

use crate::support::{KEJIA, TestHome, add_user, db_path, serve_expecting_refusal};

#[test]
fn every_command_answers_help_and_bad_arguments_exit_2() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["user", "add", "--help"],
        &["token", "add", "--help"],
        &["backup", "--help"],
        &["restore", "--help"],
    ] {
        let output = Command::new(KEJIA).args(args).output().expect("run");
        assert!(output.status.success(), "{args:?}");
    }
    for args in [
        &["serve", "--listen", "not-an-address"][..],
        &["frobnicate"],
        &["token", "add", "--name", "x", "--role", "god"],
    ] {
        let output = Command::new(KEJIA).args(args).output().expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    }
}

#[test]
fn user_add_refuses_short_passwords_and_duplicate_names() {
    let dir = tempfile::tempdir().expect("dir");
    let error = add_user(dir.path(), "xiaoli", "staff", "1234567").expect_err("short password");
    assert!(error.contains("8"), "{error}");
    add_user(dir.path(), "xiaoli", "staff", "12345678").expect("eight characters");
    let error = add_user(dir.path(), "xiaoli", "staff", "another password").expect_err("duplicate");
    assert!(error.contains("xiaoli"), "{error}");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut home = TestHome::start();
    let status = home.stop().expect("was running");
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_damaged_database_is_refused_loudly_never_replaced() {
    let home = TestHome::start();
    let data = home.data().to_owned();
    drop_keep(home, |data| {
        let path = db_path(data);
        let files: Vec<_> = std::fs::read_dir(data)
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(
            !data.join("kejia.db-wal").exists(),
            "a clean stop checkpoints and removes the WAL: {files:?}"
        );
        let mut bytes = std::fs::read(&path).expect("db");
        assert!(bytes.len() > 3 * 4096, "the database holds its pages");
        // Keep the header page, scribble over every page after it.
        for byte in bytes.iter_mut().skip(4096) {
            *byte = 0xA5;
        }
        std::fs::write(&path, bytes).expect("damage");
    });
    let before = std::fs::read(db_path(&data)).expect("db");
    let stderr = serve_expecting_refusal(&data);
    assert!(stderr.contains("damaged"), "{stderr}");
    assert_eq!(
        std::fs::read(db_path(&data)).expect("db"),
        before,
        "the file is left as it was"
    );
}

#[test]
fn a_database_from_a_newer_kejia_is_refused() {
    let home = TestHome::start();
    let data = home.data().to_owned();
    drop_keep(home, |data| {
        let conn = rusqlite::Connection::open(db_path(data)).expect("open");
        conn.execute_batch("PRAGMA user_version = 999")
            .expect("bump");
    });
    let stderr = serve_expecting_refusal(&data);
    assert!(stderr.contains("newer kejia"), "{stderr}");
}

#[test]
fn a_second_server_on_the_same_data_folder_is_refused() {
    let home = TestHome::start();
    let said = serve_expecting_refusal(home.data());
    assert!(said.contains("另一个 kejia 进程正在使用"), "{said}");
    assert_eq!(home.participants(&home.create_open_activity("仍在运行")), 0);
}

/// Stops the home, keeps its data folder, and lets `change` damage it.
fn drop_keep(mut home: TestHome, change: impl FnOnce(&std::path::Path)) {
    home.stop();
    let dir = std::mem::replace(&mut home.dir, tempfile::tempdir().expect("dir"));
    change(dir.path());
    // Keep the folder alive for the rest of the test.
    std::mem::forget(dir);
}

/// Whoever started `kejia serve` may stop reading its output (a closed pipe, a terminal that
/// went away): the server keeps serving. With `println!` its first line would panic.
#[test]
fn serve_keeps_serving_when_its_standard_output_is_closed() {
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new(KEJIA)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    // Closed before the server writes its first line: every line it writes meets a closed pipe.
    drop(child.stdout.take());
    let url = format!("http://127.0.0.1:{port}/healthz");
    let http = crate::support::http();
    let mut answered = None;
    for _ in 0..100 {
        if let Ok(response) = http.get(&url).send() {
            answered = Some(response.status());
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("serve ended with {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(answered, Some(reqwest::StatusCode::OK));
    assert!(child.try_wait().expect("wait").is_none(), "still running");
    let _ = child.kill();
    let _ = child.wait();
}
