//! What the association does to its homes, shared by the JSON API, the staff pages and the
//! command line: register a home, change its details, rate a year, decide on an activity,
//! publish a notice. Each checks its input once (`profile`'s parse functions) and writes in one
//! transaction.

use jiff::civil::Date;

use jiff::Timestamp;

use super::enrol_code;
use super::profile::{DetailsChange, NewHome, Rating};
use super::store as hub;
use super::store::homes::{self, CodeHash, HomeProfile, RatingEntry};
use crate::domain::{Conflict, Invalid, optional_text, required_text};
use crate::hub::state::HubState;
use crate::store::StoreError;
use crate::wire::{Decision, EnrollAnswer};

/// Longest comment on a decision.
pub const COMMENT_MAX: usize = 500;

/// A home just registered, with its one-time enrolment code: shown once, only its hash kept.
#[derive(Debug, Clone)]
pub struct Registered {
    pub profile: HomeProfile,
    pub code: String,
    /// When the code stops working (see `enrol_code::CODE_LIFETIME`).
    pub code_expires_at: Timestamp,
}

/// A fresh enrolment code, and what the hub keeps of it.
fn issue_code(now: Timestamp) -> Result<(String, CodeHash), StoreError> {
    let code = enrol_code::new_code()?;
    let kept = CodeHash {
        hash: enrol_code::code_hash(&code),
        expires_at: enrol_code::expires_at(now),
    };
    Ok((code, kept))
}

/// Today in the association's calendar.
pub fn today(state: &HubState) -> Date {
    state
        .clock
        .now()
        .to_zoned_datetime(state.settings.tz.clone())
        .date()
}

pub async fn register(state: &HubState, new: &NewHome) -> Result<Registered, StoreError> {
    let details = new.parse(today(state))?;
    let now = state.clock.now();
    let (code, kept) = issue_code(now)?;
    let code_expires_at = kept.expires_at;
    let id = uuid::Uuid::now_v7().to_string();
    let profile = state
        .store
        .write(move |conn| {
            homes::insert(conn, &id, &details, &kept, now)?;
            homes::get(conn, &id)
        })
        .await?;
    tracing::info!(home = %profile.id, "home registered");
    Ok(Registered {
        profile,
        code,
        code_expires_at,
    })
}

/// Issues a new enrolment code for a home that has not enrolled yet (its code was lost or has
/// expired); the old code stops working. `home` is the home's id or its exact name.
pub async fn new_code(state: &HubState, home: &str) -> Result<Registered, StoreError> {
    let now = state.clock.now();
    let (code, kept) = issue_code(now)?;
    let code_expires_at = kept.expires_at;
    let home = home.trim().to_owned();
    let profile = state
        .store
        .write(move |conn| {
            let id = home_by_id_or_name(conn, &home)?;
            if !homes::replace_code(conn, &id, &kept)? {
                return Err(Conflict("该科技工作者之家已接入平台，无需新的登记码".into()).into());
            }
            homes::get(conn, &id)
        })
        .await?;
    tracing::info!(home = %profile.id, "new enrolment code issued");
    Ok(Registered {
        profile,
        code,
        code_expires_at,
    })
}

/// What an enrolment attempt came to.
#[derive(Debug, Clone)]
pub enum Enrolment {
    /// The home is enrolled under `public_key`: what it is told back.
    Enrolled(EnrollAnswer),
    /// No home has this code, or another key has used it.
    Unknown,
    /// The code is right but past its lifetime; the association must issue a new one.
    Expired,
}

/// Takes a home's one-time code (checked by its hash) and public key, in one write with the
/// phone key every home hashes phone numbers with. The caller counts wrong codes.
pub async fn enrol(
    state: &HubState,
    code: &str,
    public_key: String,
) -> Result<Enrolment, StoreError> {
    let code_hash = enrol_code::code_hash(code);
    let now = state.clock.now();
    let (enrolled, phone_key, details) = state
        .store
        .write(move |conn| {
            let key = hub::phone_key(conn)?;
            let enrolled = hub::enrol(conn, &code_hash, &public_key, now)?;
            let details = match &enrolled {
                hub::Enrolled::Home(id, _) => Some(homes::get(conn, id)?.details),
                _ => None,
            };
            Ok((enrolled, key, details))
        })
        .await?;
    Ok(match enrolled {
        hub::Enrolled::Home(home_id, home_name) => {
            tracing::info!(home = %home_id, "home enrolled");
            Enrolment::Enrolled(EnrollAnswer {
                home_id,
                home_name,
                phone_key: hex::encode(phone_key),
                host_unit: details.as_ref().and_then(|d| d.host_unit.clone()),
                awarded_on: details
                    .and_then(|d| d.awarded_on)
                    .map(|day| day.to_string()),
            })
        }
        hub::Enrolled::Expired => Enrolment::Expired,
        hub::Enrolled::Unknown => Enrolment::Unknown,
    })
}

/// The one home `home` names, by id or else by exact name.
fn home_by_id_or_name(conn: &rusqlite::Connection, home: &str) -> Result<String, StoreError> {
    match homes::get(conn, home) {
        Ok(profile) => return Ok(profile.id),
        Err(StoreError::NotFound) => {}
        Err(other) => return Err(other),
    }
    let ids = homes::ids_named(conn, home)?;
    match ids.as_slice() {
        [id] => Ok(id.clone()),
        [] => Err(Invalid::new("home", format!("平台上没有名为“{home}”的科技工作者之家")).into()),
        _ => Err(Invalid::new(
            "home",
            format!(
                "有多个名为“{home}”的科技工作者之家，请改用编号（kejia hub home add 打印的编号）"
            ),
        )
        .into()),
    }
}

/// Applies a change of details, checked against the home's other details.
pub async fn change(
    state: &HubState,
    id: &str,
    change: DetailsChange,
) -> Result<HomeProfile, StoreError> {
    let today = today(state);
    let id = id.to_owned();
    state
        .store
        .write(move |conn| {
            let current = homes::get(conn, &id)?;
            let details = change.apply(current.details, today)?;
            homes::update(conn, &id, &details)?;
            homes::get(conn, &id)
        })
        .await
}

/// Rates one year of an awarded home (again: the new rating replaces the old).
pub async fn rate(
    state: &HubState,
    id: &str,
    year: i16,
    rating: Rating,
    staffer: &str,
) -> Result<RatingEntry, StoreError> {
    let now = state.clock.now();
    let this_year = now.to_zoned_datetime(state.settings.tz.clone()).year();
    let (id, staffer) = (id.to_owned(), staffer.to_owned());
    state
        .store
        .write(move |conn| {
            let home = homes::get(conn, &id)?;
            home.details.check_ratable(year, this_year)?;
            homes::rate(conn, &id, year, rating, &staffer, now)?;
            Ok(RatingEntry {
                home_id: id,
                year,
                rating,
                decided_by: staffer,
                decided_at: now,
            })
        })
        .await
}

/// Withdraws a rating given by mistake; not found if the home or the rating is not there.
pub async fn unrate(state: &HubState, id: &str, year: i16) -> Result<(), StoreError> {
    let id = id.to_owned();
    state
        .store
        .write(move |conn| {
            homes::get(conn, &id)?;
            if homes::unrate(conn, &id, year)? {
                Ok(())
            } else {
                Err(StoreError::NotFound)
            }
        })
        .await
}

/// Approves or rejects a synced activity; the home hears of it on its next push.
pub async fn decide(
    state: &HubState,
    home: &str,
    activity_id: &str,
    approved: bool,
    comment: Option<&str>,
    staffer: &str,
) -> Result<Decision, StoreError> {
    let comment = optional_text("comment", "审批意见", comment, COMMENT_MAX)?.unwrap_or_default();
    let decision = Decision {
        activity_id: activity_id.to_owned(),
        approved,
        comment,
        decided_at: crate::domain::calendar::rfc3339(state.clock.now(), &state.settings.tz),
    };
    let (stored, home, staffer) = (decision.clone(), home.to_owned(), staffer.to_owned());
    state
        .store
        .write(move |conn| hub::decide(conn, &home, &stored, &staffer))
        .await?;
    Ok(decision)
}

/// Publishes a notice to every home; returns its sequence number.
pub async fn publish(
    state: &HubState,
    title: &str,
    body: &str,
    staffer: &str,
) -> Result<i64, StoreError> {
    let title = required_text("title", "通知标题", title, 100)?;
    let text = required_text("body", "通知内容", body, 2000)?;
    let at = crate::domain::calendar::rfc3339(state.clock.now(), &state.settings.tz);
    let staffer = staffer.to_owned();
    state
        .store
        .write(move |conn| hub::publish(conn, &title, &text, &at, &staffer))
        .await
}

/// Rejecting needs a reason the home can act on.
pub fn check_rejection(approved: bool, comment: Option<&str>) -> Result<(), Invalid> {
    if !approved && comment.is_none_or(|c| c.trim().is_empty()) {
        return Err(Invalid::new(
            "comment",
            "驳回时请填写意见，说明需要补充或更正的内容",
        ));
    }
    Ok(())
}
