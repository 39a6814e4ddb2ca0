//! Create and edit an activity. The browser's `datetime-local` fields carry no zone: they are
//! read in the home's time zone.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::domain::Invalid;
use crate::domain::activity::{Activity, ActivityFields, Category};
use crate::domain::ids::ActivityId;
use crate::home::{self, HomeError};
use crate::http::AppState;
use crate::http::pages::chrome::{Chrome, Section};
use crate::store::activities;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::extract::Id;
use crate::web::render::{self, PageError, StaffPage};

/// What the form shows and sends back, all as text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActivityForm {
    title: String,
    category: String,
    starts_at: String,
    ends_at: String,
    location: String,
    speaker: String,
    organiser: String,
    description: String,
    opens_before: String,
    closes_after: String,
}

struct Choice {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "activities/form.html")]
struct FormPage<'a> {
    chrome: Chrome,
    csrf: &'a str,
    /// Where the form posts: new or the activity's edit address.
    action: String,
    heading: &'static str,
    form: &'a ActivityForm,
    categories: Vec<Choice>,
    error: Option<String>,
}

pub async fn blank(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
) -> Result<Response, PageError> {
    let form = ActivityForm {
        opens_before: state.settings.checkin_window.opens_before_min().to_string(),
        closes_after: state.settings.checkin_window.closes_after_min().to_string(),
        ..ActivityForm::default()
    };
    show(&state, &staff, &csrf, None, &form, None, StatusCode::OK)
}

pub async fn existing(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Id(id): Id<ActivityId>,
) -> Result<Response, PageError> {
    let activity = state
        .store
        .read(move |conn| activities::get(conn, id))
        .await?;
    let form = filled(&activity, &state.settings.tz);
    show(&state, &staff, &csrf, Some(id), &form, None, StatusCode::OK)
}

pub async fn create(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    CsrfForm(form): CsrfForm<ActivityForm>,
) -> Result<Response, PageError> {
    let tz = state.settings.tz.clone();
    let draft = zoned(&form, &tz).and_then(|(starts, ends)| {
        fields(&form, &starts, &ends).and_then(|f| f.create(state.settings.checkin_window))
    });
    let draft = match draft {
        Ok(draft) => draft,
        Err(invalid) => return refuse(&state, &staff, &csrf, None, &form, invalid),
    };
    let created = home::activities::create(&state.store, state.clock.now(), draft).await?;
    Ok(render::see_other(&format!(
        "/admin/activities/{}",
        created.id
    )))
}

pub async fn update(
    State(state): State<AppState>,
    staff: StaffPage,
    csrf: Csrf,
    Id(id): Id<ActivityId>,
    CsrfForm(form): CsrfForm<ActivityForm>,
) -> Result<Response, PageError> {
    let tz = state.settings.tz.clone();
    let (starts, ends) = match zoned(&form, &tz) {
        Ok(pair) => pair,
        Err(invalid) => return refuse(&state, &staff, &csrf, Some(id), &form, invalid),
    };
    let now = state.clock.now();
    let text = form.clone();
    let saved = home::activities::update(&state.store, now, id, move |current| {
        fields(&text, &starts, &ends)?.update(current)
    })
    .await;
    match saved {
        Ok(_) => Ok(render::see_other(&format!("/admin/activities/{id}"))),
        Err(HomeError::Invalid(invalid)) => refuse(&state, &staff, &csrf, Some(id), &form, invalid),
        Err(other) => Err(other.into()),
    }
}

/// The form's text as the domain's fields (times already turned into RFC 3339).
fn fields<'a>(
    form: &'a ActivityForm,
    starts: &'a str,
    ends: &'a str,
) -> Result<ActivityFields<'a>, Invalid> {
    Ok(ActivityFields {
        title: Some(&form.title),
        category: Some(&form.category),
        starts_at: Some(starts),
        ends_at: Some(ends),
        checkin_opens_before_minutes: minutes("opens_before", &form.opens_before)?,
        checkin_closes_after_minutes: minutes("closes_after", &form.closes_after)?,
        location: Some(&form.location),
        speaker: Some(&form.speaker),
        organiser: Some(&form.organiser),
        description: Some(&form.description),
    })
}

fn minutes(field: &'static str, raw: &str) -> Result<Option<i64>, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| Invalid::new(field, "签到时间须为整数分钟"))
}

/// Both `datetime-local` values as RFC 3339 instants in the home's zone.
fn zoned(form: &ActivityForm, tz: &TimeZone) -> Result<(String, String), Invalid> {
    Ok((
        local_to_instant("starts_at", "开始时间", &form.starts_at, tz)?,
        local_to_instant("ends_at", "结束时间", &form.ends_at, tz)?,
    ))
}

fn local_to_instant(
    field: &'static str,
    label: &str,
    raw: &str,
    tz: &TimeZone,
) -> Result<String, Invalid> {
    let local: DateTime = raw
        .trim()
        .parse()
        .map_err(|_| Invalid::new(field, format!("请填写{label}（日期和时间）")))?;
    let zoned = local
        .to_zoned_datetime(tz.clone())
        .map_err(|_| Invalid::new(field, format!("{label}不是有效的时间")))?;
    Ok(zoned.timestamp().to_string())
}

fn filled(activity: &Activity, tz: &TimeZone) -> ActivityForm {
    let local = |at: jiff::Timestamp| {
        at.to_zoned_datetime(tz.clone())
            .strftime("%Y-%m-%dT%H:%M")
            .to_string()
    };
    ActivityForm {
        title: activity.title.clone(),
        category: activity.category.code().to_owned(),
        starts_at: local(activity.schedule.starts_at()),
        ends_at: local(activity.schedule.ends_at()),
        location: activity.location.clone().unwrap_or_default(),
        speaker: activity.speaker.clone().unwrap_or_default(),
        organiser: activity.organiser.clone().unwrap_or_default(),
        description: activity.description.clone().unwrap_or_default(),
        opens_before: activity.window.opens_before_min().to_string(),
        closes_after: activity.window.closes_after_min().to_string(),
    }
}

fn refuse(
    state: &AppState,
    staff: &StaffPage,
    csrf: &Csrf,
    id: Option<ActivityId>,
    form: &ActivityForm,
    invalid: Invalid,
) -> Result<Response, PageError> {
    show(
        state,
        staff,
        csrf,
        id,
        form,
        Some(invalid.message),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

fn show(
    state: &AppState,
    staff: &StaffPage,
    csrf: &Csrf,
    id: Option<ActivityId>,
    form: &ActivityForm,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let categories = Category::ALL
        .iter()
        .map(|c| Choice {
            code: c.code(),
            label: c.label(),
            selected: c.code() == form.category,
        })
        .collect();
    let (action, heading) = match id {
        Some(id) => (format!("/admin/activities/{id}/edit"), "编辑活动"),
        None => ("/admin/activities".to_owned(), "新建活动"),
    };
    render::html(
        status,
        &FormPage {
            chrome: Chrome::new(state, staff, csrf, Section::Activities),
            csrf: &csrf.0,
            action,
            heading,
            form,
            categories,
            error,
        },
    )
}
