//! Staff login: `POST` creates a session cookie, `GET` says who is logged in, `DELETE` logs out.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::http::AppState;
use crate::http::auth::{self, Staff};
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;
use crate::secrets;
use crate::store::users;

#[derive(Debug, Deserialize)]
pub struct Login {
    username: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ApiJson(login): ApiJson<Login>,
) -> Result<Response, ApiError> {
    let username = login.username.trim().to_owned();
    let found = state
        .store
        .read(move |conn| users::find_for_login(conn, &username))
        .await?;
    let permit = state
        .hashing
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let (user, verified) = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        match found {
            Some((user, phc)) => {
                let ok = secrets::verify_password(&login.password, &phc);
                (Some(user), ok)
            }
            None => {
                // Same work for an unknown name, so timing does not reveal which names exist.
                secrets::verify_password(&login.password, secrets::decoy_hash());
                (None, false)
            }
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(user) = user.filter(|_| verified) else {
        tracing::info!("login refused");
        return Ok((
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "用户名或密码错误" })),
        )
            .into_response());
    };
    let token = secrets::new_token("").map_err(|e| ApiError::Internal(e.to_string()))?;
    let hash = secrets::token_hash(&token);
    let now = state.clock.now();
    let expires = now + auth::SESSION_LENGTH;
    let user_id = user.id;
    state
        .store
        .write(move |conn| users::create_session(conn, user_id, &hash, now, expires))
        .await?;
    tracing::info!(user = %user.username, "staff logged in");
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, auth::session_set_cookie(&token));
    Ok((
        headers,
        Json(json!({ "username": user.username, "role": user.role.code() })),
    )
        .into_response())
}

pub async fn get(Staff(user): Staff) -> Json<serde_json::Value> {
    Json(json!({ "username": user.username, "role": user.role.code() }))
}

pub async fn logout(
    State(state): State<AppState>,
    _staff: Staff,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = auth::session_cookie(&headers) {
        let hash = secrets::token_hash(token);
        state
            .store
            .write(move |conn| users::delete_session(conn, &hash))
            .await?;
    }
    let mut out = HeaderMap::new();
    out.insert(header::SET_COOKIE, auth::session_clear_cookie());
    Ok((StatusCode::NO_CONTENT, out).into_response())
}
