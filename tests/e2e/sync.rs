//! A home and the association's hub as separate processes on loopback: enrolment, a year of
//! activity, `kejia sync`, and the hub's evaluation against the home's own compliance.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN, As, KEJIA, PASSWORD, TestHome, add_user, http_builder, phone, string};

/// The hub process; stopped on drop.
pub struct TestHub {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    child: Child,
    cookie: String,
}

impl TestHub {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // The hub makes its database first, so `user add` finds a hub's folder.
        let (child, addr) = spawn_hub(dir.path());
        add_user(dir.path(), ADMIN, "admin", PASSWORD).expect("hub user add");
        let mut hub = Self {
            dir,
            addr,
            child,
            cookie: String::new(),
        };
        hub.cookie = hub.login();
        hub
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn login(&self) -> String {
        let response = http_builder()
            .build()
            .unwrap()
            .post(self.url("/api/v1/session"))
            .json(&json!({ "username": ADMIN, "password": PASSWORD }))
            .send()
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    pub fn get(&self, path: &str) -> (StatusCode, Value) {
        crate::support::send(
            http_builder()
                .build()
                .unwrap()
                .get(self.url(path))
                .header("cookie", &self.cookie),
        )
    }

    pub fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        crate::support::send(
            http_builder()
                .build()
                .unwrap()
                .post(self.url(path))
                .header("cookie", &self.cookie)
                .json(&body),
        )
    }

    pub fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        crate::support::send(
            http_builder()
                .build()
                .unwrap()
                .put(self.url(path))
                .header("cookie", &self.cookie)
                .json(&body),
        )
    }

    /// Registers a home and returns its one-time enrolment code.
    pub fn add_home(&self, name: &str) -> String {
        let output = Command::new(KEJIA)
            .args(["hub", "home", "add", "--name", name, "--data"])
            .arg(self.dir.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn restart(&mut self) {
        let (child, addr) = spawn_hub_at(self.dir.path(), &self.addr.to_string());
        self.child = child;
        self.addr = addr;
    }

    /// Every file of the hub's data folder, as bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                all.extend(std::fs::read(path).unwrap());
            }
        }
        all
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

pub(crate) fn spawn_hub(data: &Path) -> (Child, SocketAddr) {
    spawn_hub_at(data, "127.0.0.1:0")
}

fn spawn_hub_at(data: &Path, listen: &str) -> (Child, SocketAddr) {
    let mut child = Command::new(KEJIA)
        .args(["hub", "--listen", listen, "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn kejia hub");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("kejia hub printed nothing").unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split(['/', ' ']).next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

/// Runs `kejia ARGS --data DIR` to completion.
pub(crate) fn kejia(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(KEJIA)
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap()
}

pub(crate) fn enroll(home: &TestHome, hub: &TestHub, name: &str) {
    let code = hub.add_home(name);
    let output = kejia(
        home.data(),
        &["enroll", "--hub", &hub.url(""), "--code", &code],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

pub(crate) fn sync(home: &TestHome) -> std::process::Output {
    kejia(home.data(), &["sync"])
}

/// This year's months up to last month, each with an activity; most with ten or more people.
fn a_year_of_activity(home: &TestHome) -> Vec<String> {
    let members = members_of_a_year(home);
    activities_of_a_year(home, &members)
}

/// The fourteen members of [`a_year_of_activity`]: (id, credential).
fn members_of_a_year(home: &TestHome) -> Vec<(String, String)> {
    (0..14)
        .map(|n| home.create_member(&format!("会员{n}"), &phone(n)))
        .collect()
}

/// The activities and check-ins of [`a_year_of_activity`].
fn activities_of_a_year(home: &TestHome, members: &[(String, String)]) -> Vec<String> {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let today = jiff::Timestamp::now().to_zoned_datetime(tz.clone()).date();
    let mut ids = Vec::new();
    for month in 1..today.month() {
        let day = jiff::civil::date(today.year(), month, 10);
        let starts = day
            .at(14, 0, 0, 0)
            .to_zoned_datetime(tz.clone())
            .unwrap()
            .timestamp();
        let id = home.create_activity(
            &format!("{month}月学术沙龙"),
            &starts.to_string(),
            &(starts + jiff::SignedDuration::from_hours(2)).to_string(),
        );
        let attending = if month % 4 == 0 { 7 } else { 11 };
        for (_, credential) in &members[..attending] {
            let (status, answer) = home.post(
                "/api/v1/checkins",
                As::Staff,
                json!({ "credential": credential, "source": "manual", "activity_id": id }),
            );
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
        ids.push(id);
    }
    ids
}

fn figures(value: &Value) -> Value {
    json!({
        "activities_held": value["activities_held"],
        "qualifying_activities": value["qualifying_activities"],
        "months": value["months"],
        "missing_months": value["missing_months"],
        "short_activities": value["short_activities"],
        "meets_rules": value["meets_rules"],
    })
}

fn evaluation_of(hub: &TestHub, year: i16) -> Value {
    let (status, evaluation) = hub.get(&format!("/api/v1/evaluation?year={year}"));
    assert_eq!(status, StatusCode::OK, "{evaluation}");
    assert_eq!(
        evaluation["homes"].as_array().unwrap().len(),
        1,
        "{evaluation}"
    );
    evaluation["homes"][0].clone()
}

pub(crate) fn this_year() -> i16 {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .year()
}

#[test]
fn the_hubs_evaluation_equals_the_homes_compliance_after_one_sync() {
    let home = TestHome::start();
    let hub = TestHub::start();
    enroll(&home, &hub, "益阳高新区科技工作者之家");
    a_year_of_activity(&home);
    let output = sync(&home);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let year = this_year();
    let (_, compliance) = home.get(&format!("/api/v1/compliance?year={year}"), As::Staff);
    let evaluated = evaluation_of(&hub, year);
    assert_eq!(figures(&evaluated), figures(&compliance));
    assert_eq!(
        string(&evaluated["home"]["name"]),
        "益阳高新区科技工作者之家"
    );
    let (_, status) = home.get("/api/v1/sync/status", As::Staff);
    assert_eq!(status["backlog"], 0, "{status}");
    assert!(status["last_success"].is_string(), "{status}");
    // The hub never holds a phone number.
    let bytes = hub.bytes();
    for n in 0..14 {
        let number = phone(n);
        assert!(
            !bytes.windows(number.len()).any(|w| w == number.as_bytes()),
            "the hub's files hold {number}"
        );
    }
}

#[test]
fn a_decision_and_a_notice_made_at_the_hub_reach_the_home_after_one_sync() {
    let home = TestHome::start();
    let hub = TestHub::start();
    enroll(&home, &hub, "赫山区科技工作者之家");
    let ids = a_year_of_activity(&home);
    assert!(sync(&home).status.success());
    let (_, homes) = hub.get("/api/v1/homes");
    let home_id = string(&homes[0]["id"]);
    let (status, _) = hub.post(
        &format!("/api/v1/homes/{home_id}/decisions"),
        json!({ "activity_id": ids[0], "approved": false, "comment": "请补充活动照片" }),
    );
    assert!(status.is_success(), "{status}");
    let (status, _) = hub.post(
        "/api/v1/notices",
        json!({ "title": "关于开展科技活动周的通知", "body": "请各科技工作者之家做好准备。" }),
    );
    assert!(status.is_success(), "{status}");
    assert!(sync(&home).status.success());
    let (_, activity) = home.get(&format!("/api/v1/activities/{}", ids[0]), As::Staff);
    assert_eq!(activity["filing"], "rejected", "{activity}");
    // The association's words reach the staffer: in the API, on the activity page and on the
    // dashboard, as an urgent line linking to the activity.
    assert_eq!(
        activity["filing_decision"]["comment"], "请补充活动照片",
        "{activity}"
    );
    assert_eq!(activity["filing_decision"]["state"], "rejected");
    assert!(activity["filing_decision"]["decided_at"].is_string());
    let page = page(&home, &format!("/admin/activities/{}", ids[0]));
    assert!(page.contains("科协驳回了报备"), "{page}");
    assert!(page.contains("请补充活动照片"), "{page}");
    let dashboard = home.dashboard();
    let decisions = dashboard
        .split(r#"id="decisions""#)
        .nth(1)
        .and_then(|d| d.split("</section>").next())
        .unwrap_or_default();
    assert!(decisions.contains("warn urgent"), "{dashboard}");
    assert!(decisions.contains(&format!(r#"href="/admin/activities/{}""#, ids[0])));
    assert!(decisions.contains("请补充活动照片"), "{decisions}");
    assert!(dashboard.contains("关于开展科技活动周的通知"));
    let (_, kiosk) = home.get("/api/v1/kiosk/status", As::Kiosk);
    assert_eq!(
        kiosk["notice"]["title"], "关于开展科技活动周的通知",
        "{kiosk}"
    );
}

/// A staff page's HTML.
fn page(home: &TestHome, path: &str) -> String {
    let response = home
        .request(reqwest::Method::GET, path, As::Staff)
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().unwrap()
}

#[test]
fn a_future_activity_counts_at_the_hub_only_once_closed_by_hand_and_not_after_it_is_restored() {
    let home = TestHome::start();
    let hub = TestHub::start();
    enroll(&home, &hub, "安化县科技工作者之家");
    let members = members_of_a_year(&home);
    let future = home.create_activity(
        "下个月的讲座",
        &crate::support::in_minutes(60 * 24 * 40),
        &crate::support::in_minutes(60 * 24 * 40 + 120),
    );
    let running = home.create_open_activity("正在进行的讲座");
    for (_, credential) in &members[..12] {
        assert_eq!(home.checkin(credential)["outcome"], "checked_in");
    }
    assert!(sync(&home).status.success());
    let year = this_year();
    let held = |hub: &TestHub| {
        let now = evaluation_of(hub, year);
        now["activities_held"].as_u64().unwrap()
            + evaluation_of(hub, year + 1)["activities_held"]
                .as_u64()
                .unwrap()
    };
    assert_eq!(held(&hub), 0, "neither has ended");

    let (status, refused) = home.post(
        &format!("/api/v1/activities/{future}/close"),
        As::Staff,
        json!({}),
    );
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let (status, _) = home.post(
        &format!("/api/v1/activities/{future}/close"),
        As::Staff,
        json!({ "confirm": true }),
    );
    assert_eq!(status, StatusCode::OK);
    assert!(sync(&home).status.success());
    assert_eq!(held(&hub), 1, "closed by hand: ended");

    let (status, _) = home.post(
        &format!("/api/v1/activities/{future}/restore"),
        As::Staff,
        json!({}),
    );
    assert_eq!(status, StatusCode::OK);
    assert!(sync(&home).status.success());
    assert_eq!(held(&hub), 0, "restored: not ended");
    let (_, compliance) = home.get(&format!("/api/v1/compliance?year={year}"), As::Staff);
    assert_eq!(figures(&evaluation_of(&hub, year)), figures(&compliance));
    let _ = running;
}

#[test]
fn an_erased_member_leaves_the_hub_and_the_figures_stay() {
    let home = TestHome::start();
    let hub = TestHub::start();
    enroll(&home, &hub, "资阳区科技工作者之家");
    let (member, credential) = home.create_member("分享姓名的会员", &phone(77));
    let (status, _) = home
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/members/{member}"),
            As::Staff,
        )
        .json(&json!({ "consent_share": true }))
        .send()
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    let activity = home.create_open_activity("讲座");
    let answer = home.checkin(&credential);
    assert_eq!(answer["outcome"], "checked_in");
    assert!(sync(&home).status.success());
    let needle = "分享姓名的会员".as_bytes();
    assert!(
        hub.bytes().windows(needle.len()).any(|w| w == needle),
        "shared by consent"
    );
    let before = evaluation_of(&hub, this_year());
    erase(&home, &member);
    assert!(sync(&home).status.success());
    let after = evaluation_of(&hub, this_year());
    assert_eq!(figures(&after), figures(&before));
    let _ = activity;
    // SQLite may keep freed pages until a checkpoint and vacuum; the live rows must not hold it.
    let (_, members) = hub.get(&format!(
        "/api/v1/homes/{}/members",
        string(&hub.get("/api/v1/homes").1[0]["id"])
    ));
    assert!(!members.to_string().contains("分享姓名的会员"), "{members}");
}

fn erase(home: &TestHome, member: &str) {
    let response = home
        .client
        .post(home.url(&format!("/admin/members/{member}/erase")))
        .header("cookie", format!("{}; kejia_csrf=t", home.cookie))
        .form(&[("csrf", "t"), ("reason", "本人要求")])
        .send()
        .unwrap();
    assert!(
        response.status().is_redirection() || response.status().is_success(),
        "{}",
        response.status()
    );
}

#[test]
fn a_tampered_chain_is_refused_and_the_figures_at_the_hub_do_not_change() {
    let home = TestHome::start();
    let hub = TestHub::start();
    enroll(&home, &hub, "沅江市科技工作者之家");
    a_year_of_activity(&home);
    assert!(sync(&home).status.success());
    let year = this_year();
    let before = evaluation_of(&hub, year);
    // Rewrite one record that the hub already holds, and add a new change after it.
    let db = rusqlite::Connection::open(crate::support::db_path(home.data())).unwrap();
    db.execute(
        "UPDATE changes SET record = replace(record, '\"undone\":false', '\"undone\":true') \
         WHERE seq = (SELECT min(seq) FROM changes WHERE record LIKE '%\"kind\":\"checkin\"%')",
        [],
    )
    .unwrap();
    db.execute("UPDATE sync_state SET acked_seq = 0", [])
        .unwrap();
    drop(db);
    home.create_member("新会员", &phone(99));
    let output = sync(&home);
    assert!(
        !output.status.success(),
        "a rewritten chain must be refused"
    );
    assert_eq!(figures(&evaluation_of(&hub, year)), figures(&before));
    let (_, refusals) = hub.get("/api/v1/refusals");
    assert!(!refusals.as_array().unwrap().is_empty(), "{refusals}");
}

#[test]
fn faults_between_home_and_hub_lose_nothing_and_count_nothing_twice() {
    use crate::support::proxy::{EVERY_FAULT, Proxy};
    let home = TestHome::start();
    let mut hub = TestHub::start();
    let proxy = Proxy::start(hub.addr, &EVERY_FAULT);
    let code = hub.add_home("南县科技工作者之家");
    let mut enrolled = false;
    for _ in 0..EVERY_FAULT.len() {
        let output = kejia(
            home.data(),
            &[
                "enroll",
                "--hub",
                &format!("http://{}", proxy.addr),
                "--code",
                &code,
            ],
        );
        if output.status.success() {
            enrolled = true;
            break;
        }
    }
    assert!(enrolled, "enrolment through the proxy");
    // The members first, and one push (through the faulty proxy, so it may fail): it computes
    // their phone hashes, slow on purpose, so the pushers killed below die in the middle of
    // pushing the year's activities rather than while hashing.
    let members = members_of_a_year(&home);
    let _ = sync(&home);
    activities_of_a_year(&home, &members);
    // The home's pusher killed in the middle of pushes, a few times.
    for delay in [40, 90, 160] {
        let mut pusher = Command::new(KEJIA)
            .args(["sync", "--data"])
            .arg(home.data())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = pusher.kill();
        let _ = pusher.wait();
    }
    // Pushes through the faulty proxy until one succeeds; once, the hub is killed while a
    // push is under way and restarted on its own address.
    let mut done = false;
    for attempt in 0..20 {
        if attempt == 3 {
            let mut pusher = Command::new(KEJIA)
                .args(["sync", "--data"])
                .arg(home.data())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(15));
            hub.kill9();
            std::thread::sleep(Duration::from_millis(200));
            hub.restart();
            // Its retries reach the restarted hub, or it gives up; either way nothing is lost.
            let _ = pusher.wait();
        }
        if sync(&home).status.success() {
            done = true;
            break;
        }
    }
    assert!(done, "sync got through in the end");
    assert!(proxy.connections.load(std::sync::atomic::Ordering::Relaxed) >= EVERY_FAULT.len());
    let year = this_year();
    let (_, compliance) = home.get(&format!("/api/v1/compliance?year={year}"), As::Staff);
    assert_eq!(figures(&evaluation_of(&hub, year)), figures(&compliance));
}

#[test]
fn a_batch_signed_by_a_key_the_hub_never_enrolled_is_refused() {
    use kejia_server::wire::chain::{GENESIS, HomeKey, chain_hash};
    use kejia_server::wire::{Batch, Change, Push};
    let home = TestHome::start();
    let hub = TestHub::start();
    enroll(&home, &hub, "安化县科技工作者之家");
    a_year_of_activity(&home);
    assert!(sync(&home).status.success());
    let year = this_year();
    let before = evaluation_of(&hub, year);
    let (_, homes) = hub.get("/api/v1/homes");
    let home_id = string(&homes[0]["id"]);
    let record = r#"{"kind":"activity","id":"01a22222-0000-7000-8000-000000000000","title":"伪造的活动","category":"academic_exchange","starts_at":"2026-01-05T06:00:00Z","ends_at":"2026-01-05T08:00:00Z","cancelled":false,"filing":"draft"}"#;
    let batch = Batch {
        home_id: home_id.clone(),
        prev_hash: GENESIS.into(),
        changes: vec![Change {
            seq: 1,
            hash: chain_hash(GENESIS, record),
            record: record.into(),
            personal: None,
        }],
        notices_after: 0,
        phone_hash_kind: None,
        phone_hashes: Vec::new(),
    };
    let payload = serde_json::to_string(&batch).unwrap();
    let stranger = HomeKey::from_secret([9; 32]);
    let push = Push {
        home_id,
        signature: stranger.sign(&payload),
        payload,
    };
    let response = http_builder()
        .build()
        .unwrap()
        .post(hub.url("/api/v1/sync/push"))
        .json(&push)
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(figures(&evaluation_of(&hub, year)), figures(&before));
    let (_, refusals) = hub.get("/api/v1/refusals");
    assert!(refusals.to_string().contains("签名无效"), "{refusals}");
}

#[test]
fn the_hub_registers_a_home_with_details_and_publishes_the_associations_rating() {
    let hub = TestHub::start();
    let output = Command::new(KEJIA)
        .args([
            "hub",
            "home",
            "add",
            "--name",
            "赫山区科技工作者之家",
            "--host-unit",
            "益阳某研究院",
            "--kind",
            "park",
            "--contact",
            "张敏 13800138000",
            "--awarded-on",
            "2025-03-18",
            "--data",
        ])
        .arg(hub.dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8(output.stdout).unwrap().lines().count(), 1);
    let bad = Command::new(KEJIA)
        .args([
            "hub", "home", "add", "--name", "x", "--kind", "factory", "--data",
        ])
        .arg(hub.dir.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));

    let (_, homes) = hub.get("/api/v1/homes");
    let id = string(&homes[0]["id"]);
    let (status, rating) = crate::support::send(
        http_builder()
            .build()
            .unwrap()
            .put(hub.url(&format!("/api/v1/homes/{id}/ratings/2025")))
            .header("cookie", &hub.cookie)
            .json(&json!({ "rating": "qualified" })),
    );
    assert_eq!(status, StatusCode::OK, "{rating}");

    // The public results page: no login, the rating and the home, no contact.
    let response = http_builder()
        .build()
        .unwrap()
        .get(hub.url("/results?year=2025"))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().unwrap();
    for shown in [
        "赫山区科技工作者之家",
        "益阳某研究院",
        "产业园区",
        "2025-03-18",
        "合格",
    ] {
        assert!(page.contains(shown), "{shown}");
    }
    assert!(!page.contains("张敏") && !page.contains("13800138000"));
}
