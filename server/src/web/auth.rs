//! Who is calling: a staffer by session cookie, or a device by bearer token. Also the guard
//! that refuses state changes a foreign web page tries to make with the staffer's cookie.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::SignedDuration;

use super::Face;
use super::error::ApiError;
use super::serve::Connection;
use crate::domain::access::StaffRole;
use crate::domain::checkin::Actor;
use crate::secrets;
use crate::store::tokens::{self, Device};
use crate::store::users::{self, StaffUser};

pub const SESSION_COOKIE: &str = "kejia_session";
/// A working day and then some; the venue laptop is shared, so sessions do not last for weeks.
pub const SESSION_LENGTH: SignedDuration = SignedDuration::from_hours(12);

/// An authenticated caller.
#[derive(Debug, Clone)]
pub enum Principal {
    Staff(StaffUser),
    Device(Device),
}

impl Principal {
    pub fn actor(&self) -> Actor {
        match self {
            Self::Staff(_) => Actor::Staff,
            Self::Device(_) => Actor::Device,
        }
    }

    /// The name recorded with what this caller does.
    pub fn name(&self) -> &str {
        match self {
            Self::Staff(user) => &user.username,
            Self::Device(device) => &device.name,
        }
    }
}

impl<S: Face> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal = if let Some(token) = bearer_token(&parts.headers) {
            let hash = secrets::token_hash(token);
            let device = state
                .kit()
                .store
                .read(move |conn| tokens::find(conn, &hash))
                .await?;
            device.map(Principal::Device)
        } else if let Some(session) = session_cookie(&parts.headers) {
            let hash = secrets::token_hash(session);
            let now = state.kit().clock.now();
            let user = state
                .kit()
                .store
                .read(move |conn| users::session_user(conn, &hash, now))
                .await?;
            user.map(Principal::Staff)
        } else {
            None
        };
        let principal = principal.ok_or(ApiError::Unauthorized)?;
        // Verified: the connection it came on is the door's or a staffer's, and is kept open
        // when a flood needs room (see `serve`).
        if let Some(connection) = parts.extensions.get::<Connection>() {
            connection.prove();
        }
        Ok(principal)
    }
}

/// A staffer (not a device); devices get 403.
#[derive(Debug, Clone)]
pub struct Staff(pub StaffUser);

impl<S: Face> FromRequestParts<S> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::Staff(user) => Ok(Staff(user)),
            Principal::Device(_) => Err(ApiError::Forbidden(
                "此操作需要工作人员登录，设备令牌无权执行".into(),
            )),
        }
    }
}

/// An administrator.
#[derive(Debug, Clone)]
pub struct Admin(pub StaffUser);

impl<S: Face> FromRequestParts<S> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Staff(user) = Staff::from_request_parts(parts, state).await?;
        if user.role == StaffRole::Admin {
            Ok(Admin(user))
        } else {
            Err(ApiError::Forbidden("此操作需要管理员账号".into()))
        }
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE)
}

/// A cookie's value by name, from every `Cookie` header; empty values count as absent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a new session: HttpOnly (no script reads it) and SameSite=Strict (no other
/// site's page sends it). Not `Secure`: homes serve plain HTTP on the venue LAN.
pub fn session_set_cookie(token: &str) -> HeaderValue {
    let max_age = SESSION_LENGTH.as_secs();
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("kejia_session=; Path=/; Max-Age=0"))
}

pub fn session_clear_cookie() -> HeaderValue {
    HeaderValue::from_static("kejia_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Refuses a state-changing request that a browser says came from another site. Bearer-token
/// callers (devices, scripts) carry no ambient credentials and pass; so do clients that send
/// neither `Origin` nor `Sec-Fetch-Site` (curl, the kiosk), which no browser omits on a
/// cross-site POST.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if unsafe_method
        && bearer_token(request.headers()).is_none()
        && is_cross_site(request.headers())
    {
        return ApiError::Forbidden("拒绝来自其他网站的请求".into()).into_response();
    }
    next.run(request).await
}

/// `Sec-Fetch-Site` decides when present: no page can set it, and unlike `Origin` it is not
/// blanked to `null` by a `no-referrer` policy. Older browsers send only `Origin`.
fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        None => false,
        Some(Ok(origin)) => !origin_matches_host(origin, headers),
        Some(Err(_)) => true,
    }
}

fn origin_matches_host(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn same_origin_and_non_browser_requests_pass() {
        assert!(!is_cross_site(&headers(&[
            ("host", "192.168.1.5:8080"),
            ("origin", "http://192.168.1.5:8080")
        ])));
        assert!(!is_cross_site(&headers(&[("host", "127.0.0.1:8080")])));
        assert!(!is_cross_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        // A same-origin form under a no-referrer policy: the browser says `Origin: null`.
        assert!(!is_cross_site(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin")
        ])));
    }

    #[test]
    fn foreign_origins_are_cross_site() {
        assert!(is_cross_site(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example")
        ])));
        assert!(is_cross_site(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "null")
        ])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let map = headers(&[("cookie", "theme=dark; kejia_session=abc123; x=y")]);
        assert_eq!(session_cookie(&map), Some("abc123"));
        assert_eq!(
            session_cookie(&headers(&[("cookie", "kejia_session=")])),
            None
        );
    }
}
