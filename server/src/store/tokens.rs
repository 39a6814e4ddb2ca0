//! API tokens for devices (kiosks), stored as hashes.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, parse_id, to_millis};
use crate::domain::access::DeviceRole;
use crate::domain::ids::TokenId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: TokenId,
    pub name: String,
    pub role: DeviceRole,
}

pub fn insert(
    conn: &Connection,
    name: &str,
    role: DeviceRole,
    token_hash: &str,
    now: Timestamp,
) -> Result<Device> {
    let id = TokenId::new();
    conn.prepare_cached("INSERT INTO api_tokens (id, name, role, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![id.to_string(), name, role.code(), token_hash, to_millis(now)])?;
    Ok(Device {
        id,
        name: name.to_owned(),
        role,
    })
}

pub fn find(conn: &Connection, token_hash: &str) -> Result<Option<Device>> {
    let found = conn
        .prepare_cached(
            "SELECT id, name, role FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
        )?
        .query_row([token_hash], |row| {
            let role: String = row.get(2)?;
            Ok(Device {
                id: parse_id(row, 0)?,
                name: row.get(1)?,
                role: DeviceRole::from_code(&role).ok_or_else(|| {
                    rusqlite::Error::InvalidColumnType(
                        2,
                        "role".into(),
                        rusqlite::types::Type::Text,
                    )
                })?,
            })
        })
        .optional()?;
    Ok(found)
}
