//! Gathers a year's ledger from the store: each activity with its filing decision, summary,
//! sign-ins and photos, then [`ledger::build`] makes the document.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::Connection;

use super::ledger::{self, ActivityFacts, Arrival, LedgerPhoto, YearLedger};
use crate::domain::Now;
use crate::domain::compliance;
use crate::domain::home::HomeProfile;
use crate::store::{Result, activities, checkins, photos, sync_state, users};

/// Whether the photos' print copies come along (the workbook embeds them) or only their ids
/// (a page links to them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Photos {
    Embedded,
    Linked,
}

/// What the ledger is asked for.
#[derive(Debug, Clone)]
pub struct LedgerRequest {
    pub profile: HomeProfile,
    pub year: i16,
    /// The year's instants in the home's calendar: `[1 January, next 1 January)`.
    pub span: (Timestamp, Timestamp),
    pub now: Now,
    pub tz: TimeZone,
    pub photos: Photos,
}

/// The year's ledger as the store holds it now.
pub fn year_ledger(conn: &Connection, request: &LedgerRequest) -> Result<YearLedger> {
    let (from, until) = request.span;
    let counted_from = compliance::counted_from(
        request.profile.award,
        users::first_created_at(conn)?,
        &request.tz,
    );
    let facts = activities::starting_between(conn, from, until)?
        .into_iter()
        .map(|activity| facts(conn, activity, request))
        .collect::<Result<Vec<_>>>()?;
    Ok(ledger::build(
        &request.profile,
        counted_from,
        request.year,
        facts,
        request.now,
        &request.tz,
    ))
}

fn facts(
    conn: &Connection,
    activity: crate::domain::activity::Activity,
    request: &LedgerRequest,
) -> Result<ActivityFacts> {
    let id = activity.id;
    let held = ledger::is_held(&activity, request.now.at);
    let sign_ins = if held {
        checkins::attendance(conn, id)?
            .into_iter()
            .map(|a| Arrival {
                member: a.member_id,
                name: a.name,
                employer: a.employer,
                phone_masked: a.phone_masked,
                source: a.source,
                at: a.at,
            })
            .collect()
    } else {
        Vec::new()
    };
    let photos = if held {
        photos::list(conn, id)?
            .into_iter()
            .map(|entry| {
                let bytes = match request.photos {
                    Photos::Embedded => Some(photos::print_bytes(conn, entry.id)?),
                    Photos::Linked => None,
                };
                Ok(LedgerPhoto {
                    id: entry.id,
                    bytes,
                })
            })
            .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    Ok(ActivityFacts {
        comment: sync_state::filing_decision(conn, id)?.map(|d| d.comment),
        summary: activities::summary(conn, id)?,
        photo_count: photos::count(conn, id)?,
        activity,
        sign_ins,
        photos,
    })
}
