//! The registration form of an unknown phone and `POST /m/register`: a new member with their
//! consent, this phone remembered for them, and their first check-in at once.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};
use rusqlite::Connection;
use serde::Deserialize;

use super::device::{self, Owner};
use super::notice::{self, Notice};
use super::verdict::{self, Tap};
use super::{PHONE_DEVICE, checked_ticket};
use crate::domain::credential::QrCredential;
use crate::domain::member::{CONSENT_SHARE_TEXT, CONSENT_TEXT, Member, NewMember, Registration};
use crate::domain::room::{FormTicket, REGISTER_FORM_SECONDS};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::pages::csrf::{Csrf, CsrfForm};
use crate::http::pages::render::{self, PageError};
use crate::secrets;
use crate::store::{self, StoreError, devices, members, scans};

/// The form's fields as typed, so a refused form comes back with nothing lost.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    ticket: String,
    name: String,
    phone: String,
    employer: String,
    discipline: String,
    title: String,
    consent: Option<String>,
    consent_share: Option<String>,
}

impl RegisterForm {
    fn registration(&self) -> Registration<'_> {
        Registration {
            name: Some(&self.name),
            phone: Some(&self.phone),
            employer: Some(&self.employer),
            discipline: Some(&self.discipline),
            title: Some(&self.title),
            consent: Some(ticked(self.consent.as_deref())),
            consent_share: Some(ticked(self.consent_share.as_deref())),
        }
    }

    pub fn consents(&self) -> bool {
        ticked(self.consent.as_deref())
    }

    pub fn consents_to_share(&self) -> bool {
        ticked(self.consent_share.as_deref())
    }

    /// Whether the optional fields hold something (their section then starts open).
    pub fn has_extras(&self) -> bool {
        !self.discipline.trim().is_empty() || !self.title.trim().is_empty()
    }
}

/// A ticked checkbox sends `on` (or its `value`); an unticked one sends nothing.
fn ticked(value: Option<&str>) -> bool {
    matches!(value, Some("on" | "true" | "1"))
}

#[derive(Template)]
#[template(path = "phone/register.html")]
struct RegisterPage<'a> {
    home_name: &'a str,
    csrf: &'a str,
    /// The page's form ticket.
    ticket: &'a str,
    form: &'a RegisterForm,
    error: Option<&'a str>,
    notice: Option<&'a str>,
    consent_text: &'a str,
    consent_share_text: &'a str,
}

/// The registration form, blank or as sent back.
pub struct FormPage<'a> {
    pub ticket: &'a FormTicket,
    pub form: Option<&'a RegisterForm>,
    pub error: Option<String>,
    /// Why the form is shown (the phone was forgotten, or its cookie no longer works).
    pub notice: Option<&'static str>,
}

impl<'a> FormPage<'a> {
    pub fn blank(ticket: &'a FormTicket) -> Self {
        Self {
            ticket,
            form: None,
            error: None,
            notice: None,
        }
    }

    pub fn render(
        self,
        state: &AppState,
        csrf: &Csrf,
        status: StatusCode,
    ) -> Result<Response, Notice> {
        let blank = RegisterForm::default();
        render::html(
            status,
            &RegisterPage {
                home_name: &state.home_name(),
                csrf: &csrf.0,
                ticket: &self.ticket.text,
                form: self.form.unwrap_or(&blank),
                error: self.error.as_deref(),
                notice: self.notice,
                consent_text: CONSENT_TEXT,
                consent_share_text: CONSENT_SHARE_TEXT,
            },
        )
        .map_err(Notice::from)
    }
}

pub async fn submit(
    State(state): State<AppState>,
    csrf: Csrf,
    headers: HeaderMap,
    form: Result<CsrfForm<RegisterForm>, PageError>,
) -> Response {
    let outcome = register(&state, &csrf, &headers, form).await;
    notice::respond(&state, outcome)
}

async fn register(
    state: &AppState,
    csrf: &Csrf,
    headers: &HeaderMap,
    form: Result<CsrfForm<RegisterForm>, PageError>,
) -> Result<Response, Notice> {
    let CsrfForm(form) = form?;
    let ticket = checked_ticket(state, Some(&form.ticket), REGISTER_FORM_SECONDS)?;
    let member = match NewMember::parse(&form.registration()) {
        Ok(member) => member,
        Err(invalid) => {
            let page = FormPage {
                form: Some(&form),
                error: Some(invalid.message),
                ..FormPage::blank(&ticket)
            };
            return page.render(state, csrf, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let (token, token_hash) = device::new_token()?;
    let enrolment = Enrolment {
        member,
        credential: new_credential()?,
        token_hash: token_hash.clone(),
        previous_hash: device::token(headers).map(secrets::token_hash),
        nonce: ticket.nonce.clone(),
    };
    let now = state.clock.now();
    let member = match state
        .store
        .write(move |conn| enrolment.run(conn, now))
        .await
    {
        Ok(member) => member,
        Err(StoreError::Conflict(_)) => return Err(Notice::phone_taken()),
        Err(StoreError::NotFound) => return Err(Notice::stale_form()),
        Err(other) => return Err(other.into()),
    };
    // The phone is the member's from here on, even if the check-in below cannot be stored.
    let cookie = device::set_cookie(&token)?;
    let owner = Owner { token_hash, member };
    let tap = Tap {
        ticket: &ticket,
        activity_id: None,
        csrf: &csrf.0,
    };
    let mut response = notice::respond(state, verdict::check_in(state, &owner, tap).await);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

fn new_credential() -> Result<QrCredential, Notice> {
    let bytes = secrets::random_bytes::<16>().map_err(ApiError::internal)?;
    Ok(QrCredential::from_random(bytes))
}

/// A registration as one write: the member, and this phone remembered for them.
struct Enrolment {
    member: NewMember,
    credential: QrCredential,
    token_hash: String,
    /// The phone's earlier cookie, if it had one: it stops standing for anyone.
    previous_hash: Option<String>,
    nonce: String,
}

impl Enrolment {
    fn run(self, conn: &Connection, now: Timestamp) -> store::Result<Member> {
        if let Some(previous) = &self.previous_hash {
            device::revoke(conn, previous, now)?;
        }
        let member = match self.sent_before(conn, now)? {
            Some(member) => member,
            None => members::insert(conn, &self.member, &self.credential, now)?,
        };
        devices::remember(conn, &self.token_hash, member.id, now)?;
        Ok(member)
    }

    /// The member this very form registered a moment ago (a double tap, or a reload of the
    /// answer page): the check-in stored under its ticket's nonce names them, with the number
    /// typed again. Without this the second copy would be refused as a taken number. A ticket
    /// that already registered someone else is used up: refused as not found, nothing written.
    fn sent_before(&self, conn: &Connection, now: Timestamp) -> store::Result<Option<Member>> {
        let Some(answer) = scans::answer_for(conn, PHONE_DEVICE, &self.nonce)? else {
            return Ok(None);
        };
        let Some(brief) = answer.member else {
            return Ok(None);
        };
        let earlier = members::get(conn, brief.id)?;
        let form_life = SignedDuration::from_secs(REGISTER_FORM_SECONDS);
        let same = earlier.phone == self.member.phone.as_str()
            && now.duration_since(earlier.created_at) <= form_life;
        if same {
            Ok(Some(earlier))
        } else {
            Err(StoreError::NotFound)
        }
    }
}
