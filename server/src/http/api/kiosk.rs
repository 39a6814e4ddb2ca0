//! What the door kiosk's idle screen shows: the open activities with their live counts and the
//! next one. Readable with a kiosk token.

use axum::Json;
use axum::extract::State;
use jiff::SignedDuration;
use serde::Serialize;

use crate::http::AppState;
use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::views::{ActivityView, rfc3339};
use crate::store::activities;

/// How far ahead the idle screen looks for the next activity.
const LOOKAHEAD: SignedDuration = SignedDuration::from_hours(14 * 24);

#[derive(Debug, Serialize)]
pub struct KioskStatus {
    home_name: String,
    now: String,
    /// Activities taking check-ins now (usually one).
    open: Vec<ActivityView>,
    /// The next activity that has not opened yet, if any within two weeks.
    next: Option<ActivityView>,
}

pub async fn status(
    State(state): State<AppState>,
    _caller: Principal,
) -> Result<Json<KioskStatus>, ApiError> {
    let now = state.clock.now();
    let (candidates, upcoming) = state
        .store
        .read(move |conn| {
            Ok((
                activities::candidates_at(conn, now)?,
                activities::starting_between(conn, now, now + LOOKAHEAD)?,
            ))
        })
        .await?;
    let tz = &state.settings.tz;
    let open: Vec<ActivityView> = candidates
        .into_iter()
        .filter(|a| a.accepts_checkins(now))
        .map(|a| ActivityView::new(a, now, tz))
        .collect();
    let next = upcoming
        .into_iter()
        .find(|a| !a.is_cancelled() && !a.accepts_checkins(now))
        .map(|a| ActivityView::new(a, now, tz));
    Ok(Json(KioskStatus {
        home_name: state.settings.home_name.clone(),
        now: rfc3339(now, tz),
        open,
        next,
    }))
}
