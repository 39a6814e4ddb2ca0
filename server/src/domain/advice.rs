//! The year's compliance in words, for the staffer's dashboard: what is missing and what to do
//! about it before the association's autumn evaluation.

use jiff::civil::Date;

use super::compliance::{Compliance, MIN_PARTICIPANTS};

/// Qualifying activities a home must hold in a year (全年不少于12次).
pub const YEARLY_ACTIVITIES: u32 = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The current month has no qualifying activity yet.
    ThisMonthEmpty { days_left: i32 },
    /// At one a month, the year can no longer reach its twelve: `needed` more in `months_left`.
    YearBehind { needed: u32, months_left: u32 },
    /// Activities not yet filed with the association.
    Unfiled { count: u32 },
    /// Earlier months of the year that passed without a qualifying activity (in order).
    MonthsMissed { months: Vec<i8> },
    /// An activity ended with too few participants.
    Short { title: String, participants: u32 },
}

impl Warning {
    /// What the staffer reads.
    pub fn text(&self) -> String {
        match self {
            Self::ThisMonthEmpty { days_left } => {
                format!("本月尚无达标活动，还剩 {days_left} 天")
            }
            Self::YearBehind {
                needed,
                months_left,
            } => format!(
                "全年需 {YEARLY_ACTIVITIES} 场达标活动，还差 {needed} 场，今年只剩 {months_left} 个月"
            ),
            Self::Unfiled { count } => format!("{count} 场活动尚未报送科协"),
            Self::MonthsMissed { months } => format!("{}没有达标活动", month_list(months)),
            Self::Short {
                title,
                participants,
            } => format!("《{title}》仅 {participants} 人参加，不足 {MIN_PARTICIPANTS} 人"),
        }
    }

    /// Whether the staffer can still do something about it this month: these come first and
    /// are marked urgent.
    pub fn is_urgent(&self) -> bool {
        matches!(self, Self::ThisMonthEmpty { .. } | Self::YearBehind { .. })
    }
}

/// `1–3、5、7 月`: runs of consecutive months joined, so a year of gaps reads as one line.
fn month_list(months: &[i8]) -> String {
    let mut runs: Vec<(i8, i8)> = Vec::new();
    for &month in months {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == month => *end = month,
            _ => runs.push((month, month)),
        }
    }
    let parts: Vec<String> = runs
        .iter()
        .map(|&(from, to)| match to - from {
            0 => format!("{from}"),
            1 => format!("{from}、{to}"),
            _ => format!("{from}–{to}"),
        })
        .collect();
    format!("{} 月", parts.join("、"))
}

/// The warnings for `compliance`, evaluated on `today` (the home's calendar), most urgent
/// first: what can still be done this month, then what to file, then what is past.
/// `unfiled` counts the year's held activities still in draft.
pub fn warnings(compliance: &Compliance, today: Date, unfiled: u32) -> Vec<Warning> {
    let mut out = Vec::new();
    let this_year = compliance.year == today.year();
    let mut missed = Vec::new();
    for &month in &compliance.missing_months {
        if this_year && month == today.month() {
            let days_left = i32::from(today.days_in_month()) - i32::from(today.day()) + 1;
            out.push(Warning::ThisMonthEmpty { days_left });
        } else {
            missed.push(month);
        }
    }
    if this_year {
        // This month and the ones after it; one qualifying activity a month is the pace.
        let months_left = u32::try_from(13 - today.month()).unwrap_or(0);
        let needed = YEARLY_ACTIVITIES.saturating_sub(compliance.qualifying_activities);
        if needed > months_left {
            out.push(Warning::YearBehind {
                needed,
                months_left,
            });
        }
    }
    if unfiled > 0 {
        out.push(Warning::Unfiled { count: unfiled });
    }
    if !missed.is_empty() {
        out.push(Warning::MonthsMissed { months: missed });
    }
    out.extend(compliance.short_activities.iter().map(|a| Warning::Short {
        title: a.title.clone(),
        participants: a.participants,
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::compliance::{MonthTally, ShortActivity};
    use crate::domain::ids::ActivityId;

    fn compliance(missing: Vec<i8>, short: Vec<(&str, u32)>) -> Compliance {
        Compliance {
            year: 2026,
            activities_held: 0,
            qualifying_activities: 0,
            months: (1..=12)
                .map(|month| MonthTally {
                    month,
                    activities: 0,
                    qualifying: 0,
                })
                .collect(),
            missing_months: missing,
            short_activities: short
                .into_iter()
                .map(|(title, participants)| ShortActivity {
                    id: ActivityId::new(),
                    title: title.into(),
                    participants,
                })
                .collect(),
            meets_rules: false,
        }
    }

    #[test]
    fn the_current_month_counts_the_days_left_including_today() {
        let mut year = compliance(vec![3, 11], vec![]);
        year.qualifying_activities = 10;
        let found = warnings(&year, jiff::civil::date(2026, 11, 22), 0);
        assert_eq!(found[0].text(), "本月尚无达标活动，还剩 9 天");
        assert!(found[0].is_urgent());
        assert_eq!(found[1].text(), "3 月没有达标活动");
        assert!(!found[1].is_urgent());
    }

    #[test]
    fn missed_months_collapse_into_one_line() {
        let mut year = compliance(vec![1, 2, 3, 5, 7, 8, 12], vec![]);
        year.year = 2025;
        let found = warnings(&year, jiff::civil::date(2026, 3, 1), 0);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text(), "1–3、5、7、8、12 月没有达标活动");
    }

    #[test]
    fn a_year_that_cannot_reach_twelve_at_one_a_month_says_how_many_are_needed() {
        let mut year = compliance(vec![], vec![]);
        year.qualifying_activities = 8;
        let found = warnings(&year, jiff::civil::date(2026, 11, 2), 0);
        assert_eq!(
            found,
            [Warning::YearBehind {
                needed: 4,
                months_left: 2
            }]
        );
        assert_eq!(
            found[0].text(),
            "全年需 12 场达标活动，还差 4 场，今年只剩 2 个月"
        );
        // On pace: one a month from now still makes twelve.
        year.qualifying_activities = 10;
        assert!(warnings(&year, jiff::civil::date(2026, 11, 2), 0).is_empty());
    }

    #[test]
    fn what_can_still_be_done_comes_before_what_is_past() {
        let mut year = compliance(vec![2, 12], vec![("量子计算讲座", 7)]);
        year.qualifying_activities = 11;
        let texts: Vec<String> = warnings(&year, jiff::civil::date(2026, 12, 5), 2)
            .iter()
            .map(Warning::text)
            .collect();
        assert_eq!(
            texts,
            [
                "本月尚无达标活动，还剩 27 天",
                "2 场活动尚未报送科协",
                "2 月没有达标活动",
                "《量子计算讲座》仅 7 人参加，不足 10 人",
            ]
        );
    }

    #[test]
    fn a_past_years_missing_months_are_all_missed_months() {
        let mut past = compliance(vec![11], vec![]);
        past.year = 2025;
        assert_eq!(
            warnings(&past, jiff::civil::date(2026, 11, 22), 0),
            [Warning::MonthsMissed { months: vec![11] }]
        );
    }
}
