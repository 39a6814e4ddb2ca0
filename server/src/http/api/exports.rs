//! The year's ledger (台账) as a download.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::compliance::YearQuery;
use super::{year_or_current, year_span};
use crate::export::{self, ledger::LedgerRow};
use crate::http::AppState;
use crate::http::auth::Staff;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::store::activities;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub async fn ledger_xlsx(
    state: State<AppState>,
    staff: Staff,
    query: ApiQuery<YearQuery>,
) -> Result<Response, ApiError> {
    let (year, rows) = ledger_rows(&state, staff, query).await?;
    let bytes = export::xlsx::ledger(&state.home_name(), year, &rows)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(download(XLSX, &format!("ledger-{year}.xlsx"), bytes))
}

pub async fn ledger_csv(
    state: State<AppState>,
    staff: Staff,
    query: ApiQuery<YearQuery>,
) -> Result<Response, ApiError> {
    let (year, rows) = ledger_rows(&state, staff, query).await?;
    let bytes = export::csv::ledger(&rows).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("ledger-{year}.csv"),
        bytes,
    ))
}

async fn ledger_rows(
    state: &AppState,
    _staff: Staff,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<(i16, Vec<LedgerRow>), ApiError> {
    let reading = state.now();
    let now = reading.at;
    let tz = &state.settings.tz;
    let year = year_or_current(query.year, now, tz)?;
    let (from, until) = year_span(year, tz)?;
    let held = state
        .store
        .read(move |conn| activities::starting_between(conn, from, until))
        .await?;
    Ok((year, export::ledger::rows(&held, reading, tz)))
}

fn download(content_type: &'static str, filename: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}
