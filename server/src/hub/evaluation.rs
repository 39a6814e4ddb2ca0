//! The yearly evaluation of every home, counted only from what the homes synced, with the
//! same rules (domain::compliance) the homes apply to themselves, so the figures agree; the
//! suggested rating and the integrity flags follow the association's thresholds
//! (domain::rating).
//!
//! Two reads serve all homes at once, both from covering indexes (hub migration 0004) and both
//! in `hub::store`: one tally per activity of the year, and the check-ins of members whose phone
//! hash is known at more than one home. Everything else is arithmetic here.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::Connection;
use serde::Serialize;

use super::store::{self, HeldActivity};
use crate::domain::compliance::{self, AwardMonth, Compliance, Tally};
use crate::domain::rating::{self, Thresholds};
use crate::store::{Result, to_millis};

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
    let homes = store::enrolled_homes(conn)?
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

fn activity_flags(activities: &[HeldActivity], thresholds: &Thresholds) -> Vec<String> {
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

/// The activities starting in the year, by home.
fn held_by_home(
    conn: &Connection,
    from: Timestamp,
    until: Timestamp,
) -> Result<HashMap<String, Vec<HeldActivity>>> {
    let mut by_home: HashMap<String, Vec<HeldActivity>> = HashMap::new();
    for activity in store::activities_held(conn, from, until)? {
        by_home
            .entry(activity.home_id.clone())
            .or_default()
            .push(activity);
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
    let window = (
        to_millis(from) - OVERLAP_MARGIN_MS,
        to_millis(until) + OVERLAP_MARGIN_MS,
    );
    let mut by_person: HashMap<String, Vec<Attendance>> = HashMap::new();
    for shared in store::shared_attendances(conn, window.0, window.1)? {
        by_person
            .entry(shared.phone_hash)
            .or_default()
            .push(Attendance {
                home: shared.home_id,
                starts_at: shared.starts_at,
                ends_at: shared.ends_at,
            });
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
