//! The change log that syncs to the hub. Every write that changes a member, an activity or a
//! check-in appends the record as it now stands, in the same transaction, hash chained to the
//! change before. The log never holds personal data: a member's record holds a salted hash of
//! it, and the salt is deleted when the member is erased.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, StoreError, from_millis, to_millis};
use crate::domain::ids::{ActivityId, CheckinId, MemberId};
use crate::secrets;
use crate::wire::Record;
use crate::wire::chain::{GENESIS, chain_hash, personal_hash};

/// One change as it is pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub seq: i64,
    pub record_id: String,
    pub record: String,
    pub hash: String,
}

/// Appends `record` (about `record_id`) to the chain; returns its sequence number.
pub fn append(conn: &Connection, record_id: &str, record: &Record, now: Timestamp) -> Result<i64> {
    let previous = last_hash(conn)?;
    let text = record.canonical();
    let hash = chain_hash(&previous, &text);
    conn.prepare_cached(
        "INSERT INTO changes (record_id, record, hash, at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![record_id, text, hash, to_millis(now)])?;
    Ok(conn.last_insert_rowid())
}

fn last_hash(conn: &Connection) -> Result<String> {
    let hash: Option<String> = conn
        .prepare_cached("SELECT hash FROM changes ORDER BY seq DESC LIMIT 1")?
        .query_row([], |row| row.get(0))
        .optional()?;
    Ok(hash.unwrap_or_else(|| GENESIS.to_owned()))
}

/// The hash of change `seq` ([`GENESIS`] for 0).
pub fn hash_at(conn: &Connection, seq: i64) -> Result<String> {
    if seq == 0 {
        return Ok(GENESIS.to_owned());
    }
    conn.prepare_cached("SELECT hash FROM changes WHERE seq = ?1")?
        .query_row([seq], |row| row.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)
}

pub fn last_seq(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM changes")?
        .query_row([], |row| row.get(0))?)
}

/// Up to `limit` changes after `after`, in order.
pub fn after(conn: &Connection, after: i64, limit: usize) -> Result<Vec<Logged>> {
    let mut statement = conn.prepare_cached(
        "SELECT seq, record_id, record, hash FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = statement.query_map(params![after, limit as i64], |row| {
        Ok(Logged {
            seq: row.get(0)?,
            record_id: row.get(1)?,
            record: row.get(2)?,
            hash: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Logs the member as stored now.
pub fn member(conn: &Connection, id: MemberId, now: Timestamp) -> Result<()> {
    let (status, consent_share, personal): (String, bool, String) = conn
        .prepare_cached(
            "SELECT status, consent_share, json_array(name, phone, employer, discipline, title) \
             FROM members WHERE id = ?1",
        )?
        .query_row([id.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let personal_hash = if status == "erased" {
        conn.prepare_cached("DELETE FROM member_salts WHERE member_id = ?1")?
            .execute([id.to_string()])?;
        String::new()
    } else {
        personal_hash(&salt(conn, id)?, &personal)
    };
    let record = Record::Member {
        id: id.to_string(),
        status,
        consent_share,
        personal_hash,
    };
    append(conn, &id.to_string(), &record, now).map(drop)
}

/// The member's salt, made on first use.
fn salt(conn: &Connection, id: MemberId) -> Result<Vec<u8>> {
    let found: Option<Vec<u8>> = conn
        .prepare_cached("SELECT salt FROM member_salts WHERE member_id = ?1")?
        .query_row([id.to_string()], |row| row.get(0))
        .optional()?;
    if let Some(salt) = found {
        return Ok(salt);
    }
    let salt = secrets::random_bytes::<16>()?.to_vec();
    conn.prepare_cached("INSERT INTO member_salts (member_id, salt) VALUES (?1, ?2)")?
        .execute(params![id.to_string(), salt])?;
    Ok(salt)
}

/// Logs the activity as stored now.
pub fn activity(conn: &Connection, id: ActivityId, now: Timestamp) -> Result<()> {
    let record = conn
        .prepare_cached(
            "SELECT title, category, starts_at, ends_at, override_state, filing \
             FROM activities WHERE id = ?1",
        )?
        .query_row([id.to_string()], |row| {
            let state: Option<String> = row.get(4)?;
            Ok(Record::Activity {
                id: id.to_string(),
                title: row.get(0)?,
                category: row.get(1)?,
                starts_at: from_millis(row.get(2)?).to_string(),
                ends_at: from_millis(row.get(3)?).to_string(),
                cancelled: state.as_deref() == Some("cancelled"),
                filing: row.get(5)?,
                checkin_closed: state.as_deref() == Some("closed"),
            })
        })
        .optional()?
        .ok_or(StoreError::NotFound)?;
    append(conn, &id.to_string(), &record, now).map(drop)
}

/// Logs the check-in as stored now.
pub fn checkin(conn: &Connection, id: CheckinId, now: Timestamp) -> Result<()> {
    let record = conn
        .prepare_cached(
            "SELECT member_id, activity_id, visit_day, source, at, clock_trusted, undone_at \
             FROM checkins WHERE id = ?1",
        )?
        .query_row([id.to_string()], |row| {
            let undone: Option<i64> = row.get(6)?;
            Ok(Record::Checkin {
                id: id.to_string(),
                member_id: row.get(0)?,
                activity_id: row.get(1)?,
                visit_day: row.get(2)?,
                source: row.get(3)?,
                at: from_millis(row.get(4)?).to_string(),
                clock_trusted: row.get(5)?,
                undone: undone.is_some(),
            })
        })
        .optional()?
        .ok_or(StoreError::NotFound)?;
    append(conn, &id.to_string(), &record, now).map(drop)
}

/// A home that ran before the change log existed logs everything it holds once, in order.
pub fn backfill_if_empty(conn: &Connection, now: Timestamp) -> Result<u64> {
    if last_seq(conn)? > 0 {
        return Ok(0);
    }
    let ids = |sql: &str| -> Result<Vec<String>> {
        let mut statement = conn.prepare(sql)?;
        let rows = statement.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    let mut logged = 0;
    for id in ids("SELECT id FROM members ORDER BY rowid")? {
        member(conn, parse(&id)?, now)?;
        logged += 1;
    }
    for id in ids("SELECT id FROM activities ORDER BY rowid")? {
        activity(conn, parse(&id)?, now)?;
        logged += 1;
    }
    for id in ids("SELECT id FROM checkins ORDER BY seq")? {
        checkin(conn, parse(&id)?, now)?;
        logged += 1;
    }
    Ok(logged)
}

fn parse<T: std::str::FromStr>(id: &str) -> Result<T> {
    id.parse().map_err(|_| StoreError::NotFound)
}

/// Checks the whole chain from the start (for tests and `kejia sync --verify`).
pub fn verify(conn: &Connection) -> Result<bool> {
    let mut previous = GENESIS.to_owned();
    let mut statement = conn.prepare("SELECT record, hash FROM changes ORDER BY seq")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let record: String = row.get(0)?;
        let hash: String = row.get(1)?;
        if chain_hash(&previous, &record) != hash {
            return Ok(false);
        }
        previous = hash;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::activity::{ActivityFields, CheckinWindow};
    use crate::domain::checkin::{Actor, Source};
    use crate::domain::credential::QrCredential;
    use crate::domain::member::{NewMember, Registration};
    use crate::home::checkins::{self, CheckinRequest, Presenting, Recorded};
    use crate::store::{activities, members};

    fn database() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kejia.db");
        let mut conn = Connection::open(&path).unwrap();
        super::super::migrate::schema_to_latest(&mut conn, &path, &super::super::HOME).unwrap();
        (dir, conn)
    }

    #[test]
    fn every_change_is_chained_and_no_personal_data_is_logged() {
        let (_dir, conn) = database();
        let now: Timestamp = "2026-05-12T02:00:00Z".parse().unwrap();
        let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        let member = NewMember::parse(&Registration {
            name: Some("张三明"),
            phone: Some("13912345678"),
            employer: Some("益阳某公司"),
            consent: Some(true),
            ..Registration::default()
        })
        .unwrap();
        let member =
            members::insert(&conn, &member, &QrCredential::from_random([3; 16]), now).unwrap();
        let draft = ActivityFields {
            title: Some("沙龙"),
            category: Some("academic_exchange"),
            starts_at: Some("2026-05-12T09:30:00+08:00"),
            ends_at: Some("2026-05-12T11:30:00+08:00"),
            ..ActivityFields::default()
        }
        .create(CheckinWindow::default())
        .unwrap();
        let activity = activities::insert(&conn, &draft, now).unwrap();
        let request = CheckinRequest {
            presenting: Presenting::Member(member.id),
            source: Source::Keypad,
            actor: Actor::Device,
            device: "kiosk".into(),
            activity_id: None,
            scan_id: None,
        };
        let Recorded::Answered(answer) = checkins::record(&conn, &request, now, &tz).unwrap()
        else {
            panic!("answered")
        };
        assert_eq!(answer.activity.unwrap().id, activity.id);
        checkins::take_back(&conn, answer.checkin_id.unwrap(), "staff", "wrong", now).unwrap();
        crate::home::members::forget(&conn, member.id, "staff", "asked", now).unwrap();
        assert_eq!(last_seq(&conn).unwrap(), 5);
        assert!(verify(&conn).unwrap());
        let log = after(&conn, 0, 100).unwrap();
        for change in &log {
            for secret in ["张三明", "13912345678", "益阳某公司"] {
                assert!(!change.record.contains(secret), "{}", change.record);
            }
        }
        assert!(log[3].record.contains(r#""undone":true"#));
        assert!(
            log[4].record.contains(r#""status":"erased""#)
                && log[4].record.contains(r#""personal_hash":"""#)
        );
        // Rewriting one record breaks the chain.
        conn.execute(
            "UPDATE changes SET record = replace(record, '沙龙', '讲座') WHERE seq = 2",
            [],
        )
        .unwrap();
        assert!(!verify(&conn).unwrap());
    }
}
