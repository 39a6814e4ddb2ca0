//! The year's ledger (台账) as a document to print, or to save as PDF from the browser's print
//! window: a cover with the year's figures against article 4, the overview of every activity,
//! and one A4 page per held activity with its summary, photos and sign-in list. It shows the
//! same model as the page and the workbook (`export::ledger`); phone numbers never appear.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::ledger::{YearQuery, year_ledger};
use crate::export::ledger::YearLedger;
use crate::export::load::Photos;
use crate::http::AppState;
use crate::web::extract::PageQuery;
use crate::web::render::{self, PageError, StaffPage};

#[derive(Template)]
#[template(path = "ledger_print.html")]
struct PrintPage {
    ledger: YearLedger,
}

pub async fn view(
    State(state): State<AppState>,
    _staff: StaffPage,
    PageQuery(query): PageQuery<YearQuery>,
) -> Result<Response, PageError> {
    // Photos by id: the page loads each one's print copy, not the phone's original.
    let ledger = year_ledger(&state, query.year, Photos::Linked).await?;
    render::ok(&PrintPage { ledger })
}
