//! The year's activities, newest first.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::Shown;
use crate::domain::calendar::{year_or_current, year_span};
use crate::http::AppState;
use crate::http::pages::chrome::{Chrome, Section};
use crate::store::activities;
use crate::web::csrf::Csrf;
use crate::web::extract::PageQuery;
use crate::web::render::{self, PageError, StaffPage};

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
