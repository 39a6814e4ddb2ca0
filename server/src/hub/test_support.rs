//! A browser and an API client for the hub's handler tests: a real store in a temporary
//! folder, a fixed clock, one logged-in staffer (session and CSRF cookies), and homes whose
//! synced records are written straight into the hub's tables (ingest has its own tests).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use jiff::Timestamp;
use rusqlite::params;
use serde_json::Value;
use tower::ServiceExt;

use super::Hub;
use crate::clock::{Clock, FixedClock};
use crate::config::RawConfig;
use crate::domain::access::{StaffRole, Username};
use crate::secrets;
use crate::store::{to_millis, users};
use crate::web::auth::SESSION_LENGTH;

/// The CSRF token the test browser holds (its cookie and its forms agree).
pub const CSRF: &str = "test-csrf-token";
/// Mid-July 2026, noon in Shanghai.
pub const NOW: &str = "2026-07-15T04:00:00Z";

pub struct HubSite {
    pub hub: Hub,
    pub clock: Arc<FixedClock>,
    session: String,
    _dir: tempfile::TempDir,
}

/// What the hub answered.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }
}

/// One synced activity to seed: its title, its start and how many members checked in.
pub struct Seeded {
    pub title: String,
    pub starts_at: &'static str,
    pub participants: u32,
}

impl HubSite {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let settings = RawConfig::default()
            .check(dir.path().to_owned())
            .expect("settings");
        let clock = Arc::new(FixedClock::at(NOW.parse().expect("now")));
        let hub = Hub::open_with_clock(settings, clock.clone()).expect("hub");
        let session = secrets::new_token("").expect("token");
        let hash = secrets::token_hash(&session);
        let at = clock.now();
        hub.store()
            .write(move |conn| {
                let name = Username::parse("xiehui").expect("name");
                let user = users::insert(conn, &name, "not-a-real-hash", StaffRole::Staff, at)?;
                users::create_session(conn, user.id, &hash, at, at + SESSION_LENGTH)
            })
            .await
            .expect("session");
        Self {
            hub,
            clock,
            session,
            _dir: dir,
        }
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Sends a request with the CSRF cookie, and the session if `staff`.
    pub async fn send(
        &self,
        builder: axum::http::request::Builder,
        staff: bool,
        body: Body,
    ) -> Answer {
        let mut cookie = format!("kejia_csrf={CSRF}");
        if staff {
            cookie.push_str(&format!("; kejia_session={}", self.session));
        }
        let request = builder
            .header("cookie", cookie)
            .body(body)
            .expect("request");
        let response = self.hub.router().oneshot(request).await.expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Answer {
            status,
            headers,
            bytes,
        }
    }

    /// A JSON call as the staffer (`staff`) or a stranger.
    pub async fn json_as(
        &self,
        staff: bool,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let builder = Request::builder().method(method).uri(path);
        let answer = match body {
            Some(body) => {
                self.send(
                    builder.header("content-type", "application/json"),
                    staff,
                    Body::from(body.to_string()),
                )
                .await
            }
            None => self.send(builder, staff, Body::empty()).await,
        };
        (answer.status, answer.json())
    }

    pub async fn json(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.json_as(true, method, path, body).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Request::get(path), true, Body::empty()).await
    }

    pub async fn get_anonymous(&self, path: &str) -> Answer {
        self.send(Request::get(path), false, Body::empty()).await
    }

    /// A form post as the staffer, with the CSRF field.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_as(path, fields, true, true).await
    }

    pub async fn post_anonymous(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_as(path, fields, false, true).await
    }

    pub async fn post_without_csrf(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_as(path, fields, true, false).await
    }

    async fn post_as(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        staff: bool,
        with_csrf: bool,
    ) -> Answer {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if with_csrf {
            all.push(("csrf", CSRF));
        }
        let body = serde_urlencoded::to_string(&all).expect("form");
        let builder =
            Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        self.send(builder, staff, Body::from(body)).await
    }

    /// Registers a home by name and marks it enrolled (with a key, as `kejia enroll` leaves
    /// it) and just synced; returns its id.
    pub async fn enrolled_home(&self, name: &str) -> String {
        let (id, _code) = self.hub.add_home(name).await.expect("add home");
        let (home, now) = (id.clone(), to_millis(self.now()));
        let key = format!("{:0>64}", id.replace('-', ""));
        self.hub
            .store()
            .write(move |conn| {
                conn.execute(
                    "UPDATE homes SET public_key = ?2, enrolled_at = ?3, last_push_at = ?3 WHERE id = ?1",
                    params![home, key, now],
                )?;
                Ok(())
            })
            .await
            .expect("enrol");
        id
    }

    /// Writes synced members (named, with employer and a phone hash, as consenting members
    /// arrive), activities of two hours and their check-ins; returns the activity ids.
    pub async fn seed(&self, home: &str, activities: Vec<Seeded>) -> Vec<String> {
        let home = home.to_owned();
        self.hub
            .store()
            .write(move |conn| {
                let mut ids = Vec::new();
                let most = activities.iter().map(|a| a.participants).max().unwrap_or(0);
                for n in 0..most {
                    conn.execute(
                        "INSERT INTO members (home_id, id, status, consent_share, name, employer, phone_hash) \
                         VALUES (?1, ?2, 'active', 1, ?3, '益阳某研究所', ?4)",
                        params![home, format!("m{n}"), format!("会员王{n}"), format!("{n:0>64}")],
                    )?;
                }
                for (index, activity) in activities.iter().enumerate() {
                    let id = uuid::Uuid::now_v7().to_string();
                    let start: Timestamp = activity.starts_at.parse().expect("start");
                    let end = start + jiff::SignedDuration::from_hours(2);
                    conn.execute(
                        "INSERT INTO activities (home_id, id, title, category, starts_at, ends_at, cancelled, filing) \
                         VALUES (?1, ?2, ?3, 'academic_exchange', ?4, ?5, 0, 'filed')",
                        params![home, id, activity.title, to_millis(start), to_millis(end)],
                    )?;
                    for n in 0..activity.participants {
                        conn.execute(
                            "INSERT INTO checkins (home_id, id, member_id, activity_id, visit_day, source, at, clock_trusted, undone) \
                             VALUES (?1, ?2, ?3, ?4, NULL, 'qr', ?5, 1, 0)",
                            params![home, format!("c{index}-{n}"), format!("m{n}"), id, to_millis(start)],
                        )?;
                    }
                    ids.push(id);
                }
                Ok(ids)
            })
            .await
            .expect("seed")
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        self.hub
            .store()
            .read(move |conn| Ok(conn.query_row(sql, [], |row| row.get(0))?))
            .await
            .expect("count")
    }
}
