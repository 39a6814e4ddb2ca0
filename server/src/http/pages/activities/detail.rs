//! One activity: its facts and actions, the live count, who is checked in (with undo), manual
//! check-in by name or phone digits, and the summary for the ledger.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::Shown;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::domain::activity::{Activity, Filing, Lifecycle, Override};
use crate::domain::checkin::{Outcome, Source};
use crate::domain::ids::{ActivityId, CheckinId, MemberId};
use crate::domain::phone::mask_phone;
use crate::domain::{Invalid, optional_text, required_text};
use crate::home;
use crate::home::activities::ScheduleChange;
use crate::home::checkins::Recorded;
use crate::http::AppState;
use crate::http::pages::chrome::{Chrome, Section};
use crate::http::views::chinese_time;
use crate::store::checkins;
use crate::store::{activities, members, photos, sync_state};
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::error::ApiError;
use crate::web::extract::PageQuery;
use crate::web::render::{self, PageError, StaffPage};

const SUMMARY_LIMIT: usize = 2000;
const MATCHES: u32 = 20;

struct Line {
    number: usize,
    checkin_id: String,
    name: String,
    employer: String,
    phone: String,
    source: &'static str,
    /// When the member counts as present: the time of day for a check-in at the door; for one
    /// entered by hand, the day and time it stands for, marked 补录 (see [`shown_time`]).
    at: String,
    /// For a check-in entered by hand: when it was typed.
    entered: String,
}

/// The association's decision on the filing, as the page says it.
struct DecisionLine {
    rejected: bool,
    comment: String,
    /// In Chinese (`chinese_time`), or empty.
    at: String,
}

struct Match {
    id: String,
    name: String,
    employer: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "activities/detail.html")]
struct DetailPage<'a> {
    chrome: Chrome,
    csrf: &'a str,
    a: Shown,
    can_open: bool,
    can_close: bool,
    can_cancel: bool,
    can_file: bool,
    can_restore: bool,
    /// Check-in was closed by hand before the scheduled end: what that means for the figures.
    closed_early: Option<&'static str>,
    decision: Option<DecisionLine>,
    lines: Vec<Line>,
    query: String,
    matches: Vec<Match>,
    notice: Option<&'static str>,
    summary: String,
    photos: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct DetailQuery {
    q: Option<String>,
    done: Option<String>,
}

pub async fn view(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(id): Path<String>,
    PageQuery(query): PageQuery<DetailQuery>,
) -> Result<Response, PageError> {
    let id = activity_id(&id)?;
    let search = query.q.clone().unwrap_or_default();
    let text = search.trim().to_owned();
    let (activity, attendance, found, summary, photos, decision) = state
        .store
        .read(move |conn| {
            let found = if text.is_empty() {
                Vec::new()
            } else {
                members::search(conn, &text, MATCHES)?
            };
            Ok((
                activities::get(conn, id)?,
                checkins::attendance(conn, id)?,
                found,
                activities::summary(conn, id)?,
                photos::list(conn, id)?,
                sync_state::filing_decision(conn, id)?,
            ))
        })
        .await?;
    let now = state.now();
    let tz = &state.settings.tz;
    let lifecycle = activity.lifecycle(now);
    let lines = attendance
        .into_iter()
        .enumerate()
        .map(|(n, a)| Line {
            number: n + 1,
            checkin_id: a.checkin_id.to_string(),
            at: shown_time(&activity, &a.source, a.at, now.at, tz),
            entered: if a.source == Source::Manual.code() {
                format!("录入于 {}", chinese_time(a.at, now.at, tz))
            } else {
                String::new()
            },
            source: Source::from_code(&a.source).map_or("", Source::label),
            name: a.name,
            employer: a.employer,
            phone: a.phone_masked,
        })
        .collect();
    let matches = found
        .into_iter()
        .map(|m| Match {
            id: m.id.to_string(),
            phone: mask_phone(&m.phone),
            name: m.name,
            employer: m.employer,
        })
        .collect();
    render::ok(&DetailPage {
        chrome: Chrome::new(&state, &staff, &csrf, Section::Activities),
        csrf: &csrf.0,
        can_open: !matches!(lifecycle, Lifecycle::Open | Lifecycle::Cancelled),
        can_close: lifecycle == Lifecycle::Open,
        can_cancel: lifecycle != Lifecycle::Cancelled,
        can_file: activity.filing == Filing::Draft && lifecycle != Lifecycle::Cancelled,
        can_restore: matches!(
            activity.override_state,
            Some(Override::Open | Override::Closed)
        ),
        closed_early: (activity.checkin_closed() && activity.early_close(now.at).is_some())
            .then_some("已提前结束签到，本场活动计为已举办。如结束有误，可点“恢复按时间表”。"),
        decision: decision.map(|d| DecisionLine {
            rejected: d.filing == Filing::Rejected,
            comment: d.comment,
            at: d
                .decided_at
                .map(|at| chinese_time(at, now.at, tz))
                .unwrap_or_default(),
        }),
        a: Shown::new(&activity, now, tz),
        lines,
        query: search,
        matches,
        notice: query.done.as_deref().and_then(notice),
        summary: summary.unwrap_or_default(),
        photos: photos.into_iter().map(|p| p.id.to_string()).collect(),
    })
}

/// What the page says after a form came back.
fn notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "checked_in" => "已补录签到",
        "already" => "该会员已签到过此活动",
        "not_open" => "活动尚未开始或已取消，无法补录",
        "suspended" => "该会员已停用，不能签到",
        "undone" => "已撤销这条签到",
        "saved" => "已保存",
        "photo" => "照片已上传",
        "photo_deleted" => "照片已删除",
        "closed" => "已结束签到",
        "restored" => "已恢复按时间表：签到按活动时间自动开放和关闭",
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActForm {
    summary: String,
    /// "1" once the staffer confirmed closing check-in before the scheduled end.
    confirm: String,
}

#[derive(Template)]
#[template(path = "activities/confirm_close.html")]
struct ConfirmClosePage<'a> {
    chrome: Chrome,
    csrf: &'a str,
    a: Shown,
    warning: &'static str,
}

/// The buttons on the page: open or close check-in now, restore the schedule, cancel, file,
/// save the summary. Closing before the scheduled end first shows what it will do and asks.
pub async fn act(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Path((id, action)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<ActForm>,
) -> Result<Response, PageError> {
    let id = activity_id(&id)?;
    let staffer = staff.0.username.as_str();
    let store = &state.store;
    let done = match action.as_str() {
        "open" => {
            let now = state.clock.now();
            home::activities::override_schedule(store, now, staffer, id, ScheduleChange::Open)
                .await?;
            "saved"
        }
        "close" => {
            let confirmed = form.confirm == "1";
            if !confirmed {
                let activity = state
                    .store
                    .read(move |conn| activities::get(conn, id))
                    .await?;
                let now = state.now();
                if let Some(early) = activity.early_close(now.at)
                    && !activity.is_cancelled()
                {
                    return render::ok(&ConfirmClosePage {
                        chrome: Chrome::new(&state, &staff, &csrf, Section::Activities),
                        csrf: &csrf.0,
                        a: Shown::new(&activity, now, &state.settings.tz),
                        warning: early.warning(),
                    });
                }
            }
            let close = ScheduleChange::Close { confirmed };
            home::activities::override_schedule(store, state.clock.now(), staffer, id, close)
                .await?;
            "closed"
        }
        "restore" => {
            home::activities::restore_schedule(store, state.clock.now(), staffer, id).await?;
            "restored"
        }
        "cancel" => {
            let now = state.clock.now();
            home::activities::override_schedule(store, now, staffer, id, ScheduleChange::Cancel)
                .await?;
            "saved"
        }
        "filing" => {
            home::activities::file_with_association(store, state.clock.now(), staffer, id).await?;
            "saved"
        }
        "summary" => {
            save_summary(&state, id, &form.summary).await?;
            "saved"
        }
        _ => return Err(ApiError::NotFound.into()),
    };
    Ok(back(id, done))
}

/// When an attendance line says the member was there. A check-in at the door shows its time of
/// day. One a staffer entered by hand (the backfill from a paper sheet) shows the day and time
/// it stands for ([`stands_for`]), marked 补录; the time of typing is shown beside it.
fn shown_time(
    activity: &Activity,
    source: &str,
    at: Timestamp,
    now: Timestamp,
    tz: &TimeZone,
) -> String {
    if source != Source::Manual.code() {
        return at
            .to_zoned_datetime(tz.clone())
            .strftime("%H:%M")
            .to_string();
    }
    let at = stands_for(activity, source, at);
    format!("{}（补录）", chinese_time(at, now, tz))
}

/// See [`Activity::attended_at`].
pub(super) fn stands_for(activity: &Activity, source: &str, at: Timestamp) -> Timestamp {
    activity.attended_at(source == Source::Manual.code(), at)
}

async fn save_summary(state: &AppState, id: ActivityId, raw: &str) -> Result<(), PageError> {
    let summary = optional_text("summary", "活动总结", Some(raw), SUMMARY_LIMIT)?;
    home::activities::save_summary(&state.store, state.clock.now(), id, summary).await?;
    Ok(())
}

#[derive(Debug, Deserialize)]
pub struct ManualForm {
    member_id: String,
}

/// A staffer checks a member in by hand (the paper sheet's backfill); audited.
pub async fn check_in(
    State(state): State<AppState>,
    staff: StaffPage,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ManualForm>,
) -> Result<Response, PageError> {
    let id = activity_id(&id)?;
    let member: MemberId = form
        .member_id
        .parse()
        .map_err(|_| Invalid::new("member_id", "请选择会员"))?;
    let recorded = home::checkins::check_in_by_hand(
        &state.store,
        &state.live,
        state.now(),
        &state.settings.tz,
        &staff.0.username,
        id,
        member,
    )
    .await?;
    let Recorded::Answered(answer) = recorded else {
        return Err(ApiError::Conflict("无法确定活动".into()).into());
    };
    let done = match answer.outcome {
        Outcome::CheckedIn => "checked_in",
        Outcome::AlreadyCheckedIn => "already",
        Outcome::MemberSuspended => "suspended",
        _ => "not_open",
    };
    Ok(back(id, done))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UndoForm {
    reason: String,
}

/// Takes a check-in back; the reason is required and lands in the audit log.
pub async fn undo(
    State(state): State<AppState>,
    staff: StaffPage,
    Path((id, checkin)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<UndoForm>,
) -> Result<Response, PageError> {
    let id = activity_id(&id)?;
    let checkin: CheckinId = checkin.parse().map_err(|_| ApiError::NotFound)?;
    let reason = required_text("reason", "撤销原因", &form.reason, 200)?;
    let now = state.clock.now();
    home::checkins::undo(
        &state.store,
        &state.live,
        now,
        &staff.0.username,
        checkin,
        reason,
    )
    .await?;
    Ok(back(id, "undone"))
}

fn back(id: ActivityId, done: &str) -> Response {
    render::see_other(&format!("/admin/activities/{id}?done={done}"))
}

pub fn activity_id(raw: &str) -> Result<ActivityId, PageError> {
    raw.parse().map_err(|_| ApiError::NotFound.into())
}
