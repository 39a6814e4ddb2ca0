//! Article 4 of the association's rules: at least one activity a month, twelve a year, each with
//! at least ten participants. Months and years are those of the home's calendar, not UTC's.
//!
//! Only activities that have ended count ([`Tally::has_ended`]). The external contract says "an
//! activity is held when it is not cancelled and starts in the period"; issue 14 narrowed that,
//! here and nowhere else, to activities that have also ended: a lecture planned for next week
//! (or still running) is not yet "已举办", and counting it made the home's figures, the hub's
//! evaluation and the public results claim activities that had not happened. The home's
//! compliance, its dashboard and the hub's evaluation all call [`evaluate`], so they agree.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::ids::ActivityId;

/// Participants an activity needs to qualify (每次活动参与人数不少于10人).
pub const MIN_PARTICIPANTS: u32 = 10;

/// What compliance needs to know of one activity.
#[derive(Debug, Clone)]
pub struct Tally {
    pub id: ActivityId,
    pub title: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub cancelled: bool,
    /// A staffer closed check-in by hand ("结束签到"): the activity counts as ended even
    /// before its scheduled end.
    pub checkin_closed: bool,
    pub participants: u32,
}

impl Tally {
    /// Whether the activity is over as of `now`: its end has passed, or a staffer closed
    /// check-in early. Only such an activity is held (or short).
    pub fn has_ended(&self, now: Timestamp) -> bool {
        self.checkin_closed || self.ends_at <= now
    }
}

/// The month the home was awarded its plaque: months before it are not due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwardMonth {
    pub year: i16,
    pub month: i8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthTally {
    pub month: i8,
    pub activities: u32,
    pub qualifying: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShortActivity {
    pub id: ActivityId,
    pub title: String,
    pub participants: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compliance {
    pub year: i16,
    pub activities_held: u32,
    pub qualifying_activities: u32,
    pub months: Vec<MonthTally>,
    pub missing_months: Vec<i8>,
    pub short_activities: Vec<ShortActivity>,
    pub meets_rules: bool,
}

/// Evaluates one calendar year of the home's activities as of `now`.
///
/// An activity is held when it is not cancelled, starts in the year and has ended
/// ([`Tally::has_ended`]; see the module's comment for why the contract's rule is narrowed); it
/// qualifies with at least [`MIN_PARTICIPANTS`]. A month is missing when it is due and no
/// qualifying activity starts in it; months after today are not yet due, nor months before the
/// award month. An activity is short when it has ended with fewer than ten participants (one
/// still running may yet fill up, and is neither held nor short).
pub fn evaluate(
    year: i16,
    activities: &[Tally],
    now: Timestamp,
    tz: &TimeZone,
    award: Option<AwardMonth>,
) -> Compliance {
    let mut months: Vec<MonthTally> = (1..=12)
        .map(|month| MonthTally {
            month,
            activities: 0,
            qualifying: 0,
        })
        .collect();
    let mut short_activities = Vec::new();
    for activity in activities
        .iter()
        .filter(|a| !a.cancelled && a.has_ended(now))
    {
        let start = activity.starts_at.to_zoned_datetime(tz.clone());
        if start.year() != year {
            continue;
        }
        let tally = &mut months[month_index(start.month())];
        tally.activities += 1;
        if activity.participants >= MIN_PARTICIPANTS {
            tally.qualifying += 1;
        } else {
            short_activities.push(ShortActivity {
                id: activity.id,
                title: activity.title.clone(),
                participants: activity.participants,
            });
        }
    }
    let today = now.to_zoned_datetime(tz.clone()).date();
    let missing_months: Vec<i8> = months
        .iter()
        .filter(|m| m.qualifying == 0 && is_due(year, m.month, today, award))
        .map(|m| m.month)
        .collect();
    Compliance {
        year,
        activities_held: months.iter().map(|m| m.activities).sum(),
        qualifying_activities: months.iter().map(|m| m.qualifying).sum(),
        meets_rules: missing_months.is_empty() && short_activities.is_empty(),
        months,
        missing_months,
        short_activities,
    }
}

fn month_index(month: i8) -> usize {
    usize::try_from(month - 1).unwrap_or(0).min(11)
}

/// The month from which a home's months are due: its award month, or without one the month it
/// was set up (a home set up in December is not told that January to November were missed).
pub fn counted_from(
    award: Option<AwardMonth>,
    set_up: Option<Timestamp>,
    tz: &TimeZone,
) -> Option<AwardMonth> {
    award.or_else(|| {
        set_up.map(|at| {
            let day = at.to_zoned_datetime(tz.clone()).date();
            AwardMonth {
                year: day.year(),
                month: day.month(),
            }
        })
    })
}

/// Whether a month of `year` must already hold a qualifying activity.
pub fn is_due(year: i16, month: i8, today: Date, award: Option<AwardMonth>) -> bool {
    let not_future = (year, month) <= (today.year(), today.month());
    let after_award = award.is_none_or(|a| (year, month) >= (a.year, a.month));
    not_future && after_award
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").expect("tz")
    }

    fn tally(starts: &str, participants: u32) -> Tally {
        let starts_at: Timestamp = starts.parse().expect("timestamp");
        Tally {
            id: ActivityId::new(),
            title: format!("活动 {starts}"),
            starts_at,
            ends_at: starts_at + jiff::SignedDuration::from_hours(2),
            cancelled: false,
            checkin_closed: false,
            participants,
        }
    }

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn a_full_year_with_one_empty_month_and_short_activities() {
        let mut activities: Vec<Tally> = (1..=12)
            .filter(|m| *m != 7)
            .map(|m| tally(&format!("2025-{m:02}-15T02:00:00Z"), 12))
            .collect();
        let short = tally("2025-03-20T02:00:00Z", 7);
        let short_id = short.id;
        activities.push(short);
        let mut cancelled = tally("2025-07-01T02:00:00Z", 30);
        cancelled.cancelled = true;
        activities.push(cancelled);

        let report = evaluate(
            2025,
            &activities,
            at("2026-01-10T00:00:00Z"),
            &shanghai(),
            None,
        );
        assert_eq!(report.activities_held, 12);
        assert_eq!(report.qualifying_activities, 11);
        assert_eq!(report.missing_months, vec![7]);
        assert_eq!(report.short_activities.len(), 1);
        assert_eq!(report.short_activities[0].id, short_id);
        assert_eq!(
            report.months[2],
            MonthTally {
                month: 3,
                activities: 2,
                qualifying: 1
            }
        );
        assert!(!report.meets_rules);
    }

    #[test]
    fn months_are_those_of_china_not_utc() {
        // 23:59 on 31 March in Shanghai is 15:59 UTC on the same day; 00:30 on 1 April in
        // Shanghai is still 31 March in UTC.
        let activities = [
            tally("2026-03-31T15:59:00Z", 10),
            tally("2026-03-31T16:30:00Z", 10),
        ];
        let report = evaluate(
            2026,
            &activities,
            at("2026-12-31T00:00:00Z"),
            &shanghai(),
            None,
        );
        assert_eq!(report.months[2].qualifying, 1, "March");
        assert_eq!(report.months[3].qualifying, 1, "April");
    }

    #[test]
    fn new_year_in_china_comes_eight_hours_before_utc() {
        // 2025-12-31T16:30Z is 00:30 on 1 January 2026 in Shanghai.
        let activities = [tally("2025-12-31T16:30:00Z", 15)];
        let now = at("2026-06-01T00:00:00Z");
        assert_eq!(
            evaluate(2026, &activities, now, &shanghai(), None).months[0].qualifying,
            1
        );
        assert_eq!(
            evaluate(2025, &activities, now, &shanghai(), None).activities_held,
            0
        );
    }

    #[test]
    fn future_months_and_months_before_the_award_are_not_due() {
        let activities = [tally("2026-05-10T02:00:00Z", 11)];
        // 28 November 2026: December is not due yet, November is.
        let now = at("2026-11-28T04:00:00Z");
        let award = Some(AwardMonth {
            year: 2026,
            month: 5,
        });
        let report = evaluate(2026, &activities, now, &shanghai(), award);
        assert_eq!(report.missing_months, vec![6, 7, 8, 9, 10, 11]);
        let report = evaluate(2026, &activities, now, &shanghai(), None);
        assert_eq!(report.missing_months, vec![1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
        assert!(
            evaluate(2027, &activities, now, &shanghai(), None)
                .missing_months
                .is_empty()
        );
    }

    #[test]
    fn an_activity_still_running_is_not_yet_short() {
        let running = tally("2026-11-28T03:00:00Z", 3);
        let report = evaluate(
            2026,
            &[running],
            at("2026-11-28T04:00:00Z"),
            &shanghai(),
            Some(AwardMonth {
                year: 2026,
                month: 11,
            }),
        );
        assert!(report.short_activities.is_empty());
        assert_eq!(report.missing_months, vec![11]);
        assert_eq!(report.activities_held, 0, "not held while it runs");
    }

    #[test]
    fn only_activities_that_have_ended_are_held() {
        let now = at("2026-11-28T04:00:00Z");
        let past = tally("2026-11-20T02:00:00Z", 11);
        // Running: started at 11:00 in Shanghai, ends at 13:00; twelve already in.
        let running = tally("2026-11-28T03:00:00Z", 12);
        let future = tally("2026-11-30T02:00:00Z", 15);
        let future_short = tally("2026-11-30T06:00:00Z", 2);
        let report = evaluate(
            2026,
            &[past, running.clone(), future.clone(), future_short],
            now,
            &shanghai(),
            None,
        );
        assert_eq!(report.activities_held, 1);
        assert_eq!(report.qualifying_activities, 1);
        assert_eq!(
            report.months[10],
            MonthTally {
                month: 11,
                activities: 1,
                qualifying: 1
            }
        );
        assert!(report.short_activities.is_empty(), "nothing short yet");

        // The running one ends; the future one is closed early by a staffer.
        let mut closed = future;
        closed.checkin_closed = true;
        let later = at("2026-11-28T05:00:00Z");
        let report = evaluate(2026, &[running, closed], later, &shanghai(), None);
        assert_eq!(report.activities_held, 2);
        assert_eq!(report.qualifying_activities, 2);
    }

    #[test]
    fn an_activity_closed_early_with_few_participants_is_short() {
        let mut closed = tally("2026-11-30T02:00:00Z", 3);
        closed.checkin_closed = true;
        let now = at("2026-11-28T04:00:00Z");
        assert!(closed.has_ended(now));
        let report = evaluate(2026, &[closed], now, &shanghai(), None);
        assert_eq!(report.activities_held, 1);
        assert_eq!(report.short_activities.len(), 1);
        assert!(!report.meets_rules);
    }

    #[test]
    fn a_year_with_a_qualifying_activity_every_month_meets_the_rules() {
        let activities: Vec<Tally> = (1..=12)
            .map(|m| tally(&format!("2025-{m:02}-15T02:00:00Z"), 10))
            .collect();
        let report = evaluate(
            2025,
            &activities,
            at("2026-02-01T00:00:00Z"),
            &shanghai(),
            None,
        );
        assert!(report.meets_rules);
        assert_eq!(report.qualifying_activities, 12);
    }
}
