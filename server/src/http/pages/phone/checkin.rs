//! `GET /m/checkin?code=…` (a known phone's one-tap page, or the registration form),
//! `POST /m/checkin` (the tap) and `POST /m/forget` ("不是本人，重新登记").

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::device::{self, Owner};
use super::notice::{self, Notice};
use super::register::FormPage;
use super::verdict::{self, Tap};
use super::{checked_ticket, ticket_for_code};
use crate::domain::ids::ActivityId;
use crate::domain::room::{FormTicket, TAP_FORM_SECONDS};
use crate::home;
use crate::http::AppState;
use crate::secrets;
use crate::store::activities;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::render::{self, PageError};

#[derive(Template)]
#[template(path = "phone/checkin.html")]
struct OneTapPage<'a> {
    home_name: &'a str,
    name: &'a str,
    /// Titles of the activities taking check-ins now.
    open: Vec<String>,
    csrf: &'a str,
    /// The page's form ticket.
    ticket: &'a str,
}

#[derive(Debug, Deserialize)]
pub struct CodeQuery {
    code: Option<String>,
}

pub async fn view(
    State(state): State<AppState>,
    csrf: Csrf,
    headers: HeaderMap,
    query: Result<Query<CodeQuery>, QueryRejection>,
) -> Response {
    let code = query.ok().and_then(|Query(q)| q.code);
    let outcome = show(&state, &csrf, &headers, code.as_deref()).await;
    notice::respond(&state, outcome)
}

async fn show(
    state: &AppState,
    csrf: &Csrf,
    headers: &HeaderMap,
    code: Option<&str>,
) -> Result<Response, Notice> {
    let ticket = ticket_for_code(state, code)?;
    match device::owner(state, headers).await? {
        Some(owner) => one_tap_page(state, csrf, &owner, &ticket).await,
        None => {
            let mut response = FormPage::blank(&ticket).render(state, csrf, StatusCode::OK)?;
            if device::token(headers).is_some() {
                // A revoked cookie is of no more use; drop it.
                response
                    .headers_mut()
                    .append(header::SET_COOKIE, device::clear_cookie());
            }
            Ok(response)
        }
    }
}

async fn one_tap_page(
    state: &AppState,
    csrf: &Csrf,
    owner: &Owner,
    ticket: &FormTicket,
) -> Result<Response, Notice> {
    let reading = state.now();
    let now = reading.at;
    let candidates = state
        .store
        .read(move |conn| activities::candidates_at(conn, now))
        .await?;
    let open = candidates
        .into_iter()
        .filter(|a| a.accepts_checkins(reading))
        .map(|a| a.title)
        .collect();
    render::ok(&OneTapPage {
        home_name: &state.home_name(),
        name: &owner.member.name,
        open,
        csrf: &csrf.0,
        ticket: &ticket.text,
    })
    .map_err(Notice::from)
}

#[derive(Debug, Deserialize)]
pub struct TapForm {
    ticket: Option<String>,
    activity_id: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    csrf: Csrf,
    headers: HeaderMap,
    form: Result<CsrfForm<TapForm>, PageError>,
) -> Response {
    let outcome = tap(&state, &csrf, &headers, form).await;
    notice::respond(&state, outcome)
}

async fn tap(
    state: &AppState,
    csrf: &Csrf,
    headers: &HeaderMap,
    form: Result<CsrfForm<TapForm>, PageError>,
) -> Result<Response, Notice> {
    let CsrfForm(form) = form?;
    let ticket = checked_ticket(state, form.ticket.as_deref(), TAP_FORM_SECONDS)?;
    let activity_id = match form.activity_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse::<ActivityId>()
                .map_err(|_| Notice::stale_form())?,
        ),
    };
    let Some(owner) = device::owner(state, headers).await? else {
        // The phone was forgotten or revoked since the page was shown: register it anew.
        return FormPage {
            notice: Some("这部手机尚未登记或登记已失效，请填写以下信息登记后签到。"),
            ..FormPage::blank(&state.room.renew(&ticket))
        }
        .render(state, csrf, StatusCode::OK);
    };
    let tap = Tap {
        ticket: &ticket,
        activity_id,
        csrf: &csrf.0,
    };
    verdict::check_in(state, &owner, tap).await
}

#[derive(Debug, Deserialize)]
pub struct ForgetForm {
    ticket: Option<String>,
}

/// Clears the phone's cookie and revokes its device row: someone else's phone, or a shared one.
pub async fn forget(
    State(state): State<AppState>,
    csrf: Csrf,
    headers: HeaderMap,
    form: Result<CsrfForm<ForgetForm>, PageError>,
) -> Response {
    let outcome = forget_phone(&state, &csrf, &headers, form).await;
    notice::respond(&state, outcome)
}

async fn forget_phone(
    state: &AppState,
    csrf: &Csrf,
    headers: &HeaderMap,
    form: Result<CsrfForm<ForgetForm>, PageError>,
) -> Result<Response, Notice> {
    let CsrfForm(form) = form?;
    if let Some(token) = device::token(headers) {
        home::phones::forget(&state.store, state.clock.now(), &secrets::token_hash(token)).await?;
    }
    // The form shown next is for someone else: a new nonce, the same page load's time.
    let mut response = match checked_ticket(state, form.ticket.as_deref(), TAP_FORM_SECONDS) {
        Ok(ticket) => FormPage {
            notice: Some("这部手机已不再代表之前的会员。如需签到，请填写以下信息登记。"),
            ..FormPage::blank(&state.room.renew(&ticket))
        }
        .render(state, csrf, StatusCode::OK)?,
        Err(_) => Notice::done(
            "已退出",
            "这部手机已不再代表您。如需签到，请重新扫描签到屏上的二维码。",
        )
        .render(&state.home_name()),
    };
    response
        .headers_mut()
        .append(header::SET_COOKIE, device::clear_cookie());
    Ok(response)
}
