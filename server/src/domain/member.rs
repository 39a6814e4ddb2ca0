//! Members: the science and technology workers who use the home.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::ids::MemberId;
use super::phone::Phone;
use super::{Invalid, optional_text, required_text};

/// The version of the consent wording a member agreed to; bump it whenever
/// [`CONSENT_TEXT`] changes, so every record says which words were shown.
pub const CONSENT_VERSION: &str = "2026-11-v1";

/// What a member agrees to when registering (PIPL arts. 13-14: purpose, data, retention).
pub const CONSENT_TEXT: &str = "本人同意科技工作者之家收集并保存本人的姓名、手机号、工作单位、学科和职称，\
用于活动签到、到访登记和出勤统计。手机号仅工作人员可见，不提供给任何第三方。\
本人可随时要求查阅、更正或删除本人信息。";

/// The separate, optional consent to name the member in what the association receives.
pub const CONSENT_SHARE_TEXT: &str =
    "本人同意将本人的姓名、工作单位及活动出勤记录报送益阳市科协，用于科技工作者之家考核评估。";

/// A member's name as they wrote it: stored literally, escaped wherever shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberName(String);

impl MemberName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        required_text("name", "姓名", raw, 50).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    Suspended,
    /// Personal data deleted on request; past check-ins stay counted, anonymously.
    Erased,
}

impl MemberStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Erased => "erased",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            "erased" => Some(Self::Erased),
            _ => None,
        }
    }

    /// The statuses staff may set by hand; erasure is its own, irreversible operation.
    pub fn parse_settable(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            _ => Err(Invalid::new(
                "status",
                "状态只能是 active（正常）或 suspended（暂停）",
            )),
        }
    }
}

/// Everything a registration must hold, validated.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub name: MemberName,
    pub phone: Phone,
    pub employer: String,
    pub discipline: Option<String>,
    pub title: Option<String>,
    pub consent_share: bool,
}

/// The raw fields of a registration, as any client sends them.
#[derive(Debug, Clone, Default)]
pub struct Registration<'a> {
    pub name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub employer: Option<&'a str>,
    pub discipline: Option<&'a str>,
    pub title: Option<&'a str>,
    pub consent: Option<bool>,
    pub consent_share: Option<bool>,
}

impl NewMember {
    pub fn parse(raw: &Registration<'_>) -> Result<Self, Invalid> {
        if raw.consent != Some(true) {
            return Err(Invalid::new(
                "consent",
                "须同意个人信息收集与使用说明后才能登记",
            ));
        }
        Ok(Self {
            name: MemberName::parse(raw.name.unwrap_or_default())?,
            phone: Phone::parse(raw.phone.unwrap_or_default())?,
            employer: parse_employer(raw.employer.unwrap_or_default())?,
            discipline: parse_discipline(raw.discipline)?,
            title: parse_title(raw.title)?,
            consent_share: raw.consent_share.unwrap_or(false),
        })
    }
}

pub fn parse_employer(raw: &str) -> Result<String, Invalid> {
    required_text("employer", "工作单位", raw, 100)
}

pub fn parse_discipline(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    optional_text("discipline", "学科", raw, 50)
}

pub fn parse_title(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    optional_text("title", "职称", raw, 50)
}

/// A member as the store holds them.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: MemberId,
    pub name: String,
    /// Normalised digits; empty once erased.
    pub phone: String,
    pub employer: String,
    pub discipline: Option<String>,
    pub title: Option<String>,
    pub status: MemberStatus,
    pub consent_at: Timestamp,
    pub consent_version: String,
    pub consent_share: bool,
    /// The QR text; `None` once revoked.
    pub credential: Option<String>,
    pub cards: Vec<String>,
    pub created_at: Timestamp,
}

/// When the member's consent to share (their name reaching the association) was given, after a
/// staffer's change: `Some(Some(now))` when it is given now, `Some(None)` when it is withdrawn,
/// `None` when it stays as it was (given again keeps the first time).
pub fn consent_share_since(
    asked: Option<bool>,
    given: bool,
    now: Timestamp,
) -> Option<Option<Timestamp>> {
    match asked {
        Some(true) if !given => Some(Some(now)),
        Some(false) => Some(None),
        _ => None,
    }
}

/// `张*明`: a name as a public screen (the kiosk) shows it.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.as_slice() {
        [] => String::new(),
        [only] => only.to_string(),
        [first, _] => format!("{first}*"),
        [first, middle @ .., last] => {
            let stars = "*".repeat(middle.len());
            format!("{first}{stars}{last}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_to_share_is_dated_when_given_and_cleared_when_withdrawn() {
        let now: Timestamp = "2026-05-12T02:00:00Z".parse().expect("now");
        assert_eq!(consent_share_since(Some(true), false, now), Some(Some(now)));
        assert_eq!(
            consent_share_since(Some(true), true, now),
            None,
            "given again keeps the first time"
        );
        assert_eq!(consent_share_since(Some(false), true, now), Some(None));
        assert_eq!(consent_share_since(None, true, now), None);
    }

    fn registration() -> Registration<'static> {
        Registration {
            name: Some("张三明"),
            phone: Some("13800138000"),
            employer: Some("益阳高新区某公司"),
            consent: Some(true),
            ..Registration::default()
        }
    }

    #[test]
    fn a_complete_registration_parses() {
        let member = NewMember::parse(&registration()).expect("valid");
        assert_eq!(member.name.as_str(), "张三明");
        assert!(!member.consent_share, "sharing is opt-in");
    }

    #[test]
    fn registration_without_consent_is_refused() {
        for consent in [None, Some(false)] {
            let err = NewMember::parse(&Registration {
                consent,
                ..registration()
            })
            .expect_err("no consent");
            assert_eq!(err.field, "consent");
        }
    }

    #[test]
    fn names_are_kept_literally_but_not_blank_or_with_control_characters() {
        let hostile = "<script>alert(1)</script>'\"; DROP TABLE m;--";
        let name = MemberName::parse(hostile).expect("literal text is fine");
        assert_eq!(name.as_str(), hostile);
        assert_eq!(MemberName::parse("   ").expect_err("blank").field, "name");
        assert_eq!(MemberName::parse("a\u{0}b").expect_err("nul").field, "name");
        assert_eq!(
            MemberName::parse(&"名".repeat(51)).expect_err("long").field,
            "name"
        );
    }

    #[test]
    fn masked_names_keep_first_and_last_character() {
        assert_eq!(mask_name("张三明"), "张*明");
        assert_eq!(mask_name("欧阳娜娜"), "欧**娜");
        assert_eq!(mask_name("李四"), "李*");
        assert_eq!(mask_name("𠀀"), "𠀀");
    }
}
