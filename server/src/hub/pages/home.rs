//! `GET /admin/homes/{id}?year=`: one home as the association keeps it: its details and award
//! date (with the form that changes them), its rating per year, the activities it synced in the
//! year with approve and reject-with-comment forms, and the pushes the hub refused from it.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{Chrome, Section, YearQuery, done_of, local_text, local_time, this_year, year_of};
use crate::domain::activity::{Category, Filing};
use crate::domain::calendar::year_span;
use crate::domain::compliance::MIN_PARTICIPANTS;
use crate::hub::profile::{DetailsChange, HomeKind, NewHome, Rating, parse_year};
use crate::hub::registry;
use crate::hub::state::HubState;
use crate::hub::store::homes::{self, HomeProfile, RatingEntry, Refused, SyncedActivity};
use crate::store::StoreError;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::error::ApiError;
use crate::web::render::{self, PageError, StaffPage};

/// How many refusals the page lists.
const REFUSALS: u32 = 50;

struct ActivityLine {
    id: String,
    title: String,
    category: String,
    when: String,
    cancelled: bool,
    participants: u32,
    manual: u32,
    qualifies: bool,
    filing: &'static str,
    decision: String,
}

impl ActivityLine {
    fn new(activity: SyncedActivity, state: &HubState) -> Self {
        let tz = &state.settings.tz;
        let decision = activity.decision.as_ref().map_or_else(String::new, |d| {
            let verdict = if d.approved { "同意" } else { "驳回" };
            let comment = if d.comment.is_empty() {
                String::new()
            } else {
                format!("：{}", d.comment)
            };
            format!(
                "{verdict}{comment}（{}，{}）",
                d.decided_by,
                local_text(&d.decided_at, tz)
            )
        });
        Self {
            category: Category::parse(&activity.category)
                .map(|c| c.label().to_owned())
                .unwrap_or(activity.category),
            when: local_time(activity.starts_at, tz),
            qualifies: !activity.cancelled && activity.participants >= MIN_PARTICIPANTS,
            filing: Filing::from_code(&activity.filing).map_or("未知", Filing::label),
            decision,
            id: activity.id,
            title: activity.title,
            cancelled: activity.cancelled,
            participants: activity.participants,
            manual: activity.manual,
        }
    }
}

struct RatingLine {
    year: i16,
    label: &'static str,
    decided: String,
}

struct RefusalLine {
    at: String,
    reason: String,
}

/// A home's details as a form: the registration form and a home's details form (empty, the
/// stored values, or what was typed when it was refused).
#[derive(Debug, Default, Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) host_unit: String,
    #[serde(default)]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) address: String,
    #[serde(default)]
    pub(super) contact: String,
    #[serde(default)]
    pub(super) applied_on: String,
    #[serde(default)]
    pub(super) awarded_on: String,
}

impl DetailsForm {
    fn of(profile: &HomeProfile) -> Self {
        let d = &profile.details;
        let day = |d: Option<jiff::civil::Date>| d.map(|d| d.to_string()).unwrap_or_default();
        Self {
            name: d.name.clone(),
            host_unit: d.host_unit.clone().unwrap_or_default(),
            kind: d.kind.code().to_owned(),
            address: d.address.clone().unwrap_or_default(),
            contact: d.contact.clone().unwrap_or_default(),
            applied_on: day(d.applied_on),
            awarded_on: day(d.awarded_on),
        }
    }

    /// A new home from the registration form (blank fields are left unset).
    pub(super) fn to_new(&self) -> NewHome {
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

    /// Every field of the form is sent, so every field is set (blank clears).
    fn change(&self) -> DetailsChange {
        let set = |text: &str| Some(Some(text.to_owned()));
        DetailsChange {
            name: set(&self.name),
            host_unit: set(&self.host_unit),
            kind: set(&self.kind),
            address: set(&self.address),
            contact: set(&self.contact),
            applied_on: set(&self.applied_on),
            awarded_on: set(&self.awarded_on),
        }
    }
}

#[derive(Template)]
#[template(path = "hub/home.html")]
struct HomePage {
    chrome: Chrome,
    id: String,
    name: String,
    stage: &'static str,
    enrolled: bool,
    last_push: String,
    created: String,
    form: DetailsForm,
    kinds: Vec<HomeKind>,
    year: i16,
    this_year: i16,
    ratable_years: Vec<i16>,
    ratings: Vec<RatingLine>,
    rating_options: Vec<Rating>,
    activities: Vec<ActivityLine>,
    refusals: Vec<RefusalLine>,
    done: Option<&'static str>,
    failure: Option<String>,
}

fn done_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "saved" => "资料已保存",
        "rated" => "评定已保存",
        "withdrawn" => "评定已撤销",
        "approved" => "已同意备案，该家下次同步时收到",
        "rejected" => "已驳回，该家下次同步时收到意见",
        _ => return None,
    })
}

/// What the page says above everything: a success after a redirect, or why a form was refused.
enum Outcome {
    Done(Option<&'static str>),
    Refused(String, Option<DetailsForm>),
}

struct Facts {
    profile: HomeProfile,
    ratings: Vec<RatingEntry>,
    activities: Vec<SyncedActivity>,
    refusals: Vec<Refused>,
}

pub async fn view(
    State(state): State<HubState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(id): Path<String>,
    parsed: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let year = year_of(&state, &parsed)?;
    let done = done_of(&parsed).as_deref().and_then(done_message);
    let chrome = Chrome::new(&staff, &csrf, Section::Homes);
    page(
        &state,
        chrome,
        id,
        year,
        Outcome::Done(done),
        StatusCode::OK,
    )
    .await
}

async fn page(
    state: &HubState,
    chrome: Chrome,
    id: String,
    year: i16,
    outcome: Outcome,
    status: StatusCode,
) -> Result<Response, PageError> {
    let (from, until) = year_span(year, &state.settings.tz)?;
    let facts = state
        .store
        .read(move |conn| {
            Ok(Facts {
                profile: homes::get(conn, &id)?,
                ratings: homes::ratings_of(conn, &id)?,
                activities: homes::activities_of(conn, &id, from, until)?,
                refusals: homes::refusals(conn, Some(&id), REFUSALS)?,
            })
        })
        .await?;
    let tz = &state.settings.tz;
    let this_year = this_year(state);
    let (done, failure, typed) = match outcome {
        Outcome::Done(done) => (done, None, None),
        Outcome::Refused(why, typed) => (None, Some(why), typed),
    };
    let profile = facts.profile;
    let ratable_years = profile
        .details
        .awarded_on
        .map(|d| (d.year()..=this_year).rev().collect())
        .unwrap_or_default();
    render::html(
        status,
        &HomePage {
            chrome,
            form: typed.unwrap_or_else(|| DetailsForm::of(&profile)),
            stage: profile.details.stage(),
            enrolled: profile.enrolled(),
            last_push: profile
                .last_push_at
                .map(|at| local_time(at, tz))
                .unwrap_or_default(),
            created: local_time(profile.created_at, tz),
            kinds: HomeKind::ALL.to_vec(),
            year,
            this_year,
            ratable_years,
            ratings: facts
                .ratings
                .iter()
                .map(|r| RatingLine {
                    year: r.year,
                    label: r.rating.label(),
                    decided: format!("{}，{}", r.decided_by, local_time(r.decided_at, tz)),
                })
                .collect(),
            rating_options: Rating::ALL.to_vec(),
            activities: facts
                .activities
                .into_iter()
                .map(|a| ActivityLine::new(a, state))
                .collect(),
            refusals: facts
                .refusals
                .into_iter()
                .map(|r| RefusalLine {
                    at: local_time(r.at, tz),
                    reason: r.reason,
                })
                .collect(),
            done,
            failure,
            id: profile.id,
            name: profile.details.name,
        },
    )
}

/// A refused form shows the page again with the reason; anything else is an error page.
async fn refused(
    state: &HubState,
    chrome: Chrome,
    id: String,
    year: i16,
    error: StoreError,
    typed: Option<DetailsForm>,
) -> Result<Response, PageError> {
    let (why, status) = match error {
        StoreError::Invalid(invalid) => (invalid.message, StatusCode::UNPROCESSABLE_ENTITY),
        StoreError::Conflict(conflict) => (conflict.0, StatusCode::CONFLICT),
        other => return Err(ApiError::from(other).into()),
    };
    page(
        state,
        chrome,
        id,
        year,
        Outcome::Refused(why, typed),
        status,
    )
    .await
}

fn back_to(id: &str, year: i16, done: &str) -> Response {
    render::see_other(&format!("/admin/homes/{id}?year={year}&done={done}"))
}

pub async fn update(
    State(state): State<HubState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DetailsForm>,
) -> Result<Response, PageError> {
    let year = this_year(&state);
    match registry::change(&state, &id, form.change()).await {
        Ok(_) => Ok(back_to(&id, year, "saved")),
        Err(error) => {
            let chrome = Chrome::new(&staff, &csrf, Section::Homes);
            refused(&state, chrome, id, year, error, Some(form)).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    rating: String,
    /// `evaluation` to go back to the evaluation of the year.
    back: Option<String>,
}

pub async fn rate(
    State(state): State<HubState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RatingForm>,
) -> Result<Response, PageError> {
    let checked = parse_year(&form.year).and_then(|year| Ok((year, Rating::parse(&form.rating)?)));
    let outcome = match checked {
        Ok((year, rating)) => registry::rate(&state, &id, year, rating, &staff.0.username)
            .await
            .map(|_| year),
        Err(invalid) => Err(invalid.into()),
    };
    match outcome {
        Ok(year) if form.back.as_deref() == Some("evaluation") => Ok(render::see_other(&format!(
            "/admin/evaluation?year={year}&done=rated"
        ))),
        Ok(year) => Ok(back_to(&id, year, "rated")),
        Err(error) => {
            let chrome = Chrome::new(&staff, &csrf, Section::Homes);
            let year = this_year(&state);
            refused(&state, chrome, id, year, error, None).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

pub async fn withdraw(
    State(state): State<HubState>,
    _staff: StaffPage,
    Path((id, year)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let year = parse_year(&year)?;
    registry::unrate(&state, &id, year).await?;
    Ok(back_to(&id, year, "withdrawn"))
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    activity_id: String,
    /// `approve` or `reject`.
    decision: String,
    comment: Option<String>,
    year: Option<String>,
}

pub async fn decide(
    State(state): State<HubState>,
    staff: StaffPage,
    csrf: Csrf,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<Response, PageError> {
    let year = match form.year.as_deref() {
        Some(raw) if !raw.trim().is_empty() => parse_year(raw)?,
        _ => this_year(&state),
    };
    let approved = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(ApiError::BadRequest("未知的审批操作".into()).into()),
    };
    let comment = form.comment.as_deref();
    let decided = match registry::check_rejection(approved, comment) {
        Ok(()) => {
            registry::decide(
                &state,
                &id,
                &form.activity_id,
                approved,
                comment,
                &staff.0.username,
            )
            .await
        }
        Err(invalid) => Err(invalid.into()),
    };
    match decided {
        Ok(_) => Ok(back_to(
            &id,
            year,
            if approved { "approved" } else { "rejected" },
        )),
        Err(StoreError::NotFound) => Err(ApiError::NotFound.into()),
        Err(error) => {
            let chrome = Chrome::new(&staff, &csrf, Section::Homes);
            refused(&state, chrome, id, year, error, None).await
        }
    }
}
