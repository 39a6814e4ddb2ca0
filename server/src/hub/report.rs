//! The evaluation of a year as the association reads it: the figures `evaluation::evaluate`
//! counts, beside what the association keeps about each home (host unit, type, award date) and
//! its own rating. One row type feeds the staff page and the spreadsheet, so the two agree; the
//! public results keep only what may be published.

use std::collections::HashMap;

use thiserror::Error;

use super::evaluation::{self, Evaluation, HomeEvaluation};
use super::profile::Rating;
use super::store::homes::{self, HomeProfile, RatingEntry};

use crate::domain::Invalid;
use crate::domain::calendar::year_span;
use crate::domain::compliance::MonthTally;
use crate::hub::state::HubState;
use crate::store::StoreError;

/// Why a year's report could not be made: a year outside the calendar, or the store.
#[derive(Debug, Error)]
pub enum ReportError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every enrolled home's evaluation of `year`, as of now.
pub async fn evaluate_year(state: &HubState, year: i16) -> Result<Evaluation, ReportError> {
    let now = state.clock.now();
    let tz = state.settings.tz.clone();
    let (from, until) = year_span(year, &tz)?;
    let thresholds = state.settings.evaluation;
    Ok(state
        .store
        .read(move |conn| evaluation::evaluate(conn, year, from, until, now, &tz, &thresholds))
        .await?)
}

/// One home's line of the evaluation.
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub id: String,
    pub name: String,
    pub host_unit: String,
    pub kind: &'static str,
    /// `YYYY-MM-DD`, or empty.
    pub awarded_on: String,
    pub activities_held: u32,
    pub qualifying_activities: u32,
    pub months: Vec<MonthTally>,
    pub missing_months: Vec<i8>,
    pub short_activities: u32,
    pub meets_rules: bool,
    pub suggested: String,
    pub rating: Option<Rating>,
    pub flags: Vec<String>,
}

impl ReportRow {
    fn new(
        entry: &HomeEvaluation,
        profile: Option<&HomeProfile>,
        rating: Option<&RatingEntry>,
    ) -> Self {
        let compliance = &entry.compliance;
        let details = profile.map(|p| &p.details);
        Self {
            id: entry.home.id.clone(),
            name: entry.home.name.clone(),
            host_unit: details
                .and_then(|d| d.host_unit.clone())
                .unwrap_or_default(),
            kind: details.map_or("", |d| d.kind.label()),
            awarded_on: details
                .and_then(|d| d.awarded_on)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            activities_held: compliance.activities_held,
            qualifying_activities: compliance.qualifying_activities,
            months: compliance.months.clone(),
            missing_months: compliance.missing_months.clone(),
            short_activities: u32::try_from(compliance.short_activities.len()).unwrap_or(u32::MAX),
            meets_rules: compliance.meets_rules,
            suggested: entry.suggested_rating.to_string(),
            rating: rating.map(|r| r.rating),
            flags: entry.flags.clone(),
        }
    }

    /// "3月、4月", or "无".
    pub fn missing_text(&self) -> String {
        months_text(&self.missing_months)
    }

    pub fn rating_label(&self) -> &'static str {
        self.rating.map_or("未评定", Rating::label)
    }

    pub fn rating_code(&self) -> &'static str {
        self.rating.map_or("", Rating::code)
    }

    pub fn meets_text(&self) -> &'static str {
        if self.meets_rules { "是" } else { "否" }
    }

    /// Qualifying activities of month `month` (1-12), and whether the month is missing.
    pub fn month(&self, month: &i8) -> (u32, bool) {
        let qualifying = self
            .months
            .iter()
            .find(|m| m.month == *month)
            .map_or(0, |m| m.qualifying);
        (qualifying, self.missing_months.contains(month))
    }
}

pub fn months_text(months: &[i8]) -> String {
    if months.is_empty() {
        return "无".into();
    }
    months
        .iter()
        .map(|m| format!("{m}月"))
        .collect::<Vec<_>>()
        .join("、")
}

/// The evaluation of `year` with each home's details and the association's ratings.
pub struct Report {
    pub year: i16,
    pub rows: Vec<ReportRow>,
    /// Registered homes that have not enrolled yet (they have nothing to evaluate).
    pub not_enrolled: Vec<HomeProfile>,
}

pub async fn report(state: &HubState, year: i16) -> Result<Report, ReportError> {
    let evaluation = evaluate_year(state, year).await?;
    let (profiles, ratings) = state
        .store
        .read(move |conn| Ok((homes::list(conn)?, homes::ratings_in(conn, year)?)))
        .await?;
    let by_id: HashMap<&str, &HomeProfile> = profiles.iter().map(|p| (p.id.as_str(), p)).collect();
    let rows = evaluation
        .homes
        .iter()
        .map(|entry| {
            let id = entry.home.id.as_str();
            ReportRow::new(entry, by_id.get(id).copied(), ratings.get(id))
        })
        .collect();
    let not_enrolled = profiles.iter().filter(|p| !p.enrolled()).cloned().collect();
    Ok(Report {
        year,
        rows,
        not_enrolled,
    })
}

/// One line of the public results (公示): the home and its figures, never a person.
#[derive(Debug, Clone)]
pub struct PublicRow {
    pub name: String,
    pub host_unit: String,
    pub kind: &'static str,
    pub awarded_on: String,
    pub rating: &'static str,
    pub activities_held: Option<u32>,
    pub qualifying_activities: Option<u32>,
}

/// The homes the association rated in `year`, best rating first, then by name. Only ratings a
/// person set appear; a suggestion never does.
pub async fn public_results(state: &HubState, year: i16) -> Result<Vec<PublicRow>, ReportError> {
    let evaluation = evaluate_year(state, year).await?;
    let (profiles, ratings) = state
        .store
        .read(move |conn| Ok((homes::list(conn)?, homes::ratings_in(conn, year)?)))
        .await?;
    let figures: HashMap<&str, &HomeEvaluation> = evaluation
        .homes
        .iter()
        .map(|e| (e.home.id.as_str(), e))
        .collect();
    let mut rated: Vec<(Rating, PublicRow)> = profiles
        .iter()
        .filter_map(|profile| {
            let rating = ratings.get(&profile.id)?.rating;
            let counted = figures.get(profile.id.as_str()).map(|e| &e.compliance);
            let details = &profile.details;
            Some((
                rating,
                PublicRow {
                    name: details.name.clone(),
                    host_unit: details.host_unit.clone().unwrap_or_default(),
                    kind: details.kind.label(),
                    awarded_on: details
                        .awarded_on
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    rating: rating.label(),
                    activities_held: counted.map(|c| c.activities_held),
                    qualifying_activities: counted.map(|c| c.qualifying_activities),
                },
            ))
        })
        .collect();
    let rank = |rating: Rating| match rating {
        Rating::Excellent => 0,
        Rating::Qualified => 1,
        Rating::Failed => 2,
    };
    rated.sort_by(|(a, x), (b, y)| rank(*a).cmp(&rank(*b)).then_with(|| x.name.cmp(&y.name)));
    Ok(rated.into_iter().map(|(_, row)| row).collect())
}
