//! The year's ledger (台账) on a page, with the .xlsx and .csv downloads of the same rows.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use crate::domain::calendar::{year_or_current, year_span};
use crate::export::ledger::YearLedger;
use crate::export::load::{self, LedgerRequest, Photos};
use crate::http::AppState;
use crate::http::pages::chrome::{Chrome, Section};
use crate::web::csrf::Csrf;
use crate::web::error::ApiError;
use crate::web::extract::PageQuery;
use crate::web::render::{self, PageError, StaffPage};

#[derive(Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    ledger: YearLedger,
}

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    pub year: Option<i16>,
}

pub async fn view(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    PageQuery(query): PageQuery<YearQuery>,
) -> Result<Response, PageError> {
    let ledger = year_ledger(&state, query.year, Photos::Linked).await?;
    render::ok(&LedgerPage {
        chrome: Chrome::new(&state, &staff, &csrf, Section::Ledger),
        ledger,
    })
}

/// The ledger of `year` (this year when none is given) as the store holds it now.
pub async fn year_ledger(
    state: &AppState,
    year: Option<i16>,
    photos: Photos,
) -> Result<YearLedger, ApiError> {
    let now = state.now();
    let tz = state.settings.tz.clone();
    let year = year_or_current(year, now.at, &tz)?;
    let request = LedgerRequest {
        profile: state.profile(),
        year,
        span: year_span(year, &tz)?,
        now,
        tz,
        photos,
    };
    Ok(state
        .store
        .read(move |conn| load::year_ledger(conn, &request))
        .await?)
}
