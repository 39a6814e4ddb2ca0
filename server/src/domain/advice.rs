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
    /// An earlier month of the year passed without one.
    MonthMissed { month: i8 },
    /// An activity ended with too few participants.
    Short { title: String, participants: u32 },
    /// Activities not yet filed with the association.
    Unfiled { count: u32 },
}

impl Warning {
    /// What the staffer reads.
    pub fn text(&self) -> String {
        match self {
            Self::ThisMonthEmpty { days_left } => {
                format!("本月尚无达标活动，还剩 {days_left} 天")
            }
            Self::MonthMissed { month } => format!("{month} 月没有达标活动"),
            Self::Short {
                title,
                participants,
            } => format!("《{title}》仅 {participants} 人参加，不足 {MIN_PARTICIPANTS} 人"),
            Self::Unfiled { count } => format!("{count} 场活动尚未向科协报备"),
        }
    }
}

/// The warnings for `compliance`, evaluated on `today` (the home's calendar), most urgent first.
/// `unfiled` counts the year's held activities still in draft.
pub fn warnings(compliance: &Compliance, today: Date, unfiled: u32) -> Vec<Warning> {
    let mut out = Vec::new();
    let this_year = compliance.year == today.year();
    for &month in &compliance.missing_months {
        if this_year && month == today.month() {
            let days_left = i32::from(today.days_in_month()) - i32::from(today.day()) + 1;
            out.insert(0, Warning::ThisMonthEmpty { days_left });
        } else {
            out.push(Warning::MonthMissed { month });
        }
    }
    out.extend(compliance.short_activities.iter().map(|a| Warning::Short {
        title: a.title.clone(),
        participants: a.participants,
    }));
    if unfiled > 0 {
        out.push(Warning::Unfiled { count: unfiled });
    }
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
        let found = warnings(
            &compliance(vec![3, 11], vec![]),
            jiff::civil::date(2026, 11, 22),
            0,
        );
        assert_eq!(found[0].text(), "本月尚无达标活动，还剩 9 天");
        assert_eq!(found[1].text(), "3 月没有达标活动");
    }

    #[test]
    fn short_and_unfiled_activities_are_named() {
        let found = warnings(
            &compliance(vec![], vec![("量子计算讲座", 7)]),
            jiff::civil::date(2026, 5, 1),
            2,
        );
        let texts: Vec<String> = found.iter().map(Warning::text).collect();
        assert_eq!(
            texts,
            [
                "《量子计算讲座》仅 7 人参加，不足 10 人",
                "2 场活动尚未向科协报备"
            ]
        );
    }

    #[test]
    fn a_past_years_missing_months_are_all_missed_months() {
        let mut past = compliance(vec![11], vec![]);
        past.year = 2025;
        assert_eq!(
            warnings(&past, jiff::civil::date(2026, 11, 22), 0),
            [Warning::MonthMissed { month: 11 }]
        );
    }
}
