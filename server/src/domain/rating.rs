//! The association's yearly judgement of a home: a suggested rating from the home's compliance,
//! and the integrity checks that tell the association where to look closer. The thresholds are
//! the association's to set (`[evaluation]` in the hub's settings); the rating itself is always
//! decided by a person.

use serde::Serialize;

use super::compliance::Compliance;

/// What the association set; the defaults are a starting point, not policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Qualifying activities in a year for a suggested 优秀 (the rules ask for twelve).
    pub excellent_qualifying: u32,
    /// Percentage of an activity's participants entered by hand above which it is flagged (a
    /// paper sheet now and then is normal; a whole activity typed in is not).
    pub manual_percent: u32,
    /// Days without a sync after which a home is flagged.
    pub silent_days: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            excellent_qualifying: 18,
            manual_percent: 30,
            silent_days: 30,
        }
    }
}

/// A suggestion shown beside the figures: 优秀, 合格 or 不合格.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Suggested {
    #[serde(rename = "优秀")]
    Excellent,
    #[serde(rename = "合格")]
    Qualified,
    #[serde(rename = "不合格")]
    Failed,
}

impl Suggested {
    pub fn label(self) -> &'static str {
        match self {
            Self::Excellent => "优秀",
            Self::Qualified => "合格",
            Self::Failed => "不合格",
        }
    }
}

pub fn suggest(compliance: &Compliance, thresholds: &Thresholds) -> Suggested {
    if !compliance.meets_rules {
        Suggested::Failed
    } else if compliance.qualifying_activities >= thresholds.excellent_qualifying {
        Suggested::Excellent
    } else {
        Suggested::Qualified
    }
}

/// Whether an activity with `manual` of its `participants` entered by hand is worth a look.
pub fn mostly_manual(manual: u32, participants: u32, thresholds: &Thresholds) -> bool {
    participants > 0
        && u64::from(manual) * 100 > u64::from(participants) * u64::from(thresholds.manual_percent)
}

/// Whether a home last heard from `silent_for_days` ago (never: `None`) is flagged.
pub fn is_silent(silent_for_days: Option<i64>, thresholds: &Thresholds) -> bool {
    silent_for_days.is_none_or(|days| days > i64::from(thresholds.silent_days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compliance(meets_rules: bool, qualifying: u32) -> Compliance {
        Compliance {
            year: 2026,
            activities_held: qualifying,
            qualifying_activities: qualifying,
            months: Vec::new(),
            missing_months: Vec::new(),
            short_activities: Vec::new(),
            meets_rules,
        }
    }

    #[test]
    fn the_suggestion_follows_the_rules_and_the_associations_threshold() {
        let usual = Thresholds::default();
        assert_eq!(suggest(&compliance(false, 30), &usual), Suggested::Failed);
        assert_eq!(suggest(&compliance(true, 17), &usual), Suggested::Qualified);
        assert_eq!(suggest(&compliance(true, 18), &usual), Suggested::Excellent);
        let strict = Thresholds {
            excellent_qualifying: 24,
            ..usual
        };
        assert_eq!(
            suggest(&compliance(true, 18), &strict),
            Suggested::Qualified
        );
        assert_eq!(Suggested::Excellent.label(), "优秀");
        assert_eq!(
            serde_json::to_value(Suggested::Failed).unwrap(),
            serde_json::json!("不合格")
        );
    }

    #[test]
    fn manual_entries_are_flagged_above_the_share_the_association_set() {
        let usual = Thresholds::default();
        assert!(!mostly_manual(3, 10, &usual));
        assert!(mostly_manual(4, 10, &usual));
        assert!(!mostly_manual(0, 0, &usual));
        let lenient = Thresholds {
            manual_percent: 50,
            ..usual
        };
        assert!(!mostly_manual(5, 10, &lenient));
        assert!(mostly_manual(6, 10, &lenient));
    }

    #[test]
    fn a_home_never_heard_from_or_quiet_too_long_is_silent() {
        let usual = Thresholds::default();
        assert!(is_silent(None, &usual));
        assert!(!is_silent(Some(30), &usual));
        assert!(is_silent(Some(31), &usual));
    }
}
