//! Handler tests on a real store with a fixed clock: the calendar questions that need "now" to
//! sit exactly on a boundary.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use jiff::Timestamp;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::Home;
use crate::accounts;
use crate::clock::{Clock, FixedClock};
use crate::config::RawConfig;
use crate::domain::access::DeviceRole;
use crate::domain::credential::QrCredential;
use crate::domain::member::{NewMember, Registration};
use crate::store::members;

struct Fixture {
    home: Home,
    clock: Arc<FixedClock>,
    token: String,
    _dir: tempfile::TempDir,
}

async fn fixture(now: &str) -> Fixture {
    let dir = tempfile::tempdir().expect("dir");
    let settings = RawConfig::default()
        .check(dir.path().to_owned())
        .expect("settings");
    let clock = Arc::new(FixedClock::at(now.parse().expect("now")));
    let home = Home::open_with_clock(settings, clock.clone()).expect("home");
    let token = accounts::add_token(&home.state.store, "kiosk", DeviceRole::Kiosk, clock.now())
        .await
        .expect("token");
    Fixture {
        home,
        clock,
        token,
        _dir: dir,
    }
}

impl Fixture {
    async fn member(&self, phone: &str) -> String {
        let member = NewMember::parse(&Registration {
            name: Some("张三明"),
            phone: Some(phone),
            employer: Some("某公司"),
            consent: Some(true),
            ..Registration::default()
        })
        .expect("valid");
        let credential = QrCredential::from_random([7; 16]);
        let text = credential.as_str().to_owned();
        let now: Timestamp = crate::clock::Clock::now(&*self.clock);
        self.home
            .state
            .store
            .write(move |conn| members::insert(conn, &member, &credential, now))
            .await
            .expect("insert");
        text
    }

    async fn checkin(&self, credential: &str) -> Value {
        let request = Request::post("/api/v1/checkins")
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .body(Body::from(
                json!({ "credential": credential, "source": "qr" }).to_string(),
            ))
            .expect("request");
        let response = self.home.router().oneshot(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        serde_json::from_slice(&bytes).expect("json")
    }
}

#[tokio::test]
async fn a_visit_at_2359_on_31_march_china_time_belongs_to_31_march() {
    // 15:59 UTC is 23:59 in Shanghai.
    let fixture = fixture("2026-03-31T15:59:00Z").await;
    let credential = fixture.member("13800138000").await;
    let late = fixture.checkin(&credential).await;
    assert_eq!(late["outcome"], "visit");
    assert_eq!(late["visit_day"], "2026-03-31");

    // Two minutes later it is 1 April in Shanghai, still 31 March in UTC: a new day, a new visit.
    fixture
        .clock
        .set("2026-03-31T16:01:00Z".parse().expect("time"));
    let next_day = fixture.checkin(&credential).await;
    assert_eq!(next_day["visit_day"], "2026-04-01");
    assert!(next_day.get("repeat").is_none(), "{next_day}");
    assert_ne!(next_day["checkin_id"], late["checkin_id"]);

    // And later on 1 April it is the same visit.
    fixture
        .clock
        .set("2026-04-01T09:00:00Z".parse().expect("time"));
    let again = fixture.checkin(&credential).await;
    assert_eq!(again["repeat"], true);
    assert_eq!(again["checkin_id"], next_day["checkin_id"]);
}

#[tokio::test]
async fn under_an_unsynchronised_clock_checkins_are_marked_and_the_schedule_waits_for_staff() {
    let fixture = fixture("2026-03-10T07:00:00Z").await;
    fixture.clock.set_synchronised(false);
    let draft = crate::domain::activity::ActivityFields {
        title: Some("学术沙龙"),
        category: Some("academic_exchange"),
        starts_at: Some("2026-03-10T06:00:00Z"),
        ends_at: Some("2026-03-10T08:00:00Z"),
        ..Default::default()
    }
    .create(crate::domain::activity::CheckinWindow::default())
    .expect("draft");
    let now = crate::clock::Clock::now(&*fixture.clock);
    let activity = fixture
        .home
        .state
        .store
        .write(move |conn| crate::store::activities::insert(conn, &draft, now))
        .await
        .expect("activity");
    let first = fixture.member("13800138000").await;
    let early = fixture.checkin(&first).await;
    assert_eq!(
        early["outcome"], "visit",
        "the schedule is not followed: {early}"
    );

    let state = &fixture.home.state;
    crate::home::clock::confirm_time(
        &state.store,
        &state.time_confirmed,
        state.clock.now(),
        &state.settings.tz,
        "staff",
    )
    .await
    .expect("confirm");
    let again = fixture.checkin(&first).await;
    assert_eq!(again["outcome"], "checked_in", "{again}");
    assert_eq!(again["activity"]["id"], activity.id.to_string());

    let marks: Vec<(Option<String>, bool)> = fixture
        .home
        .state
        .store
        .read(|conn| {
            let mut rows =
                conn.prepare("SELECT activity_id, clock_trusted FROM checkins ORDER BY seq")?;
            let marks = rows
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(marks)
        })
        .await
        .expect("read");
    assert_eq!(
        marks,
        vec![(None, false), (Some(activity.id.to_string()), true)]
    );
    let logged: Vec<String> = fixture
        .home
        .state
        .store
        .read(|conn| {
            let mut rows = conn.prepare(
                "SELECT record FROM changes WHERE record LIKE '%\"checkin\"%' ORDER BY seq",
            )?;
            let records = rows
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(records)
        })
        .await
        .expect("changes");
    assert!(
        logged[0].contains("\"clock_trusted\":false"),
        "{}",
        logged[0]
    );
    assert!(
        logged[1].contains("\"clock_trusted\":true"),
        "{}",
        logged[1]
    );
}

/// A Pi boots with its clock wherever it stopped until the network corrects it, so a record
/// made later may carry an earlier time. Lists follow the order records were made in.
#[tokio::test]
async fn members_are_listed_in_the_order_they_were_registered_even_when_the_clock_steps_back() {
    let fixture = fixture("2026-05-01T10:00:00Z").await;
    let register = |phone: &'static str, seed: u8| {
        let store = fixture.home.state.store.clone();
        let now: Timestamp = crate::clock::Clock::now(&*fixture.clock);
        async move {
            let member = NewMember::parse(&Registration {
                name: Some("李四海"),
                phone: Some(phone),
                employer: Some("某公司"),
                consent: Some(true),
                ..Registration::default()
            })
            .expect("valid");
            let credential = QrCredential::from_random([seed; 16]);
            store
                .write(move |conn| members::insert(conn, &member, &credential, now))
                .await
                .expect("insert")
                .id
        }
    };
    let first = register("13800138001", 1).await;
    fixture
        .clock
        .set("2026-04-01T10:00:00Z".parse().expect("time"));
    let second = register("13800138002", 2).await;

    let (newest_first, oldest_first) = fixture
        .home
        .state
        .store
        .read(|conn| Ok((members::search(conn, "", 10)?, members::active(conn, 10)?)))
        .await
        .expect("lists");
    let ids = |list: Vec<crate::domain::member::Member>| {
        list.into_iter().map(|m| m.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(newest_first), vec![second, first]);
    assert_eq!(ids(oldest_first), vec![first, second]);
}

/// A staff session cookie on the fixture's home.
async fn staff_cookie(fixture: &Fixture) -> String {
    use crate::domain::access::{StaffRole, Username};
    let session = crate::secrets::new_token("").expect("token");
    let hash = crate::secrets::token_hash(&session);
    let at: Timestamp = crate::clock::Clock::now(&*fixture.clock);
    fixture
        .home
        .state
        .store
        .write(move |conn| {
            let name = Username::parse("staff").expect("name");
            let user =
                crate::store::users::insert(conn, &name, "not-a-real-hash", StaffRole::Staff, at)?;
            crate::store::users::create_session(
                conn,
                user.id,
                &hash,
                at,
                at + crate::web::auth::SESSION_LENGTH,
            )
        })
        .await
        .expect("session");
    format!("kejia_session={session}")
}

/// JSON nested `depth` levels deep in the ways a hostile client might: a bare array, and an
/// array or an object under a field no route knows (serde skips unknown fields by walking
/// them, which is where an unbounded parser would recurse) beside valid fields.
fn deep_bodies(depth: usize, valid: &Value) -> Vec<(&'static str, String)> {
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    let with = |nested: &str| {
        let fields = valid.to_string();
        format!(r#"{{"x":{nested},{}"#, &fields[1..])
    };
    vec![
        ("bare array", arrays.clone()),
        ("array in an unknown field", with(&arrays)),
        ("object in an unknown field", with(&objects)),
    ]
}

#[tokio::test]
async fn deeply_nested_json_is_refused_with_a_chinese_400_and_nothing_is_stored() {
    let fixture = fixture("2026-03-10T07:00:00Z").await;
    let staff = staff_cookie(&fixture).await;
    let routes = [
        (
            "/api/v1/members",
            json!({ "name": "张三", "phone": "13800138000", "employer": "某公司", "consent": true }),
            As::Staff,
        ),
        (
            "/api/v1/activities",
            json!({ "title": "学术沙龙", "category": "academic_exchange",
                    "starts_at": "2026-03-10T06:00:00Z", "ends_at": "2026-03-10T08:00:00Z" }),
            As::Staff,
        ),
        (
            "/api/v1/checkins",
            json!({ "credential": "KJ1-nobody", "source": "qr" }),
            As::Kiosk,
        ),
    ];
    for (path, valid, who) in &routes {
        for (shape, body) in deep_bodies(10_000, valid) {
            assert!(body.len() < crate::web::harden::BODY_LIMIT, "{shape}");
            let mut request = Request::post(*path).header("content-type", "application/json");
            request = match who {
                As::Staff => request.header("cookie", &staff),
                As::Kiosk => request.header("authorization", format!("Bearer {}", fixture.token)),
            };
            let request = request.body(Body::from(body)).expect("request");
            let response = fixture
                .home
                .router()
                .oneshot(request)
                .await
                .expect("answer");
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes();
            let answer: Value = serde_json::from_slice(&bytes).expect("a JSON error");
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}, {shape}: {answer}");
            assert_eq!(
                answer["error"], "请求格式有误：JSON 嵌套层数过多（最多 128 层）",
                "{path}, {shape}"
            );
        }
    }
    // Nothing of it reached the store: no member, no activity, not even a scan.
    let counts: (i64, i64, i64) = fixture
        .home
        .state
        .store
        .read(|conn| {
            let count = |table: &str| {
                conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            };
            Ok((count("members")?, count("activities")?, count("scans")?))
        })
        .await
        .expect("counts");
    assert_eq!(counts, (0, 0, 0));
    // The same fields without the nesting are taken: the refusal was the depth alone.
    for (path, valid, who) in routes {
        let mut request = Request::post(path).header("content-type", "application/json");
        request = match who {
            As::Staff => request.header("cookie", &staff),
            As::Kiosk => request.header("authorization", format!("Bearer {}", fixture.token)),
        };
        let request = request
            .body(Body::from(valid.to_string()))
            .expect("request");
        let response = fixture
            .home
            .router()
            .oneshot(request)
            .await
            .expect("answer");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }
}

#[derive(Clone, Copy)]
enum As {
    Staff,
    Kiosk,
}

#[tokio::test]
async fn the_hubs_push_refuses_deep_json_within_its_larger_body_limit() {
    // Anyone may push (a home proves itself by signature), up to 8 MiB: a million levels fit.
    let depth = 1_000_000;
    let body = format!(
        r#"{{"x":{}{},"home_id":"h","payload":"{{}}","signature":"00"}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert!(body.len() < crate::hub::PUSH_LIMIT);
    let (status, answer) = push_to_a_new_hub(body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer["error"],
        "请求格式有误：JSON 嵌套层数过多（最多 128 层）"
    );
}

#[tokio::test]
async fn a_push_over_8_mib_is_refused_naming_the_pushes_limit() {
    let body = format!(
        r#"{{"home_id":"h","payload":"{}","signature":"00"}}"#,
        "x".repeat(9 * 1024 * 1024)
    );
    let (status, answer) = push_to_a_new_hub(body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer["error"], "请求内容过大（上限 8 MiB）");
}

/// `body` pushed to a hub of its own: the status and the JSON answer.
async fn push_to_a_new_hub(body: String) -> (StatusCode, Value) {
    let dir = tempfile::tempdir().expect("dir");
    let settings = RawConfig::default()
        .check(dir.path().to_owned())
        .expect("settings");
    let hub = crate::hub::Hub::open(settings).expect("hub");
    let request = Request::post("/api/v1/sync/push")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request");
    let response = hub.router().oneshot(request).await.expect("answer");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, serde_json::from_slice(&bytes).expect("json"))
}
