//! Extractors whose rejections speak the API's error format.

use std::str::FromStr;

use axum::extract::{FromRequest, FromRequestParts, Path};
use axum::http::request::Parts;

use super::error::ApiError;

/// A JSON body; malformed JSON is a 400, fields of the wrong type a 422, over 64 KiB a 413.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Query parameters; malformed ones are a 400.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

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
