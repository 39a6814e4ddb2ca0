//! Article 4 of the rules, for one year of the home's calendar.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::domain::activity::Activity;
use crate::domain::calendar::{year_or_current, year_span};
use crate::domain::compliance::{self, Compliance, Tally};
use crate::http::AppState;
use crate::store::activities;
use crate::web::auth::Staff;
use crate::web::error::ApiError;
use crate::web::extract::ApiQuery;

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    pub year: Option<i16>,
}

pub async fn get(
    State(state): State<AppState>,
    _staff: Staff,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<Compliance>, ApiError> {
    let now = state.clock.now();
    let tz = &state.settings.tz;
    let year = year_or_current(query.year, now, tz)?;
    let (from, until) = year_span(year, tz)?;
    let held = state
        .store
        .read(move |conn| activities::starting_between(conn, from, until))
        .await?;
    let tallies: Vec<Tally> = held.iter().map(Activity::tally).collect();
    Ok(Json(compliance::evaluate(
        year,
        &tallies,
        now,
        tz,
        state.award(),
    )))
}
