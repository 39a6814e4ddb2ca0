//! The scan log: every scan a device reported, with its outcome, for the staffer ("bind this
//! card") and as evidence. A scan's answer is kept so a retried request gets it back.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{Result, StoreError, from_millis, to_millis};
use crate::domain::checkin::{Answer, Source};
use crate::domain::credential::Presented;

/// The first answer given to this device's scan id, if it was seen before.
pub fn answer_for(conn: &Connection, device: &str, scan_id: &str) -> Result<Option<Answer>> {
    let stored: Option<Option<String>> = conn
        .prepare_cached("SELECT answer FROM scans WHERE device = ?1 AND scan_id = ?2")?
        .query_row(params![device, scan_id], |row| row.get(0))
        .optional()?;
    Ok(stored
        .flatten()
        .and_then(|json| serde_json::from_str(&json).ok()))
}

/// One scan as a device reported it.
#[derive(Debug, Clone, Copy)]
pub struct Scan<'a> {
    pub device: &'a str,
    /// The device's nonce for the scan, if it sent one (a retry may follow).
    pub scan_id: Option<&'a str>,
    pub source: Source,
    /// `None` for a member picked on the kiosk's keypad.
    pub presented: Option<&'a Presented>,
}

/// Logs a scan with the answer it got.
pub fn log(conn: &Connection, scan: &Scan<'_>, answer: &Answer, now: Timestamp) -> Result<()> {
    // A member's QR text is a secret; only card UIDs and unrecognised texts are kept.
    let (kind, credential) = match scan.presented {
        Some(Presented::Qr(_)) => ("qr", None),
        Some(Presented::Card(uid)) => ("card", Some(uid.as_str())),
        Some(Presented::Unrecognised(text)) => ("other", Some(text.as_str())),
        None => ("keypad", None),
    };
    // Only a scan that may be retried (it has a scan id) needs its answer word for word.
    let answer_json = match scan.scan_id {
        Some(_) => Some(serde_json::to_string(answer).map_err(|e| StoreError::Aborted(e.into()))?),
        None => None,
    };
    conn.prepare_cached(
        "INSERT INTO scans (device, scan_id, credential, kind, source, at, outcome, member_id, activity_id, answer) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        scan.device,
        scan.scan_id,
        credential,
        kind,
        scan.source.code(),
        to_millis(now),
        answer.outcome.code(),
        answer.member.as_ref().map(|m| m.id.to_string()),
        answer.activity.as_ref().map(|a| a.id.to_string()),
        answer_json,
    ])?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanEntry {
    pub seq: i64,
    pub device: String,
    pub kind: String,
    /// The card UID or unrecognised text; never a member's QR secret.
    pub credential: Option<String>,
    pub source: String,
    pub at: Timestamp,
    pub outcome: String,
}

/// The newest scans, optionally only those of unknown credentials (cards waiting to be bound).
pub fn recent(conn: &Connection, unknown_only: bool, limit: u32) -> Result<Vec<ScanEntry>> {
    let mut statement = conn.prepare_cached(
        "SELECT seq, device, kind, credential, source, at, outcome FROM scans \
         WHERE (NOT ?1 OR outcome = 'unknown_credential') ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = statement
        .query_map(params![unknown_only, limit], |row| {
            Ok(ScanEntry {
                seq: row.get(0)?,
                device: row.get(1)?,
                kind: row.get(2)?,
                credential: row.get(3)?,
                source: row.get(4)?,
                at: from_millis(row.get(5)?),
                outcome: row.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
