//! Recording check-ins exactly once, undoing them, and listing an activity's attendance.
//!
//! `record` runs inside the writer's transaction, so the look-ups, the domain's decision, the
//! insert, the counter and the scan log commit together or not at all.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::members::{Identified, identify_by_card, identify_by_credential, identify_by_id};
use super::{
    Result, StoreError, activities, audit, changelog, from_millis, parse_id, scans, to_millis,
};
use crate::domain::activity::Activity;
use crate::domain::checkin::{
    ActivityBrief, Actor, Answer, MemberBrief, Method, Outcome, Resolution, resolve,
};
use crate::domain::credential::Presented;
use crate::domain::ids::{ActivityId, CheckinId, MemberId};
use crate::domain::member::MemberStatus;
use crate::domain::phone::mask_phone;
use crate::domain::{Conflict, Now};
use crate::sync::wire::Record;

/// Who is checking in: what a reader read, or a member picked on the kiosk's keypad.
#[derive(Debug, Clone)]
pub enum Presenting {
    Credential(String),
    Member(MemberId),
}

/// One scan or one staff entry, as the HTTP layer validated it.
#[derive(Debug, Clone)]
pub struct CheckinRequest {
    pub presenting: Presenting,
    pub method: Method,
    pub actor: Actor,
    /// The device's token name or the staffer's username.
    pub device: String,
    pub activity_id: Option<ActivityId>,
    pub scan_id: Option<String>,
}

/// What `record` decided.
#[derive(Debug, Clone)]
pub enum Recorded {
    Answered(Answer),
    /// Several activities are open; nothing was recorded and the device must ask.
    Choose(Vec<ActivityBrief>),
}

pub fn record(
    conn: &Connection,
    request: &CheckinRequest,
    now: impl Into<Now>,
    tz: &TimeZone,
) -> Result<Recorded> {
    let now = now.into();
    if let Some(scan_id) = &request.scan_id
        && let Some(first) = scans::answer_for(conn, &request.device, scan_id)?
    {
        return Ok(Recorded::Answered(first));
    }
    let presented = match &request.presenting {
        Presenting::Credential(text) => Some(Presented::classify(text)),
        Presenting::Member(_) => None,
    };
    let identified = match (&presented, &request.presenting) {
        (Some(Presented::Qr(text)), _) => identify_by_credential(conn, text)?,
        (Some(Presented::Card(uid)), _) => identify_by_card(conn, uid)?,
        (Some(Presented::Unrecognised(_)), _) => None,
        (None, Presenting::Member(id)) => identify_by_id(conn, *id)?,
        (None, Presenting::Credential(_)) => None,
    };
    let chosen = request
        .activity_id
        .map(|id| activities::get(conn, id))
        .transpose()?;
    let needs_candidates = chosen.is_none()
        && identified
            .as_ref()
            .is_some_and(|m| m.facts.status == MemberStatus::Active);
    let candidates = if needs_candidates {
        activities::candidates_at(conn, now.at)?
    } else {
        Vec::new()
    };
    let facts = identified.as_ref().map(|m| m.facts);
    let resolution = resolve(
        facts,
        request.method,
        request.actor,
        chosen.as_ref(),
        &candidates,
        now,
        tz,
    );
    let member = identified.map(|m: Identified| m.brief);
    let answer = match resolution {
        Resolution::Choose(ids) => {
            let briefs = candidates
                .iter()
                .filter(|a| ids.contains(&a.id))
                .map(brief)
                .collect();
            return Ok(Recorded::Choose(briefs));
        }
        Resolution::Refuse(outcome) => refused(outcome, member, chosen.as_ref()),
        Resolution::Attend(activity_id) => {
            let activity = chosen
                .iter()
                .chain(&candidates)
                .find(|a| a.id == activity_id)
                .ok_or(StoreError::NotFound)?;
            let member = member.ok_or(StoreError::NotFound)?;
            attend(conn, request, member, activity, now)?
        }
        Resolution::Visit(day) => {
            let member = member.ok_or(StoreError::NotFound)?;
            visit(conn, request, member, day, now)?
        }
    };
    scans::log(conn, request, presented.as_ref(), &answer, now.at)?;
    Ok(Recorded::Answered(answer))
}

fn refused(outcome: Outcome, member: Option<MemberBrief>, chosen: Option<&Activity>) -> Answer {
    Answer {
        // An unknown credential names nobody, even if it once belonged to an erased member.
        member: member.filter(|_| outcome != Outcome::UnknownCredential),
        activity: chosen.map(brief),
        ..Answer::new(outcome)
    }
}

fn attend(
    conn: &Connection,
    request: &CheckinRequest,
    member: MemberBrief,
    activity: &Activity,
    now: Now,
) -> Result<Answer> {
    // The partial unique index (one live check-in per member and activity) decides: a second
    // check-in is ignored, and then the first one is looked up for the answer.
    let inserted = insert(conn, request, member.id, Some(activity.id), None, now)?;
    let (outcome, checkin_id, participants) = match inserted {
        Some(id) => {
            let manual = request.method == Method::Manual;
            let participants = activities::count_participant(conn, activity.id, 1, manual)?;
            (Outcome::CheckedIn, Some(id), participants)
        }
        None => {
            let existing: Option<String> = conn
                .prepare_cached(
                    "SELECT id FROM checkins WHERE activity_id = ?1 AND member_id = ?2 AND undone_at IS NULL",
                )?
                .query_row(params![activity.id.to_string(), member.id.to_string()], |row| row.get(0))
                .optional()?;
            (
                Outcome::AlreadyCheckedIn,
                existing.and_then(|id| id.parse().ok()),
                activity.participants,
            )
        }
    };
    Ok(Answer {
        member: Some(member),
        activity: Some(brief(activity)),
        participants: Some(participants),
        checkin_id,
        ..Answer::new(outcome)
    })
}

fn visit(
    conn: &Connection,
    request: &CheckinRequest,
    member: MemberBrief,
    day: Date,
    now: Now,
) -> Result<Answer> {
    let existing: Option<String> = conn
        .prepare_cached(
            "SELECT id FROM checkins WHERE member_id = ?1 AND visit_day = ?2 AND undone_at IS NULL",
        )?
        .query_row(params![member.id.to_string(), day.to_string()], |row| {
            row.get(0)
        })
        .optional()?;
    let repeat = existing.is_some();
    let checkin_id = match existing {
        Some(id) => id.parse().ok(),
        None => insert(conn, request, member.id, None, Some(day), now)?,
    };
    Ok(Answer {
        member: Some(member),
        checkin_id,
        visit_day: Some(day),
        repeat,
        ..Answer::new(Outcome::Visit)
    })
}

/// Inserts a check-in unless the member already has a live one there (that activity, or a
/// visit that day); `None` when it was already there.
fn insert(
    conn: &Connection,
    request: &CheckinRequest,
    member: MemberId,
    activity: Option<ActivityId>,
    visit_day: Option<Date>,
    now: Now,
) -> Result<Option<CheckinId>> {
    let Now { at: now, trusted } = now;
    let id = CheckinId::new();
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO checkins (id, member_id, activity_id, visit_day, method, device, at, clock_trusted) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
        id.to_string(),
        member.to_string(),
        activity.map(|a| a.to_string()),
        visit_day.map(|d| d.to_string()),
        request.method.code(),
        request.device,
        to_millis(now),
        trusted,
    ])?;
    if inserted == 0 {
        return Ok(None);
    }
    // Logged from what was just written: the check-in path skips reading the row back.
    let record = Record::Checkin {
        id: id.to_string(),
        member_id: member.to_string(),
        activity_id: activity.map(|a| a.to_string()),
        visit_day: visit_day.map(|d| d.to_string()),
        method: request.method.code().to_owned(),
        // As stored (milliseconds), so the undo's record says the same instant.
        at: from_millis(to_millis(now)).to_string(),
        clock_trusted: trusted,
        undone: false,
    };
    changelog::append(conn, &id.to_string(), &record, now)?;
    Ok(Some(id))
}

fn brief(activity: &Activity) -> ActivityBrief {
    ActivityBrief {
        id: activity.id,
        title: activity.title.clone(),
    }
}

/// A staffer takes back a check-in (a member scanned at the wrong activity, say). The row
/// stays, marked undone, and the audit log says who, when and why.
pub fn undo(
    conn: &Connection,
    id: CheckinId,
    staffer: &str,
    reason: &str,
    now: Timestamp,
) -> Result<Option<ActivityId>> {
    let row: Option<(Option<String>, Option<i64>, String)> = conn
        .prepare_cached("SELECT activity_id, undone_at, method FROM checkins WHERE id = ?1")?
        .query_row([id.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    let (activity_id, undone_at, method) = row.ok_or(StoreError::NotFound)?;
    if undone_at.is_some() {
        return Err(Conflict("这条签到已被撤销".into()).into());
    }
    conn.prepare_cached(
        "UPDATE checkins SET undone_at = ?2, undone_by = ?3, undo_reason = ?4 WHERE id = ?1",
    )?
    .execute(params![id.to_string(), to_millis(now), staffer, reason])?;
    let activity_id = activity_id
        .map(|raw| raw.parse::<ActivityId>().map_err(|_| StoreError::NotFound))
        .transpose()?;
    if let Some(activity_id) = activity_id {
        activities::count_participant(conn, activity_id, -1, method == Method::Manual.code())?;
    }
    audit::append(
        conn,
        now,
        staffer,
        "checkin.undo",
        &id.to_string(),
        Some(reason),
        None,
    )?;
    changelog::checkin(conn, id, now)?;
    Ok(activity_id)
}

/// One line of an activity's attendance list (the phone number masked).
#[derive(Debug, Clone, Serialize)]
pub struct Attendance {
    pub checkin_id: CheckinId,
    pub member_id: MemberId,
    pub name: String,
    pub employer: String,
    pub phone_masked: String,
    pub method: String,
    pub device: String,
    /// Shown by the HTTP layer in the home's time zone.
    #[serde(skip)]
    pub at: Timestamp,
}

/// Who is counted for an activity, in order of arrival.
pub fn attendance(conn: &Connection, activity: ActivityId) -> Result<Vec<Attendance>> {
    let mut statement = conn.prepare_cached(
        "SELECT c.id, m.id, m.name, m.employer, m.phone, c.method, c.device, c.at \
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
                method: row.get(5)?,
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
