//! Under systemd (`Type=notify`, `WatchdogSec=`): `kejia serve` says ready once it listens, then
//! feeds the watchdog while its database answers, and says stopping on SIGTERM.

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::KEJIA;

#[test]
fn serve_notifies_ready_then_feeds_the_watchdog_then_says_stopping() {
    let dir = tempfile::tempdir().expect("dir");
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("bind the notify socket");
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut child = Command::new(KEJIA)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("data"))
        .env("NOTIFY_SOCKET", &socket_path)
        // 200 ms: kejia pings every 100 ms.
        .env("WATCHDOG_USEC", "200000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn kejia serve");
    let mut received = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut buffer = [0u8; 512];
    while Instant::now() < deadline
        && received
            .iter()
            .filter(|m: &&String| m.contains("WATCHDOG=1"))
            .count()
            < 3
    {
        let n = socket.recv(&mut buffer).expect("a notification");
        received.push(String::from_utf8_lossy(&buffer[..n]).into_owned());
    }
    assert!(received[0].contains("READY=1"), "first: {received:?}");
    assert!(
        received.iter().filter(|m| m.contains("WATCHDOG=1")).count() >= 3,
        "{received:?}"
    );

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut stopping = false;
    while let Ok(n) = socket.recv(&mut buffer) {
        if String::from_utf8_lossy(&buffer[..n]).contains("STOPPING=1") {
            stopping = true;
            break;
        }
    }
    let status = child.wait().expect("wait");
    assert!(stopping, "no STOPPING=1 before exit");
    assert!(status.success(), "{status:?}");
}
