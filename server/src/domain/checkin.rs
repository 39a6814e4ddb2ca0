//! Check-in resolution, the heart of kejia: a presented credential, the activities whose
//! windows hold now (or the one the device or staffer chose) and the clock decide what to
//! record, and what the answer says. Recording it exactly once is the store's job (its unique
//! indexes); `home::checkins` runs the flow; the decisions are made here.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::activity::Activity;
use super::ids::{ActivityId, CheckinId, MemberId};
use super::member::MemberStatus;
use super::{Invalid, Now};

/// How a check-in reached the home: the API's `"source"`, on the kiosk's side too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Qr,
    Card,
    Phone,
    /// Entered by a staffer (for instance from a paper sign-in sheet).
    Manual,
    /// Picked on the kiosk's keypad by the last digits of the member's phone.
    Keypad,
}

impl Source {
    pub fn code(self) -> &'static str {
        match self {
            Self::Qr => "qr",
            Self::Card => "card",
            Self::Phone => "phone",
            Self::Manual => "manual",
            Self::Keypad => "keypad",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "qr" => Some(Self::Qr),
            "card" => Some(Self::Card),
            "phone" => Some(Self::Phone),
            "manual" => Some(Self::Manual),
            "keypad" => Some(Self::Keypad),
            _ => None,
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::from_code(raw)
            .ok_or_else(|| Invalid::new("source", "source 须为 qr、card、phone、keypad 或 manual"))
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Qr => "扫码",
            Self::Card => "刷卡",
            Self::Phone => "手机",
            Self::Manual => "补录",
            Self::Keypad => "手机尾号",
        }
    }
}

/// The answer a device gets, one per kiosk screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    CheckedIn,
    AlreadyCheckedIn,
    Visit,
    UnknownCredential,
    MemberSuspended,
    ActivityNotOpen,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Self::CheckedIn => "checked_in",
            Self::AlreadyCheckedIn => "already_checked_in",
            Self::Visit => "visit",
            Self::UnknownCredential => "unknown_credential",
            Self::MemberSuspended => "member_suspended",
            Self::ActivityNotOpen => "activity_not_open",
        }
    }
}

/// What the store knows of the member a credential belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberFacts {
    pub id: MemberId,
    pub status: MemberStatus,
}

/// Who is asking: staff may backfill by hand, devices may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Staff,
    Device,
}

/// What to record, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Refuse(Outcome),
    /// Several activities are open and none was chosen: the kiosk asks the member.
    Choose(Vec<ActivityId>),
    Attend(ActivityId),
    /// No activity is open: a venue visit on this day of the home's calendar.
    Visit(Date),
}

/// The member as a device shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberBrief {
    pub id: MemberId,
    pub name: String,
    /// `张*明`, for public screens.
    pub name_masked: String,
    pub employer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityBrief {
    pub id: ActivityId,
    pub title: String,
}

impl ActivityBrief {
    pub fn of(activity: &Activity) -> Self {
        Self {
            id: activity.id,
            title: activity.title.clone(),
        }
    }
}

/// How recording an attendance went: the member's first check-in there (with the count it
/// made), or one already counted (the count as it stands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attended {
    First {
        checkin: CheckinId,
        participants: u32,
    },
    Again {
        checkin: Option<CheckinId>,
        participants: u32,
    },
}

/// The answer to a check-in request. Stored with its scan so a retried request (same scan id)
/// gets exactly the first answer back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<MemberBrief>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<ActivityBrief>,
    /// The activity's participants after this check-in: the kiosk's "第 N 位".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participants: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkin_id: Option<CheckinId>,
    /// For a visit: the day of the home's calendar it counts on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visit_day: Option<Date>,
    /// For a visit: true when the member had already been recorded that day (counted once).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub repeat: bool,
}

impl Answer {
    pub fn new(outcome: Outcome) -> Self {
        Self {
            outcome,
            member: None,
            activity: None,
            participants: None,
            checkin_id: None,
            visit_day: None,
            repeat: false,
        }
    }

    /// A refusal. An unknown credential names nobody, even if it once belonged to an erased
    /// member.
    pub fn refused(
        outcome: Outcome,
        member: Option<MemberBrief>,
        activity: Option<ActivityBrief>,
    ) -> Self {
        Self {
            member: member.filter(|_| outcome != Outcome::UnknownCredential),
            activity,
            ..Self::new(outcome)
        }
    }

    /// An attendance: checked in the first time, already checked in after that (with the
    /// first check-in's id), and the activity's count either way.
    pub fn attended(member: MemberBrief, activity: ActivityBrief, attended: Attended) -> Self {
        let (outcome, checkin_id, participants) = match attended {
            Attended::First {
                checkin,
                participants,
            } => (Outcome::CheckedIn, Some(checkin), participants),
            Attended::Again {
                checkin,
                participants,
            } => (Outcome::AlreadyCheckedIn, checkin, participants),
        };
        Self {
            member: Some(member),
            activity: Some(activity),
            participants: Some(participants),
            checkin_id,
            ..Self::new(outcome)
        }
    }

    /// A venue visit on `day`; `repeat` when the member's visit that day was already recorded
    /// (it counts once).
    pub fn visited(
        member: MemberBrief,
        day: Date,
        checkin_id: Option<CheckinId>,
        repeat: bool,
    ) -> Self {
        Self {
            member: Some(member),
            checkin_id,
            visit_day: Some(day),
            repeat,
            ..Self::new(Outcome::Visit)
        }
    }
}

/// Decides what a scan means.
///
/// `chosen` is the activity the device or staffer named, if any; `candidates` are the
/// activities that might be open now (the function checks each window itself).
pub fn resolve(
    member: Option<MemberFacts>,
    source: Source,
    actor: Actor,
    chosen: Option<&Activity>,
    candidates: &[Activity],
    now: impl Into<Now>,
    tz: &TimeZone,
) -> Resolution {
    let now = now.into();
    let Some(member) = member else {
        return Resolution::Refuse(Outcome::UnknownCredential);
    };
    match member.status {
        MemberStatus::Active => {}
        MemberStatus::Suspended => return Resolution::Refuse(Outcome::MemberSuspended),
        // An erased member's credentials are revoked; a stale card reads as unknown.
        MemberStatus::Erased => return Resolution::Refuse(Outcome::UnknownCredential),
    }
    if let Some(activity) = chosen {
        let backfill = source == Source::Manual && actor == Actor::Staff;
        let accepts = if backfill {
            activity.accepts_manual_checkins(now)
        } else {
            activity.accepts_checkins(now)
        };
        return if accepts {
            Resolution::Attend(activity.id)
        } else {
            Resolution::Refuse(Outcome::ActivityNotOpen)
        };
    }
    let open: Vec<ActivityId> = candidates
        .iter()
        .filter(|a| a.accepts_checkins(now))
        .map(|a| a.id)
        .collect();
    match open.as_slice() {
        [] => Resolution::Visit(local_date(now.at, tz)),
        [only] => Resolution::Attend(*only),
        _ => Resolution::Choose(open),
    }
}

/// The day of the home's calendar an instant falls on.
pub fn local_date(at: Timestamp, tz: &TimeZone) -> Date {
    at.to_zoned_datetime(tz.clone()).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::activity::Override;
    use crate::domain::activity::tests::activity_at;

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").expect("tz")
    }

    fn active() -> Option<MemberFacts> {
        Some(MemberFacts {
            id: MemberId::new(),
            status: MemberStatus::Active,
        })
    }

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn resolve_now(member: Option<MemberFacts>, candidates: &[Activity], now: &str) -> Resolution {
        resolve(
            member,
            Source::Qr,
            Actor::Device,
            None,
            candidates,
            at(now),
            &shanghai(),
        )
    }

    #[test]
    fn unknown_and_suspended_members_are_refused_first() {
        let open = [activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z")];
        assert_eq!(
            resolve_now(None, &open, "2026-03-10T07:00:00Z"),
            Resolution::Refuse(Outcome::UnknownCredential)
        );
        let suspended = Some(MemberFacts {
            id: MemberId::new(),
            status: MemberStatus::Suspended,
        });
        assert_eq!(
            resolve_now(suspended, &open, "2026-03-10T07:00:00Z"),
            Resolution::Refuse(Outcome::MemberSuspended)
        );
    }

    #[test]
    fn the_one_open_activity_is_attended() {
        let activity = activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z");
        let id = activity.id;
        assert_eq!(
            resolve_now(active(), &[activity], "2026-03-10T05:45:00Z"),
            Resolution::Attend(id)
        );
    }

    #[test]
    fn two_open_activities_ask_which() {
        let a = activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z");
        let b = activity_at("2026-03-10T06:30:00Z", "2026-03-10T09:00:00Z");
        let ids = vec![a.id, b.id];
        assert_eq!(
            resolve_now(active(), &[a, b], "2026-03-10T07:00:00Z"),
            Resolution::Choose(ids)
        );
    }

    #[test]
    fn with_nothing_open_a_visit_counts_on_the_china_day() {
        let closed = [activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z")];
        // 15:59 UTC on 31 March is 23:59 in Shanghai; 16:01 UTC is already 1 April there.
        assert_eq!(
            resolve_now(active(), &closed, "2026-03-31T15:59:00Z"),
            Resolution::Visit(jiff::civil::date(2026, 3, 31))
        );
        assert_eq!(
            resolve_now(active(), &closed, "2026-03-31T16:01:00Z"),
            Resolution::Visit(jiff::civil::date(2026, 4, 1))
        );
    }

    fn brief() -> MemberBrief {
        MemberBrief {
            id: MemberId::new(),
            name: "张三明".into(),
            name_masked: "张*明".into(),
            employer: "益阳某公司".into(),
        }
    }

    #[test]
    fn an_unknown_credential_names_nobody_but_a_suspension_names_the_member() {
        let unknown = Answer::refused(Outcome::UnknownCredential, Some(brief()), None);
        assert_eq!(unknown.member, None);
        let suspended = Answer::refused(Outcome::MemberSuspended, Some(brief()), None);
        assert_eq!(suspended.member.map(|m| m.name), Some("张三明".to_owned()));
    }

    #[test]
    fn a_repeated_attendance_is_already_checked_in_with_the_count_unchanged() {
        let activity =
            ActivityBrief::of(&activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z"));
        let checkin = CheckinId::new();
        let first = Answer::attended(
            brief(),
            activity.clone(),
            Attended::First {
                checkin,
                participants: 7,
            },
        );
        assert_eq!(
            (first.outcome, first.checkin_id, first.participants),
            (Outcome::CheckedIn, Some(checkin), Some(7))
        );
        let again = Answer::attended(
            brief(),
            activity,
            Attended::Again {
                checkin: Some(checkin),
                participants: 7,
            },
        );
        assert_eq!(
            (again.outcome, again.checkin_id, again.participants),
            (Outcome::AlreadyCheckedIn, Some(checkin), Some(7))
        );
    }

    #[test]
    fn a_chosen_activity_must_be_open_unless_staff_backfill() {
        let mut past = activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z");
        let now = at("2026-03-20T00:00:00Z");
        let tz = shanghai();
        assert_eq!(
            resolve(
                active(),
                Source::Card,
                Actor::Device,
                Some(&past),
                &[],
                now,
                &tz
            ),
            Resolution::Refuse(Outcome::ActivityNotOpen)
        );
        assert_eq!(
            resolve(
                active(),
                Source::Manual,
                Actor::Device,
                Some(&past),
                &[],
                now,
                &tz
            ),
            Resolution::Refuse(Outcome::ActivityNotOpen),
            "a device cannot claim to be staff"
        );
        assert_eq!(
            resolve(
                active(),
                Source::Manual,
                Actor::Staff,
                Some(&past),
                &[],
                now,
                &tz
            ),
            Resolution::Attend(past.id)
        );
        past.override_state = Some(Override::Cancelled);
        assert_eq!(
            resolve(
                active(),
                Source::Manual,
                Actor::Staff,
                Some(&past),
                &[],
                now,
                &tz
            ),
            Resolution::Refuse(Outcome::ActivityNotOpen)
        );
    }
}
