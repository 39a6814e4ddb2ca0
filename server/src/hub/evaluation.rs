//! The yearly evaluation of every home, counted only from what the homes synced, with the
//! same rules (domain::compliance) the homes apply to themselves, so the figures agree; the
//! suggested rating and the integrity flags follow the association's thresholds
//! (domain::rating).
//!
//! Two reads serve all homes at once, both from covering indexes (hub migration 0004): one
//! tally per activity of the year, and the check-ins of members whose phone hash is known at
//! more than one home. Everything else is arithmetic here.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::{Connection, params};
use serde::Serialize;

use crate::domain::compliance::{self, AwardMonth, Compliance, Tally};
use crate::domain::ids::ActivityId;
use crate::domain::rating::{self, Thresholds};
use crate::store::{Result, from_millis, to_millis};

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

/// Every enrolled home's figures for `year` (`from`..`until` in the association's calendar).
pub fn evaluate(
    conn: &Connection,
    year: i16,
    from: Timestamp,
    until: Timestamp,
    now: Timestamp,
    tz: &TimeZone,
    thresholds: &Thresholds,
) -> Result<Evaluation> {
    let mut held = held_by_home(conn, from, until)?;
    let overlaps = overlapping_checkins(conn, from, until)?;
    let homes = enrolled_homes(conn)?
        .into_iter()
        .map(|home| {
            let activities = held.remove(&home.id).unwrap_or_default();
            let tallies: Vec<Tally> = activities.iter().map(|h| h.tally.clone()).collect();
            let award = award(home.awarded_on.as_deref());
            let compliance = compliance::evaluate(year, &tallies, now, tz, award);
            let mut flags = activity_flags(&activities, thresholds);
            if let Some(count) = overlaps.get(&home.id) {
                flags.push(format!(
                    "{count} 次签到的会员在同一时间出现在另一家科技工作者之家的活动中"
                ));
            }
            let silent_days = home
                .last_push
                .map(|at| (now.as_millisecond() - at).div_euclid(86_400_000));
            if rating::is_silent(silent_days, thresholds) {
                flags.push(format!("超过 {} 天没有同步", thresholds.silent_days));
            }
            HomeEvaluation {
                suggested_rating: rating::suggest(&compliance, thresholds).label(),
                home: HomeRef {
                    id: home.id,
                    name: home.name,
                },
                compliance,
                flags,
            }
        })
        .collect();
    Ok(Evaluation { year, homes })
}

struct EnrolledHome {
    id: String,
    name: String,
    awarded_on: Option<String>,
    last_push: Option<i64>,
}

fn enrolled_homes(conn: &Connection) -> Result<Vec<EnrolledHome>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, name, awarded_on, last_push_at FROM homes WHERE public_key IS NOT NULL ORDER BY name, id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(EnrolledHome {
            id: row.get(0)?,
            name: row.get(1)?,
            awarded_on: row.get(2)?,
            last_push: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn activity_flags(activities: &[Held], thresholds: &Thresholds) -> Vec<String> {
    let mut flags = Vec::new();
    for held in activities {
        let participants = held.tally.participants;
        if rating::mostly_manual(held.manual, participants, thresholds) {
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

/// One tally per activity starting in the year, with whether its home closed check-in by hand
/// (compliance counts an activity only once it has ended by the hub's clock or was closed). A
/// member counts once per activity however many
/// check-ins the home sent for them (the hub does not take the home's word for uniqueness).
fn held_by_home(
    conn: &Connection,
    from: Timestamp,
    until: Timestamp,
) -> Result<HashMap<String, Vec<Held>>> {
    let mut statement = conn.prepare_cached(
        "SELECT a.home_id, a.id, a.title, a.starts_at, a.ends_at, a.cancelled, a.checkin_closed, \
         count(DISTINCT c.member_id), \
         count(DISTINCT CASE WHEN c.method = 'manual' THEN c.member_id END), \
         coalesce(sum(c.clock_trusted = 0), 0) \
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
                    checkin_closed: row.get(6)?,
                    participants: row.get(7)?,
                },
                manual: row.get(8)?,
                untrusted: row.get(9)?,
            },
        ))
    })?;
    for row in rows {
        let (home, held) = row?;
        by_home.entry(home).or_default().push(held);
    }
    Ok(by_home)
}

/// How long before the year an activity may start and still overlap one in the year.
const OVERLAP_MARGIN_MS: i64 = 7 * 86_400_000;

/// One attendance of a member known at several homes: where, and the activity's span.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Attendance {
    home: String,
    starts_at: i64,
    ends_at: i64,
}

/// Per home, how many of its check-ins in the year fall in the span of an activity at another
/// home that the same person (by the keyed hash of their phone) also checked in to.
fn overlapping_checkins(
    conn: &Connection,
    from: Timestamp,
    until: Timestamp,
) -> Result<HashMap<String, u32>> {
    let mut statement = conn.prepare_cached(
        "WITH shared AS (SELECT phone_hash FROM members WHERE phone_hash IS NOT NULL \
                         GROUP BY phone_hash HAVING count(DISTINCT home_id) > 1) \
         SELECT m.phone_hash, m.home_id, a.starts_at, a.ends_at \
         FROM shared s \
         JOIN members m ON m.phone_hash = s.phone_hash \
         JOIN checkins c ON c.home_id = m.home_id AND c.member_id = m.id AND c.undone = 0 \
         JOIN activities a ON a.home_id = c.home_id AND a.id = c.activity_id \
         WHERE a.starts_at >= ?1 AND a.starts_at < ?2",
    )?;
    let window = (
        to_millis(from) - OVERLAP_MARGIN_MS,
        to_millis(until) + OVERLAP_MARGIN_MS,
    );
    let mut by_person: HashMap<String, Vec<Attendance>> = HashMap::new();
    let rows = statement.query_map(params![window.0, window.1], |row| {
        Ok((
            row.get::<_, String>(0)?,
            Attendance {
                home: row.get(1)?,
                starts_at: row.get(2)?,
                ends_at: row.get(3)?,
            },
        ))
    })?;
    for row in rows {
        let (person, attendance) = row?;
        by_person.entry(person).or_default().push(attendance);
    }
    let in_year = (to_millis(from), to_millis(until));
    let mut counts: HashMap<String, u32> = HashMap::new();
    for attendances in by_person.into_values() {
        for attendance in clashing(attendances) {
            if (in_year.0..in_year.1).contains(&attendance.starts_at) {
                *counts.entry(attendance.home).or_default() += 1;
            }
        }
    }
    Ok(counts)
}

/// The attendances of one person that overlap, in time, an attendance at another home.
fn clashing(mut attendances: Vec<Attendance>) -> Vec<Attendance> {
    attendances.sort_by_key(|a| (a.starts_at, a.ends_at));
    let mut clashed: HashSet<usize> = HashSet::new();
    // Sweep in order of start: every earlier attendance still running overlaps this one.
    let mut running: Vec<usize> = Vec::new();
    for (index, attendance) in attendances.iter().enumerate() {
        running.retain(|&open| attendances[open].ends_at > attendance.starts_at);
        for &open in &running {
            if attendances[open].home != attendance.home {
                clashed.insert(open);
                clashed.insert(index);
            }
        }
        running.push(index);
    }
    attendances
        .into_iter()
        .enumerate()
        .filter(|(index, _)| clashed.contains(index))
        .map(|(_, attendance)| attendance)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(home: &str, starts_at: i64, ends_at: i64) -> Attendance {
        Attendance {
            home: home.into(),
            starts_at,
            ends_at,
        }
    }

    #[test]
    fn only_attendances_overlapping_another_homes_clash() {
        let clashes = clashing(vec![
            at("b", 150, 250),
            at("a", 100, 200),
            // At the same home as one that clashes, but over before the other home's began.
            at("a", 120, 130),
            // Touching end to start is not overlapping.
            at("c", 250, 300),
            at("a", 400, 500),
        ]);
        assert_eq!(clashes, vec![at("a", 100, 200), at("b", 150, 250)]);
        assert!(clashing(vec![at("a", 0, 10), at("b", 10, 20)]).is_empty());
    }
}
