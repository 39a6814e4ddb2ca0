//! The audit log: every staff correction, with who, when and why.

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::{Result, from_millis, to_millis};

/// One line to add to the log: who did what to which record, when; and, where there are some,
/// the staffer's reason and the details.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub at: Timestamp,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub reason: Option<&'a str>,
    pub detail: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub fn new(at: Timestamp, actor: &'a str, action: &'a str, subject: &'a str) -> Self {
        Self {
            at,
            actor,
            action,
            subject,
            reason: None,
            detail: None,
        }
    }

    pub fn because(self, reason: &'a str) -> Self {
        Self {
            reason: Some(reason),
            ..self
        }
    }

    pub fn detail(self, detail: Option<&'a str>) -> Self {
        Self { detail, ..self }
    }
}

pub fn append(conn: &Connection, entry: Entry<'_>) -> Result<()> {
    conn.prepare_cached("INSERT INTO audit_log (at, actor, action, subject, reason, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(params![
            to_millis(entry.at),
            entry.actor,
            entry.action,
            entry.subject,
            entry.reason,
            entry.detail
        ])?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub reason: Option<String>,
    pub detail: Option<String>,
}

pub fn recent(conn: &Connection, limit: u32) -> Result<Vec<AuditEntry>> {
    let mut statement =
        conn.prepare_cached("SELECT seq, at, actor, action, subject, reason, detail FROM audit_log ORDER BY seq DESC LIMIT ?1")?;
    let rows = statement
        .query_map([limit], |row| {
            Ok(AuditEntry {
                seq: row.get(0)?,
                at: from_millis(row.get(1)?),
                actor: row.get(2)?,
                action: row.get(3)?,
                subject: row.get(4)?,
                reason: row.get(5)?,
                detail: row.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
