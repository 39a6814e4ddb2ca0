//! The association's JSON calls for its homes: register (with the one-time enrolment code,
//! answered once), issue a new code to a home not yet enrolled, read and change the details
//! and the award date, and rate a year.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::profile::{DetailsChange, NewHome, Rating, parse_year};
use super::registry;
use super::store::homes::{self, HomeProfile, RatingEntry};
use crate::domain::calendar::rfc3339;
use crate::hub::state::HubState;
use crate::web::auth::Staff;
use crate::web::error::ApiError;
use crate::web::extract::ApiJson;

/// A home as the JSON API shows it to the association's staff.
#[derive(Debug, Clone, Serialize)]
pub struct HomeJson {
    pub id: String,
    pub name: String,
    pub host_unit: Option<String>,
    /// `enterprise`, `park` or `other`.
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub address: Option<String>,
    pub contact: Option<String>,
    pub applied_on: Option<Date>,
    pub awarded_on: Option<Date>,
    /// 已申报 or 已授牌.
    pub stage: &'static str,
    pub enrolled: bool,
    pub last_push_at: Option<String>,
    pub created_at: String,
    pub ratings: Vec<RatingJson>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RatingJson {
    pub year: i16,
    /// `failed`, `qualified` or `excellent`.
    pub rating: &'static str,
    pub label: &'static str,
    pub decided_by: String,
    pub decided_at: String,
}

impl RatingJson {
    fn new(entry: &RatingEntry, tz: &TimeZone) -> Self {
        Self {
            year: entry.year,
            rating: entry.rating.code(),
            label: entry.rating.label(),
            decided_by: entry.decided_by.clone(),
            decided_at: rfc3339(entry.decided_at, tz),
        }
    }
}

impl HomeJson {
    fn new(profile: HomeProfile, ratings: &[RatingEntry], tz: &TimeZone) -> Self {
        let details = profile.details;
        Self {
            stage: details.stage(),
            enrolled: profile.enrolled_at.is_some(),
            last_push_at: profile.last_push_at.map(|at| rfc3339(at, tz)),
            created_at: rfc3339(profile.created_at, tz),
            ratings: ratings.iter().map(|r| RatingJson::new(r, tz)).collect(),
            id: profile.id,
            name: details.name,
            host_unit: details.host_unit,
            kind: details.kind.code(),
            kind_label: details.kind.label(),
            address: details.address,
            contact: details.contact,
            applied_on: details.applied_on,
            awarded_on: details.awarded_on,
        }
    }
}

/// The answer to a registration: the home, and its enrolment code (never shown again) with
/// the moment it stops working.
#[derive(Debug, Clone, Serialize)]
pub struct RegisteredJson {
    #[serde(flatten)]
    pub home: HomeJson,
    pub code: String,
    pub code_expires_at: String,
}

impl RegisteredJson {
    fn new(registered: registry::Registered, ratings: &[RatingEntry], tz: &TimeZone) -> Self {
        Self {
            code_expires_at: rfc3339(registered.code_expires_at, tz),
            home: HomeJson::new(registered.profile, ratings, tz),
            code: registered.code,
        }
    }
}

pub async fn register(
    State(state): State<HubState>,
    _staff: Staff,
    ApiJson(new): ApiJson<NewHome>,
) -> Result<(StatusCode, Json<RegisteredJson>), ApiError> {
    let registered = registry::register(&state, &new).await?;
    let answer = RegisteredJson::new(registered, &[], &state.settings.tz);
    Ok((StatusCode::CREATED, Json(answer)))
}

/// A new enrolment code for a home not yet enrolled (its code was lost or has expired); the
/// old code stops working. 409 for a home that has enrolled.
pub async fn new_code(
    State(state): State<HubState>,
    _staff: Staff,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<RegisteredJson>), ApiError> {
    let lookup = id.clone();
    // By id only: a name in the path could name several homes.
    state
        .store
        .read(move |conn| homes::get(conn, &lookup))
        .await?;
    let registered = registry::new_code(&state, &id).await?;
    let ratings = state
        .store
        .read(move |conn| homes::ratings_of(conn, &id))
        .await?;
    let answer = RegisteredJson::new(registered, &ratings, &state.settings.tz);
    Ok((StatusCode::CREATED, Json(answer)))
}

async fn answer(state: &HubState, id: String) -> Result<Json<HomeJson>, ApiError> {
    let (profile, ratings) = state
        .store
        .read(move |conn| Ok((homes::get(conn, &id)?, homes::ratings_of(conn, &id)?)))
        .await?;
    Ok(Json(HomeJson::new(profile, &ratings, &state.settings.tz)))
}

pub async fn get(
    State(state): State<HubState>,
    _staff: Staff,
    Path(id): Path<String>,
) -> Result<Json<HomeJson>, ApiError> {
    answer(&state, id).await
}

pub async fn update(
    State(state): State<HubState>,
    _staff: Staff,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<DetailsChange>,
) -> Result<Json<HomeJson>, ApiError> {
    registry::change(&state, &id, change).await?;
    answer(&state, id).await
}

#[derive(Debug, Deserialize)]
pub struct RatingBody {
    rating: Option<String>,
}

pub async fn rate(
    State(state): State<HubState>,
    Staff(staff): Staff,
    Path((id, year)): Path<(String, String)>,
    ApiJson(body): ApiJson<RatingBody>,
) -> Result<Json<RatingJson>, ApiError> {
    let year = parse_year(&year)?;
    let rating = Rating::parse(body.rating.as_deref().unwrap_or_default())?;
    let entry = registry::rate(&state, &id, year, rating, &staff.username).await?;
    tracing::info!(home = %id, year, rating = rating.code(), "home rated");
    Ok(Json(RatingJson::new(&entry, &state.settings.tz)))
}

pub async fn unrate(
    State(state): State<HubState>,
    _staff: Staff,
    Path((id, year)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let year = parse_year(&year)?;
    registry::unrate(&state, &id, year).await?;
    Ok(StatusCode::NO_CONTENT)
}
