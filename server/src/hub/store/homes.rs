//! The hub's SQL for what the association keeps about each home: its registration details, its
//! life cycle and yearly ratings, and the views of one home's synced activities and refusals
//! that the staff pages show.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::hub::profile::{HomeDetails, HomeKind, Rating};
use crate::store::{Result, StoreError, from_millis, to_millis};

/// A registered home: what staff set, and where its enrolment and sync stand.
#[derive(Debug, Clone)]
pub struct HomeProfile {
    pub id: String,
    pub details: HomeDetails,
    pub enrolled_at: Option<Timestamp>,
    pub last_push_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl HomeProfile {
    pub fn enrolled(&self) -> bool {
        self.enrolled_at.is_some()
    }
}

const PROFILE_COLUMNS: &str = "id, name, host_unit, kind, address, contact, applied_on, awarded_on, \
     CASE WHEN public_key IS NULL THEN NULL ELSE coalesce(enrolled_at, created_at) END, \
     last_push_at, created_at";

fn profile_from(row: &Row<'_>) -> rusqlite::Result<HomeProfile> {
    let day = |text: Option<String>| text.and_then(|t| t.parse::<Date>().ok());
    Ok(HomeProfile {
        id: row.get(0)?,
        details: HomeDetails {
            name: row.get(1)?,
            host_unit: row.get(2)?,
            kind: HomeKind::from_code(&row.get::<_, String>(3)?),
            address: row.get(4)?,
            contact: row.get(5)?,
            applied_on: day(row.get(6)?),
            awarded_on: day(row.get(7)?),
        },
        enrolled_at: row.get::<_, Option<i64>>(8)?.map(from_millis),
        last_push_at: row.get::<_, Option<i64>>(9)?.map(from_millis),
        created_at: from_millis(row.get(10)?),
    })
}

fn day_text(date: Option<Date>) -> Option<String> {
    date.map(|d| d.to_string())
}

/// Registers a home with the hash of its one-time enrolment code and the code's expiry.
pub fn insert(
    conn: &Connection,
    id: &str,
    details: &HomeDetails,
    code: &CodeHash,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO homes (id, name, host_unit, kind, address, contact, applied_on, awarded_on, \
         enrol_code_hash, enrol_code_expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        id,
        details.name,
        details.host_unit,
        details.kind.code(),
        details.address,
        details.contact,
        day_text(details.applied_on),
        day_text(details.awarded_on),
        code.hash,
        to_millis(code.expires_at),
        to_millis(now),
    ])?;
    Ok(())
}

/// What the hub keeps of an enrolment code: its hash and when it stops working.
#[derive(Debug, Clone)]
pub struct CodeHash {
    pub hash: String,
    pub expires_at: Timestamp,
}

/// Gives a home that has not enrolled yet a new code in place of its old one (lost, or
/// expired). False if the home has enrolled: its code is spent and it needs none.
pub fn replace_code(conn: &Connection, id: &str, code: &CodeHash) -> Result<bool> {
    get(conn, id)?;
    let changed = conn
        .prepare_cached(
            "UPDATE homes SET enrol_code_hash = ?2, enrol_code_expires_at = ?3 \
             WHERE id = ?1 AND public_key IS NULL",
        )?
        .execute(params![id, code.hash, to_millis(code.expires_at)])?;
    Ok(changed == 1)
}

/// The ids of the homes named exactly `name`.
pub fn ids_named(conn: &Connection, name: &str) -> Result<Vec<String>> {
    let mut statement = conn.prepare_cached("SELECT id FROM homes WHERE name = ?1 ORDER BY id")?;
    let rows = statement.query_map([name], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: &str) -> Result<HomeProfile> {
    conn.prepare_cached(&format!(
        "SELECT {PROFILE_COLUMNS} FROM homes WHERE id = ?1"
    ))?
    .query_row([id], profile_from)
    .optional()?
    .ok_or(StoreError::NotFound)
}

/// Every registered home, by name.
pub fn list(conn: &Connection) -> Result<Vec<HomeProfile>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {PROFILE_COLUMNS} FROM homes ORDER BY name, id"
    ))?;
    let rows = statement.query_map([], profile_from)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn update(conn: &Connection, id: &str, details: &HomeDetails) -> Result<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE homes SET name = ?2, host_unit = ?3, kind = ?4, address = ?5, contact = ?6, \
             applied_on = ?7, awarded_on = ?8 WHERE id = ?1",
        )?
        .execute(params![
            id,
            details.name,
            details.host_unit,
            details.kind.code(),
            details.address,
            details.contact,
            day_text(details.applied_on),
            day_text(details.awarded_on),
        ])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The association's rating of one home for one year.
#[derive(Debug, Clone)]
pub struct RatingEntry {
    pub home_id: String,
    pub year: i16,
    pub rating: Rating,
    pub decided_by: String,
    pub decided_at: Timestamp,
}

fn rating_from(row: &Row<'_>) -> rusqlite::Result<Option<RatingEntry>> {
    let (home_id, year, code, decided_by, decided_at): (String, i16, String, String, i64) = (
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    );
    Ok(Rating::from_code(&code).map(|rating| RatingEntry {
        home_id,
        year,
        rating,
        decided_by,
        decided_at: from_millis(decided_at),
    }))
}

/// Rates a year of a home; a second rating of the same year replaces the first.
pub fn rate(
    conn: &Connection,
    home: &str,
    year: i16,
    rating: Rating,
    staffer: &str,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO ratings (home_id, year, rating, decided_by, decided_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (home_id, year) DO UPDATE SET \
           rating = excluded.rating, decided_by = excluded.decided_by, decided_at = excluded.decided_at",
    )?
    .execute(params![home, year, rating.code(), staffer, to_millis(now)])?;
    Ok(())
}

/// Withdraws a rating; whether there was one.
pub fn unrate(conn: &Connection, home: &str, year: i16) -> Result<bool> {
    let removed = conn
        .prepare_cached("DELETE FROM ratings WHERE home_id = ?1 AND year = ?2")?
        .execute(params![home, year])?;
    Ok(removed > 0)
}

/// One home's ratings, newest year first.
pub fn ratings_of(conn: &Connection, home: &str) -> Result<Vec<RatingEntry>> {
    let mut statement = conn.prepare_cached(
        "SELECT home_id, year, rating, decided_by, decided_at FROM ratings WHERE home_id = ?1 \
         ORDER BY year DESC",
    )?;
    let rows = statement.query_map([home], rating_from)?;
    Ok(rows
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// Every home's rating of `year`, by home id.
pub fn ratings_in(conn: &Connection, year: i16) -> Result<HashMap<String, RatingEntry>> {
    let mut statement = conn.prepare_cached(
        "SELECT home_id, year, rating, decided_by, decided_at FROM ratings WHERE year = ?1",
    )?;
    let rows = statement.query_map([year], rating_from)?;
    Ok(rows
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .map(|entry| (entry.home_id.clone(), entry))
        .collect())
}

/// The years the association has rated any home in, newest first.
pub fn rated_years(conn: &Connection) -> Result<Vec<i16>> {
    let mut statement =
        conn.prepare_cached("SELECT DISTINCT year FROM ratings ORDER BY year DESC")?;
    let rows = statement.query_map([], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The association's latest decision on an activity.
#[derive(Debug, Clone)]
pub struct DecisionEntry {
    pub approved: bool,
    pub comment: String,
    pub decided_at: String,
    pub decided_by: String,
}

/// An activity a home synced, as the association reviews it.
#[derive(Debug, Clone)]
pub struct SyncedActivity {
    pub id: String,
    pub title: String,
    pub category: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub cancelled: bool,
    pub filing: String,
    pub participants: u32,
    pub manual: u32,
    pub decision: Option<DecisionEntry>,
}

/// A home's activities starting in `[from, until)`, with their attendance and the latest
/// decision on each.
pub fn activities_of(
    conn: &Connection,
    home: &str,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<SyncedActivity>> {
    let mut decisions: HashMap<String, DecisionEntry> = HashMap::new();
    let mut statement = conn.prepare_cached(
        "SELECT activity_id, approved, comment, decided_at, decided_by FROM decisions \
         WHERE home_id = ?1 ORDER BY decided_at",
    )?;
    let rows = statement.query_map([home], |row| {
        Ok((
            row.get::<_, String>(0)?,
            DecisionEntry {
                approved: row.get(1)?,
                comment: row.get(2)?,
                decided_at: row.get(3)?,
                decided_by: row.get(4)?,
            },
        ))
    })?;
    for row in rows {
        let (activity, decision) = row?;
        decisions.insert(activity, decision);
    }
    let mut statement = conn.prepare_cached(
        "SELECT a.id, a.title, a.category, a.starts_at, a.ends_at, a.cancelled, a.filing, \
         count(DISTINCT c.member_id), \
         count(DISTINCT CASE WHEN c.source = 'manual' THEN c.member_id END) \
         FROM activities a LEFT JOIN checkins c \
           ON c.home_id = a.home_id AND c.activity_id = a.id AND c.undone = 0 \
         WHERE a.home_id = ?1 AND a.starts_at >= ?2 AND a.starts_at < ?3 \
         GROUP BY a.id ORDER BY a.starts_at, a.id",
    )?;
    let rows = statement.query_map(params![home, to_millis(from), to_millis(until)], |row| {
        Ok(SyncedActivity {
            id: row.get(0)?,
            title: row.get(1)?,
            category: row.get(2)?,
            starts_at: from_millis(row.get(3)?),
            ends_at: from_millis(row.get(4)?),
            cancelled: row.get(5)?,
            filing: row.get(6)?,
            participants: row.get(7)?,
            manual: row.get(8)?,
            decision: None,
        })
    })?;
    let mut activities = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for activity in &mut activities {
        activity.decision = decisions.remove(&activity.id);
    }
    Ok(activities)
}

/// A refused push, with the name of the home it claimed to come from.
#[derive(Debug, Clone)]
pub struct Refused {
    pub home_id: Option<String>,
    pub home_name: Option<String>,
    pub at: Timestamp,
    pub reason: String,
}

/// The latest refusals, of one home or of all; a reason repeated within a minute reads
/// "… 等 N 次" (see `hub::store::refuse`).
pub fn refusals(conn: &Connection, home: Option<&str>, limit: u32) -> Result<Vec<Refused>> {
    let mut statement = conn.prepare_cached(
        "SELECT r.home_id, h.name, r.at, \
         CASE WHEN r.times > 1 THEN r.reason || ' 等 ' || r.times || ' 次' ELSE r.reason END \
         FROM refusals r \
         LEFT JOIN homes h ON h.id = r.home_id \
         WHERE ?1 IS NULL OR r.home_id = ?1 ORDER BY r.seq DESC LIMIT ?2",
    )?;
    let rows = statement.query_map(params![home, limit], |row| {
        Ok(Refused {
            home_id: row.get(0)?,
            home_name: row.get(1)?,
            at: from_millis(row.get(2)?),
            reason: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A published notice, with who published it.
#[derive(Debug, Clone)]
pub struct NoticeEntry {
    pub seq: i64,
    pub title: String,
    pub body: String,
    pub published_at: String,
    pub published_by: String,
}

/// The latest notices, newest first.
pub fn notices(conn: &Connection, limit: u32) -> Result<Vec<NoticeEntry>> {
    let mut statement = conn.prepare_cached(
        "SELECT seq, title, body, published_at, published_by FROM notices \
         ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = statement.query_map([limit], |row| {
        Ok(NoticeEntry {
            seq: row.get(0)?,
            title: row.get(1)?,
            body: row.get(2)?,
            published_at: row.get(3)?,
            published_by: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
