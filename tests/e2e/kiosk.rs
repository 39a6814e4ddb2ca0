//! The door kiosk end to end: `kejia serve` and `kejia kiosk` as real processes, the readers on
//! real pseudo-terminals, the screen as PNG files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;
use serialport::{SerialPort, TTYPort};

use crate::support::{As, KEJIA, TestHome, phone};

/// `TTYPort::pair` is not thread-safe; tests make their pairs one at a time.
static PTY: Mutex<()> = Mutex::new(());

struct Kiosk {
    child: Child,
    screen: PathBuf,
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pty() -> (TTYPort, TTYPort, String) {
    let _guard = PTY.lock().unwrap_or_else(|p| p.into_inner());
    let (master, slave) = TTYPort::pair().expect("pseudo-terminal pair");
    let name = slave.name().expect("slave path");
    (master, slave, name)
}

fn start_kiosk(home: &TestHome, dir: &Path, readers: &[String]) -> Kiosk {
    start_kiosk_with(home, dir, readers, &[])
}

fn start_kiosk_with(home: &TestHome, dir: &Path, readers: &[String], extra: &[String]) -> Kiosk {
    let token = dir.join("token");
    std::fs::write(&token, format!("{}\n", home.kiosk_token)).expect("token file");
    let screen = dir.join("screen");
    let mut command = Command::new(KEJIA);
    command
        .args(["kiosk", "--server", &home.url(""), "--token-file"])
        .arg(&token)
        .arg("--display")
        .arg(format!("png:{}", screen.display()));
    for reader in readers {
        command.args(["--reader", reader]);
    }
    command.args(extra);
    let child = command
        .stdout(Stdio::null())
        .stderr(if std::env::var_os("TEST_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("spawn kejia kiosk");
    let kiosk = Kiosk { child, screen };
    wait_for(
        || kiosk.screen.join("latest.png").exists(),
        "the kiosk drew its first screen",
    );
    kiosk
}

fn wait_for(mut done: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// An RDM6300 frame: STX, ten hex digits, their XOR checksum in two hex digits, ETX.
fn rdm6300_frame(uid: &str) -> Vec<u8> {
    let checksum = (0..5)
        .map(|i| u8::from_str_radix(&uid[2 * i..2 * i + 2], 16).expect("hex"))
        .fold(0, |acc, byte| acc ^ byte);
    let mut frame = vec![0x02];
    frame.extend_from_slice(uid.as_bytes());
    frame.extend_from_slice(format!("{checksum:02X}").as_bytes());
    frame.push(0x03);
    frame
}

/// Whether the latest screen is the green "checked in" card with a large light name on it.
fn shows_checked_in(screen: &Path) -> bool {
    let Ok(image) = image::open(screen.join("latest.png")) else {
        return false;
    };
    let image = image.to_rgb8();
    let corner = image.get_pixel(5, 5).0;
    let green =
        corner[1] > corner[0].saturating_add(40) && corner[1] > corner[2].saturating_add(40);
    // The name is drawn in white from 38 % of the height down.
    let name_top = image.height() * 38 / 100;
    let white = (name_top..name_top + image.height() / 6)
        .flat_map(|y| (0..image.width()).map(move |x| (x, y)))
        .filter(|(x, y)| image.get_pixel(*x, *y).0.iter().all(|c| *c > 230))
        .count();
    green && white > 300
}

/// The text of the QR code on the latest screen, if it shows exactly one that decodes.
fn screen_qr(screen: &Path) -> Option<String> {
    let image = image::open(screen.join("latest.png")).ok()?.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    let [grid] = grids.as_slice() else {
        return None;
    };
    grid.decode().ok().map(|(_, text)| text)
}

fn is_phone_checkin_url(text: &str) -> bool {
    text.starts_with("http://") && text.contains("/m/checkin?code=")
}

#[test]
fn the_idle_screen_and_an_unknown_card_show_the_phone_page_as_a_qr_code() {
    let home = TestHome::start();
    let (mut card, _card_slave, card_path) = pty();
    let dir = tempfile::tempdir().expect("dir");
    let kiosk = start_kiosk(&home, dir.path(), &[format!("rdm6300:{card_path}")]);
    let mut idle_code = None;
    wait_for(
        || {
            idle_code = screen_qr(&kiosk.screen);
            idle_code.is_some()
        },
        "the idle screen shows a QR code that decodes",
    );
    let url = idle_code.unwrap_or_default();
    assert!(
        is_phone_checkin_url(&url),
        "the idle QR code is the phone check-in page: {url}"
    );

    std::thread::sleep(Duration::from_millis(300));
    card.write_all(&rdm6300_frame("0F0E0D0C0B"))
        .expect("write to the card pty");
    let registration_offered = || {
        let Ok(image) = image::open(kiosk.screen.join("latest.png")) else {
            return false;
        };
        // The unknown card screen is amber.
        let [r, g, b] = image.to_rgb8().get_pixel(5, 5).0;
        let amber = r > 150 && g > 80 && g < 130 && b < 40;
        amber && screen_qr(&kiosk.screen).is_some_and(|text| is_phone_checkin_url(&text))
    };
    wait_for(
        registration_offered,
        "the unknown card screen offers the phone page as a QR code",
    );
}

#[test]
fn a_qr_code_and_a_card_on_the_readers_each_check_in_and_show_it() {
    let home = TestHome::start();
    let activity = home.create_open_activity("门口签到测试");
    let (_, credential) = home.create_member("张三明", &phone(1));
    let (card_holder, _) = home.create_member("李四光", &phone(2));
    let (status, body) = home.post(
        &format!("/api/v1/members/{card_holder}/cards"),
        As::Staff,
        json!({ "uid": "0A1B2C3D4E" }),
    );
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");

    let (mut qr, _qr_slave, qr_path) = pty();
    let (mut card, _card_slave, card_path) = pty();
    let dir = tempfile::tempdir().expect("dir");
    let kiosk = start_kiosk(
        &home,
        dir.path(),
        &[format!("qr:{qr_path}"), format!("rdm6300:{card_path}")],
    );
    // Give the readers a moment to open their ports before the first bytes arrive.
    std::thread::sleep(Duration::from_millis(300));

    qr.write_all(format!("{credential}\r\n").as_bytes())
        .expect("write to the QR pty");
    wait_for(
        || home.participants(&activity) == 1,
        "the QR scan was counted",
    );
    wait_for(
        || shows_checked_in(&kiosk.screen),
        "the checked-in screen is shown",
    );

    card.write_all(&rdm6300_frame("0A1B2C3D4E"))
        .expect("write to the card pty");
    wait_for(|| home.participants(&activity) == 2, "the card was counted");
    let attendance = home.attendance(&activity);
    assert_eq!(attendance.len(), 2);
    assert_eq!(attendance[1], card_holder);
}

#[test]
fn reader_noise_and_a_card_held_for_five_seconds_count_exactly_once() {
    let home = TestHome::start();
    let activity = home.create_open_activity("噪声测试");
    let (card_holder, _) = home.create_member("李四光", &phone(2));
    let (status, _) = home.post(
        &format!("/api/v1/members/{card_holder}/cards"),
        As::Staff,
        json!({ "uid": "0A1B2C3D4E" }),
    );
    assert_eq!(status, reqwest::StatusCode::CREATED);
    let (mut qr, _qr_slave, qr_path) = pty();
    let (mut card, _card_slave, card_path) = pty();
    let dir = tempfile::tempdir().expect("dir");
    let _kiosk = start_kiosk(
        &home,
        dir.path(),
        &[format!("qr:{qr_path}"), format!("rdm6300:{card_path}")],
    );
    std::thread::sleep(Duration::from_millis(300));

    // QR payloads that must never reach the server: control characters, 2 KB, invalid UTF-8.
    qr.write_all(b"KJ1\x1b[2JABC\r\n").expect("write");
    qr.write_all(&[b'A'; 2048]).expect("write");
    qr.write_all(b"\r\n\xff\xfeKJ1\r\n").expect("write");
    // Card noise: a bad checksum, a cut frame, line noise.
    let mut bad = rdm6300_frame("0A1B2C3D4E");
    bad[11] = b'0';
    bad[12] = b'0';
    card.write_all(&bad).expect("write");
    card.write_all(&rdm6300_frame("0A1B2C3D4E")[..6])
        .expect("write");
    card.write_all(b"\x00\xffnoise 0A1B2C3D4E\r\n")
        .expect("write");
    // One card lying on the reader for five seconds: a frame every 100 ms.
    for _ in 0..50 {
        card.write_all(&rdm6300_frame("0A1B2C3D4E")).expect("write");
        std::thread::sleep(Duration::from_millis(100));
    }
    wait_for(|| home.participants(&activity) == 1, "the card was counted");
    std::thread::sleep(Duration::from_millis(500));
    let (_, scans) = home.get("/api/v1/scans", As::Staff);
    let scans = scans.as_array().expect("scan log").clone();
    assert_eq!(
        scans.len(),
        1,
        "one scan reached the server, nothing else: {scans:?}"
    );
    assert_eq!(scans[0]["credential"], "0A1B2C3D4E");
}

#[test]
fn serve_with_kiosk_runs_a_kiosk_client_beside_the_home_with_its_own_token() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let screen = dir.path().join("screen");
    let display = format!("png:{}", screen.display());
    let (mut child, addr, _) = crate::support::spawn_serve_with(&data, &["--kiosk", &display]);
    wait_for(
        || screen.join("latest.png").exists(),
        "the built-in kiosk drew its screen",
    );
    let token_file = data.join("local-kiosk.token");
    let token = std::fs::read_to_string(&token_file).expect("token kept in the data folder");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&token_file)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "only the owner reads the token");
    let status = crate::support::http()
        .get(format!("http://{addr}/api/v1/kiosk/status"))
        .bearer_auth(token.trim())
        .send()
        .expect("status");
    assert!(
        status.status().is_success(),
        "the token is a real kiosk token"
    );
    let _ = child.kill();
    let _ = child.wait();

    let (mut child, _, _) = crate::support::spawn_serve_with(&data, &["--kiosk", &display]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        std::fs::read_to_string(&token_file).expect("token"),
        token,
        "a restart reuses it"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// One Linux `input_event` record as a 64-bit kernel writes it.
fn input_event(kind: u16, code: u16, value: i32) -> Vec<u8> {
    let mut record = vec![0u8; 16];
    record.extend_from_slice(&kind.to_ne_bytes());
    record.extend_from_slice(&code.to_ne_bytes());
    record.extend_from_slice(&value.to_ne_bytes());
    record
}

#[test]
fn a_tap_on_the_touch_panel_opens_the_keypad() {
    let home = TestHome::start();
    let dir = tempfile::tempdir().expect("dir");
    let fifo = dir.path().join("event0");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let kiosk = start_kiosk_with(
        &home,
        dir.path(),
        &[],
        &["--touch".into(), fifo.display().to_string()],
    );
    let mut panel = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open the fake panel");
    // The "按手机尾号签到" button sits at the bottom left of the 800×480 idle screen (the
    // phone QR code takes the right); the default raw range equals the screen, so raw
    // coordinates are pixels.
    let mut tap = Vec::new();
    for (kind, code, value) in [
        (3, 0, 158),
        (3, 1, 364),
        (1, 0x14a, 1),
        (0, 0, 0),
        (1, 0x14a, 0),
        (0, 0, 0),
    ] {
        tap.extend(input_event(kind, code, value));
    }
    panel.write_all(&tap).expect("tap");
    let keypad_shown = || {
        let Ok(image) = image::open(kiosk.screen.join("latest.png")) else {
            return false;
        };
        // The "1" key is blue where the idle screen is a pale background.
        let [r, _, b] = image.to_rgb8().get_pixel(120, 130).0;
        b > r.saturating_add(60)
    };
    wait_for(keypad_shown, "the keypad is shown");
}
