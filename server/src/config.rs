//! The home's settings: a TOML file (see `kejia.example.toml`), overridden by `KEJIA_*`
//! environment variables, checked once at start-up into [`Settings`].

use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::clock::ClockTrust;
use crate::domain::activity::CheckinWindow;
use crate::domain::compliance::AwardMonth;
use crate::domain::home;
use crate::domain::rating::Thresholds;

/// The annotated example, printed by `kejia config example`.
pub const EXAMPLE: &str = include_str!("../../kejia.example.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("无法读取配置文件 {path}：{source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("配置文件 {path} 有误：{source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("不认识的时区 {0:?}，请用 IANA 名称，例如 Asia/Shanghai")]
    TimeZone(String),
    #[error("award_month {0:?} 的格式应如 2026-05")]
    AwardMonth(String),
    #[error("checkin_opens_before_minutes 和 checkin_closes_after_minutes 须在 0 到 1440 之间")]
    CheckinWindow,
    #[error(
        "public_url {0:?} 的格式应如 http://192.168.1.20:8080 或 https://kejia.example.cn（协议、主机，可加端口；不带路径，结尾不加斜杠）"
    )]
    PublicUrl(String),
    #[error("clock {0:?} 须为 \"system\"、\"kernel\" 或 \"never\"")]
    Clock(String),
    #[error(
        "[evaluation]：excellent_qualifying 须在 1 到 366 之间，manual_percent 在 0 到 100 之间，silent_days 在 1 到 366 之间"
    )]
    Evaluation,
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
    /// The address phones use to reach this home ("http://192.168.1.20:8080"); the kiosk's
    /// check-in QR code points there. Unset: this machine's LAN address.
    pub public_url: Option<String>,
    /// Whether to believe the system clock: "system" (as it is), "kernel" (once the kernel says
    /// a time service synchronised it: the setting for a Pi) or "never".
    pub clock: String,
    /// The hub's thresholds for the suggested rating and the integrity flags (a home ignores
    /// them).
    pub evaluation: RawThresholds,
}

/// `[evaluation]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawThresholds {
    pub excellent_qualifying: u32,
    pub manual_percent: u32,
    pub silent_days: u32,
}

impl Default for RawThresholds {
    fn default() -> Self {
        let usual = Thresholds::default();
        Self {
            excellent_qualifying: usual.excellent_qualifying,
            manual_percent: usual.manual_percent,
            silent_days: usual.silent_days,
        }
    }
}

impl RawThresholds {
    fn check(&self) -> Result<Thresholds, ConfigError> {
        let fits = (1..=366).contains(&self.excellent_qualifying)
            && self.manual_percent <= 100
            && (1..=366).contains(&self.silent_days);
        if !fits {
            return Err(ConfigError::Evaluation);
        }
        Ok(Thresholds {
            excellent_qualifying: self.excellent_qualifying,
            manual_percent: self.manual_percent,
            silent_days: self.silent_days,
        })
    }
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            home_name: "科技工作者之家".into(),
            time_zone: "Asia/Shanghai".into(),
            award_month: None,
            checkin_opens_before_minutes: i64::from(CheckinWindow::default().opens_before_min()),
            checkin_closes_after_minutes: i64::from(CheckinWindow::default().closes_after_min()),
            public_url: None,
            clock: "system".into(),
            evaluation: RawThresholds::default(),
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
    /// Where phones reach the home (scheme, host, optional port; no trailing slash), if set.
    pub public_url: Option<String>,
    /// How the home decides whether its clock is right.
    pub clock: ClockTrust,
    /// The hub's evaluation thresholds.
    pub evaluation: Thresholds,
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
        if let Ok(url) = std::env::var("KEJIA_PUBLIC_URL") {
            raw.public_url = Some(url);
        }
        if let Ok(clock) = std::env::var("KEJIA_CLOCK") {
            raw.clock = clock;
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
        let public_url = self
            .public_url
            .as_deref()
            .map(parse_public_url)
            .transpose()?;
        let evaluation = self.evaluation.check()?;
        let clock = ClockTrust::parse(self.clock.trim())
            .ok_or_else(|| ConfigError::Clock(self.clock.clone()))?;
        Ok(Settings {
            data_dir,
            home_name: self.home_name,
            tz,
            award,
            checkin_window,
            public_url,
            clock,
            evaluation,
        })
    }
}

/// `http(s)://host[:port]`: the base of the URLs phones open.
fn parse_public_url(raw: &str) -> Result<String, ConfigError> {
    home::parse_phone_base(raw).ok_or_else(|| ConfigError::PublicUrl(raw.to_owned()))
}

fn parse_award_month(raw: &str) -> Result<AwardMonth, ConfigError> {
    home::parse_award_month(raw).ok_or_else(|| ConfigError::AwardMonth(raw.to_owned()))
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
    fn the_evaluation_thresholds_are_read_and_checked() {
        let raw: RawConfig =
            toml::from_str("[evaluation]\nexcellent_qualifying = 24\nmanual_percent = 50\n")
                .expect("parses");
        let settings = raw.check(PathBuf::from("x")).expect("checks");
        assert_eq!(settings.evaluation.excellent_qualifying, 24);
        assert_eq!(settings.evaluation.manual_percent, 50);
        assert_eq!(settings.evaluation.silent_days, 30);
        let raw: RawConfig =
            toml::from_str("[evaluation]\nmanual_percent = 101\n").expect("parses");
        assert!(matches!(
            raw.check(PathBuf::from("x")),
            Err(ConfigError::Evaluation)
        ));
        assert!(toml::from_str::<RawConfig>("[evaluation]\nexcelent = 3\n").is_err());
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

    #[test]
    fn public_urls_are_scheme_host_and_port_only() {
        for good in [
            "http://192.168.1.20:8080",
            "https://kejia.example.cn",
            "http://kejia-home.local:80",
            "http://[fd00::20]:8080",
        ] {
            assert_eq!(parse_public_url(good).ok().as_deref(), Some(good), "{good}");
        }
        for bad in [
            "192.168.1.20:8080",
            "http://192.168.1.20:8080/",
            "https://kejia.example.cn/m",
            "ftp://kejia.example.cn",
            "http://",
            "http://host:0",
            "http://host:99999",
            "http://host:",
            "http://user@host",
            "http://[fd00::20",
            "http://host?x=1",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }
}
