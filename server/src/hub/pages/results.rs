//! `GET /results?year=`: the public results (公示), no login. For every home the association
//! rated that year: its name, host unit, type, award date, rating and two counts. Nothing about
//! a person (no member, no contact, no phone hash), and never a suggested rating.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{YearQuery, this_year};
use crate::domain::compliance::MIN_PARTICIPANTS;
use crate::hub::ASSOCIATION;
use crate::hub::profile::parse_year;
use crate::hub::report::{self, PublicRow};
use crate::hub::state::HubState;
use crate::hub::store::homes;
use crate::web::render::{self, PageError};

#[derive(Template)]
#[template(path = "hub/results.html")]
struct ResultsPage {
    association: &'static str,
    year: i16,
    years: Vec<i16>,
    rows: Vec<PublicRow>,
    min_participants: u32,
}

#[derive(Template)]
#[template(path = "hub/public_error.html")]
struct PublicError {
    association: &'static str,
    message: String,
}

pub async fn view(
    State(state): State<HubState>,
    parsed: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let years = state.store.read(homes::rated_years).await?;
    let asked = match &parsed {
        Ok(Query(query)) => query.year.as_deref().map(str::trim).unwrap_or_default(),
        Err(_) => "?",
    };
    // Without a year: the latest year with results (the one being published), else this one.
    let year = if asked.is_empty() {
        Ok(years.first().copied().unwrap_or_else(|| this_year(&state)))
    } else {
        parse_year(asked)
    };
    let year = match year {
        Ok(year) => year,
        Err(invalid) => {
            let page = PublicError {
                association: ASSOCIATION,
                message: invalid.message,
            };
            return render::html(StatusCode::BAD_REQUEST, &page);
        }
    };
    let rows = report::public_results(&state, year).await?;
    render::ok(&ResultsPage {
        association: ASSOCIATION,
        year,
        years,
        rows,
        min_participants: MIN_PARTICIPANTS,
    })
}
