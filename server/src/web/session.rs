//! Staff login over the API (`/api/v1/session`), for either face: `POST` creates a session cookie, `GET` says who is logged in, `DELETE` logs out.

use axum::Json;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::Face;
use super::auth::{self, Staff};
use super::error::ApiError;
use super::extract::ApiJson;
use super::login::{self, LoginOutcome};
use super::rate_limit;

#[derive(Debug, Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

pub async fn login<S: Face>(
    State(state): State<S>,
    extensions: Extensions,
    request_headers: HeaderMap,
    ApiJson(login): ApiJson<Login>,
) -> Result<Response, ApiError> {
    let peer = login::peer(&extensions);
    match login::log_in(
        state.kit(),
        &login.username,
        login.password,
        peer,
        &request_headers,
    )
    .await?
    {
        LoginOutcome::Welcome { user, cookie } => {
            let mut headers = HeaderMap::new();
            headers.insert(header::SET_COOKIE, cookie);
            Ok((
                headers,
                Json(json!({ "username": user.username, "role": user.role.code() })),
            )
                .into_response())
        }
        LoginOutcome::Refused => Ok((
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "用户名或密码错误" })),
        )
            .into_response()),
        LoginOutcome::LockedOut(left) => Ok((
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, left.as_secs().max(1).to_string())],
            Json(json!({ "error": rate_limit::lockout_message(left) })),
        )
            .into_response()),
        LoginOutcome::Busy => Ok((
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1".to_owned())],
            Json(json!({ "error": rate_limit::BUSY_MESSAGE })),
        )
            .into_response()),
    }
}

pub async fn get(Staff(user): Staff) -> Json<serde_json::Value> {
    Json(json!({ "username": user.username, "role": user.role.code() }))
}

pub async fn logout<S: Face>(
    State(state): State<S>,
    _staff: Staff,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    login::log_out(state.kit(), &headers).await?;
    let mut out = HeaderMap::new();
    out.insert(header::SET_COOKIE, auth::session_clear_cookie());
    Ok((StatusCode::NO_CONTENT, out).into_response())
}
