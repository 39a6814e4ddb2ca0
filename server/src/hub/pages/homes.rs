//! `GET /admin/homes`: every registered home with its stage, enrolment and last sync, and the
//! form that registers a new one. `POST /admin/homes` registers and shows the one-time
//! enrolment code on the answer page only: it is never stored, so it cannot be shown again.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::home::DetailsForm;
use super::{Chrome, Section, local_time};
use crate::hub::profile::HomeKind;
use crate::hub::registry;
use crate::hub::state::HubState;
use crate::hub::store::homes::{self, HomeProfile};
use crate::store::StoreError;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::error::ApiError;
use crate::web::render::{self, PageError, StaffPage};

/// One home in the list.
struct Line {
    id: String,
    name: String,
    host_unit: String,
    kind: &'static str,
    stage: &'static str,
    applied_on: String,
    awarded_on: String,
    enrolled: bool,
    last_push: String,
}

impl Line {
    fn new(profile: &HomeProfile, state: &HubState) -> Self {
        let details = &profile.details;
        let day = |d: Option<jiff::civil::Date>| d.map(|d| d.to_string()).unwrap_or_default();
        Self {
            id: profile.id.clone(),
            name: details.name.clone(),
            host_unit: details.host_unit.clone().unwrap_or_default(),
            kind: details.kind.label(),
            stage: details.stage(),
            applied_on: day(details.applied_on),
            awarded_on: day(details.awarded_on),
            enrolled: profile.enrolled(),
            last_push: profile
                .last_push_at
                .map(|at| local_time(at, &state.settings.tz))
                .unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "hub/homes.html")]
struct HomesPage {
    chrome: Chrome,
    homes: Vec<Line>,
    kinds: Vec<HomeKind>,
    form: DetailsForm,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "hub/registered.html")]
struct RegisteredPage {
    chrome: Chrome,
    id: String,
    name: String,
    code: String,
}

pub async fn view(
    State(state): State<HubState>,
    staff: StaffPage,
    csrf: Csrf,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&staff, &csrf, Section::Homes);
    page(&state, chrome, DetailsForm::default(), None, StatusCode::OK).await
}

async fn page(
    state: &HubState,
    chrome: Chrome,
    form: DetailsForm,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let profiles = state.store.read(homes::list).await?;
    render::html(
        status,
        &HomesPage {
            chrome,
            homes: profiles.iter().map(|p| Line::new(p, state)).collect(),
            kinds: HomeKind::ALL.to_vec(),
            form,
            error,
        },
    )
}

pub async fn register(
    State(state): State<HubState>,
    staff: StaffPage,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<DetailsForm>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&staff, &csrf, Section::Homes);
    match registry::register(&state, &form.to_new()).await {
        Ok(registered) => render::html(
            StatusCode::CREATED,
            &RegisteredPage {
                chrome,
                id: registered.profile.id,
                name: registered.profile.details.name,
                code: registered.code,
            },
        ),
        Err(StoreError::Invalid(invalid)) => {
            let message = invalid.message;
            page(
                &state,
                chrome,
                form,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(ApiError::from(other).into()),
    }
}
