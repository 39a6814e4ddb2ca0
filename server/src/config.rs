//! The home's settings: a TOML file (see `kejia.example.toml`), overridden by `KEJIA_*`
//! environment variables, checked once at start-up into [`Settings`].

use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::domain::activity::CheckinWindow;
use crate::domain::compliance::AwardMonth;

/// The annotated example, printed by `kejia config example`.
pub const EXAMPLE: &str = include_str!("../../kejia.example.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("unknown time zone {0:?}; use an IANA name such as Asia/Shanghai")]
    TimeZone(String),
    #[error("award_month {0:?} must look like 2026-05")]
    AwardMonth(String),
    #[error("checkin_opens_before_minutes and checkin_closes_after_minutes must be 0 to 1440")]
    CheckinWindow,
}

/// The file as written; every field has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawConfig {
    /// The home's name, shown on screens and exports.
    pub home_name: String,
    /// The home's calendar: which month and day an instant belongs to.
    pub time_zone: String,
    /// The month the association awarded the plaque ("2026-05"); earlier months are not due.
    pub award_month: Option<String>,
    /// Minutes before an activity's start that check-in opens, unless the activity says otherwise.
    pub checkin_opens_before_minutes: i64,
    /// Minutes after an activity's end that check-in stays open, unless the activity says otherwise.
    pub checkin_closes_after_minutes: i64,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            home_name: "科技工作者之家".into(),
            time_zone: "Asia/Shanghai".into(),
            award_month: None,
            checkin_opens_before_minutes: i64::from(CheckinWindow::default().opens_before_min()),
            checkin_closes_after_minutes: i64::from(CheckinWindow::default().closes_after_min()),
        }
    }
}

/// Checked settings the home runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub home_name: String,
    pub tz: TimeZone,
    pub award: Option<AwardMonth>,
    /// The check-in window of new activities that do not set their own.
    pub checkin_window: CheckinWindow,
}

impl RawConfig {
    /// Reads the file if one is given, then applies environment overrides.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let mut raw = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: path.to_owned(),
                    source: Box::new(source),
                })?
            }
            None => Self::default(),
        };
        if let Ok(name) = std::env::var("KEJIA_HOME_NAME") {
            raw.home_name = name;
        }
        if let Ok(tz) = std::env::var("KEJIA_TIME_ZONE") {
            raw.time_zone = tz;
        }
        if let Ok(month) = std::env::var("KEJIA_AWARD_MONTH") {
            raw.award_month = Some(month);
        }
        Ok(raw)
    }

    pub fn check(self, data_dir: PathBuf) -> Result<Settings, ConfigError> {
        let tz = TimeZone::get(&self.time_zone)
            .map_err(|_| ConfigError::TimeZone(self.time_zone.clone()))?;
        let award = self
            .award_month
            .as_deref()
            .map(parse_award_month)
            .transpose()?;
        let checkin_window = CheckinWindow::new(
            self.checkin_opens_before_minutes,
            self.checkin_closes_after_minutes,
        )
        .map_err(|_| ConfigError::CheckinWindow)?;
        Ok(Settings {
            data_dir,
            home_name: self.home_name,
            tz,
            award,
            checkin_window,
        })
    }
}

fn parse_award_month(raw: &str) -> Result<AwardMonth, ConfigError> {
    let bad = || ConfigError::AwardMonth(raw.to_owned());
    let (year, month) = raw.trim().split_once('-').ok_or_else(bad)?;
    let year: i16 = year.parse().map_err(|_| bad())?;
    let month: i8 = month.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) || !(2000..=2100).contains(&year) {
        return Err(bad());
    }
    Ok(AwardMonth { year, month })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_example_parses_and_checks() {
        let raw: RawConfig = toml::from_str(EXAMPLE).expect("example parses");
        let settings = raw.check(PathBuf::from("x")).expect("example checks");
        assert_eq!(settings.tz.iana_name(), Some("Asia/Shanghai"));
    }

    #[test]
    fn award_months_must_be_real() {
        assert_eq!(
            parse_award_month("2026-05").ok(),
            Some(AwardMonth {
                year: 2026,
                month: 5
            })
        );
        assert!(parse_award_month("2026-13").is_err());
        assert!(parse_award_month("May 2026").is_err());
    }
}
