//! The printable sign-in sheet (签到表) of one activity: filled with who signed in (name,
//! employer, masked phone, time), or blank (`?blank=1`) to print before the activity and fill
//! in by hand. Either way the rows come in pages of [`ROWS_PER_PAGE`], each page a whole sheet
//! with the activity's heading (pages get separated on a desk); the last page is topped up
//! with empty numbered rows, where latecomers sign on paper.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::Shown;
use super::detail::{activity_id, stands_for};
use crate::domain::activity::Activity;
use crate::domain::checkin::Source;
use crate::http::AppState;
use crate::store::checkins::Attendance;
use crate::store::{activities, checkins};
use crate::web::extract::PageQuery;
use crate::web::render::{self, PageError, StaffPage};

/// Rows on one A4 portrait page under the sheet's heading. The page breaks after this many
/// whatever the rows' height; the print style sheet sizes rows so that they fit (the e2e
/// print test holds it to one page).
pub const ROWS_PER_PAGE: usize = 20;

/// One row; every field is empty on a row left for a signature by hand.
struct Line {
    number: usize,
    name: String,
    employer: String,
    phone: String,
    at: String,
}

#[derive(Template)]
#[template(path = "activities/sheet.html")]
struct SheetPage {
    home_name: String,
    a: Shown,
    blank: bool,
    signed_in: usize,
    /// [`ROWS_PER_PAGE`] lines a page.
    pages: Vec<Vec<Line>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SheetQuery {
    /// "1" for the blank sheet.
    blank: Option<String>,
}

/// The sheet's address before it had a blank variant: a printed bookmark still finds it.
pub async fn moved(_staff: StaffPage, Path(id): Path<String>) -> Result<Response, PageError> {
    let id = activity_id(&id)?;
    Ok(Redirect::permanent(&format!("/admin/activities/{id}/sign-in-sheet")).into_response())
}

pub async fn view(
    State(state): State<AppState>,
    _staff: StaffPage,
    Path(id): Path<String>,
    PageQuery(query): PageQuery<SheetQuery>,
) -> Result<Response, PageError> {
    let id = activity_id(&id)?;
    let blank = query.blank.is_some_and(|b| !b.is_empty() && b != "0");
    let (activity, attendance) = state
        .store
        .read(move |conn| Ok((activities::get(conn, id)?, checkins::attendance(conn, id)?)))
        .await?;
    let (now, tz) = (state.now(), &state.settings.tz);
    // The blank sheet is for people who have not come yet: nobody's name goes on it.
    let attendance = if blank { Vec::new() } else { attendance };
    let signed_in = attendance.len();
    let mut lines: Vec<Line> = (1..)
        .zip(attendance)
        .map(|(number, a)| filled(number, &a, sheet_time(&activity, &a, tz)))
        .collect();
    let rows = signed_in.div_ceil(ROWS_PER_PAGE).max(1) * ROWS_PER_PAGE;
    lines.extend((signed_in + 1..=rows).map(empty));
    let mut pages = Vec::new();
    while !lines.is_empty() {
        let rest = lines.split_off(ROWS_PER_PAGE.min(lines.len()));
        pages.push(std::mem::replace(&mut lines, rest));
    }
    render::ok(&SheetPage {
        home_name: state.home_name(),
        a: Shown::new(&activity, now, tz),
        blank,
        signed_in,
        pages,
    })
}

fn filled(number: usize, a: &Attendance, at: String) -> Line {
    Line {
        number,
        name: a.name.clone(),
        employer: a.employer.clone(),
        // Already masked by the store (138****8001): a printed sheet lies on a table.
        phone: a.phone_masked.clone(),
        at,
    }
}

/// The time in the sheet's narrow column: the time of day (the heading gives the date), the
/// day too when it is another, and 补录 for a check-in entered by hand.
fn sheet_time(activity: &Activity, a: &Attendance, tz: &TimeZone) -> String {
    let at = stands_for(activity, &a.source, a.at).to_zoned_datetime(tz.clone());
    let day = activity
        .schedule
        .starts_at()
        .to_zoned_datetime(tz.clone())
        .date();
    let time = if at.date() == day {
        at.strftime("%H:%M").to_string()
    } else {
        at.strftime("%-m月%-d日 %H:%M").to_string()
    };
    if a.source == Source::Manual.code() {
        format!("{time}（补录）")
    } else {
        time
    }
}

fn empty(number: usize) -> Line {
    Line {
        number,
        name: String::new(),
        employer: String::new(),
        phone: String::new(),
        at: String::new(),
    }
}
