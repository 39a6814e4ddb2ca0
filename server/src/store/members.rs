//! Members, their QR credential and their cards.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::changelog;
use super::{Result, StoreError, from_millis, parse_id, to_millis};
use crate::domain::Conflict;
use crate::domain::checkin::{MemberBrief, MemberFacts};
use crate::domain::credential::{CardUid, QrCredential};
use crate::domain::ids::{ActivityId, MemberId};
use crate::domain::member::{CONSENT_VERSION, Member, MemberStatus, NewMember, mask_name};

const COLUMNS: &str = "id, name, phone, employer, discipline, title, status, consent_at, consent_version, \
                       consent_share, credential, created_at";

/// Changes a staffer makes to a member's record; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct MemberChanges {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub employer: Option<String>,
    pub discipline: Option<Option<String>>,
    pub title: Option<Option<String>>,
    pub consent_share: Option<bool>,
    pub status: Option<MemberStatus>,
}

pub fn insert(
    conn: &Connection,
    member: &NewMember,
    credential: &QrCredential,
    now: Timestamp,
) -> Result<Member> {
    let id = MemberId::new();
    let now_ms = to_millis(now);
    let inserted = conn
        .prepare_cached(
            "INSERT INTO members (id, name, phone, employer, discipline, title, consent_at, consent_version, \
             consent_share, consent_share_at, credential, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?7, ?7)",
        )?
        .execute(params![
            id.to_string(),
            member.name.as_str(),
            member.phone.as_str(),
            member.employer,
            member.discipline,
            member.title,
            now_ms,
            CONSENT_VERSION,
            member.consent_share,
            member.consent_share.then_some(now_ms),
            credential.as_str(),
        ]);
    refuse_duplicate_phone(inserted.map_err(StoreError::from))?;
    changelog::member(conn, id, now)?;
    get(conn, id)
}

fn refuse_duplicate_phone(outcome: Result<usize>) -> Result<()> {
    match outcome {
        Err(e) if e.is_unique_violation() => {
            Err(Conflict("该手机号已登记为会员，请搜索已有会员".into()).into())
        }
        other => other.map(drop),
    }
}

pub fn get(conn: &Connection, id: MemberId) -> Result<Member> {
    let sql = format!("SELECT {COLUMNS} FROM members WHERE id = ?1");
    let member = conn
        .prepare_cached(&sql)?
        .query_row([id.to_string()], member_from_row)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    with_cards(conn, member)
}

/// Members whose name contains `query`, or whose phone contains it when it is digits; newest
/// first. An empty query lists everyone. Erased members are not listed.
pub fn search(conn: &Connection, query: &str, limit: u32) -> Result<Vec<Member>> {
    let query = query.trim();
    let pattern = format!("%{}%", escape_like(query));
    let digits = !query.is_empty() && query.bytes().all(|b| b.is_ascii_digit());
    let sql = format!(
        "SELECT {COLUMNS} FROM members WHERE status != 'erased' \
         AND (?1 = '' OR name LIKE ?2 ESCAPE '\\' OR (?3 AND phone LIKE ?2 ESCAPE '\\')) \
         ORDER BY rowid DESC LIMIT ?4"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let members = statement
        .query_map(params![query, pattern, digits, limit], member_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    members.into_iter().map(|m| with_cards(conn, m)).collect()
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Writes a staffer's changes; `consent_share_at` is `Some` when the time of the consent to
/// share changes (to `Some(when)` or to `None`), as `domain::member::consent_share_since` says.
pub fn update(
    conn: &Connection,
    id: MemberId,
    changes: &MemberChanges,
    consent_share_at: Option<Option<Timestamp>>,
    now: Timestamp,
) -> Result<Member> {
    let consent_share_at = consent_share_at.map(|at| at.map(to_millis));
    let updated = conn
        .prepare_cached(
            "UPDATE members SET name = coalesce(?2, name), phone = coalesce(?3, phone), \
             employer = coalesce(?4, employer), \
             discipline = CASE WHEN ?5 THEN ?6 ELSE discipline END, \
             title = CASE WHEN ?7 THEN ?8 ELSE title END, \
             consent_share = coalesce(?9, consent_share), \
             consent_share_at = CASE WHEN ?10 THEN ?11 ELSE consent_share_at END, \
             status = coalesce(?12, status), updated_at = ?13 WHERE id = ?1",
        )?
        .execute(params![
            id.to_string(),
            changes.name,
            changes.phone,
            changes.employer,
            changes.discipline.is_some(),
            changes.discipline.clone().flatten(),
            changes.title.is_some(),
            changes.title.clone().flatten(),
            changes.consent_share,
            consent_share_at.is_some(),
            consent_share_at.flatten(),
            changes.status.map(MemberStatus::code),
            to_millis(now),
        ]);
    refuse_duplicate_phone(updated.map_err(StoreError::from))?;
    changelog::member(conn, id, now)?;
    get(conn, id)
}

/// Replaces (reissue) or clears (revoke) a member's QR credential.
pub fn set_credential(
    conn: &Connection,
    id: MemberId,
    credential: Option<&QrCredential>,
    now: Timestamp,
) -> Result<Member> {
    let changed = conn
        .prepare_cached("UPDATE members SET credential = ?2, updated_at = ?3 WHERE id = ?1 AND status != 'erased'")?
        .execute(params![id.to_string(), credential.map(QrCredential::as_str), to_millis(now)])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    get(conn, id)
}

/// The member a card is bound to, if any.
pub fn card_holder(conn: &Connection, uid: &CardUid) -> Result<Option<MemberId>> {
    let holder = conn
        .prepare_cached("SELECT member_id FROM cards WHERE uid = ?1")?
        .query_row([uid.as_str()], |row| parse_id(row, 0))
        .optional()?;
    Ok(holder)
}

/// Binds an unbound card to a member.
pub fn bind_card(conn: &Connection, id: MemberId, uid: &CardUid, now: Timestamp) -> Result<Member> {
    conn.prepare_cached("INSERT INTO cards (uid, member_id, bound_at) VALUES (?1, ?2, ?3)")?
        .execute(params![uid.as_str(), id.to_string(), to_millis(now)])?;
    get(conn, id)
}

pub fn unbind_card(conn: &Connection, id: MemberId, uid: &CardUid) -> Result<Member> {
    let removed = conn
        .prepare_cached("DELETE FROM cards WHERE uid = ?1 AND member_id = ?2")?
        .execute(params![uid.as_str(), id.to_string()])?;
    if removed == 0 {
        return Err(StoreError::NotFound);
    }
    get(conn, id)
}

/// The name an erased member's row keeps, so lists that still join it read sensibly.
pub const ERASED_NAME: &str = "（已删除）";

/// Deletes a member's personal information (see `home::members::erase`): the row stays,
/// anonymous, so past check-ins still count; the name, phone, employer, QR credential, cards
/// and every trace of them in the scan log go.
pub fn anonymise(conn: &Connection, id: MemberId, now: Timestamp) -> Result<Member> {
    let member_id = id.to_string();
    forget_scans(conn, &member_id)?;
    conn.prepare_cached("DELETE FROM cards WHERE member_id = ?1")?
        .execute([&member_id])?;
    conn.prepare_cached(
        "UPDATE members SET status = 'erased', name = ?2, phone = '', employer = '', \
         discipline = NULL, title = NULL, credential = NULL, consent_share = 0, \
         consent_share_at = NULL, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![member_id, ERASED_NAME, to_millis(now)])?;
    changelog::member(conn, id, now)?;
    get(conn, id)
}

/// Removes the member from the scan log: the UIDs of their cards (also from scans made before
/// a card was bound, when it was still unknown) and their name in the kept answers.
fn forget_scans(conn: &Connection, member_id: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE scans SET credential = NULL WHERE member_id = ?1 \
         OR (kind = 'card' AND credential IN (SELECT uid FROM cards WHERE member_id = ?1))",
    )?
    .execute([member_id])?;
    conn.prepare_cached(
        "UPDATE scans SET answer = json_remove(answer, '$.member') \
         WHERE member_id = ?1 AND answer IS NOT NULL",
    )?
    .execute([member_id])?;
    Ok(())
}

/// One line of a member's history: an activity attended or a venue visit.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub activity_id: Option<ActivityId>,
    /// `None` for a venue visit.
    pub activity_title: Option<String>,
    pub source: String,
    pub at: Timestamp,
    pub undone: bool,
}

/// The member's newest check-ins and visits, undone ones included (marked).
pub fn history(conn: &Connection, id: MemberId, limit: u32) -> Result<Vec<HistoryEntry>> {
    let mut statement = conn.prepare_cached(
        "SELECT c.activity_id, a.title, c.source, c.at, c.undone_at IS NOT NULL \
         FROM checkins c LEFT JOIN activities a ON a.id = c.activity_id \
         WHERE c.member_id = ?1 ORDER BY c.seq DESC LIMIT ?2",
    )?;
    let rows = statement
        .query_map(params![id.to_string(), limit], |row| {
            let activity: Option<String> = row.get(0)?;
            Ok(HistoryEntry {
                activity_id: activity.and_then(|raw| raw.parse().ok()),
                activity_title: row.get(1)?,
                source: row.get(2)?,
                at: from_millis(row.get(3)?),
                undone: row.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Active members, oldest first (the order a badge sheet is printed in), at most `limit`.
pub fn active(conn: &Connection, limit: u32) -> Result<Vec<Member>> {
    let sql =
        format!("SELECT {COLUMNS} FROM members WHERE status = 'active' ORDER BY rowid LIMIT ?1");
    let members = conn
        .prepare_cached(&sql)?
        .query_map([limit], member_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    members.into_iter().map(|m| with_cards(conn, m)).collect()
}

/// Whether a card is bound to anyone (to leave bound cards out of "recent unknown cards").
pub fn card_is_bound(conn: &Connection, uid: &str) -> Result<bool> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM cards WHERE uid = ?1")?
        .query_row([uid], |row| row.get(0))
        .optional()?;
    Ok(found.is_some())
}

/// A member found by a scanned credential: the facts resolution needs and what the screen shows.
pub struct Identified {
    pub facts: MemberFacts,
    pub brief: MemberBrief,
}

pub fn identify_by_credential(conn: &Connection, credential: &str) -> Result<Option<Identified>> {
    let found = conn
        .prepare_cached("SELECT id, status, name, employer FROM members WHERE credential = ?1")?
        .query_row([credential], identified_from_row)
        .optional()?;
    Ok(found)
}

pub fn identify_by_card(conn: &Connection, uid: &CardUid) -> Result<Option<Identified>> {
    let found = conn
        .prepare_cached(
            "SELECT m.id, m.status, m.name, m.employer FROM cards c JOIN members m ON m.id = c.member_id WHERE c.uid = ?1",
        )?
        .query_row([uid.as_str()], identified_from_row)
        .optional()?;
    Ok(found)
}

pub fn identify_by_id(conn: &Connection, id: MemberId) -> Result<Option<Identified>> {
    let found = conn
        .prepare_cached("SELECT id, status, name, employer FROM members WHERE id = ?1")?
        .query_row([id.to_string()], identified_from_row)
        .optional()?;
    Ok(found)
}

/// What the kiosk's keypad shows for the last digits of a phone number: masked names only.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PhoneMatch {
    pub id: MemberId,
    pub name_masked: String,
    pub employer: String,
    pub phone_masked: String,
}

/// Active members whose phone ends with `suffix` (digits only), at most `limit`.
pub fn by_phone_suffix(conn: &Connection, suffix: &str, limit: u32) -> Result<Vec<PhoneMatch>> {
    let pattern = format!("%{}", escape_like(suffix));
    let mut statement = conn.prepare_cached(
        "SELECT id, name, employer, phone FROM members WHERE status = 'active' AND phone LIKE ?1 ESCAPE '\\' \
         ORDER BY name, id LIMIT ?2",
    )?;
    let rows = statement
        .query_map(params![pattern, limit], |row| {
            let name: String = row.get(1)?;
            let phone: String = row.get(3)?;
            Ok(PhoneMatch {
                id: parse_id(row, 0)?,
                name_masked: mask_name(&name),
                employer: row.get(2)?,
                phone_masked: crate::domain::phone::mask_phone(&phone),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn identified_from_row(row: &Row<'_>) -> rusqlite::Result<Identified> {
    let id: MemberId = parse_id(row, 0)?;
    let name: String = row.get(2)?;
    Ok(Identified {
        facts: MemberFacts {
            id,
            status: parse_status(row, 1)?,
        },
        brief: MemberBrief {
            id,
            name_masked: mask_name(&name),
            name,
            employer: row.get(3)?,
        },
    })
}

fn with_cards(conn: &Connection, mut member: Member) -> Result<Member> {
    let mut statement =
        conn.prepare_cached("SELECT uid FROM cards WHERE member_id = ?1 ORDER BY rowid")?;
    member.cards = statement
        .query_map([member.id.to_string()], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(member)
}

fn member_from_row(row: &Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member {
        id: parse_id(row, 0)?,
        name: row.get(1)?,
        phone: row.get(2)?,
        employer: row.get(3)?,
        discipline: row.get(4)?,
        title: row.get(5)?,
        status: parse_status(row, 6)?,
        consent_at: from_millis(row.get(7)?),
        consent_version: row.get(8)?,
        consent_share: row.get(9)?,
        credential: row.get(10)?,
        cards: Vec::new(),
        created_at: from_millis(row.get(11)?),
    })
}

fn parse_status(row: &Row<'_>, index: usize) -> rusqlite::Result<MemberStatus> {
    let code: String = row.get(index)?;
    MemberStatus::from_code(&code).ok_or_else(|| {
        rusqlite::Error::InvalidColumnType(index, "status".into(), rusqlite::types::Type::Text)
    })
}

/// A member's personal data as stored, for what the hub may hold about them (the sync client
/// decides what of it goes out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalData {
    pub consent_share: bool,
    pub name: String,
    pub employer: String,
    pub phone: String,
}

/// The personal data of member `id` (as the change log names it), unless erased or unknown.
pub fn personal_data(conn: &Connection, id: &str) -> Result<Option<PersonalData>> {
    Ok(conn
        .prepare_cached(
            "SELECT status, consent_share, name, employer, phone FROM members WHERE id = ?1",
        )?
        .query_row([id], |row| {
            let status: String = row.get(0)?;
            Ok((status != "erased").then_some(PersonalData {
                consent_share: row.get(1)?,
                name: row.get(2)?,
                employer: row.get(3)?,
                phone: row.get(4)?,
            }))
        })
        .optional()?
        .flatten())
}
