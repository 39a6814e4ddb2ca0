//! Photos of an activity for the ledger (台账), kept in the database so a backup holds them.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, StoreError, from_millis, parse_id, to_millis};
use crate::domain::ids::{ActivityId, PhotoId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoEntry {
    pub id: PhotoId,
    pub created_at: Timestamp,
}

/// Keeps a photo with its print copy (see `export::photo`).
pub fn insert(
    conn: &Connection,
    activity: ActivityId,
    content_type: &str,
    bytes: &[u8],
    print_copy: &[u8],
    now: Timestamp,
) -> Result<PhotoId> {
    let id = PhotoId::new();
    conn.prepare_cached(
        "INSERT INTO activity_photos (id, activity_id, content_type, bytes, print_bytes, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        id.to_string(),
        activity.to_string(),
        content_type,
        bytes,
        print_copy,
        to_millis(now)
    ])?;
    Ok(id)
}

pub fn count(conn: &Connection, activity: ActivityId) -> Result<u32> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM activity_photos WHERE activity_id = ?1")?
        .query_row([activity.to_string()], |row| row.get(0))?)
}

/// The activity's photos, oldest first (without their bytes).
pub fn list(conn: &Connection, activity: ActivityId) -> Result<Vec<PhotoEntry>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, created_at FROM activity_photos WHERE activity_id = ?1 ORDER BY rowid",
    )?;
    let rows = statement.query_map([activity.to_string()], |row| {
        Ok(PhotoEntry {
            id: parse_id(row, 0)?,
            created_at: from_millis(row.get(1)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A photo's content type and bytes.
pub fn get(conn: &Connection, id: PhotoId) -> Result<(String, Vec<u8>)> {
    conn.prepare_cached("SELECT content_type, bytes FROM activity_photos WHERE id = ?1")?
        .query_row([id.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// The bytes the printed ledger embeds: the print copy, or the original for a photo stored
/// before print copies were made.
pub fn print_bytes(conn: &Connection, id: PhotoId) -> Result<Vec<u8>> {
    conn.prepare_cached("SELECT coalesce(print_bytes, bytes) FROM activity_photos WHERE id = ?1")?
        .query_row([id.to_string()], |row| row.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// Deletes a photo; returns the activity it belonged to.
pub fn delete(conn: &Connection, id: PhotoId) -> Result<ActivityId> {
    let activity: ActivityId = conn
        .prepare_cached("SELECT activity_id FROM activity_photos WHERE id = ?1")?
        .query_row([id.to_string()], |row| parse_id(row, 0))
        .optional()?
        .ok_or(StoreError::NotFound)?;
    conn.prepare_cached("DELETE FROM activity_photos WHERE id = ?1")?
        .execute([id.to_string()])?;
    Ok(activity)
}
