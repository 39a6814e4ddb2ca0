//! The year's ledger (台账) on a page, with the .xlsx and .csv downloads of the same rows.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::csrf::Csrf;
use super::render::{self, Chrome, PageError, Section, StaffPage};
use crate::export::ledger::{self, LedgerRow};
use crate::http::AppState;
use crate::http::api::{year_or_current, year_span};
use crate::http::extract::PageQuery;
use crate::store::{activities, photos};

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/ledger", get(view))
}

struct Entry {
    id: String,
    row: LedgerRow,
    summary: String,
    photos: u32,
}

#[derive(Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    year: i16,
    entries: Vec<Entry>,
    participants: u32,
    qualifying: usize,
}

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<i16>,
}

async fn view(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    PageQuery(query): PageQuery<YearQuery>,
) -> Result<Response, PageError> {
    let reading = state.now();
    let now = reading.at;
    let tz = &state.settings.tz;
    let year = year_or_current(query.year, now, tz)?;
    let (from, until) = year_span(year, tz)?;
    let (held, extras) = state
        .store
        .read(move |conn| {
            let held = activities::starting_between(conn, from, until)?;
            let extras = held
                .iter()
                .map(|a| Ok((activities::summary(conn, a.id)?, photos::count(conn, a.id)?)))
                .collect::<Result<Vec<_>, crate::store::StoreError>>()?;
            Ok((held, extras))
        })
        .await?;
    let rows = ledger::rows(&held, reading, tz);
    let entries: Vec<Entry> = held
        .iter()
        .zip(rows)
        .zip(extras)
        .map(|((activity, row), (summary, photos))| Entry {
            id: activity.id.to_string(),
            row,
            summary: summary.unwrap_or_default(),
            photos,
        })
        .collect();
    render::ok(&LedgerPage {
        chrome: Chrome::new(&state, &staff, &csrf, Section::Ledger),
        participants: entries.iter().map(|e| e.row.participants).sum(),
        qualifying: entries.iter().filter(|e| e.row.qualifies == "是").count(),
        year,
        entries,
    })
}
