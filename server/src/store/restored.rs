//! What a restore leaves for sync: the restore marker (the newest change the backup held) and
//! the halt that stops pushing once the hub is seen to hold changes this home does not.
//!
//! Why: a home restored from an older backup has a change log that ends before what the hub
//! already acknowledged. Its next changes would get sequence numbers the hub already holds with
//! other content, a fork of the chain. The hub refuses such a batch (and records it as a rewritten
//! history), but the home must not even send it: it stops pushing and says so instead.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, changelog, from_millis, to_millis};

/// Set by `kejia restore` in the database it put in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub restored_at: Timestamp,
    pub from_file: String,
    /// The newest change the backup held: the last one this home can vouch the hub may hold.
    pub last_seq: i64,
}

/// Why pushing stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HaltKind {
    /// The hub holds more changes than this home has (restored from an older backup).
    Behind,
    /// The hub holds other changes than this home's after its cursor (a log restored and
    /// written to since, or rewritten).
    Diverged,
}

impl HaltKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Behind => "behind",
            Self::Diverged => "diverged",
        }
    }
}

/// Pushing is stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Halt {
    pub kind: HaltKind,
    /// The last change the hub holds, as it said.
    pub hub_seq: i64,
    /// The last change of this home that the hub can take as its own.
    pub local_seq: i64,
    pub detected_at: Timestamp,
}

/// Marks a freshly restored database: the newest change it holds. Clears any earlier halt
/// (it is judged again against the hub, from the marker). Returns that change's number.
pub fn mark(conn: &Connection, from_file: &str, now: Timestamp) -> Result<i64> {
    let last_seq = changelog::last_seq(conn)?;
    conn.execute(
        "INSERT OR REPLACE INTO restore_marker (id, restored_at, from_file, last_seq) \
         VALUES (1, ?1, ?2, ?3)",
        params![to_millis(now), from_file, last_seq],
    )?;
    conn.execute("DELETE FROM sync_halt", [])?;
    Ok(last_seq)
}

pub fn marker(conn: &Connection) -> Result<Option<Marker>> {
    Ok(conn
        .prepare_cached("SELECT restored_at, from_file, last_seq FROM restore_marker WHERE id = 1")?
        .query_row([], |row| {
            Ok(Marker {
                restored_at: from_millis(row.get(0)?),
                from_file: row.get(1)?,
                last_seq: row.get(2)?,
            })
        })
        .optional()?)
}

/// The hub holds exactly what the backup held: the restored home carries on as before.
pub fn confirm(conn: &Connection) -> Result<()> {
    conn.prepare_cached("DELETE FROM restore_marker")?
        .execute([])?;
    Ok(())
}

/// Stops pushing (keeps the first detection time when it is seen again).
pub fn halt(conn: &Connection, halt: &Halt) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_halt (id, kind, hub_seq, local_seq, detected_at) VALUES (1, ?1, ?2, ?3, ?4) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, hub_seq = excluded.hub_seq, \
         local_seq = excluded.local_seq",
    )?
    .execute(params![
        halt.kind.as_str(),
        halt.hub_seq,
        halt.local_seq,
        to_millis(halt.detected_at)
    ])?;
    Ok(())
}

pub fn halted(conn: &Connection) -> Result<Option<Halt>> {
    Ok(conn
        .prepare_cached("SELECT kind, hub_seq, local_seq, detected_at FROM sync_halt WHERE id = 1")?
        .query_row([], |row| {
            let kind: String = row.get(0)?;
            Ok(Halt {
                kind: if kind == "behind" {
                    HaltKind::Behind
                } else {
                    HaltKind::Diverged
                },
                hub_seq: row.get(1)?,
                local_seq: row.get(2)?,
                detected_at: from_millis(row.get(3)?),
            })
        })
        .optional()?)
}
