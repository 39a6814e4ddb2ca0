//! The home itself: its name, host unit, award month and the address members' phones open.
//! The staffer fills these in once after the first account (or the hub sends them at
//! enrolment); the settings file only gives the starting values.

use super::compliance::AwardMonth;
use super::{Invalid, optional_text, required_text};

/// What the home says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeProfile {
    pub name: String,
    /// The host unit (依托单位): the enterprise or park that runs the venue.
    pub host_unit: Option<String>,
    /// The month the plaque was awarded: months before it are not due.
    pub award: Option<AwardMonth>,
    /// Where phones reach the home: `http(s)://host[:port]`, no path. Unset, kejia works it
    /// out from the address it listens on.
    pub phone_base: Option<String>,
}

/// The profile form as typed.
#[derive(Debug, Default)]
pub struct ProfileForm<'a> {
    pub name: &'a str,
    pub host_unit: &'a str,
    /// `YYYY-MM` (an `<input type="month">`), or blank.
    pub award_month: &'a str,
    pub phone_base: &'a str,
}

impl HomeProfile {
    pub fn parse(form: &ProfileForm<'_>) -> Result<Self, Invalid> {
        Ok(Self {
            name: required_text("name", "本站名称", form.name, 60)?,
            host_unit: optional_text("host_unit", "依托单位", Some(form.host_unit), 60)?,
            award: match form.award_month.trim() {
                "" => None,
                month => Some(parse_award_month(month).ok_or_else(|| {
                    Invalid::new("award_month", "授牌月份应形如 2026-05（年-月）")
                })?),
            },
            phone_base: match form.phone_base.trim() {
                "" => None,
                url => Some(parse_phone_base(url).ok_or_else(|| {
                    Invalid::new(
                        "phone_base",
                        "手机访问地址应形如 http://192.168.1.20:8080（协议、主机和端口，结尾不加 /）",
                    )
                })?),
            },
        })
    }
}

impl AwardMonth {
    /// `2026-05`, as the month input and the settings file write it.
    pub fn to_form_value(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// `YYYY-MM` (or `YYYY-M`), years 2000 to 2100.
pub fn parse_award_month(raw: &str) -> Option<AwardMonth> {
    let (year, month) = raw.trim().split_once('-')?;
    let year: i16 = year.parse().ok()?;
    let month: i8 = month.parse().ok()?;
    ((1..=12).contains(&month) && (2000..=2100).contains(&year))
        .then_some(AwardMonth { year, month })
}

/// `http(s)://host[:port]`: the base of the URLs phones open, so nothing may follow the
/// authority (a path or a trailing slash would double up when paths are appended).
pub fn parse_phone_base(raw: &str) -> Option<String> {
    let url = raw.trim();
    let authority = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let (host, port) = split_authority(authority)?;
    let host_ok = if let Some(inner) = host.strip_prefix('[') {
        inner
            .strip_suffix(']')
            .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok())
    } else {
        !host.is_empty()
            && !host.starts_with(['-', '.'])
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u16>().is_ok_and(|n| n > 0)
    });
    (host_ok && port_ok).then(|| url.to_owned())
}

/// `host` and the optional port of `host[:port]` or `[v6]` / `[v6]:port`.
pub fn split_authority(authority: &str) -> Option<(&str, Option<&str>)> {
    if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        match rest {
            "" => Some((host, None)),
            _ => rest.strip_prefix(':').map(|port| (host, Some(port))),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => Some((host, Some(port))),
            None => Some((authority, None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form<'a>(name: &'a str, award: &'a str, base: &'a str) -> ProfileForm<'a> {
        ProfileForm {
            name,
            host_unit: "  益阳某新材料有限公司 ",
            award_month: award,
            phone_base: base,
        }
    }

    #[test]
    fn a_filled_form_becomes_a_profile() {
        let profile = HomeProfile::parse(&form(
            "高新区科技工作者之家",
            "2026-12",
            "http://192.168.1.20:8080",
        ))
        .unwrap();
        assert_eq!(profile.name, "高新区科技工作者之家");
        assert_eq!(profile.host_unit.as_deref(), Some("益阳某新材料有限公司"));
        assert_eq!(
            profile.award,
            Some(AwardMonth {
                year: 2026,
                month: 12
            })
        );
        assert_eq!(
            profile.phone_base.as_deref(),
            Some("http://192.168.1.20:8080")
        );
    }

    #[test]
    fn blank_optional_fields_stay_unset() {
        let profile = HomeProfile::parse(&form("之家", " ", "")).unwrap();
        assert_eq!((profile.award, profile.phone_base), (None, None));
    }

    #[test]
    fn bad_fields_are_named_in_chinese() {
        for (bad, field) in [
            (form("", "", ""), "name"),
            (form("之家", "2026-13", ""), "award_month"),
            (form("之家", "明年", ""), "award_month"),
            (form("之家", "", "192.168.1.20:8080"), "phone_base"),
            (form("之家", "", "http://192.168.1.20:8080/m"), "phone_base"),
        ] {
            let error = HomeProfile::parse(&bad).unwrap_err();
            assert_eq!(error.field, field);
            assert!(
                error
                    .message
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            );
        }
    }

    #[test]
    fn phone_bases_are_scheme_host_and_port_only() {
        for good in [
            "http://192.168.1.20:8080",
            "https://kejia.example.cn",
            "http://[fd00::1]:8080",
        ] {
            assert_eq!(parse_phone_base(good).as_deref(), Some(good));
        }
        for bad in [
            "ftp://x",
            "http://",
            "http://host/",
            "http://host:0",
            "http://host:99999",
            "http://-host",
            "http://[nothex]",
        ] {
            assert_eq!(parse_phone_base(bad), None, "{bad}");
        }
    }
}
