//! `GET /api/v1/clock` and `POST /api/v1/clock/confirm`: whether this home believes its clock.
//!
//! A Pi has no real-time clock. Until the kernel says a time service synchronised it, check-ins
//! are marked as taken under an untrusted clock and no activity opens or closes by its schedule.
//! A staffer who sees that the device's time is right may vouch for it until the next restart.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::home;
use crate::http::AppState;
use crate::http::views::rfc3339;
use crate::web::auth::Staff;
use crate::web::error::ApiError;

#[derive(Debug, Serialize)]
pub struct ClockView {
    /// The device's time, in the home's time zone.
    now: String,
    /// The kernel (or the home's `clock` setting) says the clock is synchronised.
    synchronised: bool,
    /// A staffer vouched for the time since the last start.
    confirmed: bool,
    /// Whether check-ins count as taken under a trusted clock and schedules are followed.
    trusted: bool,
}

pub async fn get(State(state): State<AppState>, _staff: Staff) -> Json<ClockView> {
    Json(view(&state))
}

pub async fn confirm(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<ClockView>, ApiError> {
    home::clock::confirm_time(
        &state.store,
        &state.time_confirmed,
        state.clock.now(),
        &state.settings.tz,
        &staff.0.username,
    )
    .await?;
    Ok(Json(view(&state)))
}

pub fn view(state: &AppState) -> ClockView {
    let reading = state.now();
    ClockView {
        now: rfc3339(reading.at, &state.settings.tz),
        synchronised: state.clock.synchronised(),
        confirmed: state
            .time_confirmed
            .load(std::sync::atomic::Ordering::Relaxed),
        trusted: reading.trusted,
    }
}
