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

pub fn rfc3339(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
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
