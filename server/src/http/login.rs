//! Checking a staffer's password, shared by the API's `POST /api/v1/session` and the login page:
//! rate limited, hashing capped, and a new session every time (the one the browser brought, if
//! any, is ended: session rotation).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, HeaderValue};

use super::AppState;
use super::auth;
use super::error::ApiError;
use super::rate_limit::NotNow;
use crate::secrets;
use crate::store::users::{self, StaffUser};

pub enum LoginOutcome {
    /// Logged in; `cookie` is the new session's `Set-Cookie`.
    Welcome {
        user: StaffUser,
        cookie: HeaderValue,
    },
    Refused,
    LockedOut(Duration),
    /// Other password checks for this username or address are still running.
    Busy,
}

/// The caller's address, when the server was started with connection info (tests that call
/// the router directly have none).
pub fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

pub async fn log_in(
    state: &AppState,
    username: &str,
    password: String,
    peer: Option<IpAddr>,
    request_headers: &HeaderMap,
) -> Result<LoginOutcome, ApiError> {
    let username = username.trim().to_owned();
    // Counted as a failure before the password is checked (see `LoginThrottle`).
    let attempt = match state.logins.begin(&username, peer, Instant::now()) {
        Ok(attempt) => attempt,
        Err(NotNow::LockedOut(left)) => {
            tracing::warn!("login refused: locked out after repeated failures");
            return Ok(LoginOutcome::LockedOut(left));
        }
        Err(NotNow::Busy) => {
            tracing::info!("login refused: other checks of this name or address are running");
            return Ok(LoginOutcome::Busy);
        }
    };
    let lookup = username.clone();
    let found = state
        .store
        .read(move |conn| users::find_for_login(conn, &lookup))
        .await?;
    let user = verify(state, found, password).await?;
    let Some(user) = user else {
        tracing::info!("login refused");
        return Ok(LoginOutcome::Refused);
    };
    attempt.succeeded();
    let token = secrets::new_token("").map_err(ApiError::internal)?;
    let hash = secrets::token_hash(&token);
    let previous = auth::session_cookie(request_headers).map(secrets::token_hash);
    let now = state.clock.now();
    let expires = now + auth::SESSION_LENGTH;
    let user_id = user.id;
    state
        .store
        .write(move |conn| {
            if let Some(previous) = previous {
                users::delete_session(conn, &previous)?;
            }
            users::create_session(conn, user_id, &hash, now, expires)
        })
        .await?;
    tracing::info!(user = %user.username, "staff logged in");
    Ok(LoginOutcome::Welcome {
        user,
        cookie: auth::session_set_cookie(&token),
    })
}

/// Argon2 on a blocking thread, at most two at a time; an unknown name costs the same work, so
/// timing does not reveal which names exist.
async fn verify(
    state: &AppState,
    found: Option<(StaffUser, String)>,
    password: String,
) -> Result<Option<StaffUser>, ApiError> {
    let permit = state
        .hashing
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        match found {
            Some((user, phc)) => secrets::verify_password(&password, &phc).then_some(user),
            None => {
                secrets::verify_password(&password, secrets::decoy_hash());
                None
            }
        }
    })
    .await
    .map_err(ApiError::internal)
}
