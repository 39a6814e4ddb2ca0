//! `GET /admin/notices`: the notices the association published (policy publicity), and the
//! form that publishes one; every home receives it on its next sync and shows it on its kiosk
//! and dashboard.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, Section, YearQuery, done_of, local_text};
use crate::hub::registry;
use crate::hub::state::HubState;
use crate::hub::store::homes;
use crate::store::StoreError;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::error::ApiError;
use crate::web::render::{self, PageError, StaffPage};

/// How many notices the page lists.
const SHOWN: u32 = 100;

struct Line {
    title: String,
    body: String,
    published: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

#[derive(Template)]
#[template(path = "hub/notices.html")]
struct NoticesPage {
    chrome: Chrome,
    notices: Vec<Line>,
    form: NoticeForm,
    done: bool,
    error: Option<String>,
}

pub async fn view(
    State(state): State<HubState>,
    staff: StaffPage,
    csrf: Csrf,
    parsed: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let done = done_of(&parsed).as_deref() == Some("published");
    let chrome = Chrome::new(&staff, &csrf, Section::Notices);
    page(
        &state,
        chrome,
        NoticeForm::default(),
        done,
        None,
        StatusCode::OK,
    )
    .await
}

async fn page(
    state: &HubState,
    chrome: Chrome,
    form: NoticeForm,
    done: bool,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let notices = state.store.read(|conn| homes::notices(conn, SHOWN)).await?;
    let tz = &state.settings.tz;
    render::html(
        status,
        &NoticesPage {
            chrome,
            notices: notices
                .into_iter()
                .map(|n| Line {
                    published: format!("{} · {}", local_text(&n.published_at, tz), n.published_by),
                    title: n.title,
                    body: n.body,
                })
                .collect(),
            form,
            done,
            error,
        },
    )
}

pub async fn publish(
    State(state): State<HubState>,
    staff: StaffPage,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<NoticeForm>,
) -> Result<Response, PageError> {
    match registry::publish(&state, &form.title, &form.body, &staff.0.username).await {
        Ok(_) => Ok(render::see_other("/admin/notices?done=published")),
        Err(StoreError::Invalid(invalid)) => {
            let chrome = Chrome::new(&staff, &csrf, Section::Notices);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            page(&state, chrome, form, false, Some(invalid.message), status).await
        }
        Err(other) => Err(ApiError::from(other).into()),
    }
}
