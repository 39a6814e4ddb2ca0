//! The phone hashes a home keeps (`member_phone_hashes`): each member's slow hash
//! ([`crate::wire::phone::phone_hash`]), computed once and dropped by a trigger when the phone
//! changes, and whether the hub has acknowledged it.

use rusqlite::{Connection, OptionalExtension, params};

use super::Result;

/// Members (id, phone) whose hash is not kept yet, at most `limit`; erased members have none.
pub fn unhashed(conn: &Connection, limit: usize) -> Result<Vec<(String, String)>> {
    let mut statement = conn.prepare_cached(
        "SELECT m.id, m.phone FROM members m \
         WHERE m.status != 'erased' AND m.phone != '' \
         AND NOT EXISTS (SELECT 1 FROM member_phone_hashes h WHERE h.member_id = m.id) \
         ORDER BY m.id LIMIT ?1",
    )?;
    let rows = statement.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Keeps hashes computed from (member, phone): only where the member still has that phone, so
/// a number changed while its hash was being computed is hashed again.
pub fn keep(conn: &Connection, hashed: &[(String, String, String)]) -> Result<()> {
    for (member, phone, hash) in hashed {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO member_phone_hashes (member_id, phone_hash, announced) \
             SELECT id, ?3, 0 FROM members WHERE id = ?1 AND phone = ?2 AND status != 'erased'",
        )?
        .execute(params![member, phone, hash])?;
    }
    Ok(())
}

/// The kept hash of a member's current phone.
pub fn kept(conn: &Connection, member: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT phone_hash FROM member_phone_hashes WHERE member_id = ?1")?
        .query_row([member], |row| row.get(0))
        .optional()?)
}

/// Kept hashes the hub has not acknowledged yet (member, hash), at most `limit`.
pub fn unannounced(conn: &Connection, limit: usize) -> Result<Vec<(String, String)>> {
    let mut statement = conn.prepare_cached(
        "SELECT member_id, phone_hash FROM member_phone_hashes WHERE announced = 0 \
         ORDER BY member_id LIMIT ?1",
    )?;
    let rows = statement.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks hashes the hub acknowledged (unless the phone changed since they were sent).
pub fn announced(conn: &Connection, sent: &[(String, String)]) -> Result<()> {
    for (member, hash) in sent {
        conn.prepare_cached(
            "UPDATE member_phone_hashes SET announced = 1 WHERE member_id = ?1 AND phone_hash = ?2",
        )?
        .execute(params![member, hash])?;
    }
    Ok(())
}
