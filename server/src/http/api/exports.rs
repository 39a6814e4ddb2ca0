//! The year's ledger (台账) as a download, under a Chinese file name.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::compliance::YearQuery;
use crate::export::{self, ledger::YearLedger, load::Photos};
use crate::http::AppState;
use crate::http::auth::Staff;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::pages::ledger::year_ledger;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub async fn ledger_xlsx(
    state: State<AppState>,
    _staff: Staff,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Response, ApiError> {
    let ledger = year_ledger(&state, query.year, Photos::Embedded).await?;
    // Writing a year's workbook with its photos takes a moment: off the async threads.
    let (ledger, bytes) = tokio::task::spawn_blocking(move || {
        let bytes = export::workbook::ledger(&ledger);
        (ledger, bytes)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let bytes = bytes.map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(download(XLSX, &ledger, "xlsx", bytes))
}

pub async fn ledger_csv(
    state: State<AppState>,
    _staff: Staff,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Response, ApiError> {
    let ledger = year_ledger(&state, query.year, Photos::Linked).await?;
    let bytes = export::csv::ledger(&ledger.rows).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(download("text/csv; charset=utf-8", &ledger, "csv", bytes))
}

/// What RFC 5987 lets through unescaped in `filename*`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// A download saved as `益阳高新区科技工作者之家-2026年活动台账.xlsx`, or `ledger-2026.xlsx` by a
/// browser that does not read `filename*` (RFC 6266).
fn download(
    content_type: &'static str,
    ledger: &YearLedger,
    extension: &str,
    bytes: Vec<u8>,
) -> Response {
    let chinese = utf8_percent_encode(&ledger.file_name(extension), ATTR_CHAR).to_string();
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{chinese}",
        ledger.ascii_file_name(extension)
    );
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}
