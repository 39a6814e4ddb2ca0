//! The year's activities, newest first.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::Shown;
use crate::domain::calendar::{year_or_current, year_span};
use crate::http::AppState;
use crate::http::extract::PageQuery;
use crate::http::pages::csrf::Csrf;
use crate::http::pages::render::{self, Chrome, PageError, Section, StaffPage};
use crate::store::activities;

#[derive(Template)]
#[template(path = "activities/list.html")]
struct ListPage {
    chrome: Chrome,
    year: i16,
    activities: Vec<Shown>,
}

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<i16>,
}

pub async fn view(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    PageQuery(query): PageQuery<YearQuery>,
) -> Result<Response, PageError> {
    let reading = state.now();
    let now = reading.at;
    let tz = state.settings.tz.clone();
    let year = year_or_current(query.year, now, &tz)?;
    let (from, until) = year_span(year, &tz)?;
    let found = state
        .store
        .read(move |conn| activities::starting_between(conn, from, until))
        .await?;
    render::ok(&ListPage {
        chrome: Chrome::new(&state, &staff, &csrf, Section::Activities),
        year,
        activities: found
            .iter()
            .rev()
            .map(|a| Shown::new(a, reading, &tz))
            .collect(),
    })
}
