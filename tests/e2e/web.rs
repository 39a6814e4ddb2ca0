//! The staff web admin and the phone pages in a real headless chromium: a staffer logs in,
//! creates an activity and registers a member; a member's phone (360×640) registers and checks
//! in through the rotating code; the dashboard's count rises without a reload; the sign-in
//! sheet lists the member; the staffer undoes the check-in with a reason.

use std::time::Duration;

use fantoccini::{Client, Locator};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::support::browser::{self, Device, Driver};
use crate::support::{ADMIN, As, PASSWORD, TestHome, string};

/// A name that would run script if any page inserted it as HTML.
const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>";

/// `datetime-local` text for now plus `minutes`, in the home's time zone.
fn local_input(minutes: i64) -> String {
    let tz = TimeZone::get("Asia/Shanghai").unwrap();
    (Timestamp::now() + SignedDuration::from_mins(minutes))
        .to_zoned_datetime(tz)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Runs blocking HTTP (reqwest's blocking client) off the async runtime.
fn off_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| scope.spawn(work).join().unwrap())
}

/// The phone check-in page's path with the code the kiosk shows right now.
fn phone_checkin_path(home: &TestHome) -> String {
    let (status, body) = off_runtime(|| home.get("/api/v1/kiosk/status", As::Kiosk));
    assert_eq!(status, 200, "{body}");
    let url = string(&body["phone_url"]);
    let code = url.split("code=").nth(1).expect("a code in the phone url");
    format!("/m/checkin?code={code}")
}

async fn assert_no_injected_image(client: &Client, page: &str) {
    let injected = client.find_all(Locator::Css("img[src='x']")).await.unwrap();
    assert!(
        injected.is_empty(),
        "{page}: the hostile name became an element"
    );
    assert!(
        client.get_alert_text().await.is_err(),
        "{page}: a script ran"
    );
    let body = browser::text(client, "body").await;
    assert!(
        body.contains(HOSTILE_NAME),
        "{page}: the name is shown as text"
    );
}

#[test]
fn a_staffer_and_a_phone_run_an_activity_in_a_real_browser() {
    let home = TestHome::start();
    let mut driver = Driver::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let laptop = driver.browser(Device::Laptop).await;
        let phone = driver.browser(Device::Phone).await;

        // Log in: the admin redirects to the login page and back.
        laptop.goto(&home.url("/admin")).await.unwrap();
        browser::fill_and_submit(
            &laptop,
            "form[action='/admin/login']",
            &[("username", ADMIN), ("password", PASSWORD)],
        )
        .await;
        assert!(browser::text(&laptop, "h1").await.contains("概览"));

        // Create an activity that is taking check-ins now.
        laptop
            .goto(&home.url("/admin/activities/new"))
            .await
            .unwrap();
        browser::fill_and_submit(
            &laptop,
            "main form",
            &[
                ("title", "人工智能与制造业沙龙"),
                ("category", "academic_exchange"),
                ("starts_at", &local_input(-10)),
                ("ends_at", &local_input(110)),
                ("location", "二楼报告厅"),
            ],
        )
        .await;
        browser::eventually(Duration::from_secs(10), "the activity page", || async {
            laptop
                .current_url()
                .await
                .unwrap()
                .path()
                .starts_with("/admin/activities/0")
        })
        .await;
        let activity_path = laptop.current_url().await.unwrap().path().to_owned();
        let activity_id = activity_path.rsplit('/').next().unwrap().to_owned();

        // Register a member at the desk, with consent.
        laptop.goto(&home.url("/admin/members/new")).await.unwrap();
        laptop
            .find(Locator::Css("main form input[name=name]"))
            .await
            .unwrap()
            .send_keys("王五")
            .await
            .unwrap();
        browser::tick(&laptop, "main form input[name=consent]").await;
        browser::fill_and_submit(
            &laptop,
            "main form",
            &[("phone", "13900000001"), ("employer", "益阳某机械厂")],
        )
        .await;
        browser::eventually(Duration::from_secs(10), "the member page", || async {
            laptop
                .current_url()
                .await
                .unwrap()
                .path()
                .starts_with("/admin/members/0")
        })
        .await;
        assert!(browser::text(&laptop, "main").await.contains("王五"));

        // The dashboard, open on the laptop; a marker shows whether the page reloads.
        laptop.goto(&home.url("/admin")).await.unwrap();
        let counter = format!("[data-count-for='{activity_id}']");
        assert_eq!(browser::text(&laptop, &counter).await, "0");
        laptop
            .execute("window.kejiaMarker = 42;", vec![])
            .await
            .unwrap();
        browser::screenshot(&laptop, "dashboard").await;

        // A member's phone opens the kiosk's QR link, registers and is checked in at once.
        phone
            .goto(&home.url(&phone_checkin_path(&home)))
            .await
            .unwrap();
        let width = phone
            .execute("return window.innerWidth;", vec![])
            .await
            .unwrap();
        assert_eq!(width.as_i64(), Some(360));
        phone
            .find(Locator::Css("input[name=name]"))
            .await
            .unwrap()
            .send_keys(HOSTILE_NAME)
            .await
            .unwrap();
        browser::tick(&phone, "input[name=consent]").await;
        phone
            .find(Locator::Css("input[name=phone]"))
            .await
            .unwrap()
            .send_keys("13900000002")
            .await
            .unwrap();
        phone
            .find(Locator::Css("input[name=employer]"))
            .await
            .unwrap()
            .send_keys("益阳高新区某公司")
            .await
            .unwrap();
        browser::screenshot(&phone, "phone").await;
        browser::click_through(&phone, "form[action='/m/register'] button[type=submit]").await;
        let answer = browser::text(&phone, "main").await;
        assert!(answer.contains("签到成功"), "{answer}");
        assert!(answer.contains("第 1 位"), "{answer}");
        assert_no_injected_image(&phone, "phone result").await;

        // The dashboard's count rose by itself, without a reload.
        browser::eventually(Duration::from_secs(5), "the live count", || async {
            browser::text(&laptop, &counter).await == "1"
        })
        .await;
        let marker = laptop
            .execute("return window.kejiaMarker;", vec![])
            .await
            .unwrap();
        assert_eq!(marker.as_i64(), Some(42), "the dashboard reloaded");

        // The printable sign-in sheet lists the member (as text).
        laptop
            .goto(&home.url(&format!("{activity_path}/sign-in-sheet")))
            .await
            .unwrap();
        assert_no_injected_image(&laptop, "sign-in sheet").await;

        // Members list and the activity page name the member as text too.
        laptop.goto(&home.url("/admin/members")).await.unwrap();
        assert_no_injected_image(&laptop, "members list").await;
        laptop.goto(&home.url(&activity_path)).await.unwrap();
        assert_no_injected_image(&laptop, "activity page").await;
        browser::screenshot(&laptop, "activity").await;

        // Undo with a reason, behind a tap: the member leaves the list and the count drops.
        let undo = "form[action$='/undo']";
        laptop
            .find(Locator::Css("#attendance details.undo summary"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        browser::fill_and_submit(&laptop, undo, &[("reason", "扫错了活动")]).await;
        browser::eventually(Duration::from_secs(10), "the undo", || async {
            laptop
                .find_all(Locator::Css(undo))
                .await
                .unwrap()
                .is_empty()
        })
        .await;
        assert_eq!(browser::text(&laptop, &counter).await, "0");

        laptop.close().await.unwrap();
        phone.close().await.unwrap();
    });
    let (status, audit) = home.get("/api/v1/audit", As::Staff);
    assert_eq!(status, 200);
    let text = audit.to_string();
    assert!(
        text.contains("checkin.undo") && text.contains("扫错了活动"),
        "{text}"
    );
}
