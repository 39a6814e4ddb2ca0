//! `GET /admin/homes`: every registered home with its stage, enrolment and last sync, and the
//! form that registers a new one. `POST /admin/homes` registers and shows the one-time
//! enrolment code on the answer page only: it is never stored, so it cannot be shown again.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::{Chrome, Section, local_time};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::pages::csrf::{Csrf, CsrfForm};
use crate::http::pages::render::{self, PageError, StaffPage};
use crate::hub::homes::{self, HomeProfile};
use crate::hub::profile::{HomeKind, NewHome};
use crate::hub::registry;
use crate::store::StoreError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/homes", get(view).post(register))
}

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
    fn new(profile: &HomeProfile, state: &AppState) -> Self {
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

/// The registration form as typed (kept when it is refused).
#[derive(Debug, Default, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    host_unit: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    applied_on: String,
    #[serde(default)]
    awarded_on: String,
}

impl RegisterForm {
    fn to_new(&self) -> NewHome {
        let some = |text: &str| Some(text.to_owned());
        NewHome {
            name: some(&self.name),
            host_unit: some(&self.host_unit),
            kind: some(&self.kind),
            address: some(&self.address),
            contact: some(&self.contact),
            applied_on: some(&self.applied_on),
            awarded_on: some(&self.awarded_on),
        }
    }
}

#[derive(Template)]
#[template(path = "hub/homes.html")]
struct HomesPage {
    chrome: Chrome,
    homes: Vec<Line>,
    kinds: Vec<HomeKind>,
    form: RegisterForm,
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

async fn view(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&staff, &csrf, Section::Homes);
    page(
        &state,
        chrome,
        RegisterForm::default(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    form: RegisterForm,
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

async fn register(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<RegisterForm>,
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
