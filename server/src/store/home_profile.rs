//! The home's own details as the staffer (or the hub) last set them.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, to_millis};
use crate::domain::home::{self, HomeProfile};

/// The saved profile, if one was ever saved.
pub fn get(conn: &Connection) -> Result<Option<HomeProfile>> {
    Ok(conn
        .prepare_cached(
            "SELECT name, host_unit, award_month, phone_base FROM home_profile WHERE id = 1",
        )?
        .query_row([], |row| {
            let award: Option<String> = row.get(2)?;
            Ok(HomeProfile {
                name: row.get(0)?,
                host_unit: row.get(1)?,
                // Written only from a parsed month, so a value that does not parse is absent.
                award: award.as_deref().and_then(home::parse_award_month),
                phone_base: row.get(3)?,
            })
        })
        .optional()?)
}

pub fn put(conn: &Connection, profile: &HomeProfile, now: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO home_profile (id, name, host_unit, award_month, phone_base, updated_at) \
         VALUES (1, ?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, host_unit = excluded.host_unit, \
         award_month = excluded.award_month, phone_base = excluded.phone_base, \
         updated_at = excluded.updated_at",
    )?
    .execute(params![
        profile.name,
        profile.host_unit,
        profile.award.map(|a| a.to_form_value()),
        profile.phone_base,
        to_millis(now)
    ])?;
    Ok(())
}
