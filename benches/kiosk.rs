//! The door kiosk's speed and cost: the real `kejia serve` and `kejia kiosk` processes (release
//! build) on loopback, the QR reader on a real pseudo-terminal, the screen as PNG files.
//!
//! Run by hand: `cargo bench --bench kiosk` (figures go to BENCHMARKS.md). Not part of the test
//! suite. Prints, in order:
//!
//! 1. scan-to-screen latency: from writing `CREDENTIAL\r\n` to the reader's pty until the next
//!    numbered frame file (`DIR/NNNNNN.png`) exists and shows the green "checked in" screen,
//!    for distinct members one after another (p50/p99/max; the folder is polled every 0.5 ms);
//! 2. idle cost: the kiosk's CPU time over 10 s with nothing scanned (from /proc/PID/stat), and
//!    its resident memory after the scans (VmRSS, VmHWM);
//! 3. full redraw, in-process at 800×480: `screens::render` + `take_dirty` for every screen kind
//!    over a frame showing a different screen, and writing a whole frame into a file laid out
//!    like an XRGB8888 framebuffer. The PNG back end's cost is printed only as a breakdown of 1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::disallowed_methods
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kejia_kiosk::Size;
use kejia_kiosk::display::{Display, Frame, Framebuffer, Geometry, PngDisplay};
use kejia_kiosk::screens::{Connection, IdleView, NoticeView, Screen, render};
use serde_json::{Value, json};
use serialport::{SerialPort, TTYPort};

#[path = "support/mod.rs"]
mod support;

use support::{KEJIA, PASSWORD, USERNAME, cli, setup_accounts, spawn_serve};
/// Distinct members scanned one after another.
const SCANS: usize = 300;
/// Iterations of each in-process measurement.
const ITERATIONS: usize = 200;
const IDLE_FOR: Duration = Duration::from_secs(10);
/// How often the frame folder is looked at while waiting for a frame.
const POLL_EVERY: Duration = Duration::from_micros(500);
const WIDTH: u32 = 800;
const HEIGHT: u32 = 480;

/// A child process stopped with SIGTERM when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    setup_accounts(&data);
    let token = cli(
        &data,
        &["token", "add", "--name", "door", "--role", "kiosk"],
    );
    let token_file = dir.path().join("kiosk.token");
    std::fs::write(&token_file, token).expect("token file");
    let (server, base) = start_server(&data);
    let http = {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::blocking::Client::new()
    };
    let cookie = login(&http, &base);
    let activity = create_open_activity(&http, &base, &cookie);
    let credentials: Vec<String> = (0..SCANS)
        .map(|n| create_member(&http, &base, &cookie, n))
        .collect();

    let (mut reader, _slave, reader_path) = pty();
    let screen = dir.path().join("screen");
    let kiosk = start_kiosk(&base, &token_file, &screen, &reader_path);
    settle(&screen);
    print_memory("kiosk memory after its first screen", kiosk.0.id());
    scan_to_screen(&mut reader, &screen, &credentials, kiosk.0.id());
    let counted = get(
        &http,
        &format!("{base}/api/v1/activities/{activity}"),
        &cookie,
    );
    println!(
        "participants counted by the server: {} (expected {SCANS})\n",
        counted["participants"]
    );
    idle_cost(&screen, kiosk.0.id());
    drop(kiosk);
    drop(server);
    redraw();
}

// ---------------------------------------------------------------------------------------------
// 1. Scan to screen

/// Scans every credential once, each after the previous one's frame appeared, and reports the
/// latency from the written line to the checked-in frame.
fn scan_to_screen(reader: &mut TTYPort, screen: &Path, credentials: &[String], kiosk: u32) {
    let first_frame = highest_frame(screen);
    let mut next = first_frame + 1;
    let mut other_frames = 0;
    let mut latencies = Vec::with_capacity(credentials.len());
    let cpu_before = cpu_ticks(kiosk);
    let started = Instant::now();
    for credential in credentials {
        let line = format!("{credential}\r\n");
        // Taken just before the write (a few microseconds for one line into a pty), so that a
        // preemption right after it cannot hide part of the latency.
        let written = Instant::now();
        reader
            .write_all(line.as_bytes())
            .expect("write to the reader pty");
        loop {
            let frame = frame_path(screen, next);
            let appeared = wait_for_file(&frame);
            next += 1;
            if shows_checked_in(&frame) {
                latencies.push(appeared - written);
                break;
            }
            other_frames += 1;
        }
    }
    let elapsed = started.elapsed();
    let cpu = cpu_ticks(kiosk) - cpu_before;
    let frames = highest_frame(screen) - first_frame;
    println!(
        "scan to screen: {} scans in {:.1} s, {frames} new frames ({other_frames} not the \
         checked-in screen)",
        latencies.len(),
        elapsed.as_secs_f64()
    );
    let mut slowest: Vec<(usize, Duration)> = latencies.iter().copied().enumerate().collect();
    slowest.sort_by_key(|(_, latency)| std::cmp::Reverse(*latency));
    let slowest: Vec<String> = slowest[..3.min(slowest.len())]
        .iter()
        .map(|(i, latency)| format!("scan {} {:.1} ms", i + 1, ms(*latency)))
        .collect();
    print_latencies("  latency", &mut latencies);
    println!("  slowest: {}", slowest.join(", "));
    println!(
        "  kiosk CPU time: {:.1} ms per scan",
        cpu as f64 * 1000.0 / clock_ticks_per_second() as f64 / credentials.len() as f64
    );
}

/// Waits until the kiosk drew its first screen and then nothing new for a second (the first
/// status answer and clock tick redraw the idle screen).
fn settle(screen: &Path) {
    wait_for_file(&screen.join("latest.png"));
    let mut last = (highest_frame(screen), Instant::now());
    while last.1.elapsed() < Duration::from_millis(1500) {
        std::thread::sleep(Duration::from_millis(50));
        let now = highest_frame(screen);
        if now != last.0 {
            last = (now, Instant::now());
        }
    }
}

/// Polls for `path` every [`POLL_EVERY`]; the instant it was first seen.
fn wait_for_file(path: &Path) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if path.exists() {
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "no frame {}", path.display());
        std::thread::sleep(POLL_EVERY);
    }
}

fn frame_path(screen: &Path, number: u64) -> PathBuf {
    screen.join(format!("{number:06}.png"))
}

/// The highest `NNNNNN.png` in the frame folder, 0 if none.
fn highest_frame(screen: &Path) -> u64 {
    std::fs::read_dir(screen)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".png")?.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// Whether a frame file is the green "checked in" card (its corner is green).
fn shows_checked_in(frame: &Path) -> bool {
    let image = image::open(frame).expect("decode frame").to_rgb8();
    let [r, g, b] = image.get_pixel(5, 5).0;
    g > r.saturating_add(40) && g > b.saturating_add(40)
}

// ---------------------------------------------------------------------------------------------
// 2. Idle cost

/// Waits for the kiosk to go back to idle, then reports its CPU use over [`IDLE_FOR`] and its
/// memory.
fn idle_cost(screen: &Path, kiosk: u32) {
    let back = Instant::now();
    while shows_checked_in(&screen.join("latest.png")) {
        assert!(back.elapsed() < Duration::from_secs(10), "never went idle");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    let frames_before = highest_frame(screen);
    let before = cpu_ticks(kiosk);
    let started = Instant::now();
    std::thread::sleep(IDLE_FOR);
    let ticks = cpu_ticks(kiosk) - before;
    let seconds = started.elapsed().as_secs_f64();
    let per_second = clock_ticks_per_second();
    println!(
        "idle for {seconds:.1} s: {ticks} CPU ticks of 1/{per_second} s = {:.2} % of one core, \
         {} frames drawn",
        ticks as f64 / per_second as f64 / seconds * 100.0,
        highest_frame(screen) - frames_before
    );
    print_memory(&format!("kiosk memory after {SCANS} scans"), kiosk);
    println!();
}

fn print_memory(when: &str, pid: u32) {
    let memory = memory(pid);
    println!(
        "{when}: RSS {:.1} MB (anonymous {:.1} MB), peak {:.1} MB",
        mb(memory.rss),
        mb(memory.anonymous),
        mb(memory.peak)
    );
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // The command name is in parentheses and may hold spaces; fields count from after it.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of stat(5); `rest` starts at field 3.
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

fn clock_ticks_per_second() -> u64 {
    let output = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("getconf");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("CLK_TCK")
}

/// A process's memory from /proc, in KiB.
struct Memory {
    rss: u64,
    anonymous: u64,
    peak: u64,
}

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn memory(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Memory {
        rss: field("VmRSS:"),
        anonymous: field("RssAnon:"),
        peak: field("VmHWM:"),
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Full redraw, in-process

fn redraw() {
    let before = memory(std::process::id()).rss;
    let started = Instant::now();
    kejia_kiosk::ui::text::init().expect("fonts");
    println!(
        "loading the two embedded fonts in this process: {:.0} ms, RSS +{:.1} MB",
        ms(started.elapsed()),
        mb(memory(std::process::id()).rss.saturating_sub(before))
    );
    let size = Size::new(WIDTH, HEIGHT);
    let mut frame = Frame::new(size);
    let cold = Instant::now();
    render(&checked_in(), &mut frame);
    frame.take_dirty();
    println!(
        "full redraw at {WIDTH}x{HEIGHT}; first render in this process (empty glyph cache): \
         {:.2} ms",
        ms(cold.elapsed())
    );
    println!(
        "{:<40} {:>8} {:>9} {:>8} {:>8}",
        "render + take_dirty", "changed", "dirty", "p50 ms", "p99 ms"
    );
    for (name, screen) in samples() {
        let over = background_opposite(&screen);
        render_timing(name, &screen, &over);
    }
    framebuffer_timing();
    png_timing();
}

/// Times rendering `screen` into a frame that shows `over`, over and over.
fn render_timing(name: &str, screen: &Screen, over: &Screen) {
    let size = Size::new(WIDTH, HEIGHT);
    let changed = changed_share(screen, over);
    let mut frame = Frame::new(size);
    let mut dirty_size = None;
    let mut times = Vec::with_capacity(ITERATIONS);
    for _ in 0..ITERATIONS {
        render(over, &mut frame);
        frame.take_dirty();
        let started = Instant::now();
        render(screen, &mut frame);
        let dirty = frame.take_dirty();
        times.push(started.elapsed());
        dirty_size = dirty.map(|d| d.size);
    }
    let dirty = dirty_size.map_or("none".to_owned(), |s| format!("{}x{}", s.width, s.height));
    println!(
        "{name:<40} {:>7.1}% {dirty:>9} {:>8.2} {:>8.2}",
        changed * 100.0,
        ms(percentile(&mut times, 0.50)),
        ms(percentile(&mut times, 0.99)),
    );
}

/// The share of pixels that differ between two screens.
fn changed_share(a: &Screen, b: &Screen) -> f64 {
    let picture = |screen: &Screen| {
        let mut frame = Frame::new(Size::new(WIDTH, HEIGHT));
        render(screen, &mut frame);
        frame.to_rgb8()
    };
    let (a, b) = (picture(a), picture(b));
    let differ = a
        .chunks_exact(3)
        .zip(b.chunks_exact(3))
        .filter(|(p, q)| p != q)
        .count();
    differ as f64 / (f64::from(WIDTH) * f64::from(HEIGHT))
}

/// Writes a whole frame into a file laid out like an 800×480 XRGB8888 framebuffer; then the
/// same after rendering a full screen change (what a panel update costs on the device).
fn framebuffer_timing() {
    let geometry = Geometry {
        width: WIDTH,
        height: HEIGHT,
        bits_per_pixel: 32,
        line_length: WIDTH * 4,
    };
    let device = tempfile::NamedTempFile::new().expect("file");
    device
        .as_file()
        .set_len(u64::from(geometry.line_length * HEIGHT))
        .expect("size");
    let mut fb = Framebuffer::with_geometry(device.path(), geometry).expect("framebuffer");
    let mut frame = Frame::new(Size::new(WIDTH, HEIGHT));
    render(&checked_in(), &mut frame);
    frame.mark_all_dirty();
    let full = frame.take_dirty().expect("whole frame");
    let mut write = Vec::with_capacity(ITERATIONS);
    for _ in 0..ITERATIONS {
        let started = Instant::now();
        fb.show(&frame, full).expect("show");
        write.push(started.elapsed());
    }
    print_row("framebuffer file, whole frame (32 bpp)", &mut write);
    let screens = [idle(), checked_in()];
    let mut both = Vec::with_capacity(ITERATIONS);
    for i in 0..ITERATIONS {
        let started = Instant::now();
        render(&screens[i % 2], &mut frame);
        if let Some(dirty) = frame.take_dirty() {
            fb.show(&frame, dirty).expect("show");
        }
        both.push(started.elapsed());
    }
    print_row("idle <-> checked in, render + fb", &mut both);
}

/// What one frame costs the `png:` back end (encode + two files): part of the scan latency in
/// 1, not of a panel update.
fn png_timing() {
    let dir = tempfile::tempdir().expect("dir");
    let mut png = PngDisplay::new(dir.path(), Size::new(WIDTH, HEIGHT)).expect("png display");
    let mut frame = Frame::new(Size::new(WIDTH, HEIGHT));
    render(&checked_in(), &mut frame);
    let full = frame.take_dirty().expect("whole frame");
    let mut times = Vec::with_capacity(ITERATIONS);
    for _ in 0..ITERATIONS {
        let started = Instant::now();
        png.show(&frame, full).expect("show");
        times.push(started.elapsed());
    }
    print_row("(png: back end show, checked in)", &mut times);
}

/// A screen whose background differs from `screen`'s: the idle screen is pale, the cards are
/// coloured.
fn background_opposite(screen: &Screen) -> Screen {
    match screen {
        Screen::Idle(_)
        | Screen::Choose { .. }
        | Screen::Keypad { .. }
        | Screen::Matches { .. } => checked_in(),
        _ => idle(),
    }
}

/// The phone check-in page the idle and unknown screens show as a QR code.
const PHONE_URL: &str = "http://192.168.1.20:8080/m/checkin?code=6a1b2c3.0f1e2d3c4b5a";

fn idle() -> Screen {
    Screen::Idle(IdleView {
        home_name: "益阳高新区科技工作者之家".into(),
        clock: "11月28日 星期六 20:45".into(),
        open: Some(("人工智能与制造业转型学术沙龙".into(), 37)),
        more_open: 0,
        next: Some(("青年科技人才职称申报讲座".into(), "12月3日 14:00".into())),
        connection: Connection::Online,
        phone_url: Some(PHONE_URL.into()),
        notice: Some(NoticeView {
            title: "关于开展2026年全国科技活动周的通知".into(),
            body: "请各单位结合实际，组织科技工作者参与科普讲座和科技咨询。".into(),
            published: "11月20日".into(),
        }),
    })
}

fn checked_in() -> Screen {
    Screen::CheckedIn {
        name: "欧*娜".into(),
        employer: "湖南某新材料有限公司".into(),
        activity: "人工智能与制造业转型学术沙龙".into(),
        position: 38,
    }
}

/// Every screen kind, as the golden pictures show them.
fn samples() -> Vec<(&'static str, Screen)> {
    let activity = || "人工智能与制造业转型学术沙龙".to_owned();
    vec![
        ("idle", idle()),
        ("checked in", checked_in()),
        (
            "already checked in",
            Screen::AlreadyCheckedIn {
                name: "张*明".into(),
                activity: activity(),
            },
        ),
        (
            "visit",
            Screen::Visit {
                name: "周*华".into(),
            },
        ),
        (
            "unknown",
            Screen::Unknown {
                phone_url: Some(PHONE_URL.into()),
            },
        ),
        (
            "suspended",
            Screen::Suspended {
                name: "王*".into()
            },
        ),
        (
            "not open",
            Screen::NotOpen {
                activity: Some("青年科技人才职称申报讲座".into()),
            },
        ),
        (
            "choose",
            Screen::Choose {
                choices: vec!["人工智能学术沙龙".into(), "心理健康讲座".into()],
            },
        ),
        (
            "failed",
            Screen::Failed {
                message: "无法连接服务器，本次未计入".into(),
            },
        ),
        (
            "keypad",
            Screen::Keypad {
                digits: "8001".into(),
            },
        ),
        (
            "matches",
            Screen::Matches {
                choices: vec!["张*明 · 138****8001".into(), "李*光 · 139****8001".into()],
            },
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Figures

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort_unstable();
    let index = ((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1));
    times.get(index).copied().unwrap_or_default()
}

fn print_latencies(name: &str, times: &mut [Duration]) {
    println!(
        "{name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, min {:.2} ms",
        ms(percentile(times, 0.50)),
        ms(percentile(times, 0.99)),
        ms(times.iter().max().copied().unwrap_or_default()),
        ms(times.iter().min().copied().unwrap_or_default()),
    );
}

fn print_row(name: &str, times: &mut [Duration]) {
    println!(
        "{name:<40} {:>8} {:>9} {:>8.2} {:>8.2}",
        "",
        "",
        ms(percentile(times, 0.50)),
        ms(percentile(times, 0.99)),
    );
}

// ---------------------------------------------------------------------------------------------
// Processes and the API

/// A pseudo-terminal pair: the master (our QR scanner), the slave (kept open), its path.
fn pty() -> (TTYPort, TTYPort, String) {
    let (master, slave) = TTYPort::pair().expect("pseudo-terminal pair");
    let name = slave.name().expect("slave path");
    (master, slave, name)
}

fn start_kiosk(base: &str, token_file: &Path, screen: &Path, reader: &str) -> Process {
    let child = Command::new(KEJIA)
        .args(["kiosk", "--server", base, "--token-file"])
        .arg(token_file)
        .arg("--display")
        .arg(format!("png:{}", screen.display()))
        .args(["--reader", &format!("qr:{reader}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kejia kiosk");
    Process(child)
}

/// Starts `kejia serve` on a free loopback port; the process and its base URL.
fn start_server(data: &Path) -> (Process, String) {
    let (child, addr) = spawn_serve(data);
    (Process(child), format!("http://{addr}"))
}

/// A member with a realistic name (varied characters, so the kiosk rasterises new glyphs as
/// a real door would); returns the credential their QR code carries.
fn create_member(http: &reqwest::blocking::Client, base: &str, cookie: &str, n: usize) -> String {
    const SURNAMES: &[char] = &[
        '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡',
        '郭', '何', '高', '林', '罗', '郑', '梁', '谢', '宋', '唐',
    ];
    const GIVEN: &[char] = &[
        '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛',
        '明', '超', '秀', '霞', '平', '刚', '桂', '英', '华', '建', '文', '辉', '力', '鹏', '宇',
        '欣', '怡', '晨', '浩', '博', '凯', '思', '佳', '雪', '瑞', '翔', '峰', '琳', '婷', '鑫',
    ];
    let name: String = [
        SURNAMES[n % SURNAMES.len()],
        GIVEN[(n * 7) % GIVEN.len()],
        GIVEN[(n * 13 + 5) % GIVEN.len()],
    ]
    .iter()
    .collect();
    let body = json!({
        "name": name,
        "phone": format!("139{n:08}"),
        "employer": "益阳某新材料有限公司",
        "consent": true,
    });
    let member = post(http, &format!("{base}/api/v1/members"), cookie, body);
    member["credential"]
        .as_str()
        .expect("credential")
        .to_owned()
}

/// One activity whose check-in is open now (started 5 minutes ago, runs 3 hours).
fn create_open_activity(http: &reqwest::blocking::Client, base: &str, cookie: &str) -> String {
    let now = jiff::Timestamp::now();
    let body = json!({
        "title": "人工智能与制造业转型学术沙龙",
        "category": "academic_exchange",
        "starts_at": (now - jiff::SignedDuration::from_mins(5)).to_string(),
        "ends_at": (now + jiff::SignedDuration::from_hours(3)).to_string(),
    });
    let activity = post(http, &format!("{base}/api/v1/activities"), cookie, body);
    activity["id"].as_str().expect("id").to_owned()
}

fn post(http: &reqwest::blocking::Client, url: &str, cookie: &str, body: Value) -> Value {
    let response = http
        .post(url)
        .header("cookie", cookie)
        .json(&body)
        .send()
        .expect("request");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().expect("json")
}

fn get(http: &reqwest::blocking::Client, url: &str, cookie: &str) -> Value {
    let response = http
        .get(url)
        .header("cookie", cookie)
        .send()
        .expect("request");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().expect("json")
}

fn login(http: &reqwest::blocking::Client, base: &str) -> String {
    let response = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "username": USERNAME, "password": PASSWORD }))
        .send()
        .expect("login");
    let cookie = response.headers()["set-cookie"].to_str().expect("ascii");
    cookie.split(';').next().expect("pair").to_owned()
}
