//! CSRF protection for every form: a random token in an HttpOnly, SameSite=Strict cookie, which
//! every form repeats in a hidden `csrf` field (the double-submit pattern). A page on another
//! site can neither read the cookie nor guess the token, so it cannot forge a form post; the
//! `Origin` / `Sec-Fetch-Site` guard in `auth.rs` refuses such posts before they get here too.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::extract::body_limit;
use super::refusals;
use super::render::PageError;
use crate::secrets;

pub const CSRF_COOKIE: &str = "kejia_csrf";
/// The form field that repeats the cookie.
pub const CSRF_FIELD: &str = "csrf";

/// The token the page being rendered puts in its forms.
#[derive(Debug, Clone)]
pub struct Csrf(pub String);

/// Gives every page request a token: the browser's cookie, or a new one that the response sets.
pub async fn ensure_cookie(mut request: Request, next: Next) -> Response {
    let existing = cookie_token(request.headers()).map(str::to_owned);
    let (token, fresh) = match existing {
        Some(token) => (token, false),
        None => match secrets::new_token("") {
            Ok(token) => (token, true),
            Err(error) => {
                return PageError::from(ApiError::internal(error)).into_response_now();
            }
        },
    };
    request.extensions_mut().insert(Csrf(token.clone()));
    let mut response = next.run(request).await;
    if fresh
        && let Ok(cookie) = HeaderValue::from_str(&format!(
            "{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

impl<S: Send + Sync> FromRequestParts<S> for Csrf {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Csrf>()
            .cloned()
            .ok_or_else(|| ApiError::internal("page route without the CSRF layer").into())
    }
}

/// An `application/x-www-form-urlencoded` form whose `csrf` field matches the cookie.
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let expected = cookie_token(request.headers()).map(str::to_owned);
        let limit = body_limit(&request);
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::body_too_large(limit))?;
        let fields: Vec<(String, String)> = refusals::form(&body)?;
        let sent = fields
            .iter()
            .find(|(name, _)| name == CSRF_FIELD)
            .map(|(_, value)| value.as_str());
        check(expected.as_deref(), sent)?;
        let form = refusals::form(&body)?;
        Ok(Self(form))
    }
}

/// Refuses a form whose token is missing or differs from the cookie.
pub fn check(cookie: Option<&str>, sent: Option<&str>) -> Result<(), PageError> {
    match (cookie, sent) {
        (Some(cookie), Some(sent)) if constant_time_eq(cookie.as_bytes(), sent.as_bytes()) => {
            Ok(())
        }
        _ => Err(ApiError::Forbidden(
            "表单已失效或来源不明（缺少安全校验码），请返回刷新页面后重试".into(),
        )
        .into()),
    }
}

pub fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    super::auth::cookie(headers, CSRF_COOKIE)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_needs_the_cookies_token() {
        assert!(check(Some("abc"), Some("abc")).is_ok());
        assert!(check(Some("abc"), Some("abd")).is_err());
        assert!(check(Some("abc"), None).is_err());
        assert!(check(None, Some("abc")).is_err());
        assert!(check(None, None).is_err());
    }
}
