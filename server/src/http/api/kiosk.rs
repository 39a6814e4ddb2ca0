//! What the door kiosk's idle screen shows: the open activities with their live counts and the
//! next one. Readable with a kiosk token.

use axum::Json;
use axum::extract::State;
use jiff::SignedDuration;
use serde::Serialize;

use crate::domain::Invalid;
use crate::http::AppState;
use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::views::{ActivityView, rfc3339};
use crate::store::activities;
use crate::store::members::{self, PhoneMatch};

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

#[derive(Debug, serde::Deserialize)]
pub struct SuffixQuery {
    phone_suffix: String,
}

/// Members whose phone ends with the digits typed on the kiosk's keypad: masked names only,
/// at most six, and only for four digits or more, so the keypad cannot list the membership.
pub async fn members(
    State(state): State<AppState>,
    _caller: Principal,
    ApiQuery(query): ApiQuery<SuffixQuery>,
) -> Result<Json<Vec<PhoneMatch>>, ApiError> {
    let suffix = query.phone_suffix.trim().to_owned();
    if !(4..=11).contains(&suffix.len()) || !suffix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::new("phone_suffix", "请输入手机号的后 4 位或更多位数字").into());
    }
    Ok(Json(
        state
            .store
            .read(move |conn| members::by_phone_suffix(conn, &suffix, 6))
            .await?,
    ))
}
