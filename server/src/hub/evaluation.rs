//! The yearly evaluation of every home, counted only from what the homes synced, with the
//! same rules (domain::compliance) the homes apply to themselves, so the figures agree.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::{Connection, params};
use serde::Serialize;

use crate::domain::compliance::{self, AwardMonth, Compliance, Tally};
use crate::domain::ids::ActivityId;
use crate::store::{Result, from_millis, to_millis};

/// Share of an activity's participants entered by hand above which the association looks
/// closer (a paper sheet is normal; a whole activity typed in is not).
const MANUAL_SHARE_FLAG: f64 = 0.3;
/// A home that has not pushed for this long is flagged.
const SILENT_DAYS: i64 = 30;
/// Qualifying activities a year for a suggested "excellent" (优秀).
const EXCELLENT_QUALIFYING: u32 = 18;

#[derive(Debug, Clone, Serialize)]
pub struct HomeRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HomeEvaluation {
    pub home: HomeRef,
    #[serde(flatten)]
    pub compliance: Compliance,
    /// 优秀, 合格 or 不合格: a suggestion; the association decides.
    pub suggested_rating: &'static str,
    pub flags: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub year: i16,
    pub homes: Vec<HomeEvaluation>,
}

struct Held {
    tally: Tally,
    manual: u32,
    untrusted: u32,
}

pub fn evaluate(
    conn: &Connection,
    year: i16,
    from: Timestamp,
    until: Timestamp,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Evaluation> {
    let mut held = held_by_home(conn, from, until)?;
    let overlapping = overlapping_homes(conn, from, until)?;
    let mut statement = conn.prepare_cached(
        "SELECT id, name, awarded_on, last_push_at FROM homes WHERE public_key IS NOT NULL ORDER BY name",
    )?;
    let homes = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<i64>>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let homes = homes
        .into_iter()
        .map(|(id, name, awarded_on, last_push)| {
            let activities = held.remove(&id).unwrap_or_default();
            let tallies: Vec<Tally> = activities.iter().map(|h| h.tally.clone()).collect();
            let compliance =
                compliance::evaluate(year, &tallies, now, tz, award(awarded_on.as_deref()));
            let mut flags = activity_flags(&activities);
            if overlapping.contains(&id) {
                flags.push("有会员在同一时间出现在两家科技工作者之家的活动中".into());
            }
            let silent =
                last_push.is_none_or(|at| now.as_millisecond() - at > SILENT_DAYS * 86_400_000);
            if silent {
                flags.push(format!("超过 {SILENT_DAYS} 天没有同步"));
            }
            HomeEvaluation {
                suggested_rating: rating(&compliance),
                home: HomeRef { id, name },
                compliance,
                flags,
            }
        })
        .collect();
    Ok(Evaluation { year, homes })
}

fn rating(compliance: &Compliance) -> &'static str {
    if !compliance.meets_rules {
        "不合格"
    } else if compliance.qualifying_activities >= EXCELLENT_QUALIFYING {
        "优秀"
    } else {
        "合格"
    }
}

fn activity_flags(activities: &[Held]) -> Vec<String> {
    let mut flags = Vec::new();
    for held in activities {
        let participants = held.tally.participants;
        if participants > 0 && f64::from(held.manual) / f64::from(participants) > MANUAL_SHARE_FLAG
        {
            flags.push(format!(
                "《{}》{} 人中有 {} 人为补录签到",
                held.tally.title, participants, held.manual
            ));
        }
    }
    let untrusted: u32 = activities.iter().map(|h| h.untrusted).sum();
    if untrusted > 0 {
        flags.push(format!("{untrusted} 次签到发生在设备时钟未校准时"));
    }
    flags
}

fn award(awarded_on: Option<&str>) -> Option<AwardMonth> {
    let date: jiff::civil::Date = awarded_on?.parse().ok()?;
    Some(AwardMonth {
        year: date.year(),
        month: date.month(),
    })
}

fn held_by_home(
    conn: &Connection,
    from: Timestamp,
    until: Timestamp,
) -> Result<HashMap<String, Vec<Held>>> {
    let mut statement = conn.prepare_cached(
        "SELECT a.home_id, a.id, a.title, a.starts_at, a.ends_at, a.cancelled, \
         count(DISTINCT c.member_id), \
         count(DISTINCT CASE WHEN c.method = 'manual' THEN c.member_id END), \
         sum(CASE WHEN c.clock_trusted = 0 THEN 1 ELSE 0 END) \
         FROM activities a LEFT JOIN checkins c \
           ON c.home_id = a.home_id AND c.activity_id = a.id AND c.undone = 0 \
         WHERE a.starts_at >= ?1 AND a.starts_at < ?2 \
         GROUP BY a.home_id, a.id",
    )?;
    let mut by_home: HashMap<String, Vec<Held>> = HashMap::new();
    let rows = statement.query_map(params![to_millis(from), to_millis(until)], |row| {
        let id: String = row.get(1)?;
        Ok((
            row.get::<_, String>(0)?,
            Held {
                tally: Tally {
                    id: id.parse().unwrap_or_else(|_| ActivityId::new()),
                    title: row.get(2)?,
                    starts_at: from_millis(row.get(3)?),
                    ends_at: from_millis(row.get(4)?),
                    cancelled: row.get(5)?,
                    participants: row.get(6)?,
                },
                manual: row.get(7)?,
                untrusted: row.get::<_, Option<u32>>(8)?.unwrap_or(0),
            },
        ))
    })?;
    for row in rows {
        let (home, held) = row?;
        by_home.entry(home).or_default().push(held);
    }
    Ok(by_home)
}

/// Homes where a member (by the keyed hash of their phone) checked in at an activity that
/// overlaps one at another home.
fn overlapping_homes(conn: &Connection, from: Timestamp, until: Timestamp) -> Result<Vec<String>> {
    let mut statement = conn.prepare_cached(
        "SELECT DISTINCT m1.home_id FROM checkins c1 \
         JOIN members m1 ON m1.home_id = c1.home_id AND m1.id = c1.member_id \
         JOIN activities a1 ON a1.home_id = c1.home_id AND a1.id = c1.activity_id \
         JOIN members m2 ON m2.phone_hash = m1.phone_hash AND m2.home_id != m1.home_id \
         JOIN checkins c2 ON c2.home_id = m2.home_id AND c2.member_id = m2.id AND c2.undone = 0 \
         JOIN activities a2 ON a2.home_id = c2.home_id AND a2.id = c2.activity_id \
         WHERE c1.undone = 0 AND m1.phone_hash IS NOT NULL \
           AND a1.starts_at >= ?1 AND a1.starts_at < ?2 \
           AND a1.starts_at < a2.ends_at AND a2.starts_at < a1.ends_at",
    )?;
    let rows = statement.query_map(params![to_millis(from), to_millis(until)], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
