//! Issue 14: every page a staffer, the association or the public opens fits a 360×640 phone.
//! A home holds a year of data with the longest titles, names and employers it accepts, and
//! syncs to a hub with several homes of long names; a phone-sized chromium opens every GET page
//! route of both (the test reads the routers, so a new page without a visit here fails) and
//! nothing on any page reaches past the screen's right edge, not even inside a scrolling box.
//! The hub's evaluation at 1280 px keeps its headers on one line. The same browsers take the
//! README's screenshots (`KEJIA_BLESS=1 cargo test --test e2e layout` rewrites them).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use fantoccini::{Client, Locator};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::browser::{self, Device, Driver};
use crate::support::{ADMIN, As, KEJIA, PASSWORD, TestHome, phone, spawn_serve, string};
use crate::sync::{TestHub, kejia, sync, this_year};

const LONG_TITLE: &str =
    "益阳高新区科技工作者之家2026年度人工智能与智能制造产业创新发展专题学术交流报告会（第三期）";
const LONG_HOME: &str =
    "益阳高新技术产业开发区（湖南益阳长春经济开发区）智能制造与新材料产业科技工作者之家";
const LONG_EMPLOYER: &str = "湖南省益阳市高新技术产业开发区智能制造与新材料产业创新研究院有限责任公司（国家级企业技术中心）";
/// A Latin word with no place to break, as employers' English names are written.
const LONG_WORD: &str = "YiyangAdvancedManufacturingAndNewMaterialsResearchInstituteCoLtd";
const LONG_PLACE: &str =
    "益阳高新区东部新区科技创新大厦二十三楼多功能学术报告厅（东侧电梯上楼右转第二间）";
const LONG_SPEAKER: &str =
    "中南大学机电工程学院智能制造研究所所长、博士生导师阿卜杜热合曼·买买提依明教授";
const LONG_NAMES: [&str; 3] = [
    "阿卜杜热合曼·买买提依明·艾山江",
    "欧阳娜仁托娅·阿依古丽",
    "Alexander-Maximilian Wolfeschlegelsteinhausen",
];

/// GET routes that are not pages a person reads here: the health check, the stylesheet and script, the live count's
/// event stream, an uploaded photo's bytes (and its print copy), the evaluation workbook and the
/// sign-in sheet's old address (a redirect).
const NOT_PAGES: [&str; 9] = [
    "/healthz",
    // Visited on the fresh home, with its one-time link.
    "/setup",
    "/static/kejia.css",
    "/static/kejia.js",
    "/admin/live",
    "/admin/photos/{photo}",
    "/admin/photos/{photo}/print",
    "/admin/evaluation.xlsx",
    "/admin/activities/{id}/sheet",
];

/// The GET routes a face's router file declares (`.route("PATH", get(…))`), but those of its
/// JSON API (the `fn api()` it nests under `/api/v1`).
fn get_routes(router: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(router).unwrap();
    let api_start = text.find("fn api()").expect("the router's fn api()");
    let api_end = api_start + text[api_start..].find("\n}").expect("end of fn api()");
    let pages = format!("{}{}", &text[..api_start], &text[api_end..]);
    let mut routes = BTreeSet::new();
    for call in pages.split(".route(").skip(1) {
        let call = call.split("\n}").next().unwrap_or(call);
        let Some(route) = call.split('"').nth(1) else {
            continue;
        };
        if call.contains("get(") {
            routes.insert(route.to_owned());
        }
    }
    routes
}

fn server_dir(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("server/src")
        .join(relative)
}

/// RFC 3339 for a day of this year at 14:00 in Yiyang.
fn this_year_at(month: i8, day: i8, hour: i8) -> Timestamp {
    let tz = TimeZone::get("Asia/Shanghai").unwrap();
    jiff::civil::date(this_year(), month, day)
        .at(hour, 0, 0, 0)
        .to_zoned_datetime(tz)
        .unwrap()
        .timestamp()
}

fn create_activity(home: &TestHome, title: &str, starts: Timestamp, hours: i64) -> String {
    let (status, body) = home.post(
        "/api/v1/activities",
        As::Staff,
        json!({
            "title": title,
            "category": "academic_exchange",
            "starts_at": starts.to_string(),
            "ends_at": (starts + SignedDuration::from_hours(hours)).to_string(),
            "location": LONG_PLACE,
            "speaker": LONG_SPEAKER,
            "organiser": LONG_EMPLOYER,
            "description": format!("{LONG_TITLE}。{LONG_WORD}"),
        }),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    string(&body["id"])
}

/// What the phone pages and the screenshots look at in the home.
struct Seeded {
    /// The activity with the long title, open now, with a full attendance list.
    open: String,
    cancelled: String,
    /// The member with the longest name, a card and a year of check-ins.
    member: String,
}

/// A year in a home: 16 members (long names, long employers), 14 activities across this
/// year's months with check-ins, one cancelled, one open now, a card bound and an unknown one.
fn a_year_in(home: &TestHome) -> Seeded {
    let mut members = Vec::new();
    for n in 0..16 {
        let name = LONG_NAMES
            .get(n)
            .map_or_else(|| format!("会员{n}号"), |long| (*long).to_owned());
        let employer = match n % 3 {
            0 => LONG_EMPLOYER.to_owned(),
            1 => LONG_WORD.to_owned(),
            _ => "益阳某科技公司".to_owned(),
        };
        let (status, body) = home.post(
            "/api/v1/members",
            As::Staff,
            json!({ "name": name, "phone": phone(500 + n), "employer": employer,
                    "discipline": "机械工程", "title": "高级工程师", "consent": true,
                    "consent_share": n % 2 == 0 }),
        );
        assert_eq!(status, StatusCode::CREATED, "{body}");
        members.push((string(&body["id"]), string(&body["credential"])));
    }
    let now_month = Timestamp::now()
        .to_zoned_datetime(TimeZone::get("Asia/Shanghai").unwrap())
        .month();
    let mut ids = Vec::new();
    for n in 0..13_i8 {
        let month = (n % 12) + 1;
        if month >= now_month {
            continue;
        }
        let title = if n % 3 == 0 {
            LONG_TITLE.to_owned()
        } else {
            format!("{month}月学术沙龙")
        };
        let id = create_activity(home, &title, this_year_at(month, 10 + n / 12, 14), 2);
        let attending = if month % 4 == 0 { 7 } else { 12 };
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
    let cancelled = create_activity(home, LONG_TITLE, this_year_at(now_month, 1, 9), 1);
    let (status, body) = home.post(
        &format!("/api/v1/activities/{cancelled}/cancel"),
        As::Staff,
        json!({}),
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    let open = create_activity(
        home,
        LONG_TITLE,
        Timestamp::now() - SignedDuration::from_mins(20),
        3,
    );
    let (status, body) = home.post(
        &format!("/api/v1/members/{}/cards", members[0].0),
        As::Staff,
        json!({ "uid": "0A1B2C3D4E5F6071" }),
    );
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for (n, (_, credential)) in members.iter().enumerate() {
        let source = if n == 0 { "card" } else { "qr" };
        let credential = if n == 0 {
            "0A1B2C3D4E5F6071"
        } else {
            credential
        };
        let (status, answer) = home.post(
            "/api/v1/checkins",
            As::Kiosk,
            json!({ "credential": credential, "source": source }),
        );
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    // A card nobody holds yet waits on the member page's list to be bound.
    home.post(
        "/api/v1/checkins",
        As::Kiosk,
        json!({ "credential": "FFEEDDCCBBAA9988", "source": "card" }),
    );
    Seeded {
        open,
        cancelled,
        member: members[0].0.clone(),
    }
}

/// Registers a home at the hub with its details and returns its enrolment code.
fn add_hub_home(hub: &TestHub, name: &str, host: &str) -> String {
    let output = Command::new(KEJIA)
        .args(["hub", "home", "add", "--name", name, "--host-unit", host])
        .args(["--kind", "park", "--contact", "张敏 13800138000"])
        .args(["--awarded-on", &format!("{}-01-18", this_year() - 1)])
        .arg("--data")
        .arg(hub.dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A hub with the seeded home enrolled and synced, three more homes of long names rated this
/// year, a decision and a long notice.
fn a_hub_for(home: &TestHome, open: &str) -> (TestHub, String) {
    let hub = TestHub::start();
    let code = add_hub_home(&hub, LONG_HOME, LONG_EMPLOYER);
    let output = kejia(
        home.data(),
        &["enroll", "--hub", &hub.url(""), "--code", &code],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (n, host) in [LONG_EMPLOYER, LONG_WORD, "资阳区人民政府"]
        .iter()
        .enumerate()
    {
        add_hub_home(&hub, &format!("{LONG_HOME}（第{}分部）", n + 2), host);
    }
    let output = sync(home);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (_, homes) = hub.get("/api/v1/homes");
    let mut enrolled = String::new();
    for listed in homes.as_array().unwrap() {
        let id = string(&listed["id"]);
        if listed["name"] == LONG_HOME {
            enrolled = id.clone();
        }
        let (status, rating) = hub.put(
            &format!("/api/v1/homes/{id}/ratings/{}", this_year()),
            json!({ "rating": "qualified" }),
        );
        assert_eq!(status, StatusCode::OK, "{rating}");
    }
    let (status, _) = hub.post(
        &format!("/api/v1/homes/{enrolled}/decisions"),
        json!({ "activity_id": open, "approved": false, "comment": format!("请补充活动照片和签到表。{LONG_WORD}") }),
    );
    assert!(status.is_success(), "{status}");
    let (status, _) = hub.post(
        "/api/v1/notices",
        json!({ "title": LONG_TITLE, "body": format!("请各科技工作者之家做好准备。{LONG_WORD}") }),
    );
    assert!(status.is_success(), "{status}");
    assert!(sync(home).status.success());
    (hub, enrolled)
}

/// What reaches past the right edge of the window (or the left), described for a failure.
const OVERFLOW: &str = r#"
const width = 360;
const found = [];
const root = document.documentElement;
if (window.innerWidth !== width) found.push(`the phone zoomed out to show ${window.innerWidth} px`);
if (root.scrollWidth > window.innerWidth) found.push(`the page is ${root.scrollWidth} px wide`);
for (const el of document.body.querySelectorAll('*')) {
  const box = el.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) continue;
  if (box.right > width + 0.5 || box.left < -0.5) {
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
    found.push(`${name} spans ${Math.round(box.left)}..${Math.round(box.right)} px: ` +
      (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 40));
  }
}
return found.slice(0, 8);
"#;

/// Buttons and fields on the phone smaller than a fingertip.
const SMALL_TARGETS: &str = r#"
const found = [];
for (const el of document.querySelectorAll('main button:not(.link), main .button, main input:not([type=hidden]):not([type=checkbox]), main select, main summary')) {
  const box = el.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) continue;
  if (box.height < 36) found.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.name || '').trim().slice(0, 20)}" is ${Math.round(box.height)} px tall`);
}
return found;
"#;

/// Opens `path` and checks that it fits the phone's 360 px; `route` names it in a failure.
async fn fits(client: &Client, base: &str, route: &str, path: &str) {
    client.goto(&format!("{base}{path}")).await.unwrap();
    let ready = "return document.readyState === 'complete';";
    browser::eventually(std::time::Duration::from_secs(10), route, || async {
        matches!(client.execute(ready, vec![]).await, Ok(Value::Bool(true)))
    })
    .await;
    fits_now(client, route, path).await;
}

/// Checks the page the browser shows now against the phone's 360 px, and keeps a screenshot
/// of it under the test's target directory (`layout/`) for a reviewer's eye.
async fn fits_now(client: &Client, route: &str, path: &str) {
    static SHOWN: AtomicUsize = AtomicUsize::new(0);
    let route_name: String = route
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let name = format!("{:02}{route_name}", SHOWN.fetch_add(1, Ordering::Relaxed));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("layout");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    let answer = client.execute(OVERFLOW, vec![]).await.unwrap();
    let found = answer.as_array().unwrap();
    assert!(
        found.is_empty(),
        "{route} ({path}) is wider than a 360 px phone:\n{}",
        found
            .iter()
            .map(|f| f.as_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let small = client.execute(SMALL_TARGETS, vec![]).await.unwrap();
    assert_eq!(
        small,
        json!([]),
        "{route} ({path}): targets too small to tap"
    );
}

async fn log_in(client: &Client, base: &str) {
    client.goto(&format!("{base}/admin/login")).await.unwrap();
    browser::fill_and_submit(
        client,
        "form[action='/admin/login']",
        &[("username", ADMIN), ("password", PASSWORD)],
    )
    .await;
}

/// Whether every header cell of the table `css` stays on one line.
async fn headers_on_one_line(client: &Client, css: &str) -> Vec<String> {
    let probe = format!(
        r#"const out = [];
        for (const th of document.querySelectorAll('{css} thead th')) {{
          const line = parseFloat(getComputedStyle(th).lineHeight) || 24;
          const text = th.getBoundingClientRect().height - parseFloat(getComputedStyle(th).paddingTop)
            - parseFloat(getComputedStyle(th).paddingBottom);
          if (text > line * 1.5) out.push(th.textContent.trim());
        }}
        return out;"#
    );
    let answer = client.execute(&probe, vec![]).await.unwrap();
    answer
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Sizes the window so that the page inside it is `width` × `height`.
async fn window_of(client: &Client, width: u32, height: u32) {
    client.set_window_size(width, height).await.unwrap();
    let chrome = client
        .execute("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];", vec![])
        .await
        .unwrap();
    let extra = |n: usize| u32::try_from(chrome[n].as_i64().unwrap_or(0)).unwrap_or(0);
    client
        .set_window_size(width + extra(0), height + extra(1))
        .await
        .unwrap();
}

/// Scrolls `css` to the top of the window before a screenshot.
async fn scroll_to(client: &Client, css: &str) {
    let script = format!("document.querySelector('{css}').scrollIntoView();");
    client.execute(&script, vec![]).await.unwrap();
}

#[test]
fn every_page_fits_a_360_px_phone_with_a_year_of_long_names() {
    let home = TestHome::start_configured(&format!("home_name = \"{LONG_HOME}\"\n"));
    let seeded = a_year_in(&home);
    let (hub, hub_home) = a_hub_for(&home, &seeded.open);
    // A home with no account yet shows the one-time setup form.
    let fresh = tempfile::tempdir().unwrap();
    let (mut fresh_child, fresh_addr, printed) = spawn_serve(fresh.path());
    let setup_path = printed
        .iter()
        .find_map(|l| {
            l.split_once("/setup?token=")
                .map(|(_, t)| t.trim().to_owned())
        })
        .map(|token| format!("/setup?token={token}"))
        .expect("a setup link");
    let (status, kiosk) = home.get("/api/v1/kiosk/status", As::Kiosk);
    assert_eq!(status, StatusCode::OK, "{kiosk}");
    let phone_url = string(&kiosk["phone_url"]);
    let code = phone_url.split("code=").nth(1).expect("a code").to_owned();

    let home_routes = get_routes(&server_dir("http/router.rs"));
    let hub_routes = get_routes(&server_dir("hub/router.rs"));
    let year = this_year();
    let base = home.url("");
    let hub_base = hub.url("");
    let open = &seeded.open;
    let member = &seeded.member;
    // (route, path) for every page of the home, logged out first.
    let home_logged_out = [
        ("/admin/login", "/admin/login".to_owned()),
        ("/m/checkin", format!("/m/checkin?code={code}")),
    ];
    let home_pages = [
        ("/", "/".to_owned()),
        ("/admin", "/admin".to_owned()),
        ("/admin/activities", "/admin/activities".to_owned()),
        (
            "/admin/activities",
            format!("/admin/activities?year={year}"),
        ),
        ("/admin/activities/new", "/admin/activities/new".to_owned()),
        (
            "/admin/activities/{id}",
            format!("/admin/activities/{open}"),
        ),
        (
            "/admin/activities/{id}",
            format!("/admin/activities/{open}?q=%E4%BC%9A%E5%91%98"),
        ),
        (
            "/admin/activities/{id}",
            format!("/admin/activities/{}", seeded.cancelled),
        ),
        (
            "/admin/activities/{id}/edit",
            format!("/admin/activities/{open}/edit"),
        ),
        (
            "/admin/activities/{id}/sign-in-sheet",
            format!("/admin/activities/{open}/sign-in-sheet"),
        ),
        (
            "/admin/activities/{id}/sign-in-sheet",
            format!("/admin/activities/{open}/sign-in-sheet?blank=1"),
        ),
        ("/admin/members", "/admin/members".to_owned()),
        ("/admin/members", "/admin/members?q=%E9%98%BF".to_owned()),
        ("/admin/members/new", "/admin/members/new".to_owned()),
        ("/admin/members/{id}", format!("/admin/members/{member}")),
        (
            "/admin/members/{id}",
            format!("/admin/members/{member}?phone=show"),
        ),
        (
            "/admin/members/{id}/badge",
            format!("/admin/members/{member}/badge"),
        ),
        ("/admin/badges", "/admin/badges".to_owned()),
        ("/admin/ledger", "/admin/ledger".to_owned()),
        ("/admin/ledger/print", "/admin/ledger/print".to_owned()),
        ("/admin/settings", "/admin/settings".to_owned()),
        ("/admin/settings", "/admin/settings?welcome=1".to_owned()),
        ("error page", "/admin/members/not-a-member".to_owned()),
    ];
    let hub_logged_out = [
        ("/admin/login", "/admin/login".to_owned()),
        ("/results", "/results".to_owned()),
        ("/results", format!("/results?year={year}")),
        ("/", "/".to_owned()),
    ];
    let hub_pages = [
        ("/admin", "/admin".to_owned()),
        (
            "/admin/evaluation",
            format!("/admin/evaluation?year={year}"),
        ),
        ("/admin/homes", "/admin/homes".to_owned()),
        ("/admin/homes/{id}", format!("/admin/homes/{hub_home}")),
        ("/admin/refusals", "/admin/refusals".to_owned()),
        ("/admin/notices", "/admin/notices".to_owned()),
    ];

    // Every page route is visited (or is not a page).
    for (routes, visited, side) in [
        (
            &home_routes,
            home_logged_out
                .iter()
                .chain(&home_pages)
                .collect::<Vec<_>>(),
            "home",
        ),
        (
            &hub_routes,
            hub_logged_out.iter().chain(&hub_pages).collect::<Vec<_>>(),
            "hub",
        ),
    ] {
        assert!(
            routes.contains("/admin"),
            "{side}: no routes read: {routes:?}"
        );
        let visited: BTreeSet<&str> = visited.iter().map(|(route, _)| *route).collect();
        for route in routes {
            assert!(
                visited.contains(route.as_str()) || NOT_PAGES.contains(&route.as_str()),
                "the {side}'s page {route} is not visited by this test"
            );
        }
    }

    let mut driver = Driver::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let phone = driver.browser(Device::Phone).await;
        fits(
            &phone,
            &format!("http://{fresh_addr}"),
            "/setup",
            &setup_path,
        )
        .await;
        fits(
            &phone,
            &format!("http://{fresh_addr}"),
            "/setup",
            "/setup?token=wrong",
        )
        .await;
        for (route, path) in &home_logged_out {
            fits(&phone, &base, route, path).await;
        }
        log_in(&phone, &base).await;
        for (route, path) in &home_pages {
            fits(&phone, &base, route, path).await;
        }
        // Undoing a check-in asks for its reason behind a tap: the field is hidden until then.
        phone
            .goto(&format!("{base}/admin/activities/{open}"))
            .await
            .unwrap();
        let reason = "#attendance form[action$='/undo'] input[name=reason]";
        let shown = format!("return document.querySelector(\"{reason}\").checkVisibility();");
        assert_eq!(phone.execute(&shown, vec![]).await.unwrap(), json!(false));
        phone
            .find(Locator::Css("#attendance details summary"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(phone.execute(&shown, vec![]).await.unwrap(), json!(true));
        fits_now(&phone, "/admin/activities/{id}", "the undo's reason shown").await;

        let hub_phone = driver.browser(Device::Phone).await;
        for (route, path) in &hub_logged_out {
            fits(&hub_phone, &hub_base, route, path).await;
        }
        log_in(&hub_phone, &hub_base).await;
        for (route, path) in &hub_pages {
            fits(&hub_phone, &hub_base, route, path).await;
        }
        // Registering a home answers with its one-time code on a page of its own.
        hub_phone
            .goto(&format!("{hub_base}/admin/homes"))
            .await
            .unwrap();
        let fifth = format!("{LONG_HOME}（第5分部）");
        browser::fill_and_submit(
            &hub_phone,
            "form[action='/admin/homes']",
            &[("name", &fifth), ("host_unit", LONG_WORD)],
        )
        .await;
        // The short code, XXXX-XXXX, to read over the phone.
        let code = browser::text(&hub_phone, "#code").await;
        assert_eq!(code.trim().len(), 9, "{code}");
        fits_now(&hub_phone, "POST /admin/homes", "the one-time code").await;

        // The README's screenshots, on the phone and on a 1280×800 laptop.
        let laptop = driver.browser(Device::Laptop).await;
        log_in(&laptop, &base).await;
        window_of(&laptop, 1280, 800).await;
        let hub_laptop = driver.browser(Device::Laptop).await;
        log_in(&hub_laptop, &hub_base).await;
        window_of(&hub_laptop, 1280, 800).await;
        let home_shots = [
            ("dashboard", "/admin".to_owned(), None),
            (
                "attendance",
                format!("/admin/activities/{open}"),
                Some("#attendance"),
            ),
            ("members", "/admin/members".to_owned(), None),
            ("ledger", "/admin/ledger".to_owned(), None),
        ];
        let evaluation = format!("/admin/evaluation?year={year}");
        for (client, size) in [(&phone, "narrow"), (&laptop, "wide")] {
            for (name, path, anchor) in &home_shots {
                client.goto(&format!("{base}{path}")).await.unwrap();
                if let Some(anchor) = anchor {
                    scroll_to(client, anchor).await;
                }
                browser::screenshot(client, &format!("{size}-{name}")).await;
            }
        }
        for (client, size) in [(&hub_phone, "narrow"), (&hub_laptop, "wide")] {
            client
                .goto(&format!("{hub_base}{evaluation}"))
                .await
                .unwrap();
            if size == "narrow" {
                scroll_to(client, "#evaluation").await;
            }
            browser::screenshot(client, &format!("{size}-evaluation")).await;
        }

        // At 1280 px the evaluation fits the window, its headers each on one line.
        let width = hub_laptop
            .execute(
                "return [window.innerWidth, document.documentElement.scrollWidth];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(width[0], json!(1280), "the laptop's window");
        assert!(
            width[1].as_i64().unwrap() <= 1280,
            "the evaluation is {} px wide at 1280",
            width[1]
        );
        let wrapped = headers_on_one_line(&hub_laptop, "#evaluation").await;
        assert!(
            wrapped.is_empty(),
            "headers wrapped at 1280 px: {wrapped:?}"
        );

        for client in [phone, hub_phone, laptop, hub_laptop] {
            client.close().await.unwrap();
        }
    });
    let _ = fresh_child.kill();
    let _ = fresh_child.wait();
}
