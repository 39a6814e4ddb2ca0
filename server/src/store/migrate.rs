//! Numbered schema migrations, embedded in the binary and applied at start-up, one transaction
//! per step, each bumping `PRAGMA user_version`. Never edit a released migration; add one.

use std::path::Path;

use rusqlite::Connection;

use super::{Result, StoreError};

/// One kind of kejia database: its file name, the mark that tells it from any other SQLite
/// file, and its numbered migrations.
#[derive(Debug)]
pub struct Schema {
    pub file: &'static str,
    pub application_id: i64,
    pub migrations: &'static [&'static str],
}

/// A home's database. `KJIA` marks the file, so `--data` pointed at some other SQLite file is
/// refused instead of being written into.
pub const HOME: Schema = Schema {
    file: "kejia.db",
    application_id: 0x4b4a_4941,
    migrations: &[
        include_str!("../../migrations/home/0001_init.sql"),
        include_str!("../../migrations/home/0002_web.sql"),
        include_str!("../../migrations/home/0003_sync.sql"),
        include_str!("../../migrations/home/0004_restore.sql"),
        include_str!("../../migrations/home/0005_phone_hashes.sql"),
        include_str!("../../migrations/home/0006_home_profile.sql"),
        include_str!("../../migrations/home/0007_photo_print_copy.sql"),
        include_str!("../../migrations/home/0008_checkins_source.sql"),
    ],
};

/// The association hub's database (`KJHB`).
pub const HUB: Schema = Schema {
    file: "kejia-hub.db",
    application_id: 0x4b4a_4842,
    migrations: &[
        include_str!("../../migrations/hub/0001_init.sql"),
        include_str!("../../migrations/hub/0002_sync.sql"),
        include_str!("../../migrations/hub/0003_home_life_cycle.sql"),
        include_str!("../../migrations/hub/0004_evaluation_indexes.sql"),
        include_str!("../../migrations/hub/0005_slow_phone_hashes.sql"),
        include_str!("../../migrations/hub/0006_checkin_closed.sql"),
        include_str!("../../migrations/hub/0007_enrol_code_expiry.sql"),
        include_str!("../../migrations/hub/0008_checkins_source.sql"),
    ],
};

impl Schema {
    /// The schema version this build writes.
    pub fn latest(&self) -> i64 {
        self.migrations.len() as i64
    }
}

/// The home schema version this build writes.
#[cfg(test)]
pub fn latest() -> i64 {
    HOME.latest()
}

#[cfg(test)]
pub fn to_latest(conn: &mut Connection, path: &Path) -> Result<()> {
    schema_to_latest(conn, path, &HOME)
}

pub fn schema_to_latest(conn: &mut Connection, path: &Path, schema: &Schema) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let application_id: i64 = conn.query_row("PRAGMA application_id", [], |row| row.get(0))?;
    if version > 0 && application_id != schema.application_id {
        return Err(StoreError::Foreign {
            path: path.to_owned(),
            found: application_id,
        });
    }
    if version > schema.latest() {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found: version,
            known: schema.latest(),
        });
    }
    let mut vacuum = false;
    for (index, sql) in schema
        .migrations
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        vacuum |= sql.contains(VACUUM_AFTER);
        let next = index as i64 + 1;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!(
            "PRAGMA user_version = {next}; PRAGMA application_id = {};",
            schema.application_id
        ))?;
        tx.commit()?;
        tracing::info!(version = next, "database schema migrated");
    }
    if vacuum {
        // Rows rewritten in place leave their old bytes in free space and, in WITHOUT ROWID
        // tables, in the dividers of inner pages; rebuilding the file leaves only live rows.
        conn.execute_batch("VACUUM")?;
        tracing::info!("database rebuilt after a migration that removed data");
    }
    Ok(())
}

/// A migration holding this line is followed by `VACUUM` (outside its transaction, which
/// VACUUM cannot run in), so what it removed does not linger in the file.
const VACUUM_AFTER: &str = "-- kejia: vacuum after this migration";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_to_an_empty_database_and_are_idempotent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        let mut conn = Connection::open(&path).expect("open");
        to_latest(&mut conn, &path).expect("migrate");
        to_latest(&mut conn, &path).expect("second run is a no-op");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, latest());
    }

    #[test]
    fn a_database_from_a_newer_kejia_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        let mut conn = Connection::open(&path).expect("open");
        to_latest(&mut conn, &path).expect("migrate");
        conn.execute_batch("PRAGMA user_version = 99")
            .expect("bump");
        assert!(matches!(
            to_latest(&mut conn, &path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn another_programs_database_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.db");
        let mut conn = Connection::open(&path).expect("open");
        conn.execute_batch("CREATE TABLE t (x); PRAGMA user_version = 1;")
            .expect("foreign");
        assert!(matches!(
            to_latest(&mut conn, &path),
            Err(StoreError::Foreign { .. })
        ));
    }
}
