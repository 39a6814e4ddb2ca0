//! Staff accounts and their login sessions.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, StoreError, parse_id, to_millis};
use crate::domain::Conflict;
use crate::domain::access::{StaffRole, Username};
use crate::domain::ids::UserId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffUser {
    pub id: UserId,
    pub username: String,
    pub role: StaffRole,
}

pub fn insert(
    conn: &Connection,
    username: &Username,
    password_hash: &str,
    role: StaffRole,
    now: Timestamp,
) -> Result<StaffUser> {
    let id = UserId::new();
    let inserted = conn
        .prepare_cached("INSERT INTO users (id, username, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![id.to_string(), username.as_str(), password_hash, role.code(), to_millis(now)]);
    match inserted.map_err(StoreError::from) {
        Err(e) if e.is_unique_violation() => {
            Err(Conflict(format!("用户名“{}”已被使用", username.as_str())).into())
        }
        Err(e) => Err(e),
        Ok(_) => Ok(StaffUser {
            id,
            username: username.as_str().to_owned(),
            role,
        }),
    }
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM users", [], |row| row.get(0))?)
}

/// When the first staff account was made: the day the home was set up.
pub fn first_created_at(conn: &Connection) -> Result<Option<jiff::Timestamp>> {
    let first: Option<i64> =
        conn.query_row("SELECT min(created_at) FROM users", [], |row| row.get(0))?;
    Ok(first.map(super::from_millis))
}

/// The account and its password hash, for a login attempt.
pub fn find_for_login(conn: &Connection, username: &str) -> Result<Option<(StaffUser, String)>> {
    let found = conn
        .prepare_cached("SELECT id, username, role, password_hash FROM users WHERE username = ?1")?
        .query_row([username], |row| Ok((user_from_row(row)?, row.get(3)?)))
        .optional()?;
    Ok(found)
}

pub fn create_session(
    conn: &Connection,
    user: UserId,
    token_hash: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<()> {
    // Expired sessions are swept whenever someone logs in; there are only ever a handful.
    conn.prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
        .execute([to_millis(now)])?;
    conn.prepare_cached("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![token_hash, user.to_string(), to_millis(now), to_millis(expires_at)])?;
    Ok(())
}

pub fn session_user(
    conn: &Connection,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<StaffUser>> {
    let found = conn
        .prepare_cached(
            "SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = ?1 AND s.expires_at > ?2",
        )?
        .query_row(params![token_hash, to_millis(now)], user_from_row)
        .optional()?;
    Ok(found)
}

pub fn delete_session(conn: &Connection, token_hash: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
        .execute([token_hash])?;
    Ok(())
}

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StaffUser> {
    let role: String = row.get(2)?;
    Ok(StaffUser {
        id: parse_id(row, 0)?,
        username: row.get(1)?,
        role: StaffRole::from_code(&role).ok_or_else(|| {
            rusqlite::Error::InvalidColumnType(2, "role".into(), rusqlite::types::Type::Text)
        })?,
    })
}
