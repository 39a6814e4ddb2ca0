//! Page tests on a real store through the whole router: a logged-in staffer's browser (session
//! and CSRF cookies) and an anonymous one, with a clock the test sets.

mod activities;
mod backup;
mod dashboard;
mod figures;
mod login;
mod members;
mod phone;
mod print;
mod settings;
mod wording;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use jiff::Timestamp;
use tower::ServiceExt;

use crate::Home;
use crate::clock::{Clock, FixedClock};
use crate::config::RawConfig;
use crate::domain::access::{StaffRole, Username};
use crate::http::AppState;
use crate::secrets;
use crate::store::users;
use crate::web::auth::SESSION_LENGTH;

/// The CSRF token every test browser holds (its cookie and its forms agree).
pub const CSRF: &str = "test-csrf-token";

pub struct Site {
    pub home: Home,
    pub clock: Arc<FixedClock>,
    /// The staffer's session cookie value.
    pub session: String,
    _dir: tempfile::TempDir,
}

/// What a page answered.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// Where a redirect points.
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }
}

impl Site {
    /// A home whose clock reads `now` (RFC 3339), with one administrator logged in.
    pub async fn new(now: &str) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let settings = RawConfig::default()
            .check(dir.path().to_owned())
            .expect("settings");
        let clock = Arc::new(FixedClock::at(now.parse().expect("now")));
        let home = Home::open_with_clock(settings, clock.clone()).expect("home");
        let session = secrets::new_token("").expect("token");
        let hash = secrets::token_hash(&session);
        let at = clock.now();
        home.state
            .store
            .write(move |conn| {
                let name = Username::parse("staff").expect("name");
                let user = users::insert(conn, &name, "not-a-real-hash", StaffRole::Admin, at)?;
                users::create_session(conn, user.id, &hash, at, at + SESSION_LENGTH)
            })
            .await
            .expect("session");
        Self {
            home,
            clock,
            session,
            _dir: dir,
        }
    }

    pub fn state(&self) -> &AppState {
        &self.home.state
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// GET as the logged-in staffer.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(Request::get(path), true, Body::empty()).await
    }

    /// GET as a stranger (no session; the CSRF cookie only).
    pub async fn get_anonymous(&self, path: &str) -> Answer {
        self.send(Request::get(path), false, Body::empty()).await
    }

    /// POST a form as the staffer; the CSRF field is added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_as(path, fields, true, true).await
    }

    /// POST a form as a stranger; the CSRF field is added.
    pub async fn post_anonymous(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_as(path, fields, false, true).await
    }

    /// POST a form as the staffer without the CSRF field.
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

    /// Sends any request with the browser's cookies (and the session if `staff`).
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
        let response = self.home.router().oneshot(request).await.expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}
