//! The year's ledger (台账) as a download, under a Chinese file name.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::compliance::YearQuery;
use crate::export::{self, ledger::YearLedger, load::Photos};
use crate::http::AppState;
use crate::http::pages::ledger::year_ledger;
use crate::web::auth::Staff;
use crate::web::error::ApiError;
use crate::web::extract::ApiQuery;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub async fn ledger_xlsx(
    state: State<AppState>,
    _staff: Staff,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Response, ApiError> {
    let ledger = year_ledger(&state, query.year, Photos::Embedded).await?;
    let names = FileNames::of(&ledger, "xlsx");
    // Writing a year's workbook with its photos takes a moment: off the async threads.
    let bytes = tokio::task::spawn_blocking(move || export::workbook::ledger(ledger))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(download(XLSX, &names, bytes))
}

pub async fn ledger_csv(
    state: State<AppState>,
    _staff: Staff,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Response, ApiError> {
    let ledger = year_ledger(&state, query.year, Photos::Linked).await?;
    let bytes = export::csv::ledger(&ledger.rows).map_err(ApiError::internal)?;
    Ok(download(
        "text/csv; charset=utf-8",
        &FileNames::of(&ledger, "csv"),
        bytes,
    ))
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

/// What a download is saved as: `益阳高新区科技工作者之家-2026年活动台账.xlsx`, or
/// `ledger-2026.xlsx` by a browser that does not read `filename*` (RFC 6266).
struct FileNames {
    ascii: String,
    chinese: String,
}

impl FileNames {
    fn of(ledger: &YearLedger, extension: &str) -> Self {
        Self {
            ascii: ledger.ascii_file_name(extension),
            chinese: ledger.file_name(extension),
        }
    }
}

fn download(content_type: &'static str, names: &FileNames, bytes: Vec<u8>) -> Response {
    let chinese = utf8_percent_encode(&names.chinese, ATTR_CHAR).to_string();
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{chinese}",
        names.ascii
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
