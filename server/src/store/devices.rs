//! Members' own phones, remembered by a revocable cookie (only its hash is stored).

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, from_millis, parse_id, to_millis};
use crate::domain::ids::MemberId;

/// A remembered phone, as the staff detail page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneDevice {
    /// The first characters of the cookie's hash: enough to tell phones apart and to revoke one,
    /// useless for impersonating it.
    pub handle: String,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
}

const HANDLE_LEN: usize = 12;

pub fn remember(
    conn: &Connection,
    token_hash: &str,
    member: MemberId,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO phone_devices (token_hash, member_id, created_at, last_used_at) \
         VALUES (?1, ?2, ?3, ?3)",
    )?
    .execute(params![token_hash, member.to_string(), to_millis(now)])?;
    Ok(())
}

/// The member a phone's cookie stands for, unless revoked or the member is erased.
pub fn member_for(conn: &Connection, token_hash: &str) -> Result<Option<MemberId>> {
    let found = conn
        .prepare_cached(
            "SELECT d.member_id FROM phone_devices d JOIN members m ON m.id = d.member_id \
             WHERE d.token_hash = ?1 AND d.revoked_at IS NULL AND m.status != 'erased'",
        )?
        .query_row([token_hash], |row| parse_id(row, 0))
        .optional()?;
    Ok(found)
}

pub fn touch(conn: &Connection, token_hash: &str, now: Timestamp) -> Result<()> {
    conn.prepare_cached("UPDATE phone_devices SET last_used_at = ?2 WHERE token_hash = ?1")?
        .execute(params![token_hash, to_millis(now)])?;
    Ok(())
}

/// The member's phones that still work, newest first.
pub fn for_member(conn: &Connection, member: MemberId) -> Result<Vec<PhoneDevice>> {
    let mut statement = conn.prepare_cached(
        "SELECT token_hash, created_at, last_used_at FROM phone_devices \
         WHERE member_id = ?1 AND revoked_at IS NULL ORDER BY rowid DESC",
    )?;
    let rows = statement.query_map([member.to_string()], |row| {
        let hash: String = row.get(0)?;
        Ok(PhoneDevice {
            handle: hash.chars().take(HANDLE_LEN).collect(),
            created_at: from_millis(row.get(1)?),
            last_used_at: from_millis(row.get(2)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Revokes one phone of the member by its handle; returns whether one was revoked.
pub fn revoke(conn: &Connection, member: MemberId, handle: &str, now: Timestamp) -> Result<bool> {
    if handle.len() != HANDLE_LEN || !handle.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let changed = conn
        .prepare_cached(
            "UPDATE phone_devices SET revoked_at = ?3 \
             WHERE member_id = ?1 AND substr(token_hash, 1, 12) = ?2 AND revoked_at IS NULL",
        )?
        .execute(params![member.to_string(), handle, to_millis(now)])?;
    Ok(changed > 0)
}

/// Revokes the phone whose cookie hashes to `token_hash`, if it still works.
pub fn revoke_token(conn: &Connection, token_hash: &str, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE phone_devices SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
    )?
    .execute(params![token_hash, to_millis(now)])?;
    Ok(())
}

/// Revokes every phone of the member (on erasure).
pub fn revoke_all(conn: &Connection, member: MemberId, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE phone_devices SET revoked_at = ?2 WHERE member_id = ?1 AND revoked_at IS NULL",
    )?
    .execute(params![member.to_string(), to_millis(now)])?;
    Ok(())
}
