//! The printable sign-in sheet (签到表): the activity's facts and every participant, with a
//! few empty rows for latecomers signing on paper. A4 through the print style sheet.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::Shown;
use super::detail::activity_id;
use crate::domain::checkin::Method;
use crate::http::AppState;
use crate::http::pages::render::{self, PageError, StaffPage};
use crate::store::{activities, checkins};

const BLANK_ROWS: usize = 8;

struct Line {
    number: usize,
    name: String,
    employer: String,
    method: &'static str,
    at: String,
}

#[derive(Template)]
#[template(path = "activities/sheet.html")]
struct SheetPage {
    home_name: String,
    a: Shown,
    lines: Vec<Line>,
    blanks: Vec<usize>,
}

pub async fn view(
    State(state): State<AppState>,
    _staff: StaffPage,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = activity_id(&id)?;
    let (activity, attendance) = state
        .store
        .read(move |conn| Ok((activities::get(conn, id)?, checkins::attendance(conn, id)?)))
        .await?;
    let tz = &state.settings.tz;
    let lines: Vec<Line> = attendance
        .into_iter()
        .enumerate()
        .map(|(n, a)| Line {
            number: n + 1,
            at: a
                .at
                .to_zoned_datetime(tz.clone())
                .strftime("%H:%M")
                .to_string(),
            method: Method::from_code(&a.method).map_or("", Method::label),
            name: a.name,
            employer: a.employer,
        })
        .collect();
    let blanks = (lines.len() + 1..=lines.len() + BLANK_ROWS).collect();
    render::ok(&SheetPage {
        home_name: state.home_name(),
        a: Shown::new(&activity, state.now(), tz),
        lines,
        blanks,
    })
}
