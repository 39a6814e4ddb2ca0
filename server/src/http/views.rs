//! JSON shapes of the home's records. Instants are shown in the home's time zone with their
//! offset (RFC 3339), so a client never has to guess which day they mean.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::domain::Now;
use crate::domain::activity::{Activity, Lifecycle};
use crate::domain::ids::{ActivityId, MemberId};
use crate::domain::member::{Member, MemberStatus};
use crate::domain::phone::mask_phone;
use crate::store::sync_state::FilingDecision;

pub use crate::domain::calendar::rfc3339;

/// An instant as the pages show it, in the home's calendar: "12月5日 09:48", with the year in
/// front ("2025年12月5日 09:48") when it is not the year of `now`. Every page that shows when a
/// notice was published or a decision made uses this, never the raw RFC 3339 text.
pub fn chinese_time(at: Timestamp, now: Timestamp, tz: &TimeZone) -> String {
    let local = at.to_zoned_datetime(tz.clone());
    if local.year() == now.to_zoned_datetime(tz.clone()).year() {
        local.strftime("%-m月%-d日 %H:%M").to_string()
    } else {
        local.strftime("%Y年%-m月%-d日 %H:%M").to_string()
    }
}

/// [`chinese_time`] of an RFC 3339 text that came from the hub; empty when it does not parse
/// (a page shows no time rather than a raw one).
pub fn chinese_time_text(text: &str, now: Timestamp, tz: &TimeZone) -> String {
    text.trim()
        .parse::<Timestamp>()
        .map(|at| chinese_time(at, now, tz))
        .unwrap_or_default()
}

#[derive(Debug, Serialize)]
pub struct ActivityView {
    pub id: ActivityId,
    pub title: String,
    pub category: &'static str,
    pub category_label: &'static str,
    pub starts_at: String,
    pub ends_at: String,
    pub checkin_opens_at: String,
    pub checkin_closes_at: String,
    pub checkin_opens_before_minutes: u16,
    pub checkin_closes_after_minutes: u16,
    pub location: Option<String>,
    pub speaker: Option<String>,
    pub organiser: Option<String>,
    pub description: Option<String>,
    pub status: Lifecycle,
    pub filing: &'static str,
    pub filing_label: &'static str,
    /// Distinct members checked in.
    pub participants: u32,
    /// Of those, entered by hand by a staffer.
    pub manual_participants: u32,
    /// The association's decision on the filing, once one came back (else `null`).
    pub filing_decision: Option<FilingDecisionView>,
}

/// The association's word on a filed activity: `state` is `approved` or `rejected`.
#[derive(Debug, Clone, Serialize)]
pub struct FilingDecisionView {
    pub state: &'static str,
    pub comment: String,
    /// RFC 3339 in the home's time zone, or `null` if the hub's time did not parse.
    pub decided_at: Option<String>,
}

impl FilingDecisionView {
    pub fn new(decision: &FilingDecision, tz: &TimeZone) -> Self {
        Self {
            state: decision.filing.code(),
            comment: decision.comment.clone(),
            decided_at: decision.decided_at.map(|at| rfc3339(at, tz)),
        }
    }
}

impl ActivityView {
    pub fn new(activity: Activity, now: Now, tz: &TimeZone) -> Self {
        Self {
            id: activity.id,
            category: activity.category.code(),
            category_label: activity.category.label(),
            starts_at: rfc3339(activity.schedule.starts_at(), tz),
            ends_at: rfc3339(activity.schedule.ends_at(), tz),
            checkin_opens_at: rfc3339(activity.checkin_opens_at(), tz),
            checkin_closes_at: rfc3339(activity.checkin_closes_at(), tz),
            checkin_opens_before_minutes: activity.window.opens_before_min(),
            checkin_closes_after_minutes: activity.window.closes_after_min(),
            status: activity.lifecycle(now),
            filing: activity.filing.code(),
            filing_label: activity.filing.label(),
            participants: activity.participants,
            manual_participants: activity.manual_participants,
            filing_decision: None,
            title: activity.title,
            location: activity.location,
            speaker: activity.speaker,
            organiser: activity.organiser,
            description: activity.description,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MemberView {
    pub id: MemberId,
    pub name: String,
    pub phone_masked: String,
    /// The full number: only when a staffer asked for it (audited), and in the answer to the
    /// registration that sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub employer: String,
    pub discipline: Option<String>,
    pub title: Option<String>,
    pub status: MemberStatus,
    pub consent_at: String,
    pub consent_version: String,
    pub consent_share: bool,
    /// The text the member's QR code holds: only in answers about this one member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    pub has_credential: bool,
    pub cards: Vec<String>,
    pub created_at: String,
}

/// How much of a member a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Lists and search results: phone masked, no credential.
    Summary,
    /// One member: phone masked, with the credential.
    Record,
    /// One member with the full phone: a look the staffer asked for and the audit log holds,
    /// or the answer to the registration that sent the number.
    WithPhone,
}

impl MemberView {
    pub fn new(member: Member, detail: Detail, tz: &TimeZone) -> Self {
        let one = detail != Detail::Summary;
        Self {
            id: member.id,
            phone_masked: mask_phone(&member.phone),
            phone: (detail == Detail::WithPhone).then(|| member.phone.clone()),
            has_credential: member.credential.is_some(),
            credential: if one { member.credential } else { None },
            consent_at: rfc3339(member.consent_at, tz),
            created_at: rfc3339(member.created_at, tz),
            name: member.name,
            employer: member.employer,
            discipline: member.discipline,
            title: member.title,
            status: member.status,
            consent_version: member.consent_version,
            consent_share: member.consent_share,
            cards: member.cards,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn times_read_in_chinese_in_the_homes_zone_with_the_year_only_when_another() {
        let tz = TimeZone::get("Asia/Shanghai").expect("tz");
        let now = at("2026-12-05T02:00:00Z");
        // 01:48 UTC is 09:48 in Shanghai.
        assert_eq!(
            chinese_time(at("2026-12-05T01:48:00Z"), now, &tz),
            "12月5日 09:48"
        );
        // 16:30 UTC on 31 December 2025 is already 1 January 2026 in Shanghai.
        assert_eq!(
            chinese_time(at("2025-12-31T16:30:00Z"), now, &tz),
            "1月1日 00:30"
        );
        assert_eq!(
            chinese_time(at("2025-12-31T15:30:00Z"), now, &tz),
            "2025年12月31日 23:30"
        );
        assert_eq!(
            chinese_time_text("2026-11-20T09:00:00+08:00", now, &tz),
            "11月20日 09:00"
        );
        assert_eq!(chinese_time_text("not a date", now, &tz), "");
    }
}
