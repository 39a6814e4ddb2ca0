//! 本站设置: the home's name, host unit, award month and the address members' phones open.
//! The first administrator lands here right after creating their account; the figures and the
//! kiosk's QR code follow what is saved at once, without a restart.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use crate::domain::home::{HomeProfile, ProfileForm};
use crate::home;
use crate::http::AppState;
use crate::http::pages::chrome::{Chrome, Section};
use crate::http::reach;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::extract::PageQuery;
use crate::web::render::{self, PageError, StaffPage};

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    /// Right after the first account: a welcome, and saving goes on to the dashboard.
    welcome: bool,
    saved: bool,
    name: String,
    host_unit: String,
    award_month: String,
    phone_base: String,
    /// The address the kiosk's QR code uses now, and why phones could not open it.
    phone_now: String,
    phone_problem: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SettingsQuery {
    welcome: Option<String>,
    saved: Option<String>,
}

pub async fn view(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    headers: HeaderMap,
    PageQuery(query): PageQuery<SettingsQuery>,
) -> Result<Response, PageError> {
    state.reload_profile().await?;
    let profile = state.profile();
    let page = page(
        &state,
        &staff,
        &csrf,
        &headers,
        Typed {
            name: profile.name.clone(),
            host_unit: profile.host_unit.clone().unwrap_or_default(),
            award_month: profile
                .award
                .map(|a| a.to_form_value())
                .unwrap_or_else(|| this_month(&state)),
            phone_base: profile.phone_base.clone().unwrap_or_default(),
        },
    );
    render::ok(&SettingsPage {
        welcome: query.welcome.is_some(),
        saved: query.saved.is_some(),
        ..page
    })
}

#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    host_unit: String,
    #[serde(default)]
    award_month: String,
    #[serde(default)]
    phone_base: String,
    welcome: Option<String>,
}

pub async fn save(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<Response, PageError> {
    let typed = Typed {
        name: form.name.clone(),
        host_unit: form.host_unit.clone(),
        award_month: form.award_month.clone(),
        phone_base: form.phone_base.clone(),
    };
    let refuse = |status: StatusCode, message: String| {
        render::html(
            status,
            &SettingsPage {
                welcome: form.welcome.is_some(),
                error: Some(message),
                ..page(&state, &staff, &csrf, &headers, typed.clone())
            },
        )
    };
    let profile = match HomeProfile::parse(&ProfileForm {
        name: &form.name,
        host_unit: &form.host_unit,
        award_month: &form.award_month,
        phone_base: &form.phone_base,
    }) {
        Ok(profile) => profile,
        Err(invalid) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, invalid.message),
    };
    home::settings::save_profile(
        &state.store,
        state.clock.now(),
        &staff.0.username,
        profile.clone(),
    )
    .await?;
    state.set_profile(profile);
    Ok(render::see_other(if form.welcome.is_some() {
        "/admin"
    } else {
        "/admin/settings?saved=1"
    }))
}

/// What the form shows: the saved values, or what was just typed.
#[derive(Debug, Clone)]
struct Typed {
    name: String,
    host_unit: String,
    award_month: String,
    phone_base: String,
}

fn page(
    state: &AppState,
    staff: &StaffPage,
    csrf: &Csrf,
    headers: &HeaderMap,
    typed: Typed,
) -> SettingsPage {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let phone = reach::phone_address(state, host);
    SettingsPage {
        chrome: Chrome::new(state, staff, csrf, Section::Settings),
        welcome: false,
        saved: false,
        name: typed.name,
        host_unit: typed.host_unit,
        award_month: typed.award_month,
        phone_base: typed.phone_base,
        phone_now: phone.base,
        phone_problem: phone.problem.map(|p| p.message()),
        error: None,
    }
}

/// The month input's default: a home set up now was most likely awarded this month, so
/// earlier months are not counted as missed before it existed.
fn this_month(state: &AppState) -> String {
    let today = state
        .clock
        .now()
        .to_zoned_datetime(state.settings.tz.clone())
        .date();
    format!("{:04}-{:02}", today.year(), today.month())
}
