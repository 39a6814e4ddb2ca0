//! The phone's cookie: a random token standing for one member (only its hash is stored), so a
//! known phone checks in with one tap. Staff can revoke it; "不是本人，重新登记" clears it.

use axum::http::{HeaderMap, HeaderValue};

use super::notice::Notice;
use crate::domain::member::Member;
use crate::home;
use crate::http::AppState;
use crate::secrets;
use crate::web::auth;
use crate::web::error::ApiError;

pub const PHONE_COOKIE: &str = "kejia_phone";
/// One year: a member comes back for many activities.
const MAX_AGE_SECONDS: u32 = 365 * 24 * 60 * 60;

/// The member a phone stands for, with the hash of its cookie.
#[derive(Debug, Clone)]
pub struct Owner {
    pub token_hash: String,
    pub member: Member,
}

/// The `kejia_phone` cookie's value, if the phone sent one.
pub fn token(headers: &HeaderMap) -> Option<&str> {
    auth::cookie(headers, PHONE_COOKIE)
}

/// The phone's member, unless it has no cookie, or the cookie was revoked or its member erased.
pub async fn owner(state: &AppState, headers: &HeaderMap) -> Result<Option<Owner>, Notice> {
    let Some(token) = token(headers) else {
        return Ok(None);
    };
    let token_hash = secrets::token_hash(token);
    let member = home::phones::owner(&state.store, &token_hash).await?;
    Ok(member.map(|member| Owner { token_hash, member }))
}

/// A new cookie token and what the store keeps of it.
pub fn new_token() -> Result<(String, String), Notice> {
    let token = secrets::new_token("").map_err(ApiError::internal)?;
    let hash = secrets::token_hash(&token);
    Ok((token, hash))
}

pub fn set_cookie(token: &str) -> Result<HeaderValue, Notice> {
    HeaderValue::from_str(&format!(
        "{PHONE_COOKIE}={token}; Path=/m; HttpOnly; SameSite=Strict; Max-Age={MAX_AGE_SECONDS}"
    ))
    .map_err(|e| ApiError::internal(format!("phone cookie: {e}")).into())
}

pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("kejia_phone=; Path=/m; HttpOnly; SameSite=Strict; Max-Age=0")
}
