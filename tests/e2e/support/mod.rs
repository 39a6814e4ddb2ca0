//! A home under test: a temp data folder, the real `kejia serve` process on a free loopback
//! port, a staff session and a kiosk token; stopped with SIGTERM (then SIGKILL) on drop.
#![allow(dead_code)]

pub mod browser;
pub mod mount;
pub mod proxy;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const KEJIA: &str = env!("CARGO_BIN_EXE_kejia");
pub const ADMIN: &str = "admin";
pub const PASSWORD: &str = "correct horse battery";

/// Who a request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum As {
    Nobody,
    Staff,
    Kiosk,
}

pub struct TestHome {
    pub dir: TempDir,
    pub addr: SocketAddr,
    child: Option<Child>,
    pub client: Client,
    pub cookie: String,
    pub kiosk_token: String,
}

/// The staff pages' double-submit token in tests: the same value as cookie and form field.
const FORM_CSRF: &str = "e2e-form-csrf";

impl TestHome {
    /// Posts a staff page's form as a browser does (the CSRF field and cookie added); the
    /// answer must not refuse it.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) {
        let mut all = fields.to_vec();
        all.push(("csrf", FORM_CSRF));
        let response = self
            .client
            .post(self.url(path))
            .header("cookie", format!("{}; kejia_csrf={FORM_CSRF}", self.cookie))
            .form(&all)
            .send()
            .expect("form");
        let status = response.status();
        assert!(
            status.is_success() || status.is_redirection(),
            "{path}: {status} {}",
            response.text().unwrap_or_default()
        );
    }

    /// Uploads a JPEG through an activity page's photo form (multipart, with the CSRF field).
    pub fn upload_photo(&self, activity: &str, jpeg: &[u8]) {
        let boundary = "kejia-e2e-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{FORM_CSRF}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"photo.jpg\"\r\n\
             Content-Type: image/jpeg\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(jpeg);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let response = self
            .client
            .post(self.url(&format!("/admin/activities/{activity}/photos")))
            .header("cookie", format!("{}; kejia_csrf={FORM_CSRF}", self.cookie))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .expect("upload");
        let status = response.status();
        assert!(
            status.is_success() || status.is_redirection(),
            "photo upload: {status} {}",
            response.text().unwrap_or_default()
        );
    }

    /// A home with an administrator and a kiosk token, logged in as staff.
    pub fn start() -> Self {
        Self::start_with(tempfile::tempdir().expect("temp dir"), &[])
    }

    /// A home whose server runs under `wrapper` (`strace …`, say).
    pub fn start_under(wrapper: &[&str]) -> Self {
        Self::start_with(tempfile::tempdir().expect("temp dir"), wrapper)
    }

    /// A home whose data folder is a new folder inside `parent` (a small or damaged file
    /// system, say).
    pub fn start_in(parent: &Path) -> Self {
        Self::start_with(tempfile::tempdir_in(parent).expect("temp dir"), &[])
    }

    fn start_with(dir: TempDir, wrapper: &[&str]) -> Self {
        add_user(dir.path(), ADMIN, "admin", PASSWORD).expect("user add");
        let kiosk_token = add_token(dir.path(), "门口签到机");
        let (child, addr, _) = spawn_serve_under(wrapper, dir.path(), &[]);
        Self::logged_in(dir, child, addr, kiosk_token)
    }

    /// A home listening on `listen` (e.g. `0.0.0.0:0`, every interface), with what it printed
    /// at start.
    pub fn start_listening(listen: &str) -> (Self, Vec<String>) {
        let dir = tempfile::tempdir().expect("temp dir");
        add_user(dir.path(), ADMIN, "admin", PASSWORD).expect("user add");
        let kiosk_token = add_token(dir.path(), "门口签到机");
        let (child, addr, printed) = spawn_serve_on(listen, &[], dir.path(), &[]);
        // A client on this machine reaches every interface through loopback.
        let addr = if addr.ip().is_unspecified() {
            SocketAddr::from(([127, 0, 0, 1], addr.port()))
        } else {
            addr
        };
        (Self::logged_in(dir, child, addr, kiosk_token), printed)
    }

    /// A home run with `--config FILE`, the file holding `settings` (TOML).
    pub fn start_configured(settings: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("kejia.toml");
        std::fs::write(&config, settings).expect("write the settings");
        add_user(dir.path(), ADMIN, "admin", PASSWORD).expect("user add");
        let kiosk_token = add_token(dir.path(), "门口签到机");
        let config = config.to_str().expect("a UTF-8 path").to_owned();
        let (child, addr, _) = spawn_serve_with(dir.path(), &["--config", &config]);
        Self::logged_in(dir, child, addr, kiosk_token)
    }

    /// A home on a data folder made elsewhere (a restored one), with the administrator and
    /// kiosk token that folder's database holds, logged in as staff.
    pub fn open(dir: TempDir, kiosk_token: String) -> Self {
        let (child, addr, _) = spawn_serve(dir.path());
        Self::logged_in(dir, child, addr, kiosk_token)
    }

    /// The running server on `dir`, with the administrator logged in.
    fn logged_in(dir: TempDir, child: Child, addr: SocketAddr, kiosk_token: String) -> Self {
        let client = http_builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let mut home = Self {
            dir,
            addr,
            child: Some(child),
            client,
            cookie: String::new(),
            kiosk_token,
        };
        home.cookie = home.login(ADMIN, PASSWORD).expect("login");
        home
    }

    /// The staff dashboard's HTML.
    pub fn dashboard(&self) -> String {
        let response = self
            .request(reqwest::Method::GET, "/admin", As::Staff)
            .send()
            .expect("dashboard");
        assert_eq!(response.status(), StatusCode::OK);
        response.text().expect("html")
    }

    /// Whether the server process is still running.
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    pub fn data(&self) -> &Path {
        self.dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Logs in and returns the `name=value` of the session cookie.
    pub fn login(&self, username: &str, password: &str) -> Result<String, StatusCode> {
        let response = self
            .client
            .post(self.url("/api/v1/session"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .expect("login request");
        if response.status() != StatusCode::OK {
            return Err(response.status());
        }
        let set_cookie = response.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .to_owned();
        Ok(set_cookie
            .split(';')
            .next()
            .expect("cookie pair")
            .to_owned())
    }

    pub fn request(&self, method: reqwest::Method, path: &str, who: As) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match who {
            As::Nobody => builder,
            As::Staff => builder.header("cookie", &self.cookie),
            As::Kiosk => builder.bearer_auth(&self.kiosk_token),
        }
    }

    pub fn get(&self, path: &str, who: As) -> (StatusCode, Value) {
        send(self.request(reqwest::Method::GET, path, who))
    }

    pub fn post(&self, path: &str, who: As, body: Value) -> (StatusCode, Value) {
        send(self.request(reqwest::Method::POST, path, who).json(&body))
    }

    /// Registers a member with consent; returns (id, credential).
    pub fn create_member(&self, name: &str, phone: &str) -> (String, String) {
        let (status, body) = self.post(
            "/api/v1/members",
            As::Staff,
            json!({ "name": name, "phone": phone, "employer": "益阳某科技公司", "consent": true }),
        );
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (string(&body["id"]), string(&body["credential"]))
    }

    pub fn create_activity(&self, title: &str, starts_at: &str, ends_at: &str) -> String {
        let (status, body) = self.post(
            "/api/v1/activities",
            As::Staff,
            json!({ "title": title, "category": "academic_exchange", "starts_at": starts_at, "ends_at": ends_at }),
        );
        assert_eq!(status, StatusCode::CREATED, "{body}");
        string(&body["id"])
    }

    /// An activity that started ten minutes ago and runs for two hours: check-in is open.
    pub fn create_open_activity(&self, title: &str) -> String {
        self.create_activity(title, &in_minutes(-10), &in_minutes(120))
    }

    pub fn checkin(&self, credential: &str) -> Value {
        let (status, body) = self.post(
            "/api/v1/checkins",
            As::Kiosk,
            json!({ "credential": credential, "source": "qr" }),
        );
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    pub fn participants(&self, activity: &str) -> u64 {
        let (status, body) = self.get(&format!("/api/v1/activities/{activity}"), As::Staff);
        assert_eq!(status, StatusCode::OK, "{body}");
        body["participants"].as_u64().expect("participants")
    }

    /// Member ids on the attendance list, in order of arrival.
    pub fn attendance(&self, activity: &str) -> Vec<String> {
        let (status, body) = self.get(
            &format!("/api/v1/activities/{activity}/attendance"),
            As::Staff,
        );
        assert_eq!(status, StatusCode::OK, "{body}");
        body["checkins"]
            .as_array()
            .expect("list")
            .iter()
            .map(|c| string(&c["member_id"]))
            .collect()
    }

    /// SIGKILL: no chance to flush or say goodbye.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same data folder (on a new port).
    pub fn restart(&mut self) {
        self.stop();
        let (child, addr, _) = spawn_serve(self.dir.path());
        self.child = Some(child);
        self.addr = addr;
    }

    /// SIGTERM, as systemd stops it; returns the exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait().ok()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for TestHome {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts `kejia serve` on port 0 and waits for the line that says where it listens; the
/// database is open and checked before that line is printed.
pub fn spawn_serve(data: &Path) -> (Child, SocketAddr, Vec<String>) {
    spawn_serve_with(data, &[])
}

/// `kejia serve` with extra arguments (`--kiosk png:DIR`, say).
pub fn spawn_serve_with(data: &Path, extra: &[&str]) -> (Child, SocketAddr, Vec<String>) {
    spawn_serve_under(&[], data, extra)
}

/// `kejia serve` run by another program (`strace -f -o FILE`, say) that passes its output on.
pub fn spawn_serve_under(
    wrapper: &[&str],
    data: &Path,
    extra: &[&str],
) -> (Child, SocketAddr, Vec<String>) {
    spawn_serve_on("127.0.0.1:0", wrapper, data, extra)
}

/// `kejia serve --listen LISTEN`, run by `wrapper` if one is given.
pub fn spawn_serve_on(
    listen: &str,
    wrapper: &[&str],
    data: &Path,
    extra: &[&str],
) -> (Child, SocketAddr, Vec<String>) {
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut command = Command::new(program);
            command.args(args).arg(KEJIA);
            command
        }
        None => Command::new(KEJIA),
    };
    let mut child = command
        .args(["serve", "--listen", listen, "--data"])
        .arg(data)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(if std::env::var_os("TEST_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("spawn kejia serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("kejia printed nothing").expect("utf-8");
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    let mut printed = vec![first];
    // Read what else it printed at start (the setup link) without blocking on later output.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    while let Ok(line) = receiver.recv_timeout(Duration::from_millis(300)) {
        printed.push(line);
    }
    (child, addr, printed)
}

pub fn add_user(data: &Path, username: &str, role: &str, password: &str) -> Result<(), String> {
    let mut child = Command::new(KEJIA)
        .args([
            "user",
            "add",
            "--username",
            username,
            "--role",
            role,
            "--password-stdin",
            "--data",
        ])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kejia user add");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write password");
    let output = child.wait_with_output().expect("wait");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

pub fn add_token(data: &Path, name: &str) -> String {
    let output = Command::new(KEJIA)
        .args(["token", "add", "--name", name, "--role", "kiosk", "--data"])
        .arg(data)
        .output()
        .expect("kejia token add");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {text:?}");
    lines[0].to_owned()
}

pub fn send(builder: RequestBuilder) -> (StatusCode, Value) {
    let response = builder.send().expect("request");
    let status = response.status();
    let text = response.text().expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

pub fn string(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_owned()
}

/// A distinct, valid mainland mobile number for the n-th test member.
pub fn phone(n: usize) -> String {
    format!("139{n:08}")
}

/// Now plus some minutes, as RFC 3339 (UTC).
pub fn in_minutes(minutes: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(minutes)).to_string()
}

pub fn db_path(data: &Path) -> PathBuf {
    data.join("kejia.db")
}

/// A blocking HTTP client builder. reqwest is built without a TLS crypto provider (the home
/// installs ring for its sync), so every process that makes a client installs it first.
pub fn http_builder() -> reqwest::blocking::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
}

/// A blocking HTTP client with reqwest's defaults.
pub fn http() -> Client {
    http_builder().build().expect("http client")
}

/// Runs `kejia serve` on a data folder it must refuse; returns what it said. A server that
/// starts instead is killed after ten seconds and fails the test.
pub fn serve_expecting_refusal(data: &Path) -> String {
    let mut child = Command::new(KEJIA)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("kejia serve started on a folder it should refuse");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}
