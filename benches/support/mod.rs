//! What both by-hand benches need: the release `kejia` binary, an account, a token, a server.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const KEJIA: &str = env!("CARGO_BIN_EXE_kejia");
pub const USERNAME: &str = "bench";
pub const PASSWORD: &str = "bench password";

/// Creates the bench's administrator in `data`.
pub fn setup_accounts(data: &Path) {
    let mut child = Command::new(KEJIA)
        .args([
            "user",
            "add",
            "--username",
            USERNAME,
            "--role",
            "admin",
            "--password-stdin",
            "--data",
        ])
        .arg(data)
        .stdin(Stdio::piped())
        .spawn()
        .expect("user add");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("write");
    assert!(child.wait().expect("wait").success());
}

/// Runs a `kejia` command on `data` and returns what it printed.
pub fn cli(data: &Path, args: &[&str]) -> String {
    let output = Command::new(KEJIA)
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

/// Starts `kejia serve` on a free loopback port and reads the address it printed; the
/// database is open before that line appears.
pub fn spawn_serve(data: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(KEJIA)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.trim().parse().ok())
        .expect("address");
    (child, addr)
}
