//! The check-ins table: inserting one at most once, looking up the live one, marking one
//! undone, and an activity's attendance list. `home::checkins` runs the flow around these.

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{Result, changelog, from_millis, parse_id, to_millis};
use crate::domain::Now;
use crate::domain::checkin::Source;
use crate::domain::ids::{ActivityId, CheckinId, MemberId};
use crate::domain::phone::mask_phone;
use crate::wire::Record;

/// A check-in to insert: at an activity, or a venue visit on a day.
#[derive(Debug, Clone)]
pub struct NewCheckin<'a> {
    pub member: MemberId,
    pub activity: Option<ActivityId>,
    pub visit_day: Option<Date>,
    pub source: Source,
    /// The device's token name or the staffer's username.
    pub device: &'a str,
}

/// Inserts a check-in unless the member already has a live one there (that activity, or a
/// visit that day: the partial unique indexes decide); `None` when it was already there.
pub fn insert(conn: &Connection, new: &NewCheckin<'_>, now: Now) -> Result<Option<CheckinId>> {
    let Now { at: now, trusted } = now;
    let id = CheckinId::new();
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO checkins (id, member_id, activity_id, visit_day, source, device, at, clock_trusted) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
        id.to_string(),
        new.member.to_string(),
        new.activity.map(|a| a.to_string()),
        new.visit_day.map(|d| d.to_string()),
        new.source.code(),
        new.device,
        to_millis(now),
        trusted,
    ])?;
    if inserted == 0 {
        return Ok(None);
    }
    // Logged from what was just written: the check-in path skips reading the row back.
    let record = Record::Checkin {
        id: id.to_string(),
        member_id: new.member.to_string(),
        activity_id: new.activity.map(|a| a.to_string()),
        visit_day: new.visit_day.map(|d| d.to_string()),
        // The wire's field stays `method`: records are hashed into the chain and read by hubs
        // of other versions.
        source: new.source.code().to_owned(),
        // As stored (milliseconds), so the undo's record says the same instant.
        at: from_millis(to_millis(now)).to_string(),
        clock_trusted: trusted,
        undone: false,
    };
    changelog::append(conn, &id.to_string(), &record, now)?;
    Ok(Some(id))
}

/// The member's live check-in at the activity, if any.
pub fn live_at(
    conn: &Connection,
    activity: ActivityId,
    member: MemberId,
) -> Result<Option<CheckinId>> {
    let found = conn
        .prepare_cached(
            "SELECT id FROM checkins WHERE activity_id = ?1 AND member_id = ?2 AND undone_at IS NULL",
        )?
        .query_row(params![activity.to_string(), member.to_string()], |row| {
            parse_id(row, 0)
        })
        .optional()?;
    Ok(found)
}

/// The member's live venue visit on the day, if any.
pub fn visit_on(conn: &Connection, member: MemberId, day: Date) -> Result<Option<CheckinId>> {
    let found = conn
        .prepare_cached(
            "SELECT id FROM checkins WHERE member_id = ?1 AND visit_day = ?2 AND undone_at IS NULL",
        )?
        .query_row(params![member.to_string(), day.to_string()], |row| {
            parse_id(row, 0)
        })
        .optional()?;
    Ok(found)
}

/// What an undo needs to know of a check-in.
#[derive(Debug, Clone)]
pub struct Standing {
    /// `None` for a venue visit.
    pub activity_id: Option<ActivityId>,
    pub undone: bool,
    pub source: String,
}

pub fn standing(conn: &Connection, id: CheckinId) -> Result<Option<Standing>> {
    let found = conn
        .prepare_cached(
            "SELECT activity_id, undone_at IS NOT NULL, source FROM checkins WHERE id = ?1",
        )?
        .query_row([id.to_string()], |row| {
            let activity_id = match row.get::<_, Option<String>>(0)? {
                Some(_) => Some(parse_id(row, 0)?),
                None => None,
            };
            Ok(Standing {
                activity_id,
                undone: row.get(1)?,
                source: row.get(2)?,
            })
        })
        .optional()?;
    Ok(found)
}

/// Marks a check-in undone: the row stays, with who, when and why.
pub fn mark_undone(
    conn: &Connection,
    id: CheckinId,
    staffer: &str,
    reason: &str,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE checkins SET undone_at = ?2, undone_by = ?3, undo_reason = ?4 WHERE id = ?1",
    )?
    .execute(params![id.to_string(), to_millis(now), staffer, reason])?;
    Ok(())
}

/// One line of an activity's attendance list (the phone number masked).
#[derive(Debug, Clone, Serialize)]
pub struct Attendance {
    pub checkin_id: CheckinId,
    pub member_id: MemberId,
    pub name: String,
    pub employer: String,
    pub phone_masked: String,
    /// The check-in's [`Source`] code, named `method` in the attendance JSON the API answers.
    #[serde(rename = "method")]
    pub source: String,
    pub device: String,
    /// Shown by the HTTP layer in the home's time zone.
    #[serde(skip)]
    pub at: Timestamp,
}

/// Who is counted for an activity, in order of arrival.
pub fn attendance(conn: &Connection, activity: ActivityId) -> Result<Vec<Attendance>> {
    let mut statement = conn.prepare_cached(
        "SELECT c.id, m.id, m.name, m.employer, m.phone, c.source, c.device, c.at \
         FROM checkins c JOIN members m ON m.id = c.member_id \
         WHERE c.activity_id = ?1 AND c.undone_at IS NULL ORDER BY c.seq",
    )?;
    let rows = statement
        .query_map([activity.to_string()], |row| {
            let phone: String = row.get(4)?;
            Ok(Attendance {
                checkin_id: parse_id(row, 0)?,
                member_id: parse_id(row, 1)?,
                name: row.get(2)?,
                employer: row.get(3)?,
                phone_masked: mask_phone(&phone),
                source: row.get(5)?,
                device: row.get(6)?,
                at: from_millis(row.get(7)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Venue visits (check-ins with no activity) on each day from `from` to `until`.
pub fn visits_between(conn: &Connection, from: Date, until: Date) -> Result<u32> {
    let count = conn
        .prepare_cached("SELECT count(*) FROM checkins WHERE visit_day >= ?1 AND visit_day < ?2 AND undone_at IS NULL")?
        .query_row([from.to_string(), until.to_string()], |row| row.get(0))?;
    Ok(count)
}
