//! Activities: create, list by year, change, open or close check-in now, cancel, file with
//! the association, and the attendance list.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::domain::activity::{Activity, ActivityFields};
use crate::domain::calendar::{year_or_current, year_span};
use crate::domain::ids::ActivityId;
use crate::home;
use crate::home::activities::ScheduleChange;
use crate::http::AppState;
use crate::http::views::{ActivityView, FilingDecisionView, rfc3339};
use crate::store::checkins::{self, Attendance};
use crate::store::{activities, sync_state};
use crate::web::auth::{Principal, Staff};
use crate::web::error::ApiError;
use crate::web::extract::{ApiJson, ApiQuery, Id, OptionalJson};

#[derive(Debug, Deserialize, Default)]
pub struct ActivityBody {
    title: Option<String>,
    category: Option<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    checkin_opens_before_minutes: Option<i64>,
    checkin_closes_after_minutes: Option<i64>,
    location: Option<String>,
    speaker: Option<String>,
    organiser: Option<String>,
    description: Option<String>,
}

impl ActivityBody {
    fn fields(&self) -> ActivityFields<'_> {
        ActivityFields {
            title: self.title.as_deref(),
            category: self.category.as_deref(),
            starts_at: self.starts_at.as_deref(),
            ends_at: self.ends_at.as_deref(),
            checkin_opens_before_minutes: self.checkin_opens_before_minutes,
            checkin_closes_after_minutes: self.checkin_closes_after_minutes,
            location: self.location.as_deref(),
            speaker: self.speaker.as_deref(),
            organiser: self.organiser.as_deref(),
            description: self.description.as_deref(),
        }
    }
}

pub async fn post(
    State(state): State<AppState>,
    _staff: Staff,
    ApiJson(body): ApiJson<ActivityBody>,
) -> Result<(StatusCode, Json<ActivityView>), ApiError> {
    let draft = body.fields().create(state.settings.checkin_window)?;
    let created = home::activities::create(&state.store, state.clock.now(), draft).await?;
    Ok((StatusCode::CREATED, Json(view(&state, created))))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    year: Option<i16>,
}

/// The year's activities in order of their start (the current year by default).
pub async fn list(
    State(state): State<AppState>,
    _caller: Principal,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ActivityView>>, ApiError> {
    let now = state.clock.now();
    let year = year_or_current(query.year, now, &state.settings.tz)?;
    let (from, until) = year_span(year, &state.settings.tz)?;
    let (found, decisions) = state
        .store
        .read(move |conn| {
            Ok((
                activities::starting_between(conn, from, until)?,
                sync_state::standing_decisions(conn)?,
            ))
        })
        .await?;
    let tz = &state.settings.tz;
    Ok(Json(
        found
            .into_iter()
            .map(|a| {
                let decision = decisions.iter().find(|d| d.activity_id == a.id);
                let mut shown = view(&state, a);
                shown.filing_decision = decision.map(|d| FilingDecisionView::new(d, tz));
                shown
            })
            .collect(),
    ))
}

/// One activity, with the association's decision on its filing (`filing_decision`: state,
/// comment, decided_at) once one came back.
pub async fn get(
    State(state): State<AppState>,
    _caller: Principal,
    Id(id): Id<ActivityId>,
) -> Result<Json<ActivityView>, ApiError> {
    let (activity, decision) = state
        .store
        .read(move |conn| {
            Ok((
                activities::get(conn, id)?,
                sync_state::filing_decision(conn, id)?,
            ))
        })
        .await?;
    let mut shown = view(&state, activity);
    shown.filing_decision = decision
        .as_ref()
        .map(|d| FilingDecisionView::new(d, &state.settings.tz));
    Ok(Json(shown))
}

pub async fn update(
    State(state): State<AppState>,
    _staff: Staff,
    Id(id): Id<ActivityId>,
    ApiJson(body): ApiJson<ActivityBody>,
) -> Result<Json<ActivityView>, ApiError> {
    let now = state.clock.now();
    let updated = home::activities::update(&state.store, now, id, move |current| {
        body.fields().update(current)
    })
    .await?;
    Ok(Json(view(&state, updated)))
}

pub async fn open(
    state: State<AppState>,
    staff: Staff,
    id: Id<ActivityId>,
) -> Result<Json<ActivityView>, ApiError> {
    change_state(state, staff, id, ScheduleChange::Open).await
}

/// `POST /api/v1/activities/{id}/close`, with an optional body `{"confirm": true}`. Closing an
/// activity that has not started yet counts it as held at once, so without `confirm` that is a
/// 409 whose message says so; a running or past activity closes as before, body or not.
#[derive(Debug, Deserialize, Default)]
pub struct CloseBody {
    #[serde(default)]
    confirm: bool,
}

pub async fn close(
    state: State<AppState>,
    staff: Staff,
    id: Id<ActivityId>,
    OptionalJson(body): OptionalJson<CloseBody>,
) -> Result<Json<ActivityView>, ApiError> {
    let close = ScheduleChange::Close {
        confirmed: body.confirm,
    };
    change_state(state, staff, id, close).await
}

pub async fn cancel(
    state: State<AppState>,
    staff: Staff,
    id: Id<ActivityId>,
) -> Result<Json<ActivityView>, ApiError> {
    change_state(state, staff, id, ScheduleChange::Cancel).await
}

/// `POST /api/v1/activities/{id}/restore`: drops a staffer's open or close, so the schedule
/// decides again (an activity closed before its end is no longer counted as held).
pub async fn restore(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Id(id): Id<ActivityId>,
) -> Result<Json<ActivityView>, ApiError> {
    let now = state.clock.now();
    let restored =
        home::activities::restore_schedule(&state.store, now, &staff.username, id).await?;
    Ok(Json(view(&state, restored)))
}

/// A staffer's override of the schedule, recorded in the audit log.
async fn change_state(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Id(id): Id<ActivityId>,
    change: ScheduleChange,
) -> Result<Json<ActivityView>, ApiError> {
    let now = state.clock.now();
    let changed =
        home::activities::override_schedule(&state.store, now, &staff.username, id, change).await?;
    Ok(Json(view(&state, changed)))
}

pub async fn file(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Id(id): Id<ActivityId>,
) -> Result<Json<ActivityView>, ApiError> {
    let now = state.clock.now();
    let filed =
        home::activities::file_with_association(&state.store, now, &staff.username, id).await?;
    Ok(Json(view(&state, filed)))
}

#[derive(Debug, Serialize)]
pub struct AttendanceView {
    activity: ActivityView,
    checkins: Vec<AttendanceLine>,
}

#[derive(Debug, Serialize)]
pub struct AttendanceLine {
    #[serde(flatten)]
    attendance: Attendance,
    at: String,
}

pub async fn attendance(
    State(state): State<AppState>,
    _staff: Staff,
    Id(id): Id<ActivityId>,
) -> Result<Json<AttendanceView>, ApiError> {
    let (activity, lines) = state
        .store
        .read(move |conn| Ok((activities::get(conn, id)?, checkins::attendance(conn, id)?)))
        .await?;
    let tz = &state.settings.tz;
    let checkins = lines
        .into_iter()
        .map(|attendance| AttendanceLine {
            at: rfc3339(attendance.at, tz),
            attendance,
        })
        .collect();
    Ok(Json(AttendanceView {
        activity: view(&state, activity),
        checkins,
    }))
}

/// The activity as it stands now (trusted or not, as the clock is).
fn view(state: &AppState, activity: Activity) -> ActivityView {
    ActivityView::new(activity, state.now(), &state.settings.tz)
}
