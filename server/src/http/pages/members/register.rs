//! `GET /admin/members/new` and `POST /admin/members`: registering a member at the desk, with
//! the consent wording shown in full and ticked by the member.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::detail_path;
use crate::domain::member::{
    CONSENT_SHARE_TEXT, CONSENT_TEXT, CONSENT_VERSION, NewMember, Registration,
};
use crate::home::{self, HomeError};
use crate::http::AppState;
use crate::http::pages::chrome::{Chrome, Section};
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::render::{self, PageError, StaffPage};

/// The form as the browser sends it; a ticked checkbox arrives as `on`, an unticked one not at all.
#[derive(Debug, Default, Deserialize)]
pub struct RegisterForm {
    name: Option<String>,
    phone: Option<String>,
    employer: Option<String>,
    discipline: Option<String>,
    title: Option<String>,
    consent: Option<String>,
    consent_share: Option<String>,
}

impl RegisterForm {
    fn registration(&self) -> Registration<'_> {
        Registration {
            name: self.name.as_deref(),
            phone: self.phone.as_deref(),
            employer: self.employer.as_deref(),
            discipline: self.discipline.as_deref(),
            title: self.title.as_deref(),
            consent: Some(self.consent.is_some()),
            consent_share: Some(self.consent_share.is_some()),
        }
    }
}

#[derive(Template)]
#[template(path = "members/register.html")]
struct RegisterPage<'a> {
    chrome: Chrome,
    name: &'a str,
    phone: &'a str,
    employer: &'a str,
    discipline: &'a str,
    title: &'a str,
    consent: bool,
    consent_share: bool,
    consent_text: &'static str,
    consent_share_text: &'static str,
    consent_version: &'static str,
    error: Option<String>,
}

pub async fn form(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&state, &staff, &csrf, Section::Members);
    show(chrome, &RegisterForm::default(), StatusCode::OK, None)
}

pub async fn submit(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&state, &staff, &csrf, Section::Members);
    let member = match NewMember::parse(&form.registration()) {
        Ok(member) => member,
        Err(invalid) => {
            return show(
                chrome,
                &form,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(invalid.message),
            );
        }
    };
    let inserted = home::members::register(&state.store, state.clock.now(), member).await;
    match inserted {
        Ok(created) => Ok(render::see_other(&detail_path(created.id))),
        Err(HomeError::Conflict(conflict)) => {
            show(chrome, &form, StatusCode::CONFLICT, Some(conflict.0))
        }
        Err(other) => Err(other.into()),
    }
}

/// The form, empty or as the staffer filled it, with what is wrong.
fn show(
    chrome: Chrome,
    form: &RegisterForm,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    let text = |field: &Option<String>| field.as_deref().unwrap_or_default().to_owned();
    let (name, phone, employer) = (text(&form.name), text(&form.phone), text(&form.employer));
    let (discipline, title) = (text(&form.discipline), text(&form.title));
    render::html(
        status,
        &RegisterPage {
            chrome,
            name: &name,
            phone: &phone,
            employer: &employer,
            discipline: &discipline,
            title: &title,
            consent: form.consent.is_some(),
            consent_share: form.consent_share.is_some(),
            consent_text: CONSENT_TEXT,
            consent_share_text: CONSENT_SHARE_TEXT,
            consent_version: CONSENT_VERSION,
            error,
        },
    )
}
