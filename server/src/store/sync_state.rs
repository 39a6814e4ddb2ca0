//! The home's enrolment with the hub, its sync cursor, and what the hub sent back (filing
//! decisions, notices).

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, StoreError, activities, from_millis, to_millis};
use crate::domain::activity::Filing;
use crate::domain::ids::ActivityId;
use crate::wire::{Decision, Notice};

#[derive(Debug, Clone)]
pub struct Enrolment {
    pub hub_url: String,
    pub home_id: String,
    pub home_name: String,
    pub secret_key: [u8; 32],
    pub phone_key: [u8; 32],
    pub acked_seq: i64,
    pub notices_after: i64,
}

#[derive(Debug, Clone, Default)]
pub struct SyncHealth {
    pub last_attempt: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_error: Option<String>,
}

pub fn enrol(conn: &Connection, enrolment: &Enrolment, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_state (id, hub_url, home_id, home_name, secret_key, phone_key, acked_seq, \
         notices_after, enrolled_at) VALUES (1, ?1, ?2, ?3, ?4, ?5, 0, 0, ?6)",
    )?
    .execute(params![
        enrolment.hub_url,
        enrolment.home_id,
        enrolment.home_name,
        enrolment.secret_key.as_slice(),
        enrolment.phone_key.as_slice(),
        to_millis(now)
    ])
    .map_err(|e| match StoreError::from(e) {
        e if e.is_unique_violation() => {
            crate::domain::Conflict("本馆已登记到科协平台，不能重复登记".into()).into()
        }
        e => e,
    })?;
    Ok(())
}

pub fn enrolment(conn: &Connection) -> Result<Option<Enrolment>> {
    let found = conn
        .prepare_cached(
            "SELECT hub_url, home_id, home_name, secret_key, phone_key, acked_seq, notices_after \
             FROM sync_state WHERE id = 1",
        )?
        .query_row([], |row| {
            let secret: Vec<u8> = row.get(3)?;
            let phone: Vec<u8> = row.get(4)?;
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                secret,
                phone,
                row.get::<_, i64>(5)?,
                row.get::<_, i64>(6)?,
            ))
        })
        .optional()?;
    let Some((hub_url, home_id, home_name, secret, phone, acked_seq, notices_after)) = found else {
        return Ok(None);
    };
    let key = |bytes: Vec<u8>| -> Result<[u8; 32]> {
        bytes
            .try_into()
            .map_err(|_| StoreError::Commit("the stored sync key is damaged".into()))
    };
    Ok(Some(Enrolment {
        hub_url,
        home_id,
        home_name,
        secret_key: key(secret)?,
        phone_key: key(phone)?,
        acked_seq,
        notices_after,
    }))
}

pub fn health(conn: &Connection) -> Result<SyncHealth> {
    let found = conn
        .prepare_cached(
            "SELECT last_attempt, last_success, last_error FROM sync_state WHERE id = 1",
        )?
        .query_row([], |row| {
            Ok(SyncHealth {
                last_attempt: row.get::<_, Option<i64>>(0)?.map(from_millis),
                last_success: row.get::<_, Option<i64>>(1)?.map(from_millis),
                last_error: row.get(2)?,
            })
        })
        .optional()?;
    Ok(found.unwrap_or_default())
}

/// The hub holds everything up to `acked_seq`.
pub fn acknowledged(conn: &Connection, acked_seq: i64, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE sync_state SET acked_seq = ?1, last_attempt = ?2, last_success = ?2, last_error = NULL \
         WHERE id = 1",
    )?
    .execute(params![acked_seq, to_millis(now)])?;
    Ok(())
}

/// The hub refused and says where to resume (a gap after a restore, say).
pub fn resume_from(conn: &Connection, acked_seq: i64) -> Result<()> {
    conn.prepare_cached("UPDATE sync_state SET acked_seq = ?1 WHERE id = 1")?
        .execute([acked_seq])?;
    Ok(())
}

pub fn failed(conn: &Connection, error: &str, now: Timestamp) -> Result<()> {
    conn.prepare_cached("UPDATE sync_state SET last_attempt = ?1, last_error = ?2 WHERE id = 1")?
        .execute(params![to_millis(now), error])?;
    Ok(())
}

/// Applies a filing decision once (the hub repeats them until told otherwise).
pub fn apply_decision(conn: &Connection, decision: &Decision, now: Timestamp) -> Result<bool> {
    let Ok(activity) = decision.activity_id.parse::<ActivityId>() else {
        return Ok(false);
    };
    let fresh = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO applied_decisions (activity_id, decided_at) VALUES (?1, ?2)",
        )?
        .execute(params![decision.activity_id, decision.decided_at])?;
    if fresh == 0 {
        return Ok(false);
    }
    let filing = if decision.approved {
        Filing::Approved
    } else {
        Filing::Rejected
    };
    match activities::set_filing(conn, activity, filing, now) {
        Ok(_) => {}
        // A decision on an activity this home no longer has changes nothing.
        Err(StoreError::NotFound) => return Ok(false),
        Err(other) => return Err(other),
    }
    conn.prepare_cached("UPDATE activities SET filing_comment = ?2 WHERE id = ?1")?
        .execute(params![decision.activity_id, decision.comment])?;
    Ok(true)
}

pub fn add_notice(conn: &Connection, notice: &Notice, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO notices (seq, title, body, published_at, received_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        notice.seq,
        notice.title,
        notice.body,
        notice.published_at,
        to_millis(now)
    ])?;
    conn.prepare_cached(
        "UPDATE sync_state SET notices_after = max(notices_after, ?1) WHERE id = 1",
    )?
    .execute([notice.seq])?;
    Ok(())
}

/// The newest notice from the association, if any.
pub fn newest_notice(conn: &Connection) -> Result<Option<Notice>> {
    Ok(conn
        .prepare_cached(
            "SELECT seq, title, body, published_at FROM notices ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([], |row| {
            Ok(Notice {
                seq: row.get(0)?,
                title: row.get(1)?,
                body: row.get(2)?,
                published_at: row.get(3)?,
            })
        })
        .optional()?)
}

/// The association's decision on a filed activity, as the home applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingDecision {
    pub activity_id: ActivityId,
    pub title: String,
    /// `Approved` or `Rejected`.
    pub filing: Filing,
    pub comment: String,
    /// When the hub decided (`None` if its text did not parse).
    pub decided_at: Option<Timestamp>,
}

/// The decision behind an activity's filing state, while that state is approved or rejected
/// (once the staffer files again, the activity waits for a new decision and shows none).
pub fn filing_decision(conn: &Connection, id: ActivityId) -> Result<Option<FilingDecision>> {
    Ok(filing_decisions(conn, Some(id))?.pop())
}

/// Every activity's standing decision (see [`filing_decision`]), newest decision first.
pub fn standing_decisions(conn: &Connection) -> Result<Vec<FilingDecision>> {
    filing_decisions(conn, None)
}

fn filing_decisions(conn: &Connection, only: Option<ActivityId>) -> Result<Vec<FilingDecision>> {
    let mut statement = conn.prepare_cached(
        "SELECT a.id, a.title, a.filing, coalesce(a.filing_comment, ''), d.decided_at \
         FROM activities a JOIN applied_decisions d ON d.activity_id = a.id \
         WHERE a.filing IN ('approved', 'rejected') AND (?1 IS NULL OR a.id = ?1)",
    )?;
    let rows = statement.query_map([only.map(|id| id.to_string())], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
        ))
    })?;
    // One activity may hold several applied decisions (a rejection, then an approval after it
    // was filed again): the newest one stands.
    let mut newest: Vec<FilingDecision> = Vec::new();
    for row in rows {
        let (id, title, filing, comment, decided_at) = row?;
        let (Ok(activity_id), Some(filing)) =
            (id.parse::<ActivityId>(), Filing::from_code(&filing))
        else {
            continue;
        };
        let decided_at = decided_at.parse::<Timestamp>().ok();
        match newest.iter_mut().find(|d| d.activity_id == activity_id) {
            Some(known) if known.decided_at >= decided_at => {}
            Some(known) => known.decided_at = decided_at,
            None => newest.push(FilingDecision {
                activity_id,
                title,
                filing,
                comment,
                decided_at,
            }),
        }
    }
    newest.sort_by_key(|d| std::cmp::Reverse(d.decided_at));
    Ok(newest)
}

/// The filing decision's comment on an activity, if any.
pub fn filing_comment(conn: &Connection, id: ActivityId) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT filing_comment FROM activities WHERE id = ?1")?
        .query_row([id.to_string()], |row| row.get(0))
        .optional()?
        .flatten())
}

/// This home's enrolment seed, made on first use.
pub fn enrol_seed(conn: &Connection) -> Result<[u8; 32]> {
    let found: Option<Vec<u8>> = conn
        .prepare_cached("SELECT seed FROM enrol_seed WHERE id = 1")?
        .query_row([], |row| row.get(0))
        .optional()?;
    if let Some(seed) = found.and_then(|s| <[u8; 32]>::try_from(s).ok()) {
        return Ok(seed);
    }
    let seed = crate::secrets::random_bytes::<32>()?;
    conn.prepare_cached("INSERT OR REPLACE INTO enrol_seed (id, seed) VALUES (1, ?1)")?
        .execute([seed.as_slice()])?;
    Ok(seed)
}
