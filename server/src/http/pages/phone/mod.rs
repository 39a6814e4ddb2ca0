//! The members' phone pages under `/m`. The kiosk's idle screen shows a QR code for
//! `/m/checkin?code=…`; the room code in it rotates every 30 seconds, so only someone in the
//! room can open a working page. A phone that registered once carries a revocable cookie and
//! checks in with one tap; an unknown phone gets a short registration form with consent.
//!
//! These pages belong to members, not staff: they never show anyone's data but the phone's own
//! member's name, and their errors keep to the phone's frame (no link to the staff admin).

pub mod checkin;
mod device;
pub mod limit;
mod notice;
pub mod register;
mod verdict;

use crate::domain::room::{FormTicket, RoomCheck, SCAN_GRACE};
use crate::http::AppState;
pub use notice::Notice;

/// The ticket for a page opened with `code`, if this server showed that code within the
/// last minute (see `domain::room`).
fn ticket_for_code(state: &AppState, code: Option<&str>) -> Result<FormTicket, Notice> {
    let code = code.unwrap_or_default().trim();
    let now = state.clock.now();
    match state.room.check(code, now, SCAN_GRACE) {
        RoomCheck::Valid => Ok(state.room.issue(now)),
        RoomCheck::Expired => Err(Notice::expired_code()),
        RoomCheck::Unknown => Err(Notice::unknown_code()),
    }
}

/// The ticket a form sent back, if this server made it for a page shown no more than
/// `life_seconds` ago. A form without one (made up, or from before a restart) is stale.
fn checked_ticket(
    state: &AppState,
    raw: Option<&str>,
    life_seconds: i64,
) -> Result<FormTicket, Notice> {
    let now = state.clock.now();
    match state
        .room
        .check_ticket(raw.unwrap_or_default(), now, life_seconds)
    {
        Ok(ticket) => Ok(ticket),
        Err(RoomCheck::Expired) => Err(Notice::expired_form(life_seconds)),
        Err(_) => Err(Notice::stale_form()),
    }
}
