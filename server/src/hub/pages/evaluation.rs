//! `GET /admin` and `/admin/evaluation?year=`: every enrolled home's figures for a year, the
//! suggested rating, the association's own rating (with a form to set it) and the integrity
//! flags; `GET /admin/evaluation.xlsx?year=` is the same table as a workbook.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{Chrome, Section, YearQuery, done_of, this_year, year_of};
use crate::hub::ASSOCIATION;
use crate::hub::profile::Rating;
use crate::hub::report::{self, ReportRow};
use crate::hub::state::HubState;
use crate::hub::workbook;
use crate::web::csrf::Csrf;
use crate::web::error::ApiError;
use crate::web::render::{self, PageError, StaffPage};

#[derive(Template)]
#[template(path = "hub/evaluation.html")]
struct EvaluationPage {
    chrome: Chrome,
    year: i16,
    this_year: i16,
    rows: Vec<ReportRow>,
    months: Vec<i8>,
    ratings: Vec<Rating>,
    not_enrolled: Vec<String>,
    done: Option<&'static str>,
}

pub async fn view(
    State(state): State<HubState>,
    staff: StaffPage,
    csrf: Csrf,
    parsed: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let year = year_of(&state, &parsed)?;
    let done = done_of(&parsed).and_then(|code| match code.as_str() {
        "rated" => Some("评定已保存"),
        _ => None,
    });
    let report = report::report(&state, year).await?;
    render::ok(&EvaluationPage {
        chrome: Chrome::new(&staff, &csrf, Section::Evaluation),
        year,
        this_year: this_year(&state),
        rows: report.rows,
        months: (1..=12).collect(),
        ratings: Rating::ALL.to_vec(),
        not_enrolled: report
            .not_enrolled
            .into_iter()
            .map(|p| p.details.name)
            .collect(),
        done,
    })
}

pub async fn xlsx(
    State(state): State<HubState>,
    _staff: StaffPage,
    parsed: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let year = year_of(&state, &parsed)?;
    let report = report::report(&state, year).await?;
    let bytes = workbook::evaluation(ASSOCIATION, year, &report.rows)
        .map_err(|e| ApiError::internal(format!("xlsx: {e}")))?;
    let disposition = format!("attachment; filename=\"evaluation-{year}.xlsx\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
