//! The staffer's first page: the activity taking check-ins now with its live count, today's and
//! the coming activities, and the year's compliance at a glance, with warnings in words.

use std::convert::Infallible;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use jiff::{SignedDuration, Timestamp};
use tokio::sync::broadcast::error::RecvError;

use crate::domain::activity::{Activity, Filing};
use crate::domain::advice;
use crate::domain::calendar::{year_or_current, year_span};
use crate::domain::compliance::{self, AwardMonth, Compliance, MIN_PARTICIPANTS, Tally};
use crate::domain::reach::Unreachable;
use crate::home;
use crate::home::counts::CountChanged;
use crate::http::AppState;
use crate::http::pages::chrome::{Chrome, Section};
use crate::http::reach;
use crate::http::views::{chinese_time, chinese_time_text};
use crate::store::sync_state::FilingDecision;
use crate::store::{activities, sync_state, users};
use crate::sync::client as sync_client;
use crate::web::auth::Staff;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::error::ApiError;
use crate::web::render::{self, PageError, StaffPage};
use crate::wire::Notice;

/// How far ahead "coming up" looks.
const LOOKAHEAD: SignedDuration = SignedDuration::from_hours(30 * 24);
const COMING_UP: usize = 5;

/// One activity as the dashboard lists it.
struct Line {
    id: String,
    title: String,
    when: String,
    place: String,
    participants: u32,
}

/// One month of the chart: its activities held, and its best attendance against the
/// 10-person line, readable without hovering (a phone has no hover).
struct Bar {
    month: i8,
    activities: u32,
    qualifying: u32,
    /// The most participants any ended activity of the month had.
    best: u32,
    /// Bar height in percent of the chart.
    height: u32,
    missing: bool,
    /// A month still to come.
    later: bool,
}

/// One thing the staffer should look at, most urgent first.
struct Alert {
    text: String,
    /// Where to act on it: a path and the link's words.
    link: Option<(String, &'static str)>,
    urgent: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    today: String,
    open: Vec<Line>,
    today_lines: Vec<Line>,
    coming: Vec<Line>,
    year: i16,
    compliance: Compliance,
    bars: Vec<Bar>,
    /// Where the 10-person line sits, in percent of the chart's height.
    line: u32,
    alerts: Vec<Alert>,
    /// The award month is not recorded: months are counted from the day the home was set up.
    counted_from: Option<String>,
    min_participants: u32,
    yearly_needed: u32,
    notice: Option<Notice>,
    /// When the notice was published, in Chinese (`chinese_time`).
    notice_at: String,
    /// The association's decisions on filed activities: rejections first.
    decisions: Vec<DecisionLine>,
    sync: SyncLine,
    /// The device's time, while its clock is not trusted (else `None`).
    unsynchronised_clock: Option<String>,
    backup: BackupLine,
}

/// One decision of the association on a filed activity, for the dashboard: a rejection stays
/// until the staffer files again; an approval shows for [`APPROVAL_SHOWN`].
struct DecisionLine {
    id: String,
    title: String,
    rejected: bool,
    comment: String,
    at: String,
}

/// How long an approval stays on the dashboard.
const APPROVAL_SHOWN: SignedDuration = SignedDuration::from_hours(14 * 24);

fn decision_lines(
    decisions: Vec<FilingDecision>,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Vec<DecisionLine> {
    let mut lines: Vec<DecisionLine> = decisions
        .into_iter()
        .filter(|d| {
            d.filing == Filing::Rejected
                || d.decided_at
                    .is_some_and(|at| now.duration_since(at) <= APPROVAL_SHOWN)
        })
        .map(|d| DecisionLine {
            id: d.activity_id.to_string(),
            rejected: d.filing == Filing::Rejected,
            at: d
                .decided_at
                .map(|at| chinese_time(at, now, tz))
                .unwrap_or_default(),
            title: d.title,
            comment: d.comment,
        })
        .collect();
    // Stable: newest first within each kind.
    lines.sort_by_key(|l| !l.rejected);
    lines
}

/// The nightly backups, in one line for the staffer.
struct BackupLine {
    /// When the newest backup was taken, in the home's calendar (empty: none yet).
    newest: String,
    warning: Option<String>,
}

/// Sync with the association, in one line for the staffer.
struct SyncLine {
    enrolled: bool,
    backlog: i64,
    last_success: String,
    last_error: Option<String>,
    /// Pushing stopped (restored behind the hub): what to read instead of the last error.
    stopped: Option<String>,
}

pub async fn view(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let reading = state.now();
    let now = reading.at;
    let tz = state.settings.tz.clone();
    let today = now.to_zoned_datetime(tz.clone()).date();
    let year = year_or_current(None, now, &tz)?;
    let (year_from, year_until) = year_span(year, &tz)?;
    let day_from = zoned_start(today, &tz)?;
    let day_until = zoned_start(today.tomorrow().map_err(internal)?, &tz)?;
    state.reload_profile().await?;
    let (candidates, year_list, upcoming, notice, sync, set_up, decisions) = state
        .store
        .read(move |conn| {
            Ok((
                activities::candidates_at(conn, now)?,
                activities::starting_between(conn, year_from, year_until)?,
                activities::starting_between(conn, day_from, now + LOOKAHEAD)?,
                sync_state::newest_notice(conn)?,
                sync_client::status(conn)?,
                users::first_created_at(conn)?,
                sync_state::standing_decisions(conn)?,
            ))
        })
        .await?;
    let line = |a: &Activity| Line {
        id: a.id.to_string(),
        title: a.title.clone(),
        when: time_range(a, &tz),
        place: a.location.clone().unwrap_or_default(),
        participants: a.participants,
    };
    let open: Vec<Line> = candidates
        .iter()
        .filter(|a| a.accepts_checkins(reading))
        .map(line)
        .collect();
    let today_lines: Vec<Line> = upcoming
        .iter()
        .filter(|a| !a.is_cancelled() && a.schedule.starts_at() < day_until)
        .map(line)
        .collect();
    let coming: Vec<Line> = upcoming
        .iter()
        .filter(|a| !a.is_cancelled() && a.schedule.starts_at() >= day_until)
        .take(COMING_UP)
        .map(line)
        .collect();
    // Without a recorded award month the home is judged from the month it was set up.
    let counted_from = match state.award() {
        None => compliance::counted_from(None, set_up, &tz),
        Some(_) => None,
    };
    let compliance = year_compliance(&state, year, &year_list, now, counted_from);
    let unfiled = year_list
        .iter()
        .filter(|a| !a.is_cancelled() && a.filing == Filing::Draft)
        .count();
    let warnings = advice::warnings(
        &compliance,
        today,
        u32::try_from(unfiled).unwrap_or(u32::MAX),
    );
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let alerts = alerts(reach::phone_address(&state, host).problem, &warnings);
    let (bars, chart_line) = bars(&compliance, &year_list, now, &tz);
    render::ok(&DashboardPage {
        chrome: Chrome::new(&state, &staff, &csrf, Section::Dashboard),
        today: today.strftime("%Y年%-m月%-d日").to_string(),
        bars,
        line: chart_line,
        alerts,
        counted_from: counted_from.map(|m| format!("{}年{}月", m.year, m.month)),
        open,
        today_lines,
        coming,
        year,
        compliance,
        min_participants: MIN_PARTICIPANTS,
        yearly_needed: advice::YEARLY_ACTIVITIES,
        notice_at: notice
            .as_ref()
            .map(|n| chinese_time_text(&n.published_at, now, &tz))
            .unwrap_or_default(),
        notice,
        decisions: decision_lines(decisions, now, &tz),
        unsynchronised_clock: (!reading.trusted).then(|| {
            now.to_zoned_datetime(tz.clone())
                .strftime("%Y年%-m月%-d日 %H:%M")
                .to_string()
        }),
        backup: backup_line(&state, now, &tz),
        sync: SyncLine {
            stopped: sync.push_stopped_message,
            enrolled: sync.enrolled,
            backlog: sync.backlog,
            last_success: sync
                .last_success
                .map(|at| {
                    at.to_zoned_datetime(tz.clone())
                        .strftime("%-m月%-d日 %H:%M")
                        .to_string()
                })
                .unwrap_or_default(),
            last_error: sync.last_error,
        },
    })
}

/// A backup older than this is a warning.
const BACKUP_TOO_OLD: SignedDuration = SignedDuration::from_hours(48);

fn backup_line(state: &AppState, now: Timestamp, tz: &jiff::tz::TimeZone) -> BackupLine {
    let health = state.backups.snapshot();
    let local = |at: Timestamp| {
        at.to_zoned_datetime(tz.clone())
            .strftime("%Y年%-m月%-d日 %H:%M")
            .to_string()
    };
    let warning = if let Some((at, _)) = &health.failed {
        Some(format!(
            "最近一次自动备份失败（{}）。请联系技术人员查看服务器日志。",
            local(*at)
        ))
    } else {
        match health.newest {
            None => Some("还没有数据备份。".to_owned()),
            Some(at) if now.duration_since(at) > BACKUP_TOO_OLD => Some(format!(
                "已超过两天没有新的数据备份（最近一次：{}）。请联系技术人员。",
                local(at)
            )),
            Some(_) => None,
        }
    };
    BackupLine {
        newest: health.newest.map(local).unwrap_or_default(),
        warning,
    }
}

/// The staffer vouches for the device's time shown on the dashboard.
pub async fn confirm_clock(
    State(state): State<AppState>,
    staff: StaffPage,
    CsrfForm(_): CsrfForm<crate::web::login_page::Empty>,
) -> Result<Response, PageError> {
    home::clock::confirm_time(
        &state.store,
        &state.time_confirmed,
        state.clock.now(),
        &state.settings.tz,
        &staff.0.username,
    )
    .await?;
    Ok(render::see_other("/admin"))
}

fn year_compliance(
    state: &AppState,
    year: i16,
    held: &[Activity],
    now: Timestamp,
    counted_from: Option<AwardMonth>,
) -> Compliance {
    let tallies: Vec<Tally> = held
        .iter()
        .map(|a| Tally {
            id: a.id,
            title: a.title.clone(),
            starts_at: a.schedule.starts_at(),
            ends_at: a.schedule.ends_at(),
            cancelled: a.is_cancelled(),
            checkin_closed: a.checkin_closed(),
            participants: a.participants,
        })
        .collect();
    compliance::evaluate(
        year,
        &tallies,
        now,
        &state.settings.tz,
        state.award().or(counted_from),
    )
}

/// The chart's bars and where its 10-person line sits (both in percent of its height). The
/// scale fits the best month, and at least twice the line, so the line stays readable.
fn bars(
    compliance: &Compliance,
    activities: &[Activity],
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> (Vec<Bar>, u32) {
    let today = now.to_zoned_datetime(tz.clone()).date();
    let month_of = |a: &Activity| a.schedule.starts_at().to_zoned_datetime(tz.clone()).month();
    let best = |month: i8| {
        activities
            .iter()
            .filter(|a| {
                !a.is_cancelled()
                    && (a.checkin_closed() || a.schedule.ends_at() <= now)
                    && month_of(a) == month
            })
            .map(|a| a.participants)
            .max()
            .unwrap_or(0)
    };
    let bests: Vec<u32> = compliance.months.iter().map(|m| best(m.month)).collect();
    let scale = bests
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(2 * MIN_PARTICIPANTS);
    let bars = compliance
        .months
        .iter()
        .zip(bests)
        .map(|(m, best)| Bar {
            month: m.month,
            activities: m.activities,
            qualifying: m.qualifying,
            best,
            height: best * 100 / scale,
            missing: compliance.missing_months.contains(&m.month),
            later: compliance.year > today.year()
                || (compliance.year == today.year() && m.month > today.month()),
        })
        .collect();
    (bars, MIN_PARTICIPANTS * 100 / scale)
}

/// The compliance warnings and what else needs the staffer, most urgent first.
fn alerts(phone_problem: Option<Unreachable>, warnings: &[advice::Warning]) -> Vec<Alert> {
    let mut alerts: Vec<Alert> = phone_problem
        .into_iter()
        .map(|problem| Alert {
            text: problem.message(),
            // A wrong listen address or network is fixed on the server, not on a page.
            link: matches!(
                problem,
                Unreachable::NotListened { .. } | Unreachable::NotThisMachine { .. }
            )
            .then(|| ("/admin/settings".into(), "本站设置")),
            urgent: true,
        })
        .collect();
    alerts.extend(warnings.iter().map(|warning| Alert {
        text: warning.text(),
        link: match warning {
            advice::Warning::ThisMonthEmpty { .. } | advice::Warning::YearBehind { .. } => {
                Some(("/admin/activities/new".into(), "新建活动"))
            }
            advice::Warning::Unfiled { .. } => Some(("/admin/activities".into(), "去报送")),
            _ => None,
        },
        urgent: warning.is_urgent(),
    }));
    // Stable: within each kind the order above stands.
    alerts.sort_by_key(|alert| !alert.urgent);
    alerts
}

fn time_range(activity: &Activity, tz: &jiff::tz::TimeZone) -> String {
    let starts = activity.schedule.starts_at().to_zoned_datetime(tz.clone());
    let ends = activity.schedule.ends_at().to_zoned_datetime(tz.clone());
    format!(
        "{} {}–{}",
        starts.strftime("%-m月%-d日"),
        starts.strftime("%H:%M"),
        ends.strftime("%H:%M")
    )
}

fn zoned_start(day: jiff::civil::Date, tz: &jiff::tz::TimeZone) -> Result<Timestamp, PageError> {
    day.to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .map_err(internal)
}

fn internal(error: jiff::Error) -> PageError {
    ApiError::internal(error).into()
}

/// Server-sent events: `count` with `{"activity_id", "participants"}` whenever a check-in or
/// an undo changes an activity's count. On connecting (and reconnecting) the open activities'
/// counts are sent first, so a dashboard that lost its connection catches up.
pub async fn live(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let receiver = state.live.subscribe();
    let reading = state.now();
    let now = reading.at;
    let open = state
        .store
        .read(move |conn| activities::candidates_at(conn, now))
        .await?;
    let snapshot: Vec<CountChanged> = open
        .iter()
        .filter(|a| a.accepts_checkins(reading))
        .map(|a| CountChanged {
            activity_id: a.id,
            participants: a.participants,
        })
        .collect();
    let changes = stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(change) => return Some((change, receiver)),
                // Fell behind: skip to the newest counts rather than stop.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let events = stream::iter(snapshot)
        .chain(changes)
        .map(|change| Ok(count_event(change)));
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

fn count_event(change: CountChanged) -> Event {
    let data = format!(
        r#"{{"activity_id":"{}","participants":{}}}"#,
        change.activity_id, change.participants
    );
    Event::default().event("count").data(data)
}
