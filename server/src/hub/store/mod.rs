//! The hub's SQL: homes and their enrolment, the changes they synced and the records those
//! changes leave, decisions, notices and refusals, the evaluation's reads.
//!
//! What the association keeps about each home (details, ratings, the staff views of one home)
//! is in [`homes`].

pub mod homes;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::domain::Conflict;
use crate::domain::compliance::Tally;
use crate::domain::ids::ActivityId;
use crate::secrets;
use crate::store::{Result, StoreError, from_millis, to_millis};
use crate::wire::chain::GENESIS;
use crate::wire::{Change, Decision, MemberPhoneHash, Notice, Personal, Record};

/// The association's phone-hashing key, made on first use. It is the salt of the slow phone
/// hash (`wire::phone`), handed to every home, so it is no secret: the cost of each guess is
/// what keeps the numbers out of reach of whoever copies this database.
pub fn phone_key(conn: &Connection) -> Result<[u8; 32]> {
    let found: Option<Vec<u8>> = conn
        .prepare_cached("SELECT phone_key FROM hub_settings WHERE id = 1")?
        .query_row([], |row| row.get(0))
        .optional()?;
    if let Some(key) = found.and_then(|k| <[u8; 32]>::try_from(k).ok()) {
        return Ok(key);
    }
    let key = secrets::random_bytes::<32>()?;
    conn.prepare_cached("INSERT OR REPLACE INTO hub_settings (id, phone_key) VALUES (1, ?1)")?
        .execute([key.as_slice()])?;
    Ok(key)
}

/// What became of a one-time code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enrolled {
    /// The home's id and name.
    Home(String, String),
    /// No home has this code, or another key has used it.
    Unknown,
    /// The code is right but past its lifetime; the association must issue a new one.
    Expired,
}

/// Takes a one-time code with the home's public key. The same code with the same key answers
/// again, even after the code's lifetime (a home whose first answer was lost in transit
/// retries); with another key it is refused.
pub fn enrol(
    conn: &Connection,
    code_hash: &str,
    public_key: &str,
    now: Timestamp,
) -> Result<Enrolled> {
    type Found = (String, String, Option<String>, Option<i64>);
    let found: Option<Found> = conn
        .prepare_cached(
            "SELECT id, name, public_key, enrol_code_expires_at FROM homes \
             WHERE enrol_code_hash = ?1",
        )?
        .query_row([code_hash], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()?;
    match found {
        Some((_, _, None, Some(expires))) if to_millis(now) >= expires => Ok(Enrolled::Expired),
        Some((id, name, None, _)) => {
            conn.prepare_cached(
                "UPDATE homes SET public_key = ?2, enrolled_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, public_key, to_millis(now)])?;
            Ok(Enrolled::Home(id, name))
        }
        Some((id, name, Some(key), _)) if key == public_key => Ok(Enrolled::Home(id, name)),
        _ => Ok(Enrolled::Unknown),
    }
}

/// The home's public key, if the home exists and is enrolled.
pub fn public_key(conn: &Connection, home: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT public_key FROM homes WHERE id = ?1")?
        .query_row([home], |row| row.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

pub fn acked(conn: &Connection, home: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM changes WHERE home_id = ?1")?
        .query_row([home], |row| row.get(0))?)
}

pub fn hash_at(conn: &Connection, home: &str, seq: i64) -> Result<Option<String>> {
    if seq == 0 {
        return Ok(Some(GENESIS.to_owned()));
    }
    Ok(conn
        .prepare_cached("SELECT hash FROM changes WHERE home_id = ?1 AND seq = ?2")?
        .query_row(params![home, seq], |row| row.get(0))
        .optional()?)
}

/// Stores verified changes and the records they leave (the latest change of a record wins).
/// Phone hashes are kept only when `phone_hashes_kept` (the batch says they are of the slow
/// kind); a home of an older kejia sends fast ones, which are dropped.
pub fn take_in(
    conn: &Connection,
    home: &str,
    changes: &[Change],
    phone_hashes_kept: bool,
    now: Timestamp,
) -> Result<()> {
    for change in changes {
        conn.prepare_cached(
            "INSERT INTO changes (home_id, seq, hash, record) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![home, change.seq, change.hash, change.record])?;
        let record = change.parsed_record().map_err(|e| {
            StoreError::Invalid(crate::domain::Invalid::new("record", e.to_string()))
        })?;
        upsert(
            conn,
            home,
            &record,
            change.personal.as_ref(),
            phone_hashes_kept,
        )?;
    }
    conn.prepare_cached("UPDATE homes SET last_push_at = ?2 WHERE id = ?1")?
        .execute(params![home, to_millis(now)])?;
    Ok(())
}

/// Sets the phone hashes a home sent outside its chain, for members the hub holds and that
/// are not erased.
pub fn set_phone_hashes(conn: &Connection, home: &str, sent: &[MemberPhoneHash]) -> Result<()> {
    for hash in sent {
        conn.prepare_cached(
            "UPDATE members SET phone_hash = ?3 WHERE home_id = ?1 AND id = ?2 AND status != 'erased'",
        )?
        .execute(params![home, hash.member_id, hash.phone_hash])?;
    }
    Ok(())
}

fn upsert(
    conn: &Connection,
    home: &str,
    record: &Record,
    personal: Option<&Personal>,
    phone_hashes_kept: bool,
) -> Result<()> {
    match record {
        Record::Member {
            id,
            status,
            consent_share,
            ..
        } => {
            let personal = personal.filter(|_| status != "erased");
            conn.prepare_cached(
                "INSERT OR REPLACE INTO members (home_id, id, status, consent_share, name, employer, phone_hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                home,
                id,
                status,
                consent_share,
                personal.and_then(|p| p.name.as_deref()).filter(|_| *consent_share),
                personal.and_then(|p| p.employer.as_deref()).filter(|_| *consent_share),
                personal
                    .filter(|_| phone_hashes_kept)
                    .map(|p| p.phone_hash.as_str()),
            ])?;
        }
        Record::Activity {
            id,
            title,
            category,
            starts_at,
            ends_at,
            cancelled,
            filing,
            checkin_closed,
        } => {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO activities (home_id, id, title, category, starts_at, ends_at, cancelled, filing, checkin_closed) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                home,
                id,
                title,
                category,
                millis(starts_at)?,
                millis(ends_at)?,
                cancelled,
                filing,
                checkin_closed
            ])?;
        }
        Record::Checkin {
            id,
            member_id,
            activity_id,
            visit_day,
            source,
            at,
            clock_trusted,
            undone,
        } => {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO checkins (home_id, id, member_id, activity_id, visit_day, source, at, clock_trusted, undone) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                home,
                id,
                member_id,
                activity_id,
                visit_day,
                source,
                millis(at)?,
                clock_trusted,
                undone
            ])?;
        }
    }
    Ok(())
}

fn millis(text: &str) -> Result<i64> {
    text.parse::<Timestamp>()
        .map(to_millis)
        .map_err(|e| StoreError::Invalid(crate::domain::Invalid::new("record", e.to_string())))
}

pub fn decisions(conn: &Connection, home: &str) -> Result<Vec<Decision>> {
    let mut statement = conn.prepare_cached(
        "SELECT activity_id, approved, comment, decided_at FROM decisions WHERE home_id = ?1 ORDER BY decided_at",
    )?;
    let rows = statement.query_map([home], |row| {
        Ok(Decision {
            activity_id: row.get(0)?,
            approved: row.get(1)?,
            comment: row.get(2)?,
            decided_at: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn decide(conn: &Connection, home: &str, decision: &Decision, staffer: &str) -> Result<()> {
    let known: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM activities WHERE home_id = ?1 AND id = ?2")?
        .query_row(params![home, decision.activity_id], |row| row.get(0))
        .optional()?;
    if known.is_none() {
        return Err(StoreError::NotFound);
    }
    conn.prepare_cached(
        "INSERT INTO decisions (home_id, activity_id, approved, comment, decided_at, decided_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        home,
        decision.activity_id,
        decision.approved,
        decision.comment,
        decision.decided_at,
        staffer
    ])
    .map_err(|e| match StoreError::from(e) {
        e if e.is_unique_violation() => Conflict("刚刚已作出相同的审批".into()).into(),
        e => e,
    })?;
    // The hub's copy follows its own decision at once; the home's next push (after it applied
    // the decision) carries the same filing.
    let filing = if decision.approved {
        "approved"
    } else {
        "rejected"
    };
    conn.prepare_cached("UPDATE activities SET filing = ?3 WHERE home_id = ?1 AND id = ?2")?
        .execute(params![home, decision.activity_id, filing])?;
    Ok(())
}

pub fn notices_after(conn: &Connection, after: i64) -> Result<Vec<Notice>> {
    let mut statement = conn.prepare_cached(
        "SELECT seq, title, body, published_at FROM notices WHERE seq > ?1 ORDER BY seq",
    )?;
    let rows = statement.query_map([after], |row| {
        Ok(Notice {
            seq: row.get(0)?,
            title: row.get(1)?,
            body: row.get(2)?,
            published_at: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn publish(
    conn: &Connection,
    title: &str,
    body: &str,
    published_at: &str,
    staffer: &str,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO notices (title, body, published_at, published_by) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![title, body, published_at, staffer])?;
    Ok(conn.last_insert_rowid())
}

/// New refusal rows a home gets per minute at most; more in the same minute are counted on the
/// newest row with the same reason.
pub const REFUSALS_PER_MINUTE: i64 = 5;
/// Refusal rows kept per home (the newest); older ones are deleted in the same write.
pub const REFUSALS_KEPT_PER_HOME: i64 = 100;

/// Whether [`refuse`] added a row or counted the refusal on an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Added,
    Counted,
}

/// Records a refused push. Bad signatures need no key, so anyone can send them for a known
/// home as fast as the hub answers: a home gets at most [`REFUSALS_PER_MINUTE`] new rows a
/// minute (the rest raise the count of the newest row with the same reason) and keeps its
/// newest [`REFUSALS_KEPT_PER_HOME`], so the table stays small and a real refusal after a
/// flood is still on top.
pub fn refuse(
    conn: &Connection,
    home: Option<&str>,
    reason: &str,
    now: Timestamp,
) -> Result<Recorded> {
    let at = to_millis(now);
    let recent: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM refusals WHERE home_id IS ?1 AND at > ?2 - 60000 AND at <= ?2",
        )?
        .query_row(params![home, at], |row| row.get(0))?;
    if recent >= REFUSALS_PER_MINUTE {
        let counted = conn
            .prepare_cached(
                "UPDATE refusals SET times = times + 1, at = max(at, ?3) WHERE seq =                  (SELECT max(seq) FROM refusals WHERE home_id IS ?1 AND reason = ?2)",
            )?
            .execute(params![home, reason, at])?;
        if counted > 0 {
            return Ok(Recorded::Counted);
        }
    }
    conn.prepare_cached("INSERT INTO refusals (home_id, at, reason) VALUES (?1, ?2, ?3)")?
        .execute(params![home, at, reason])?;
    conn.prepare_cached(
        "DELETE FROM refusals WHERE home_id IS ?1 AND seq <=          (SELECT seq FROM refusals WHERE home_id IS ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![home, REFUSALS_KEPT_PER_HOME])?;
    Ok(Recorded::Added)
}

#[derive(Debug, Clone, Serialize)]
pub struct RefusalEntry {
    pub home_id: Option<String>,
    /// The last time it happened.
    pub at: Timestamp,
    pub reason: String,
    /// How many times (repeats within a minute share a row).
    pub times: i64,
}

impl RefusalEntry {
    /// The reason as the association reads it, with the count of repeats.
    pub fn described(&self) -> String {
        if self.times > 1 {
            format!("{} 等 {} 次", self.reason, self.times)
        } else {
            self.reason.clone()
        }
    }
}

pub fn refusals(conn: &Connection, limit: u32) -> Result<Vec<RefusalEntry>> {
    let mut statement = conn.prepare_cached(
        "SELECT home_id, at, reason, times FROM refusals ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = statement.query_map([limit], |row| {
        Ok(RefusalEntry {
            home_id: row.get(0)?,
            at: from_millis(row.get(1)?),
            reason: row.get(2)?,
            times: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[derive(Debug, Clone, Serialize)]
pub struct HomeEntry {
    pub id: String,
    pub name: String,
    pub enrolled: bool,
    pub awarded_on: Option<String>,
    pub last_push_at: Option<Timestamp>,
    pub acked_seq: i64,
    pub refusals: i64,
}

pub fn homes(conn: &Connection) -> Result<Vec<HomeEntry>> {
    let mut statement = conn.prepare_cached(
        "SELECT h.id, h.name, h.public_key IS NOT NULL, h.awarded_on, h.last_push_at, \
         (SELECT coalesce(max(seq), 0) FROM changes c WHERE c.home_id = h.id), \
         (SELECT coalesce(sum(times), 0) FROM refusals r WHERE r.home_id = h.id) \
         FROM homes h ORDER BY h.name",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(HomeEntry {
            id: row.get(0)?,
            name: row.get(1)?,
            enrolled: row.get(2)?,
            awarded_on: row.get(3)?,
            last_push_at: row.get::<_, Option<i64>>(4)?.map(from_millis),
            acked_seq: row.get(5)?,
            refusals: row.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Members of a home as the hub holds them (names only where shared).
#[derive(Debug, Clone, Serialize)]
pub struct MemberEntry {
    pub id: String,
    pub status: String,
    pub name: Option<String>,
    pub employer: Option<String>,
}

pub fn members(conn: &Connection, home: &str) -> Result<Vec<MemberEntry>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, status, name, employer FROM members WHERE home_id = ?1 ORDER BY id",
    )?;
    let rows = statement.query_map([home], |row| {
        Ok(MemberEntry {
            id: row.get(0)?,
            status: row.get(1)?,
            name: row.get(2)?,
            employer: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An enrolled home, as the yearly evaluation reads it.
pub struct EnrolledHome {
    pub id: String,
    pub name: String,
    pub awarded_on: Option<String>,
    /// When it last pushed (UTC milliseconds).
    pub last_push: Option<i64>,
}

/// Every enrolled home, by name.
pub fn enrolled_homes(conn: &Connection) -> Result<Vec<EnrolledHome>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, name, awarded_on, last_push_at FROM homes WHERE public_key IS NOT NULL ORDER BY name, id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(EnrolledHome {
            id: row.get(0)?,
            name: row.get(1)?,
            awarded_on: row.get(2)?,
            last_push: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An activity a home held, with its tally and how its check-ins were made.
pub struct HeldActivity {
    pub home_id: String,
    pub tally: Tally,
    /// Members checked in by hand.
    pub manual: u32,
    /// Check-ins made while the device's clock was not trusted.
    pub untrusted: u32,
}

/// One tally per activity starting in `from..until`, with whether its home closed check-in by
/// hand (compliance counts an activity only once it has ended by the hub's clock or was
/// closed). A member counts once per activity however many check-ins the home sent for them
/// (the hub does not take the home's word for uniqueness).
pub fn activities_held(
    conn: &Connection,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<HeldActivity>> {
    let mut statement = conn.prepare_cached(
        "SELECT a.home_id, a.id, a.title, a.starts_at, a.ends_at, a.cancelled, a.checkin_closed, \
         count(DISTINCT c.member_id), \
         count(DISTINCT CASE WHEN c.source = 'manual' THEN c.member_id END), \
         coalesce(sum(c.clock_trusted = 0), 0) \
         FROM activities a LEFT JOIN checkins c \
           ON c.home_id = a.home_id AND c.activity_id = a.id AND c.undone = 0 \
         WHERE a.starts_at >= ?1 AND a.starts_at < ?2 \
         GROUP BY a.home_id, a.id",
    )?;
    let rows = statement.query_map(params![to_millis(from), to_millis(until)], |row| {
        let id: String = row.get(1)?;
        Ok(HeldActivity {
            home_id: row.get(0)?,
            tally: Tally {
                id: id.parse().unwrap_or_else(|_| ActivityId::new()),
                title: row.get(2)?,
                starts_at: from_millis(row.get(3)?),
                ends_at: from_millis(row.get(4)?),
                cancelled: row.get(5)?,
                checkin_closed: row.get(6)?,
                participants: row.get(7)?,
            },
            manual: row.get(8)?,
            untrusted: row.get(9)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A check-in of a member whose phone hash is known at more than one home.
pub struct SharedAttendance {
    pub phone_hash: String,
    pub home_id: String,
    /// The activity's span (UTC milliseconds).
    pub starts_at: i64,
    pub ends_at: i64,
}

/// The check-ins of members known at several homes (by the keyed hash of their phone), to
/// activities starting in `from_ms..until_ms`.
pub fn shared_attendances(
    conn: &Connection,
    from_ms: i64,
    until_ms: i64,
) -> Result<Vec<SharedAttendance>> {
    let mut statement = conn.prepare_cached(
        "WITH shared AS (SELECT phone_hash FROM members WHERE phone_hash IS NOT NULL \
                         GROUP BY phone_hash HAVING count(DISTINCT home_id) > 1) \
         SELECT m.phone_hash, m.home_id, a.starts_at, a.ends_at \
         FROM shared s \
         JOIN members m ON m.phone_hash = s.phone_hash \
         JOIN checkins c ON c.home_id = m.home_id AND c.member_id = m.id AND c.undone = 0 \
         JOIN activities a ON a.home_id = c.home_id AND a.id = c.activity_id \
         WHERE a.starts_at >= ?1 AND a.starts_at < ?2",
    )?;
    let rows = statement.query_map(params![from_ms, until_ms], |row| {
        Ok(SharedAttendance {
            phone_hash: row.get(0)?,
            home_id: row.get(1)?,
            starts_at: row.get(2)?,
            ends_at: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
