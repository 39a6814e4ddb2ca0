//! A home as the association registers it: its host unit (依托单位), type, address, the staffer
//! to contact, and its life cycle: applied (申报), awarded with a date (授牌), rated once a year
//! by the association (不合格 / 合格 / 优秀).
//!
//! Plain types and `parse` functions, no SQL and no HTTP; the error texts are what the
//! association's staff read.

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::{Invalid, optional_text, required_text};

pub const NAME_MAX: usize = 100;
pub const HOST_UNIT_MAX: usize = 100;
pub const ADDRESS_MAX: usize = 200;
pub const CONTACT_MAX: usize = 100;

/// The type of a home (依托单位类型), as the association's rules name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HomeKind {
    /// 高新技术企业
    Enterprise,
    /// 产业园区
    Park,
    /// 其他
    Other,
}

impl HomeKind {
    pub const ALL: [HomeKind; 3] = [Self::Enterprise, Self::Park, Self::Other];

    pub fn code(self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::Park => "park",
            Self::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Enterprise => "高新技术企业",
            Self::Park => "产业园区",
            Self::Other => "其他",
        }
    }

    /// A code as stored; anything unknown reads as "other" (the column's own default).
    pub fn from_code(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|k| k.code() == code)
            .unwrap_or(Self::Other)
    }

    /// The code (`enterprise`, `park`, `other`) or its Chinese name; blank means "other".
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Self::Other);
        }
        Self::ALL
            .into_iter()
            .find(|k| k.code() == raw || k.label() == raw)
            .ok_or_else(|| {
                Invalid::new(
                    "kind",
                    "类型须为 enterprise（高新技术企业）、park（产业园区）或 other（其他）",
                )
            })
    }
}

/// The association's yearly rating of a home. Only a person sets it; the evaluation merely
/// suggests one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 不合格
    Failed,
    /// 合格
    Qualified,
    /// 优秀
    Excellent,
}

impl Rating {
    pub const ALL: [Rating; 3] = [Self::Excellent, Self::Qualified, Self::Failed];

    pub fn code(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::Qualified => "qualified",
            Self::Excellent => "excellent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Failed => "不合格",
            Self::Qualified => "合格",
            Self::Excellent => "优秀",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The code (`failed`, `qualified`, `excellent`) or its Chinese name.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|r| r.code() == raw || r.label() == raw)
            .ok_or_else(|| {
                Invalid::new(
                    "rating",
                    "评定结果须为 excellent（优秀）、qualified（合格）或 failed（不合格）",
                )
            })
    }
}

/// A year the association may speak about.
pub fn parse_year(raw: &str) -> Result<i16, Invalid> {
    raw.trim()
        .parse::<i16>()
        .ok()
        .filter(|year| (2000..=2100).contains(year))
        .ok_or_else(|| Invalid::new("year", "年份须在 2000 到 2100 之间"))
}

/// A calendar day such as `2026-05-20` (what a date field of a form sends); blank is `None`.
pub fn parse_date(field: &'static str, label: &str, raw: &str) -> Result<Option<Date>, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<Date>()
        .ok()
        .filter(|date| (2000..=2100).contains(&date.year()))
        .map(Some)
        .ok_or_else(|| Invalid::new(field, format!("{label}须为 2026-05-20 这样的日期")))
}

/// Everything staff set about a home, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeDetails {
    pub name: String,
    pub host_unit: Option<String>,
    pub kind: HomeKind,
    pub address: Option<String>,
    pub contact: Option<String>,
    pub applied_on: Option<Date>,
    pub awarded_on: Option<Date>,
}

impl HomeDetails {
    /// Where the home stands: awarded once it has an award date, applied before.
    pub fn stage(&self) -> &'static str {
        if self.awarded_on.is_some() {
            "已授牌"
        } else {
            "已申报"
        }
    }

    /// The rules that tie the fields together, as of `today`.
    fn check(self, today: Date) -> Result<Self, Invalid> {
        if self.applied_on.is_some_and(|d| d > today) {
            return Err(Invalid::new("applied_on", "申报日期不能晚于今天"));
        }
        if self.awarded_on.is_some_and(|d| d > today) {
            return Err(Invalid::new("awarded_on", "授牌日期不能晚于今天"));
        }
        if let (Some(applied), Some(awarded)) = (self.applied_on, self.awarded_on)
            && awarded < applied
        {
            return Err(Invalid::new("awarded_on", "授牌日期不能早于申报日期"));
        }
        Ok(self)
    }

    /// Whether the association may rate `year` of this home, `this_year` being the current one.
    pub fn check_ratable(&self, year: i16, this_year: i16) -> Result<(), Invalid> {
        let Some(awarded) = self.awarded_on else {
            return Err(Invalid::new(
                "rating",
                "该科技工作者之家尚未授牌，请先填写授牌日期再评定",
            ));
        };
        if year > this_year {
            return Err(Invalid::new("year", "不能评定尚未到来的年份"));
        }
        if year < awarded.year() {
            return Err(Invalid::new(
                "year",
                format!("{awarded} 授牌，不能评定 {year} 年"),
            ));
        }
        Ok(())
    }
}

/// A registration as sent (JSON or a form): the name, and any details already known.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewHome {
    pub name: Option<String>,
    pub host_unit: Option<String>,
    pub kind: Option<String>,
    pub address: Option<String>,
    pub contact: Option<String>,
    pub applied_on: Option<String>,
    pub awarded_on: Option<String>,
}

impl NewHome {
    pub fn named(name: &str) -> Self {
        Self {
            name: Some(name.to_owned()),
            ..Self::default()
        }
    }

    /// Checks every field. The application date is not assumed: homes awarded before kejia
    /// came are registered long after they applied.
    pub fn parse(&self, today: Date) -> Result<HomeDetails, Invalid> {
        let text = |raw: &Option<String>| raw.as_deref().unwrap_or_default().to_owned();
        let details = HomeDetails {
            name: parse_name(&text(&self.name))?,
            host_unit: parse_host_unit(self.host_unit.as_deref())?,
            kind: HomeKind::parse(&text(&self.kind))?,
            address: parse_address(self.address.as_deref())?,
            contact: parse_contact(self.contact.as_deref())?,
            applied_on: parse_applied_on(&text(&self.applied_on))?,
            awarded_on: parse_awarded_on(&text(&self.awarded_on))?,
        };
        details.check(today)
    }
}

/// A change of details: a field left out stays as it is; `null` or blank clears it (the name
/// cannot be cleared; a blank type is "other").
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DetailsChange {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub host_unit: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub kind: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub contact: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub applied_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub awarded_on: Option<Option<String>>,
}

/// A field that is there, even as `null`, is `Some`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

impl DetailsChange {
    /// The details after the change, checked as a whole.
    pub fn apply(&self, mut details: HomeDetails, today: Date) -> Result<HomeDetails, Invalid> {
        let text = |field: &Option<String>| field.as_deref().unwrap_or_default().to_owned();
        if let Some(name) = &self.name {
            details.name = parse_name(&text(name))?;
        }
        if let Some(host_unit) = &self.host_unit {
            details.host_unit = parse_host_unit(host_unit.as_deref())?;
        }
        if let Some(kind) = &self.kind {
            details.kind = HomeKind::parse(&text(kind))?;
        }
        if let Some(address) = &self.address {
            details.address = parse_address(address.as_deref())?;
        }
        if let Some(contact) = &self.contact {
            details.contact = parse_contact(contact.as_deref())?;
        }
        if let Some(applied_on) = &self.applied_on {
            details.applied_on = parse_applied_on(&text(applied_on))?;
        }
        if let Some(awarded_on) = &self.awarded_on {
            details.awarded_on = parse_awarded_on(&text(awarded_on))?;
        }
        details.check(today)
    }
}

fn parse_name(raw: &str) -> Result<String, Invalid> {
    required_text("name", "名称", raw, NAME_MAX)
}

fn parse_host_unit(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    optional_text("host_unit", "依托单位", raw, HOST_UNIT_MAX).and_then(single_line("host_unit"))
}

fn parse_address(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    optional_text("address", "地址", raw, ADDRESS_MAX).and_then(single_line("address"))
}

fn parse_contact(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    optional_text("contact", "联系人", raw, CONTACT_MAX).and_then(single_line("contact"))
}

fn parse_applied_on(raw: &str) -> Result<Option<Date>, Invalid> {
    parse_date("applied_on", "申报日期", raw)
}

fn parse_awarded_on(raw: &str) -> Result<Option<Date>, Invalid> {
    parse_date("awarded_on", "授牌日期", raw)
}

/// Short fields hold one line (they end up in table cells and spreadsheet rows).
fn single_line(field: &'static str) -> impl Fn(Option<String>) -> Result<Option<String>, Invalid> {
    move |text| match text {
        Some(text) if text.contains(['\n', '\r', '\t']) => {
            Err(Invalid::new(field, "此项只能填写一行文字"))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        jiff::civil::date(2026, 7, 15)
    }

    #[test]
    fn a_registration_needs_only_a_name() {
        let details = NewHome::named("  赫山区科技工作者之家 ")
            .parse(today())
            .unwrap();
        assert_eq!(details.name, "赫山区科技工作者之家");
        assert_eq!(details.kind, HomeKind::Other);
        assert_eq!(details.applied_on, None);
        assert_eq!(details.awarded_on, None);
        assert_eq!(details.stage(), "已申报");

        let err = NewHome::named("  ").parse(today()).unwrap_err();
        assert_eq!((err.field, err.message.as_str()), ("name", "名称不能为空"));
        let err = NewHome::named(&"家".repeat(101))
            .parse(today())
            .unwrap_err();
        assert_eq!(err.field, "name");
    }

    #[test]
    fn every_detail_is_checked_in_chinese() {
        let mut new = NewHome::named("高新区科技工作者之家");
        new.kind = Some("factory".into());
        assert_eq!(new.parse(today()).unwrap_err().field, "kind");
        new.kind = Some("产业园区".into());
        assert_eq!(new.parse(today()).unwrap().kind, HomeKind::Park);

        new.awarded_on = Some("2026/05/20".into());
        let err = new.parse(today()).unwrap_err();
        assert_eq!(err.message, "授牌日期须为 2026-05-20 这样的日期");
        new.awarded_on = Some("2026-08-01".into());
        assert_eq!(
            new.parse(today()).unwrap_err().message,
            "授牌日期不能晚于今天"
        );
        new.applied_on = Some("2026-03-01".into());
        new.awarded_on = Some("2026-02-01".into());
        assert_eq!(
            new.parse(today()).unwrap_err().message,
            "授牌日期不能早于申报日期"
        );
        new.awarded_on = Some("2026-05-20".into());
        let details = new.parse(today()).unwrap();
        assert_eq!(details.awarded_on, Some(jiff::civil::date(2026, 5, 20)));
        assert_eq!(details.stage(), "已授牌");

        new.contact = Some("张三\n13800138000".into());
        assert_eq!(new.parse(today()).unwrap_err().field, "contact");
        new.contact = Some("张三 \u{7}".into());
        assert_eq!(new.parse(today()).unwrap_err().field, "contact");
    }

    #[test]
    fn a_change_touches_only_what_it_names_and_null_clears() {
        let details = NewHome {
            host_unit: Some("益阳某公司".into()),
            address: Some("益阳市赫山区".into()),
            ..NewHome::named("赫山区科技工作者之家")
        }
        .parse(today())
        .unwrap();
        let change: DetailsChange = serde_json::from_str(
            r#"{"address": null, "awarded_on": "2026-06-01", "kind": "park"}"#,
        )
        .unwrap();
        let changed = change.apply(details.clone(), today()).unwrap();
        assert_eq!(changed.host_unit.as_deref(), Some("益阳某公司"));
        assert_eq!(changed.address, None);
        assert_eq!(changed.kind, HomeKind::Park);
        assert_eq!(changed.awarded_on, Some(jiff::civil::date(2026, 6, 1)));

        let clear_name: DetailsChange = serde_json::from_str(r#"{"name": null}"#).unwrap();
        assert_eq!(
            clear_name
                .apply(details.clone(), today())
                .unwrap_err()
                .message,
            "名称不能为空"
        );
        let nothing: DetailsChange = serde_json::from_str("{}").unwrap();
        assert_eq!(nothing.apply(details.clone(), today()).unwrap(), details);
    }

    #[test]
    fn only_awarded_years_up_to_this_one_can_be_rated() {
        let mut details = NewHome::named("赫山区科技工作者之家")
            .parse(today())
            .unwrap();
        assert_eq!(
            details.check_ratable(2026, 2026).unwrap_err().field,
            "rating"
        );
        details.awarded_on = Some(jiff::civil::date(2025, 5, 20));
        assert!(details.check_ratable(2025, 2026).is_ok());
        assert!(details.check_ratable(2026, 2026).is_ok());
        assert_eq!(details.check_ratable(2024, 2026).unwrap_err().field, "year");
        assert_eq!(
            details.check_ratable(2027, 2026).unwrap_err().message,
            "不能评定尚未到来的年份"
        );
    }

    #[test]
    fn ratings_and_years_parse_from_codes_or_words() {
        assert_eq!(Rating::parse("excellent"), Ok(Rating::Excellent));
        assert_eq!(Rating::parse("不合格"), Ok(Rating::Failed));
        assert_eq!(Rating::parse("good").unwrap_err().field, "rating");
        assert_eq!(Rating::from_code("qualified"), Some(Rating::Qualified));
        assert_eq!(parse_year("2026"), Ok(2026));
        assert_eq!(parse_year("1999").unwrap_err().field, "year");
        assert_eq!(parse_year("abc").unwrap_err().field, "year");
    }
}
