//! Debian's chromium, headless, driven over WebDriver by chromedriver on a free loopback port.
//! A "laptop" is a 1280×900 window; a "phone" emulates a 360×640 screen.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Map, Value, json};
use tempfile::TempDir;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The chromedriver process; every browser of a test talks to it.
pub struct Driver {
    child: Child,
    port: u16,
    profiles: Vec<TempDir>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Laptop,
    Phone,
}

impl Driver {
    pub fn start() -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: apt-get install -y chromium chromium-driver (see .ci/run)"
        );
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            port,
            profiles: Vec::new(),
        }
    }

    /// A new browser with its own profile (its own cookies).
    pub async fn browser(&mut self, device: Device) -> Client {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--lang=zh-CN".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut options = Map::new();
        match device {
            Device::Laptop => args.push("--window-size=1280,900".into()),
            Device::Phone => {
                options.insert(
                    "mobileEmulation".into(),
                    json!({ "deviceMetrics": { "width": 360, "height": 640, "pixelRatio": 2.0, "touch": true } }),
                );
            }
        }
        options.insert("binary".into(), json!(CHROMIUM));
        options.insert("args".into(), json!(args));
        let mut capabilities = Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), Value::Object(options));
        self.profiles.push(profile);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The visible text of the first element matching `css`.
pub async fn text(client: &Client, css: &str) -> String {
    let found = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await;
    match found {
        Ok(element) => element.text().await.expect("text"),
        Err(error) => {
            let url = client.current_url().await.map(|u| u.to_string());
            let source = client.source().await.unwrap_or_default();
            panic!("no {css} ({error}) at {url:?}:\n{source}")
        }
    }
}

/// Sets form fields by name (through the DOM, so `datetime-local` and `select` work alike)
/// and submits the form that holds the first of them.
pub async fn fill_and_submit(client: &Client, form_css: &str, fields: &[(&str, &str)]) {
    let form = client
        .form(Locator::Css(form_css))
        .await
        .unwrap_or_else(|e| panic!("no form {form_css}: {e}"));
    for (name, value) in fields {
        form.set_by_name(name, value)
            .await
            .unwrap_or_else(|e| panic!("field {name}: {e}"));
    }
    let submitted = async { form.submit().await.expect("submit") };
    navigating(client, submitted).await;
}

/// Runs `act` (a click or a submit) and waits until the browser shows the page it led to.
pub async fn navigating(client: &Client, act: impl std::future::Future<Output = ()>) {
    client
        .execute("window.kejiaOldPage = true;", vec![])
        .await
        .expect("mark the page");
    act.await;
    eventually(Duration::from_secs(15), "the next page", || async {
        let probe = "return window.kejiaOldPage !== true && document.readyState === 'complete';";
        matches!(client.execute(probe, vec![]).await, Ok(Value::Bool(true)))
    })
    .await;
}

/// Clicks the element and waits for the page it leads to.
pub async fn click_through(client: &Client, css: &str) {
    let element = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    navigating(client, async { element.click().await.expect("click") }).await;
}

/// Ticks a checkbox by name inside a form.
pub async fn tick(client: &Client, css: &str) {
    let checkbox = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no checkbox {css}: {e}"));
    if checkbox.prop("checked").await.ok().flatten().as_deref() != Some("true") {
        checkbox.click().await.expect("tick");
    }
}

/// Waits until `probe` says yes, or panics after `within`.
pub async fn eventually<F, Fut>(within: Duration, what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !probe().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Saves a screenshot to `docs/screenshots/NAME.png` when `KEJIA_BLESS` is set (the README
/// shows them), else under the test's target directory.
pub async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    let dir = if std::env::var_os("KEJIA_BLESS").is_some() {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
    } else {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
    };
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}
