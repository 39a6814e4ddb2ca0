//! Checking a staffer's password, shared by the API's `POST /api/v1/session` and the login page:
//! rate limited, hashing capped, and a new session every time (the one the browser brought, if
//! any, is ended: session rotation).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, HeaderValue};

use super::Kit;
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
    kit: &Kit,
    username: &str,
    password: String,
    peer: Option<IpAddr>,
    request_headers: &HeaderMap,
) -> Result<LoginOutcome, ApiError> {
    let username = username.trim().to_owned();
    // Counted as a failure before the password is checked (see `LoginThrottle`).
    let attempt = match kit.logins.begin(&username, peer, Instant::now()) {
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
    let found = kit
        .store
        .read(move |conn| users::find_for_login(conn, &lookup))
        .await?;
    let user = verify(kit, found, password).await?;
    let Some(user) = user else {
        tracing::info!("login refused");
        return Ok(LoginOutcome::Refused);
    };
    attempt.succeeded();
    let token = secrets::new_token("").map_err(ApiError::internal)?;
    let hash = secrets::token_hash(&token);
    let previous = auth::session_cookie(request_headers).map(secrets::token_hash);
    let now = kit.clock.now();
    let expires = now + auth::SESSION_LENGTH;
    let user_id = user.id;
    kit.store
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

/// Ends the session the browser brought, if any (the caller clears its cookie).
pub async fn log_out(kit: &Kit, request_headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(token) = auth::session_cookie(request_headers) {
        let hash = secrets::token_hash(token);
        kit.store
            .write(move |conn| users::delete_session(conn, &hash))
            .await?;
    }
    Ok(())
}

/// Argon2 on a blocking thread, at most two at a time; an unknown name costs the same work, so
/// timing does not reveal which names exist.
async fn verify(
    kit: &Kit,
    found: Option<(StaffUser, String)>,
    password: String,
) -> Result<Option<StaffUser>, ApiError> {
    let checked = kit
        .hashing(move || match found {
            Some((user, phc)) => secrets::verify_password(&password, &phc).then_some(user),
            None => {
                secrets::verify_password(&password, secrets::decoy_hash());
                None
            }
        })
        .await?;
    Ok(checked)
}
