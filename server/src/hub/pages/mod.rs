//! The association's staff pages under `/admin` (evaluation, homes, refusals, notices; the
//! same login, sessions and CSRF-checked forms as a home's pages) and the public results page
//! (`/results`, no login, no personal data). Server-rendered askama templates in
//! `server/templates/hub/`, escaped by default; one file per screen.

pub mod evaluation;
pub mod home;
pub mod homes;
pub mod notices;
pub mod refusals;
pub mod results;

#[cfg(test)]
mod tests;

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::profile::parse_year;
use crate::hub::state::HubState;
use crate::web::csrf::Csrf;
use crate::web::error::ApiError;
use crate::web::render::{PageError, StaffPage};

use super::ASSOCIATION;

/// Which tab a staff page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Evaluation,
    Homes,
    Refusals,
    Notices,
}

/// The frame of every hub staff page: who is logged in, the tabs, the logout form.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub association: &'static str,
    pub username: String,
    pub csrf: String,
    pub section: Section,
}

impl Chrome {
    pub fn new(staff: &StaffPage, csrf: &Csrf, section: Section) -> Self {
        Self {
            association: ASSOCIATION,
            username: staff.0.username.clone(),
            csrf: csrf.0.clone(),
            section,
        }
    }

    /// `here` for the current tab (used by `hub/base.html`).
    pub fn here(&self, section: &str) -> &'static str {
        let current = match self.section {
            Section::Evaluation => "evaluation",
            Section::Homes => "homes",
            Section::Refusals => "refusals",
            Section::Notices => "notices",
        };
        if current == section { "here" } else { "" }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    pub year: Option<String>,
    /// What the last form did (a code each page knows).
    pub done: Option<String>,
}

/// `?year=` (blank: this year), checked; malformed queries are a 400 page.
pub fn year_of(
    state: &HubState,
    parsed: &Result<Query<YearQuery>, QueryRejection>,
) -> Result<i16, PageError> {
    let raw = match parsed {
        Ok(Query(query)) => query.year.as_deref().unwrap_or_default().trim(),
        Err(_) => {
            return Err(ApiError::BadRequest("查询参数有误，请检查地址".into()).into());
        }
    };
    if raw.is_empty() {
        return Ok(this_year(state));
    }
    Ok(parse_year(raw)?)
}

pub fn done_of(parsed: &Result<Query<YearQuery>, QueryRejection>) -> Option<String> {
    parsed.as_ref().ok().and_then(|Query(q)| q.done.clone())
}

pub fn this_year(state: &HubState) -> i16 {
    state
        .clock
        .now()
        .to_zoned_datetime(state.settings.tz.clone())
        .year()
}

/// An instant on the association's clock.
pub fn local_time(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// An RFC 3339 text (as decisions and notices keep their times) on the association's clock.
pub fn local_text(text: &str, tz: &TimeZone) -> String {
    text.parse::<Timestamp>()
        .map(|at| local_time(at, tz))
        .unwrap_or_else(|_| text.to_owned())
}
