//! What the door kiosk's idle screen shows: the open activities with their live counts and the
//! next one. Readable with a kiosk token.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use jiff::SignedDuration;
use serde::Serialize;

use crate::domain::Invalid;
use crate::http::AppState;
use crate::http::reach;
use crate::http::views::{ActivityView, rfc3339};
use crate::store::members::{self, PhoneMatch};
use crate::store::{activities, sync_state};
use crate::web::auth::Principal;
use crate::web::error::ApiError;
use crate::web::extract::ApiQuery;

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
    /// The absolute URL a phone on the venue's network opens to check in; the idle screen
    /// shows it as a QR code. Its room code rotates, so it is fetched afresh with the status.
    phone_url: String,
    /// The association's newest notice (policy publicity), once the home syncs with the hub.
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<NoticeView>,
}

#[derive(Debug, Serialize)]
pub struct NoticeView {
    title: String,
    body: String,
    published_at: String,
}

pub async fn status(
    State(state): State<AppState>,
    _caller: Principal,
    headers: HeaderMap,
) -> Result<Json<KioskStatus>, ApiError> {
    // The name and phone address may have been changed by `kejia enroll` in another process.
    state.reload_profile().await?;
    let reading = state.now();
    let now = reading.at;
    let (candidates, upcoming, notice) = state
        .store
        .read(move |conn| {
            Ok((
                activities::candidates_at(conn, now)?,
                activities::starting_between(conn, now, now + LOOKAHEAD)?,
                sync_state::newest_notice(conn)?,
            ))
        })
        .await?;
    let tz = &state.settings.tz;
    let open: Vec<ActivityView> = candidates
        .into_iter()
        .filter(|a| a.accepts_checkins(reading))
        .map(|a| ActivityView::new(a, reading, tz))
        .collect();
    let next = upcoming
        .into_iter()
        .find(|a| !a.is_cancelled() && !a.accepts_checkins(reading))
        .map(|a| ActivityView::new(a, reading, tz));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let base = reach::phone_address(&state, host).base;
    Ok(Json(KioskStatus {
        home_name: state.home_name(),
        now: rfc3339(now, tz),
        open,
        next,
        phone_url: phone_url(&base, &state.room.current(now)),
        notice: notice.map(|n| NoticeView {
            title: n.title,
            body: n.body,
            published_at: n.published_at,
        }),
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

/// The phone check-in page for a room code, under `base` (scheme, host, optional port).
pub fn phone_url(base: &str, code: &str) -> String {
    // A room code is hex digits and a dot: nothing to percent-encode.
    format!("{base}/m/checkin?code={code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phone_url_is_the_check_in_page_under_the_base() {
        assert_eq!(
            phone_url("https://kejia.example.cn", "6a1f2b.0123456789ab"),
            "https://kejia.example.cn/m/checkin?code=6a1f2b.0123456789ab"
        );
    }
}
