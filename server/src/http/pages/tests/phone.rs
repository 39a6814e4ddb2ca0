//! The members' phone pages: the rotating room code, registration with consent, the one-tap
//! check-in of a remembered phone, and what a stranger's phone must never see.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use jiff::{SignedDuration, Timestamp};

use super::{Answer, Site};
use crate::domain::activity::{ActivityFields, CheckinWindow};
use crate::domain::credential::QrCredential;
use crate::domain::ids::{ActivityId, MemberId};
use crate::domain::member::{CONSENT_TEXT, NewMember, Registration};
use crate::domain::room::{REGISTER_FORM_SECONDS, RoomCheck, SCAN_GRACE, TAP_FORM_SECONDS};
use crate::secrets;
use crate::store::{activities, devices, members};

/// 10:00 in Shanghai on a Tuesday.
const NOW: &str = "2026-05-12T02:00:00Z";

async fn activity(site: &Site, title: &str) -> ActivityId {
    let draft = ActivityFields {
        title: Some(title),
        category: Some("academic_exchange"),
        starts_at: Some("2026-05-12T09:30:00+08:00"),
        ends_at: Some("2026-05-12T11:30:00+08:00"),
        ..ActivityFields::default()
    }
    .create(CheckinWindow::default())
    .expect("valid");
    let now = site.now();
    let created = site
        .state()
        .store
        .write(move |conn| activities::insert(conn, &draft, now))
        .await
        .expect("insert");
    created.id
}

/// How many members the home holds.
async fn registered(site: &Site) -> usize {
    site.state()
        .store
        .read(|conn| members::search(conn, "", 10))
        .await
        .expect("members")
        .len()
}

async fn participants(site: &Site, id: ActivityId) -> u32 {
    site.state()
        .store
        .read(move |conn| activities::get(conn, id))
        .await
        .expect("activity")
        .participants
}

/// A member whose phone registered before: returns the member and the phone's cookie token.
async fn known_phone(site: &Site, name: &str, phone: &str) -> (MemberId, String) {
    let member = NewMember::parse(&Registration {
        name: Some(name),
        phone: Some(phone),
        employer: Some("益阳市农科所"),
        consent: Some(true),
        ..Registration::default()
    })
    .expect("valid member");
    let token = secrets::new_token("").expect("token");
    let hash = secrets::token_hash(&token);
    let now = site.now();
    let id = site
        .state()
        .store
        .write(move |conn| {
            let created = members::insert(
                conn,
                &member,
                &QrCredential::from_random(secrets::random_bytes().expect("random")),
                now,
            )?;
            devices::remember(conn, &hash, created.id, now)?;
            Ok(created.id)
        })
        .await
        .expect("member");
    (id, token)
}

fn code(site: &Site) -> String {
    site.state().room.current(site.now())
}

/// The ticket a page shown now carries.
fn ticket(site: &Site) -> String {
    site.state().room.issue(site.now()).text
}

async fn phone_get(site: &Site, path: &str, cookie: Option<&str>) -> Answer {
    let mut builder = Request::get(path);
    if let Some(token) = cookie {
        builder = builder.header("cookie", format!("kejia_phone={token}"));
    }
    site.send(builder, false, Body::empty()).await
}

/// A phone's form post: the CSRF field, and the phone's cookie if it has one.
async fn phone_post(
    site: &Site,
    path: &str,
    fields: &[(&str, &str)],
    cookie: Option<&str>,
) -> Answer {
    let Some(token) = cookie else {
        return site.post_anonymous(path, fields).await;
    };
    let mut all = fields.to_vec();
    all.push(("csrf", super::CSRF));
    let body = serde_urlencoded::to_string(&all).expect("form");
    let builder = Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("kejia_phone={token}"));
    site.send(builder, false, Body::from(body)).await
}

/// The value of a hidden form field on a page.
fn field(page: &Answer, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {}", page.body))
        + marker.len();
    let end = page.body[start..].find('"').expect("closing quote") + start;
    page.body[start..end].to_owned()
}

/// The phone cookie a response sets, if any.
fn phone_cookie(page: &Answer) -> Option<String> {
    page.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kejia_phone="))
        .map(str::to_owned)
}

fn token_of(cookie: &str) -> &str {
    cookie["kejia_phone=".len()..]
        .split(';')
        .next()
        .expect("value")
}

fn registration<'a>(ticket: &'a str, name: &'a str, phone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("ticket", ticket),
        ("name", name),
        ("phone", phone),
        ("employer", "益阳市第一中学"),
        ("consent", "on"),
    ]
}

#[tokio::test]
async fn a_fresh_code_on_an_unknown_phone_shows_the_registration_form() {
    let site = Site::new(NOW).await;
    let page = phone_get(&site, &format!("/m/checkin?code={}", code(&site)), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"<body class="phone">"#));
    assert!(page.body.contains(r#"action="/m/register""#));
    assert!(page.body.contains(CONSENT_TEXT));
    assert!(page.body.contains(r#"name="consent" required"#));
    let ticket = field(&page, "ticket");
    let room = &site.state().room;
    assert!(
        room.check_ticket(&ticket, site.now(), TAP_FORM_SECONDS)
            .is_ok()
    );
    assert_eq!(field(&page, "csrf"), super::CSRF);
}

#[tokio::test]
async fn an_old_code_is_expired_and_a_forged_one_unknown() {
    let site = Site::new(NOW).await;
    let old = code(&site);
    site.clock.set(site.now() + SignedDuration::from_secs(95));
    let expired = phone_get(&site, &format!("/m/checkin?code={old}"), None).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(
        expired
            .body
            .contains("二维码已过期，请重新扫描签到屏上的二维码"),
        "{}",
        expired.body
    );
    assert!(
        !expired.body.contains("/admin"),
        "members are not sent to the staff site"
    );

    for forged in [
        "/m/checkin?code=6a1f2b.0123456789ab",
        "/m/checkin",
        "/m/checkin?code=%3Cscript%3E",
    ] {
        let unknown = phone_get(&site, forged, None).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{forged}");
        assert!(
            unknown
                .body
                .contains("无效的签到二维码，请扫描签到屏上的二维码")
        );
    }
}

/// A photo of the screen sent out of the room: its code is 75 seconds old. No page opens with
/// it, and a form made up around it (a nonce and CSRF pair of the sender's choosing) is refused
/// for every step; nothing is counted and no member is made.
#[tokio::test]
async fn a_form_built_from_a_75_second_old_code_is_refused_for_every_step() {
    let site = Site::new(NOW).await;
    let lecture = activity(&site, "讲座").await;
    let (_, token) = known_phone(&site, "李四", "13900139000").await;
    let photo = code(&site);
    site.clock.set(site.now() + SignedDuration::from_secs(75));
    let page = phone_get(&site, &format!("/m/checkin?code={photo}"), Some(&token)).await;
    assert_eq!(page.status, StatusCode::GONE);

    let made_up = uuid::Uuid::new_v4().to_string();
    for fields in [
        vec![("code", photo.as_str()), ("nonce", made_up.as_str())],
        vec![("ticket", made_up.as_str())],
        vec![("ticket", photo.as_str())],
    ] {
        let tap = phone_post(&site, "/m/checkin", &fields, Some(&token)).await;
        assert_eq!(
            tap.status,
            StatusCode::BAD_REQUEST,
            "{fields:?}: {}",
            tap.body
        );
        assert!(
            tap.body
                .contains("此页面已失效，请重新扫描签到屏上的二维码")
        );
        let mut form = registration("", "王五", "13700137000");
        form.retain(|(name, _)| *name != "ticket");
        form.extend(fields);
        let register = phone_post(&site, "/m/register", &form, None).await;
        assert_eq!(
            register.status,
            StatusCode::BAD_REQUEST,
            "{}",
            register.body
        );
        assert!(phone_cookie(&register).is_none());
    }
    assert_eq!(participants(&site, lecture).await, 0);
    assert_eq!(registered(&site).await, 1, "only 李四");
}

/// A page's one-tap form lives a minute; its registration form ten minutes (typing time), both
/// counted from the page load that a fresh code opened.
#[tokio::test]
async fn a_pages_form_expires_with_its_ticket() {
    let site = Site::new(NOW).await;
    let lecture = activity(&site, "讲座").await;
    let (_, token) = known_phone(&site, "李四", "13900139000").await;
    let page = phone_get(
        &site,
        &format!("/m/checkin?code={}", code(&site)),
        Some(&token),
    )
    .await;
    let tap_ticket = field(&page, "ticket");
    let form = phone_get(&site, &format!("/m/checkin?code={}", code(&site)), None).await;
    let register_ticket = field(&form, "ticket");

    site.clock.set(site.now() + SignedDuration::from_secs(75));
    let late = phone_post(
        &site,
        "/m/checkin",
        &[("ticket", &tap_ticket)],
        Some(&token),
    )
    .await;
    assert_eq!(late.status, StatusCode::GONE);
    assert!(
        late.body.contains("此页面打开已超过 60 秒"),
        "{}",
        late.body
    );
    assert_eq!(participants(&site, lecture).await, 0);

    site.clock
        .set(site.now() + SignedDuration::from_secs(REGISTER_FORM_SECONDS - 75 + 1));
    let too_late = phone_post(
        &site,
        "/m/register",
        &registration(&register_ticket, "王五", "13700137000"),
        None,
    )
    .await;
    assert_eq!(too_late.status, StatusCode::GONE);
    assert!(too_late.body.contains("此页面打开已超过 10 分钟"));

    site.clock.set(site.now() - SignedDuration::from_secs(120));
    let typed = phone_post(
        &site,
        "/m/register",
        &registration(&register_ticket, "王五", "13700137000"),
        None,
    )
    .await;
    assert_eq!(
        typed.status,
        StatusCode::OK,
        "8 minutes of typing: {}",
        typed.body
    );
    assert!(typed.body.contains("签到成功"));
    assert_eq!(participants(&site, lecture).await, 1);
}

/// One ticket registers one member: sent again with another number (a form copied off a
/// neighbour's phone), it is refused and nothing is written.
#[tokio::test]
async fn a_used_registration_ticket_registers_no_one_else() {
    let site = Site::new(NOW).await;
    let lecture = activity(&site, "讲座").await;
    let ticket = ticket(&site);
    let first = phone_post(
        &site,
        "/m/register",
        &registration(&ticket, "张三", "13800138000"),
        None,
    )
    .await;
    assert!(first.body.contains("签到成功"), "{}", first.body);
    let copied = phone_post(
        &site,
        "/m/register",
        &registration(&ticket, "王五", "13700137000"),
        None,
    )
    .await;
    assert_eq!(copied.status, StatusCode::BAD_REQUEST, "{}", copied.body);
    assert!(!copied.body.contains("张三"));
    assert!(phone_cookie(&copied).is_none());
    assert_eq!(participants(&site, lecture).await, 1);
    assert_eq!(registered(&site).await, 1);
}

#[tokio::test]
async fn registering_needs_consent_then_remembers_the_phone_and_checks_in() {
    let site = Site::new(NOW).await;
    let lecture = activity(&site, "量子计算讲座").await;
    let code = code(&site);
    let form = phone_get(&site, &format!("/m/checkin?code={code}"), None).await;
    let ticket = field(&form, "ticket");

    let mut without_consent = registration(&ticket, "张三", "138 0013 8000");
    without_consent.retain(|(name, _)| *name != "consent");
    without_consent.push(("title", "高级工程师"));
    let refused = phone_post(&site, "/m/register", &without_consent, None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("须同意个人信息收集与使用说明后才能登记")
    );
    assert!(
        refused.body.contains(r#"value="张三""#),
        "values are kept: {}",
        refused.body
    );
    assert!(refused.body.contains(r#"value="高级工程师""#));
    assert!(
        refused.body.contains("<details open>"),
        "the filled optional part stays open"
    );
    assert!(phone_cookie(&refused).is_none());
    assert_eq!(participants(&site, lecture).await, 0);
    assert_eq!(
        field(&refused, "ticket"),
        ticket,
        "the same page, corrected"
    );

    let done = phone_post(
        &site,
        "/m/register",
        &registration(&ticket, "张三", "138 0013 8000"),
        None,
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("签到成功"));
    assert!(done.body.contains("量子计算讲座"));
    assert!(done.body.contains("第 1 位"), "{}", done.body);
    assert!(done.body.contains("您好，张三"));
    assert_eq!(participants(&site, lecture).await, 1);
    let cookie = phone_cookie(&done).expect("the phone is remembered");
    assert!(
        cookie.ends_with("; Path=/m; HttpOnly; SameSite=Strict; Max-Age=31536000"),
        "{cookie}"
    );
    let token = token_of(&cookie).to_owned();

    // Next time: one tap.
    let next = phone_get(&site, &format!("/m/checkin?code={code}"), Some(&token)).await;
    assert_eq!(next.status, StatusCode::OK);
    assert!(next.body.contains("您好，张三"));
    assert!(next.body.contains("正在签到：量子计算讲座"));
    assert!(next.body.contains("不是本人，重新登记"));
    assert!(!next.body.contains("/m/register"));
    let again = phone_post(
        &site,
        "/m/checkin",
        &[("ticket", &field(&next, "ticket"))],
        Some(&token),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.body.contains("已签到过"), "{}", again.body);
    assert_eq!(participants(&site, lecture).await, 1);
}

#[tokio::test]
async fn a_double_tapped_registration_makes_one_member_and_still_remembers_the_phone() {
    let site = Site::new(NOW).await;
    let lecture = activity(&site, "讲座").await;
    let ticket = ticket(&site);
    let form = registration(&ticket, "张三", "13800138000");
    let first = phone_post(&site, "/m/register", &form, None).await;
    let second = phone_post(&site, "/m/register", &form, None).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert!(second.body.contains("签到成功") && second.body.contains("第 1 位"));
    assert!(phone_cookie(&second).is_some());
    assert_eq!(participants(&site, lecture).await, 1);
    assert_eq!(registered(&site).await, 1);
}

#[tokio::test]
async fn the_same_nonce_posted_twice_counts_once() {
    let site = Site::new(NOW).await;
    let lecture = activity(&site, "讲座").await;
    let (_, token) = known_phone(&site, "李四", "13900139000").await;
    let ticket = ticket(&site);
    let tap = [("ticket", ticket.as_str())];
    let first = phone_post(&site, "/m/checkin", &tap, Some(&token)).await;
    let second = phone_post(&site, "/m/checkin", &tap, Some(&token)).await;
    assert!(first.body.contains("签到成功") && first.body.contains("第 1 位"));
    // The re-sent form gets the first answer back, not "already checked in".
    assert!(
        second.body.contains("签到成功") && second.body.contains("第 1 位"),
        "{}",
        second.body
    );
    assert_eq!(participants(&site, lecture).await, 1);

    // Someone else's phone replaying that ticket does not see the first member's answer.
    let (_, other) = known_phone(&site, "王五", "13700137000").await;
    let replay = phone_post(&site, "/m/checkin", &tap, Some(&other)).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert!(!replay.body.contains("李四"));
}

#[tokio::test]
async fn without_an_open_activity_a_tap_records_a_visit() {
    let site = Site::new(NOW).await;
    let (_, token) = known_phone(&site, "李四", "13900139000").await;
    let code = code(&site);
    let page = phone_get(&site, &format!("/m/checkin?code={code}"), Some(&token)).await;
    assert!(page.body.contains("现在没有正在签到的活动"));
    let tap = phone_post(
        &site,
        "/m/checkin",
        &[("ticket", &field(&page, "ticket"))],
        Some(&token),
    )
    .await;
    assert!(tap.body.contains("已记录到访"), "{}", tap.body);
    assert!(tap.body.contains("5月12日"));
}

#[tokio::test]
async fn with_two_open_activities_the_member_chooses() {
    let site = Site::new(NOW).await;
    let first = activity(&site, "上午讲座").await;
    let second = activity(&site, "<i>沙龙</i>").await;
    let (_, token) = known_phone(&site, "李四", "13900139000").await;
    let ticket = ticket(&site);
    let choose = phone_post(&site, "/m/checkin", &[("ticket", &ticket)], Some(&token)).await;
    assert_eq!(choose.status, StatusCode::OK);
    assert!(
        choose
            .body
            .contains(&format!(r#"name="activity_id" value="{first}""#))
    );
    assert!(
        choose
            .body
            .contains(&format!(r#"name="activity_id" value="{second}""#))
    );
    assert!(choose.body.contains("&#60;i&#62;沙龙"), "{}", choose.body);
    assert_eq!(
        participants(&site, first).await + participants(&site, second).await,
        0
    );

    let second_id = second.to_string();
    let picked = phone_post(
        &site,
        "/m/checkin",
        &[("ticket", &ticket), ("activity_id", &second_id)],
        Some(&token),
    )
    .await;
    assert!(picked.body.contains("签到成功"), "{}", picked.body);
    assert_eq!(participants(&site, second).await, 1);
    assert_eq!(participants(&site, first).await, 0);
}

#[tokio::test]
async fn a_suspended_member_is_told_so() {
    let site = Site::new(NOW).await;
    activity(&site, "讲座").await;
    let (id, token) = known_phone(&site, "李四", "13900139000").await;
    site.state()
        .store
        .write(move |conn| {
            let changes = members::MemberChanges {
                status: Some(crate::domain::member::MemberStatus::Suspended),
                ..Default::default()
            };
            members::update(conn, id, &changes, None, Timestamp::UNIX_EPOCH).map(drop)
        })
        .await
        .expect("suspend");
    let tap = phone_post(
        &site,
        "/m/checkin",
        &[("ticket", &ticket(&site))],
        Some(&token),
    )
    .await;
    assert!(tap.body.contains("账号已停用"), "{}", tap.body);
}

#[tokio::test]
async fn a_revoked_phone_falls_back_to_the_form() {
    let site = Site::new(NOW).await;
    let (id, token) = known_phone(&site, "李四", "13900139000").await;
    let now = site.now();
    site.state()
        .store
        .write(move |conn| devices::revoke_all(conn, id, now))
        .await
        .expect("revoke");
    let code = code(&site);
    let page = phone_get(&site, &format!("/m/checkin?code={code}"), Some(&token)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"action="/m/register""#));
    assert!(!page.body.contains("李四"));
    assert!(
        phone_cookie(&page).is_some_and(|c| c.contains("Max-Age=0")),
        "the dead cookie is dropped"
    );

    let tap = phone_post(
        &site,
        "/m/checkin",
        &[("ticket", &field(&page, "ticket"))],
        Some(&token),
    )
    .await;
    assert_eq!(tap.status, StatusCode::OK);
    assert!(tap.body.contains(r#"action="/m/register""#));
    assert!(!tap.body.contains("李四"));
}

#[tokio::test]
async fn not_me_forgets_the_phone() {
    let site = Site::new(NOW).await;
    let (_, token) = known_phone(&site, "李四", "13900139000").await;
    let ticket = ticket(&site);
    let forgot = phone_post(&site, "/m/forget", &[("ticket", &ticket)], Some(&token)).await;
    assert_eq!(forgot.status, StatusCode::OK);
    assert!(forgot.body.contains(r#"action="/m/register""#));
    assert!(!forgot.body.contains("李四"));
    assert_ne!(
        field(&forgot, "ticket"),
        ticket,
        "a new nonce for the next person"
    );
    assert!(
        phone_cookie(&forgot)
            .is_some_and(|c| c.starts_with("kejia_phone=;") && c.contains("Max-Age=0"))
    );
    let hash = secrets::token_hash(&token);
    let owner = site
        .state()
        .store
        .read(move |conn| devices::member_for(conn, &hash))
        .await
        .unwrap();
    assert_eq!(owner, None, "the device row is revoked");
}

#[tokio::test]
async fn a_registered_number_is_refused_without_naming_its_holder() {
    let site = Site::new(NOW).await;
    let lecture = activity(&site, "讲座").await;
    known_phone(&site, "王秘密", "13800138000").await;
    let ticket = ticket(&site);
    let taken = phone_post(
        &site,
        "/m/register",
        &registration(&ticket, "冒名者", "+86 138-0013-8000"),
        None,
    )
    .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(
        taken
            .body
            .contains("该手机号已登记。请在签到屏扫码或刷卡，或请工作人员协助。")
    );
    assert!(!taken.body.contains("王秘密") && !taken.body.contains("王*密"));
    assert!(
        phone_cookie(&taken).is_none(),
        "this phone is not bound to that member"
    );
    assert_eq!(participants(&site, lecture).await, 0);
}

#[tokio::test]
async fn a_hostile_name_is_shown_escaped() {
    let site = Site::new(NOW).await;
    activity(&site, "讲座").await;
    let ticket = ticket(&site);
    let name = "<img src=x onerror=alert(1)>";
    let done = phone_post(
        &site,
        "/m/register",
        &registration(&ticket, name, "13800138000"),
        None,
    )
    .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(
        done.body.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "{}",
        done.body
    );
    assert!(!done.body.contains(name));
}

#[tokio::test]
async fn phone_forms_without_the_csrf_token_are_refused() {
    let site = Site::new(NOW).await;
    let ticket = ticket(&site);
    for path in ["/m/checkin", "/m/register", "/m/forget"] {
        let refused = site
            .post_without_csrf(path, &registration(&ticket, "张三", "13800138000"))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        assert!(refused.body.contains("安全校验码"), "{}", refused.body);
        assert!(phone_cookie(&refused).is_none());
    }
}

#[tokio::test]
async fn the_kiosk_status_carries_a_working_phone_url() {
    let site = Site::new(NOW).await;
    let request = Request::get("/api/v1/kiosk/status").header("host", "127.0.0.1:8080");
    let status = site.send(request, true, Body::empty()).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.body);
    let json: serde_json::Value = serde_json::from_str(&status.body).expect("json");
    let url = json["phone_url"].as_str().expect("phone_url");
    assert!(url.starts_with("http://"), "{url}");
    let (base, code) = url.split_once("/m/checkin?code=").expect("check-in path");
    assert!(
        base.ends_with(":8080"),
        "the port the kiosk reached us on: {url}"
    );
    assert_eq!(
        site.state().room.check(code, site.now(), SCAN_GRACE),
        RoomCheck::Valid
    );
    let page = phone_get(&site, &format!("/m/checkin?code={code}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
}

/// A request as the server sees it from `peer` (it records every connection's address).
fn from(builder: axum::http::request::Builder, peer: [u8; 4]) -> axum::http::request::Builder {
    let addr = std::net::SocketAddr::from((peer, 40_000));
    builder.extension(axum::extract::ConnectInfo(addr))
}

#[tokio::test]
async fn one_address_over_the_phone_pages_limit_gets_429_with_retry_after_but_the_kiosk_never_does()
{
    use crate::web::rate_limit::PHONE_PAGES;
    let site = Site::new(NOW).await;
    let nat = [192, 168, 1, 66];
    let path = format!("/m/checkin?code={}", code(&site));
    for n in 0..PHONE_PAGES.max {
        let page = site
            .send(from(Request::get(&path), nat), false, Body::empty())
            .await;
        assert_eq!(page.status, StatusCode::OK, "request {n}");
    }
    let refused = site
        .send(from(Request::get(&path), nat), false, Body::empty())
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(refused.body.contains("请求过于频繁"), "{}", refused.body);
    assert!(refused.body.contains("秒后再试"), "{}", refused.body);
    assert!(
        refused.body.contains(r#"<body class="phone">"#),
        "the phone's frame"
    );

    let other = site
        .send(
            from(Request::get(&path), [192, 168, 1, 67]),
            false,
            Body::empty(),
        )
        .await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "another address has its own count"
    );
    let staff = site
        .send(from(Request::get("/admin"), nat), true, Body::empty())
        .await;
    assert_eq!(
        staff.status,
        StatusCode::OK,
        "only the phone pages are limited"
    );

    // The kiosk at the same address: check-ins with its token are never limited.
    let now = site.now();
    let token = crate::accounts::add_token(
        &site.state().store,
        "门口签到机",
        crate::domain::access::DeviceRole::Kiosk,
        now,
    )
    .await
    .expect("token");
    for n in 0..50 {
        let request = from(Request::post("/api/v1/checkins"), nat)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json");
        let body = format!(r#"{{"credential":"KJ1-unknown-{n}","source":"qr"}}"#);
        let answer = site.send(request, false, Body::from(body)).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "check-in {n}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn registrations_from_one_address_have_their_own_lower_limit() {
    use crate::web::rate_limit::PHONE_REGISTRATIONS;
    let site = Site::new(NOW).await;
    let nat = [10, 1, 2, 3];
    let form = |phone: &str| {
        let fields = [
            ("ticket", "not-a-ticket".to_owned()),
            ("name", "测试".to_owned()),
            ("phone", phone.to_owned()),
            ("employer", "某单位".to_owned()),
            ("consent", "on".to_owned()),
            ("csrf", super::CSRF.to_owned()),
        ];
        serde_urlencoded::to_string(fields).expect("form")
    };
    let post = || {
        from(Request::post("/m/register"), nat)
            .header("content-type", "application/x-www-form-urlencoded")
    };
    for n in 0..PHONE_REGISTRATIONS.max {
        // Refused forms (a made-up ticket here) count too: they cost as much to send again.
        let answer = site
            .send(post(), false, Body::from(form("13800138000")))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "form {n}");
    }
    let refused = site
        .send(post(), false, Body::from(form("13800138000")))
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers.contains_key("retry-after"));
    assert!(refused.body.contains("分钟后再试"), "{}", refused.body);
    let page = site
        .send(
            from(
                Request::get(format!("/m/checkin?code={}", code(&site))),
                nat,
            ),
            false,
            Body::empty(),
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "the pages' own limit is not spent"
    );
}
