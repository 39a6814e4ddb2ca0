//! Extractors whose rejections speak the API's error format.

use std::str::FromStr;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::MethodRouter;
use serde::de::DeserializeOwned;

use super::error::{ApiError, JSON_DEPTH};
use super::harden::BODY_LIMIT;
use super::refusals;
use super::render::PageError;

/// A JSON body; malformed JSON is a 400, fields of the wrong type a 422, over 64 KiB a 413.
/// JSON nested deeper than [`JSON_DEPTH`] is a 400 before serde sees it: serde_json stops at
/// that depth only where it recurses, while a value under a field no route knows is skipped
/// without a limit, so the depth is checked once here, the same for every shape.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let limit = body_limit(&request);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::body_too_large(limit)
                } else {
                    ApiError::BadRequest("请求内容未能完整收到，请重试".into())
                }
            })?;
        if nests_deeper_than(&bytes, JSON_DEPTH) {
            return Err(ApiError::BadRequest(format!(
                "JSON 嵌套层数过多（最多 {JSON_DEPTH} 层）"
            )));
        }
        refusals::json_body(&bytes).map(ApiJson)
    }
}

/// An optional JSON body: an empty body reads as `T::default()` (so a call that sent nothing
/// before a body was possible keeps working); anything else is read as [`ApiJson`] reads it.
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(request.headers());
        let limit = body_limit(&request);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::body_too_large(limit)
                } else {
                    ApiError::BadRequest("请求内容未能完整收到，请重试".into())
                }
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        if nests_deeper_than(&bytes, JSON_DEPTH) {
            return Err(ApiError::BadRequest(format!(
                "JSON 嵌套层数过多（最多 {JSON_DEPTH} 层）"
            )));
        }
        refusals::json_body(&bytes).map(OptionalJson)
    }
}

/// The body limit a route set with [`limit_body`], or the servers' default.
pub fn body_limit(request: &Request) -> usize {
    request
        .extensions()
        .get::<BodyLimit>()
        .map_or(BODY_LIMIT, |limit| limit.0)
}

/// A route's body limit, where a refusal can read it back to say it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A route that takes bodies up to `max` bytes (a photo, a sync push) instead of the default.
pub fn limit_body<S>(route: MethodRouter<S>, max: usize) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    route
        .layer::<_, std::convert::Infallible>(DefaultBodyLimit::max(max))
        .layer::<_, std::convert::Infallible>(Extension(BodyLimit(max)))
}

/// `application/json` or any `…+json`, as axum's `Json` accepts.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", subtype)) => subtype == "json" || subtype.ends_with("+json"),
        _ => false,
    }
}

/// Whether arrays and objects in `json` nest more than `limit` deep. A plain scan, no
/// recursion; brackets inside strings do not count. Broken JSON is left to serde.
pub fn nests_deeper_than(json: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in json {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Query parameters; malformed ones are a 400 that names the parameter.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        refusals::query(parts.uri.query()).map(ApiQuery)
    }
}

/// Query parameters of a page; malformed ones are the error page, in words.
#[derive(Debug)]
pub struct PageQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for PageQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        refusals::query(parts.uri.query())
            .map(PageQuery)
            .map_err(PageError::from)
    }
}

/// A single id in the path; one that does not parse names nothing, so it is a 404.
#[derive(Debug)]
pub struct Id<T>(pub T);

impl<S, T> FromRequestParts<S> for Id<T>
where
    S: Send + Sync,
    T: FromStr + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        raw.parse().map(Id).map_err(|_| ApiError::NotFound)
    }
}

/// An id and a second path segment (a card UID under a member, say).
#[derive(Debug)]
pub struct IdAnd<T>(pub T, pub String);

impl<S, T> FromRequestParts<S> for IdAnd<T>
where
    S: Send + Sync,
    T: FromStr + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((raw, second)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        let id = raw.parse().map_err(|_| ApiError::NotFound)?;
        Ok(IdAnd(id, second))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_brackets_outside_strings_only() {
        assert!(!nests_deeper_than(br#"{"a":[1,{"b":[]}]}"#, 4));
        assert!(nests_deeper_than(br#"{"a":[1,{"b":[]}]}"#, 3));
        assert!(!nests_deeper_than(br#"{"name":"[[[[[[[[\"{{{{{{"}"#, 1));
        assert!(nests_deeper_than("[".repeat(129).as_bytes(), JSON_DEPTH));
        assert!(!nests_deeper_than("[".repeat(128).as_bytes(), JSON_DEPTH));
    }

    #[test]
    fn json_media_types_are_recognised() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().expect("value"));
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/jsonp"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
