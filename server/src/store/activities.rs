//! Activities and their live participant counts.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::changelog;
use super::{Result, StoreError, from_millis, parse_id, to_millis};
use crate::domain::activity::{
    Activity, ActivityDraft, Category, CheckinWindow, Filing, Override, Schedule,
};
use crate::domain::ids::ActivityId;

const COLUMNS: &str = "id, title, category, starts_at, ends_at, opens_before_min, closes_after_min, location, \
                       speaker, organiser, description, override_state, filing, participants, \
                       manual_participants, created_at";

pub fn insert(conn: &Connection, draft: &ActivityDraft, now: Timestamp) -> Result<Activity> {
    let id = ActivityId::new();
    conn.prepare_cached(
        "INSERT INTO activities (id, title, category, starts_at, ends_at, opens_before_min, closes_after_min, \
         location, speaker, organiser, description, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
    )?
    .execute(params![
        id.to_string(),
        draft.title,
        draft.category.code(),
        to_millis(draft.schedule.starts_at()),
        to_millis(draft.schedule.ends_at()),
        draft.window.opens_before_min(),
        draft.window.closes_after_min(),
        draft.location,
        draft.speaker,
        draft.organiser,
        draft.description,
        to_millis(now),
    ])?;
    changelog::activity(conn, id, now)?;
    get(conn, id)
}

pub fn save_details(
    conn: &Connection,
    id: ActivityId,
    draft: &ActivityDraft,
    now: Timestamp,
) -> Result<Activity> {
    let changed = conn
        .prepare_cached(
            "UPDATE activities SET title = ?2, category = ?3, starts_at = ?4, ends_at = ?5, opens_before_min = ?6, \
             closes_after_min = ?7, location = ?8, speaker = ?9, organiser = ?10, description = ?11, updated_at = ?12 \
             WHERE id = ?1",
        )?
        .execute(params![
            id.to_string(),
            draft.title,
            draft.category.code(),
            to_millis(draft.schedule.starts_at()),
            to_millis(draft.schedule.ends_at()),
            draft.window.opens_before_min(),
            draft.window.closes_after_min(),
            draft.location,
            draft.speaker,
            draft.organiser,
            draft.description,
            to_millis(now),
        ])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    changelog::activity(conn, id, now)?;
    get(conn, id)
}

pub fn get(conn: &Connection, id: ActivityId) -> Result<Activity> {
    let sql = format!("SELECT {COLUMNS} FROM activities WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id.to_string()], activity_from_row)
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// Activities starting in `[from, until)`, in order of their start.
pub fn starting_between(
    conn: &Connection,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<Activity>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM activities WHERE starts_at >= ?1 AND starts_at < ?2 ORDER BY starts_at, id"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let activities = statement
        .query_map([to_millis(from), to_millis(until)], activity_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(activities)
}

/// Every activity whose check-in might be open at `now`: opened by hand, or with a window near
/// enough (windows reach at most a day beyond the schedule). The domain decides exactly.
pub fn candidates_at(conn: &Connection, now: Timestamp) -> Result<Vec<Activity>> {
    let reach = SignedDuration::from_mins(i64::from(CheckinWindow::MAX_MINUTES));
    let sql = format!(
        "SELECT {COLUMNS} FROM activities WHERE override_state = 'open' \
         OR (override_state IS NULL AND starts_at <= ?1 AND ends_at >= ?2) ORDER BY starts_at, id"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let activities = statement
        .query_map(
            [to_millis(now + reach), to_millis(now - reach)],
            activity_from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(activities)
}

pub fn set_override(
    conn: &Connection,
    id: ActivityId,
    state: Override,
    now: Timestamp,
) -> Result<Activity> {
    conn.prepare_cached(
        "UPDATE activities SET override_state = ?2, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![id.to_string(), state.code(), to_millis(now)])?;
    changelog::activity(conn, id, now)?;
    get(conn, id)
}

/// Drops a staffer's override: the schedule decides again.
pub fn clear_override(conn: &Connection, id: ActivityId, now: Timestamp) -> Result<Activity> {
    conn.prepare_cached(
        "UPDATE activities SET override_state = NULL, updated_at = ?2 WHERE id = ?1",
    )?
    .execute(params![id.to_string(), to_millis(now)])?;
    changelog::activity(conn, id, now)?;
    get(conn, id)
}

pub fn set_filing(
    conn: &Connection,
    id: ActivityId,
    filing: Filing,
    now: Timestamp,
) -> Result<Activity> {
    conn.prepare_cached("UPDATE activities SET filing = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id.to_string(), filing.code(), to_millis(now)])?;
    changelog::activity(conn, id, now)?;
    get(conn, id)
}

/// Keeps the participant counters in step with the check-ins table, in the same transaction.
pub fn count_participant(
    conn: &Connection,
    id: ActivityId,
    delta: i64,
    manual: bool,
) -> Result<u32> {
    let manual_delta = if manual { delta } else { 0 };
    let participants: u32 = conn
        .prepare_cached(
            "UPDATE activities SET participants = participants + ?2, \
             manual_participants = manual_participants + ?3 WHERE id = ?1 RETURNING participants",
        )?
        .query_row(params![id.to_string(), delta, manual_delta], |row| {
            row.get(0)
        })?;
    Ok(participants)
}

fn activity_from_row(row: &Row<'_>) -> rusqlite::Result<Activity> {
    let bad = |index: usize, what: &str| {
        rusqlite::Error::InvalidColumnType(index, what.into(), rusqlite::types::Type::Text)
    };
    let category: String = row.get(2)?;
    let override_state: Option<String> = row.get(11)?;
    let filing: String = row.get(12)?;
    let schedule = Schedule::new(from_millis(row.get(3)?), from_millis(row.get(4)?))
        .map_err(|_| bad(3, "schedule"))?;
    let window = CheckinWindow::new(row.get(5)?, row.get(6)?).map_err(|_| bad(5, "window"))?;
    Ok(Activity {
        id: parse_id(row, 0)?,
        title: row.get(1)?,
        category: Category::parse(&category).map_err(|_| bad(2, "category"))?,
        schedule,
        window,
        location: row.get(7)?,
        speaker: row.get(8)?,
        organiser: row.get(9)?,
        description: row.get(10)?,
        override_state: override_state
            .as_deref()
            .map(|s| Override::from_code(s).ok_or_else(|| bad(11, "override")))
            .transpose()?,
        filing: Filing::from_code(&filing).ok_or_else(|| bad(12, "filing"))?,
        participants: row.get(13)?,
        manual_participants: row.get(14)?,
        created_at: from_millis(row.get(15)?),
    })
}

/// The few lines the staffer writes after the activity, for the ledger.
pub fn summary(conn: &Connection, id: ActivityId) -> Result<Option<String>> {
    let found: Option<Option<String>> = conn
        .prepare_cached("SELECT summary FROM activities WHERE id = ?1")?
        .query_row([id.to_string()], |row| row.get(0))
        .optional()?;
    found.ok_or(StoreError::NotFound)
}

pub fn set_summary(
    conn: &Connection,
    id: ActivityId,
    summary: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    let changed = conn
        .prepare_cached("UPDATE activities SET summary = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id.to_string(), summary, to_millis(now)])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
