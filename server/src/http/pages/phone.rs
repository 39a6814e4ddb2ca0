//! The members' phone pages under `/m`. The kiosk's idle screen shows a QR code for
//! `/m/checkin?code=…`; the room code in it rotates every 30 seconds, so only someone in the
//! room can open a working page. A phone that registered once carries a revocable cookie and
//! checks in with one tap; an unknown phone gets a short registration form with consent.
//!
//! These pages belong to members, not staff: they never show anyone's data but the phone's own
//! member's name, and their errors keep to the phone's frame (no link to the staff admin).

mod checkin;
mod device;
mod limit;
mod notice;
mod register;
mod verdict;

use axum::Router;
use axum::routing::{get, post};

use crate::domain::room::RoomCheck;
use crate::http::AppState;
pub use limit::rate_limit;
use notice::Notice;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/m/checkin", get(checkin::view).post(checkin::submit))
        .route("/m/register", post(register::submit))
        .route("/m/forget", post(checkin::forget))
}

/// The device name phone check-ins are logged under; a page's nonce is the scan id, so a
/// double tap or a re-sent form counts once.
const PHONE_DEVICE: &str = "phone";

/// The room code of a request, if this server made it no more than `grace` periods ago.
fn checked_code(state: &AppState, code: Option<&str>, grace: i64) -> Result<String, Notice> {
    let code = code.unwrap_or_default().trim();
    match state.room.check(code, state.clock.now(), grace) {
        RoomCheck::Valid => Ok(code.to_owned()),
        RoomCheck::Expired => Err(Notice::expired_code()),
        RoomCheck::Unknown => Err(Notice::unknown_code()),
    }
}

/// A fresh nonce for a page's form.
fn new_nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The nonce a form sent back: one this server could have made.
fn parse_nonce(raw: Option<&str>) -> Result<String, Notice> {
    raw.and_then(|text| uuid::Uuid::parse_str(text.trim()).ok())
        .map(|nonce| nonce.to_string())
        .ok_or_else(Notice::stale_form)
}
