//! Activities: what the home holds, when check-in is open, and where it stands with the
//! association.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::compliance::Tally;
use super::ids::ActivityId;
use super::{Conflict, Invalid, Now, optional_text, required_text};

/// The home's tasks from the association's rules (annex 2, chapter 3), in contract order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    PolicyPublicity,
    AcademicExchange,
    TalentServices,
    InnovationServices,
    Advice,
    SciencePopularization,
    Wellbeing,
    RightsProtection,
    TalentRecommendation,
    PoliticalGuidance,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Self::PolicyPublicity,
        Self::AcademicExchange,
        Self::TalentServices,
        Self::InnovationServices,
        Self::Advice,
        Self::SciencePopularization,
        Self::Wellbeing,
        Self::RightsProtection,
        Self::TalentRecommendation,
        Self::PoliticalGuidance,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::PolicyPublicity => "policy_publicity",
            Self::AcademicExchange => "academic_exchange",
            Self::TalentServices => "talent_services",
            Self::InnovationServices => "innovation_services",
            Self::Advice => "advice",
            Self::SciencePopularization => "science_popularization",
            Self::Wellbeing => "wellbeing",
            Self::RightsProtection => "rights_protection",
            Self::TalentRecommendation => "talent_recommendation",
            Self::PoliticalGuidance => "political_guidance",
        }
    }

    /// The name the association's forms use.
    pub fn label(self) -> &'static str {
        match self {
            Self::PolicyPublicity => "政策宣传",
            Self::AcademicExchange => "学术交流",
            Self::TalentServices => "人才服务",
            Self::InnovationServices => "服务创新",
            Self::Advice => "建言献策",
            Self::SciencePopularization => "科学普及",
            Self::Wellbeing => "关爱身心健康",
            Self::RightsProtection => "权益维护",
            Self::TalentRecommendation => "人才举荐",
            Self::PoliticalGuidance => "政治引领",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == raw)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|c| c.code()).collect();
                Invalid::new(
                    "category",
                    format!("未知的活动类别“{raw}”，可选：{}", known.join("、")),
                )
            })
    }
}

/// When an activity runs: it ends after it starts and lasts at most [`Schedule::MAX_LENGTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    starts_at: Timestamp,
    ends_at: Timestamp,
}

impl Schedule {
    /// A week covers a training course; anything longer is a typo in a date.
    pub const MAX_LENGTH: SignedDuration = SignedDuration::from_hours(7 * 24);

    pub fn new(starts_at: Timestamp, ends_at: Timestamp) -> Result<Self, Invalid> {
        if ends_at <= starts_at {
            return Err(Invalid::new("ends_at", "结束时间须晚于开始时间"));
        }
        if ends_at.duration_since(starts_at) > Self::MAX_LENGTH {
            return Err(Invalid::new("ends_at", "活动时长不能超过 7 天"));
        }
        Ok(Self { starts_at, ends_at })
    }

    pub fn starts_at(&self) -> Timestamp {
        self.starts_at
    }

    pub fn ends_at(&self) -> Timestamp {
        self.ends_at
    }
}

/// How long before the start check-in opens and how long after the end it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckinWindow {
    opens_before_min: u16,
    closes_after_min: u16,
}

impl Default for CheckinWindow {
    /// Opens 30 minutes before the start, closes at the end.
    fn default() -> Self {
        Self {
            opens_before_min: 30,
            closes_after_min: 0,
        }
    }
}

impl CheckinWindow {
    /// Neither side may exceed a day, which keeps "what is open now" a bounded query.
    pub const MAX_MINUTES: u16 = 24 * 60;

    pub fn new(opens_before_min: i64, closes_after_min: i64) -> Result<Self, Invalid> {
        let within = |m: i64| (0..=i64::from(Self::MAX_MINUTES)).contains(&m);
        if !within(opens_before_min) {
            return Err(Invalid::new(
                "checkin_opens_before_minutes",
                "提前开放签到的分钟数须在 0 到 1440 之间",
            ));
        }
        if !within(closes_after_min) {
            return Err(Invalid::new(
                "checkin_closes_after_minutes",
                "结束后保留签到的分钟数须在 0 到 1440 之间",
            ));
        }
        Ok(Self {
            opens_before_min: opens_before_min as u16,
            closes_after_min: closes_after_min as u16,
        })
    }

    pub fn opens_before_min(&self) -> u16 {
        self.opens_before_min
    }

    pub fn closes_after_min(&self) -> u16 {
        self.closes_after_min
    }
}

/// A staffer's decision that overrides the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    /// "Open check-in now", whatever the window says, until closed.
    Open,
    /// "Close check-in now".
    Closed,
    Cancelled,
}

impl Override {
    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// Closing check-in before the scheduled end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarlyClose {
    /// The activity has not started: closing counts it as held at once.
    NotStarted,
    /// The activity is running: closing ends its check-in before the scheduled end.
    Running,
}

impl EarlyClose {
    /// What closing would do, in words for the staffer who confirms it.
    pub fn warning(self) -> &'static str {
        match self {
            Self::NotStarted => {
                "该活动尚未开始，提前结束签到后将计为已举办，并计入本月和全年的活动场次，会员也不能再自助签到。如确需结束，请确认；之后可以“恢复按时间表”撤回。"
            }
            Self::Running => {
                "该活动尚未到结束时间，结束签到后将计为已举办，会员不能再自助签到。之后可以“恢复按时间表”撤回。"
            }
        }
    }
}

/// Where an activity stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    Scheduled,
    Open,
    Closed,
    Cancelled,
    /// Neither opened nor closed by a staffer, while the clock is not synchronised: the
    /// schedule is not followed until the clock is trusted or a staffer confirms the time.
    AwaitingClock,
}

/// Filing with the association: every activity must be reported for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Filing {
    Draft,
    Filed,
    Approved,
    Rejected,
}

impl Filing {
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Filed => "filed",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "draft" => Some(Self::Draft),
            "filed" => Some(Self::Filed),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "未报备",
            Self::Filed => "已报备待审批",
            Self::Approved => "已批准",
            Self::Rejected => "已驳回",
        }
    }

    /// The staffer files a draft, or files again after a rejection.
    pub fn file(self) -> Result<Self, Conflict> {
        match self {
            Self::Draft | Self::Rejected => Ok(Self::Filed),
            Self::Filed => Err(Conflict("该活动已报备，正在等待科协审批".into())),
            Self::Approved => Err(Conflict("该活动已获科协批准，无需再次报备".into())),
        }
    }
}

/// An activity as the store holds it.
#[derive(Debug, Clone)]
pub struct Activity {
    pub id: ActivityId,
    pub title: String,
    pub category: Category,
    pub schedule: Schedule,
    pub window: CheckinWindow,
    pub location: Option<String>,
    pub speaker: Option<String>,
    pub organiser: Option<String>,
    pub description: Option<String>,
    pub override_state: Option<Override>,
    pub filing: Filing,
    /// Distinct members checked in (undone check-ins excluded).
    pub participants: u32,
    /// Of those, how many a staffer entered by hand.
    pub manual_participants: u32,
    pub created_at: Timestamp,
}

impl Activity {
    pub fn checkin_opens_at(&self) -> Timestamp {
        self.schedule.starts_at - SignedDuration::from_mins(i64::from(self.window.opens_before_min))
    }

    pub fn checkin_closes_at(&self) -> Timestamp {
        self.schedule.ends_at + SignedDuration::from_mins(i64::from(self.window.closes_after_min))
    }

    pub fn is_cancelled(&self) -> bool {
        self.override_state == Some(Override::Cancelled)
    }

    /// The moment a check-in says the member was there: its own time, except for one entered
    /// by hand (`manual`) outside the check-in window, which stands for the activity's start,
    /// since the time of typing (often days later) says nothing about the activity.
    pub fn attended_at(&self, manual: bool, at: Timestamp) -> Timestamp {
        let during = self.checkin_opens_at() <= at && at < self.checkin_closes_at();
        if !manual || during {
            at
        } else {
            self.schedule.starts_at()
        }
    }

    /// A staffer closed check-in by hand: the activity counts as ended (held) from then on,
    /// even before its scheduled end (see `compliance::Tally::has_ended`).
    pub fn checkin_closed(&self) -> bool {
        self.override_state == Some(Override::Closed)
    }

    /// What compliance needs to know of this activity.
    pub fn tally(&self) -> Tally {
        Tally {
            id: self.id,
            title: self.title.clone(),
            starts_at: self.schedule.starts_at,
            ends_at: self.schedule.ends_at,
            cancelled: self.is_cancelled(),
            checkin_closed: self.checkin_closed(),
            participants: self.participants,
        }
    }

    pub fn lifecycle(&self, now: impl Into<Now>) -> Lifecycle {
        let Now { at: now, trusted } = now.into();
        match self.override_state {
            Some(Override::Cancelled) => Lifecycle::Cancelled,
            Some(Override::Open) => Lifecycle::Open,
            Some(Override::Closed) => Lifecycle::Closed,
            None if !trusted => Lifecycle::AwaitingClock,
            None if now < self.checkin_opens_at() => Lifecycle::Scheduled,
            None if now < self.checkin_closes_at() => Lifecycle::Open,
            None => Lifecycle::Closed,
        }
    }

    /// Whether a member may check in by themselves (kiosk, phone) now.
    pub fn accepts_checkins(&self, now: impl Into<Now>) -> bool {
        self.lifecycle(now) == Lifecycle::Open
    }

    /// Whether a staffer may enter a check-in by hand now: any activity that has started and is
    /// not cancelled, whatever its window (the backfill from a paper sign-in sheet).
    pub fn accepts_manual_checkins(&self, now: impl Into<Now>) -> bool {
        let now = now.into();
        !self.is_cancelled() && (self.schedule.starts_at <= now.at || self.accepts_checkins(now))
    }

    /// A staffer opens check-in now.
    pub fn open_now(&self) -> Result<Override, Conflict> {
        self.refuse_if_cancelled()?;
        Ok(Override::Open)
    }

    /// A staffer closes check-in now. From then on the activity counts as ended (held), so
    /// closing one that has not started yet needs the staffer's confirmation: without it the
    /// answer says, in words, what closing would do.
    pub fn close_now(&self, now: Timestamp, confirmed: bool) -> Result<Override, Conflict> {
        self.refuse_if_cancelled()?;
        match self.early_close(now) {
            Some(EarlyClose::NotStarted) if !confirmed => {
                Err(Conflict(EarlyClose::NotStarted.warning().into()))
            }
            _ => Ok(Override::Closed),
        }
    }

    /// Whether closing check-in now would end the activity before its schedule does.
    pub fn early_close(&self, now: Timestamp) -> Option<EarlyClose> {
        if now < self.schedule.starts_at {
            Some(EarlyClose::NotStarted)
        } else if now < self.schedule.ends_at {
            Some(EarlyClose::Running)
        } else {
            None
        }
    }

    /// A staffer puts back the schedule after opening or closing check-in by hand: the
    /// activity no longer counts as ended until its end passes.
    pub fn restore_schedule(&self) -> Result<(), Conflict> {
        self.refuse_if_cancelled()?;
        match self.override_state {
            None => Err(Conflict("该活动已按时间表进行，无需恢复".into())),
            Some(_) => Ok(()),
        }
    }

    pub fn cancel(&self) -> Result<Override, Conflict> {
        self.refuse_if_cancelled()?;
        Ok(Override::Cancelled)
    }

    fn refuse_if_cancelled(&self) -> Result<(), Conflict> {
        if self.is_cancelled() {
            Err(Conflict("该活动已取消".into()))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn activity_at(starts: &str, ends: &str) -> Activity {
        let starts_at: Timestamp = starts.parse().expect("timestamp");
        let ends_at: Timestamp = ends.parse().expect("timestamp");
        Activity {
            id: ActivityId::new(),
            title: "学术沙龙".into(),
            category: Category::AcademicExchange,
            schedule: Schedule::new(starts_at, ends_at).expect("schedule"),
            window: CheckinWindow::default(),
            location: None,
            speaker: None,
            organiser: None,
            description: None,
            override_state: None,
            filing: Filing::Draft,
            participants: 0,
            manual_participants: 0,
            created_at: starts_at,
        }
    }

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn a_check_in_typed_in_later_stands_for_the_activitys_start() {
        let activity = activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z");
        let during = at("2026-03-10T06:20:00Z");
        let days_later = at("2026-03-14T01:00:00Z");
        assert_eq!(
            activity.attended_at(true, days_later),
            at("2026-03-10T06:00:00Z")
        );
        assert_eq!(
            activity.attended_at(true, during),
            during,
            "typed in at the door"
        );
        assert_eq!(activity.attended_at(false, during), during);
    }

    #[test]
    fn window_opens_thirty_minutes_before_and_closes_at_the_end() {
        let activity = activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z");
        assert_eq!(
            activity.lifecycle(at("2026-03-10T05:29:59Z")),
            Lifecycle::Scheduled
        );
        assert_eq!(
            activity.lifecycle(at("2026-03-10T05:30:00Z")),
            Lifecycle::Open
        );
        assert_eq!(
            activity.lifecycle(at("2026-03-10T07:59:59Z")),
            Lifecycle::Open
        );
        assert_eq!(
            activity.lifecycle(at("2026-03-10T08:00:00Z")),
            Lifecycle::Closed
        );
    }

    #[test]
    fn staff_overrides_beat_the_schedule() {
        let mut activity = activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z");
        activity.override_state = Some(activity.open_now().expect("open"));
        assert!(activity.accepts_checkins(at("2026-03-09T00:00:00Z")));
        activity.override_state = Some(
            activity
                .close_now(at("2026-03-10T07:00:00Z"), false)
                .expect("close"),
        );
        assert!(!activity.accepts_checkins(at("2026-03-10T07:00:00Z")));
        activity.override_state = Some(activity.cancel().expect("cancel"));
        assert!(activity.open_now().is_err());
        assert!(!activity.accepts_manual_checkins(at("2026-03-10T07:00:00Z")));
    }

    #[test]
    fn an_unsynchronised_clock_opens_and_closes_nothing_by_schedule() {
        let mut activity = activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z");
        let during = Now {
            at: at("2026-03-10T07:00:00Z"),
            trusted: false,
        };
        assert_eq!(activity.lifecycle(during), Lifecycle::AwaitingClock);
        assert!(!activity.accepts_checkins(during));
        assert!(
            activity.accepts_checkins(at("2026-03-10T07:00:00Z")),
            "trusted"
        );
        activity.override_state = Some(activity.open_now().expect("open"));
        assert!(activity.accepts_checkins(during), "a staffer opened it");
        activity.override_state = Some(activity.close_now(during.at, false).expect("close"));
        assert_eq!(activity.lifecycle(during), Lifecycle::Closed);
    }

    #[test]
    fn closing_a_future_activity_needs_confirmation_and_can_be_put_back() {
        let mut activity = activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z");
        let before = at("2026-03-09T06:00:00Z");
        let refused = activity.close_now(before, false).expect_err("unconfirmed");
        assert!(refused.0.contains("尚未开始"), "{}", refused.0);
        assert!(refused.0.contains("计为已举办"), "{}", refused.0);
        assert_eq!(activity.early_close(before), Some(EarlyClose::NotStarted));
        assert_eq!(activity.close_now(before, true), Ok(Override::Closed));
        // Running or over: closing is the everyday "结束签到", no confirmation asked.
        let during = at("2026-03-10T07:00:00Z");
        assert_eq!(activity.early_close(during), Some(EarlyClose::Running));
        assert_eq!(activity.close_now(during, false), Ok(Override::Closed));
        assert_eq!(activity.early_close(at("2026-03-10T08:00:00Z")), None);

        assert!(activity.restore_schedule().is_err(), "nothing to restore");
        activity.override_state = Some(Override::Closed);
        assert!(activity.tally().has_ended(before));
        assert_eq!(activity.restore_schedule(), Ok(()));
        activity.override_state = None;
        assert!(!activity.tally().has_ended(before));
        activity.override_state = Some(Override::Cancelled);
        assert!(activity.restore_schedule().is_err(), "cancelled");
    }

    #[test]
    fn manual_checkins_need_a_started_activity() {
        let activity = activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z");
        assert!(!activity.accepts_manual_checkins(at("2026-03-10T05:00:00Z")));
        assert!(
            activity.accepts_manual_checkins(at("2026-03-10T05:45:00Z")),
            "window open"
        );
        assert!(
            activity.accepts_manual_checkins(at("2026-04-30T00:00:00Z")),
            "long after"
        );
    }

    #[test]
    fn schedules_must_end_after_they_start() {
        assert_eq!(
            Schedule::new(at("2026-03-10T08:00:00Z"), at("2026-03-10T08:00:00Z"))
                .expect_err("empty")
                .field,
            "ends_at"
        );
        assert!(Schedule::new(at("2026-03-10T08:00:00Z"), at("2026-03-20T08:00:00Z")).is_err());
    }

    #[test]
    fn categories_parse_from_their_codes_only() {
        for category in Category::ALL {
            assert_eq!(Category::parse(category.code()), Ok(category));
        }
        let err = Category::parse("party").expect_err("unknown");
        assert!(err.message.contains("party") && err.message.contains("academic_exchange"));
    }

    #[test]
    fn new_activities_take_the_homes_window_unless_they_set_their_own() {
        let hour_before = CheckinWindow::new(60, 15).expect("window");
        let mut fields = ActivityFields {
            title: Some("讲座"),
            category: Some("advice"),
            starts_at: Some("2026-03-01T14:00:00+08:00"),
            ends_at: Some("2026-03-01T16:00:00+08:00"),
            ..ActivityFields::default()
        };
        assert_eq!(
            fields.create(hour_before).expect("valid").window,
            hour_before
        );
        fields.checkin_opens_before_minutes = Some(10);
        let own = fields.create(hour_before).expect("valid").window;
        assert_eq!((own.opens_before_min(), own.closes_after_min()), (10, 15));
    }

    #[test]
    fn updates_keep_what_they_do_not_mention_and_recheck_the_schedule() {
        let current = activity_at("2026-03-10T06:00:00Z", "2026-03-10T08:00:00Z");
        let moved = ActivityFields {
            ends_at: Some("2026-03-10T09:00:00Z"),
            location: Some(""),
            ..ActivityFields::default()
        }
        .update(&current)
        .expect("valid");
        assert_eq!(moved.title, current.title);
        assert_eq!(moved.schedule.ends_at(), at("2026-03-10T09:00:00Z"));
        assert_eq!(moved.location, None);
        let backwards = ActivityFields {
            ends_at: Some("2026-03-10T05:00:00Z"),
            ..ActivityFields::default()
        };
        assert_eq!(
            backwards
                .update(&current)
                .expect_err("end before start")
                .field,
            "ends_at"
        );
    }

    #[test]
    fn filing_moves_from_draft_to_filed_once() {
        assert_eq!(Filing::Draft.file(), Ok(Filing::Filed));
        assert_eq!(Filing::Rejected.file(), Ok(Filing::Filed));
        assert!(Filing::Filed.file().is_err());
        assert!(Filing::Approved.file().is_err());
    }
}

/// The details a staffer sets, validated as a whole (an end must follow its start).
#[derive(Debug, Clone)]
pub struct ActivityDraft {
    pub title: String,
    pub category: Category,
    pub schedule: Schedule,
    pub window: CheckinWindow,
    pub location: Option<String>,
    pub speaker: Option<String>,
    pub organiser: Option<String>,
    pub description: Option<String>,
}

/// The raw fields of a create or an update, as any client sends them. On update, an absent
/// field keeps its value and a blank text clears it.
#[derive(Debug, Clone, Default)]
pub struct ActivityFields<'a> {
    pub title: Option<&'a str>,
    pub category: Option<&'a str>,
    pub starts_at: Option<&'a str>,
    pub ends_at: Option<&'a str>,
    pub checkin_opens_before_minutes: Option<i64>,
    pub checkin_closes_after_minutes: Option<i64>,
    pub location: Option<&'a str>,
    pub speaker: Option<&'a str>,
    pub organiser: Option<&'a str>,
    pub description: Option<&'a str>,
}

impl ActivityFields<'_> {
    /// A new activity: title, category, start and end are required; the check-in window falls
    /// back to the home's default.
    pub fn create(&self, default_window: CheckinWindow) -> Result<ActivityDraft, Invalid> {
        let starts_at = parse_instant(
            "starts_at",
            "开始时间",
            required(self.starts_at, "starts_at", "开始时间")?,
        )?;
        let ends_at = parse_instant(
            "ends_at",
            "结束时间",
            required(self.ends_at, "ends_at", "结束时间")?,
        )?;
        Ok(ActivityDraft {
            title: parse_title(self.title.unwrap_or_default())?,
            category: Category::parse(required(self.category, "category", "活动类别")?)?,
            schedule: Schedule::new(starts_at, ends_at)?,
            window: self.window(default_window)?,
            location: optional_text("location", "地点", self.location, 100)?,
            speaker: optional_text("speaker", "主讲人", self.speaker, 100)?,
            organiser: optional_text("organiser", "主办方", self.organiser, 100)?,
            description: optional_text("description", "活动简介", self.description, 2000)?,
        })
    }

    /// These fields applied over an existing activity.
    pub fn update(&self, current: &Activity) -> Result<ActivityDraft, Invalid> {
        let starts_at = match self.starts_at {
            Some(raw) => parse_instant("starts_at", "开始时间", raw)?,
            None => current.schedule.starts_at(),
        };
        let ends_at = match self.ends_at {
            Some(raw) => parse_instant("ends_at", "结束时间", raw)?,
            None => current.schedule.ends_at(),
        };
        let keep = |raw: Option<&str>, field, label, max, old: &Option<String>| match raw {
            Some(_) => optional_text(field, label, raw, max),
            None => Ok(old.clone()),
        };
        Ok(ActivityDraft {
            title: self
                .title
                .map(parse_title)
                .transpose()?
                .unwrap_or_else(|| current.title.clone()),
            category: self
                .category
                .map(Category::parse)
                .transpose()?
                .unwrap_or(current.category),
            schedule: Schedule::new(starts_at, ends_at)?,
            window: self.window(current.window)?,
            location: keep(self.location, "location", "地点", 100, &current.location)?,
            speaker: keep(self.speaker, "speaker", "主讲人", 100, &current.speaker)?,
            organiser: keep(
                self.organiser,
                "organiser",
                "主办方",
                100,
                &current.organiser,
            )?,
            description: keep(
                self.description,
                "description",
                "活动简介",
                2000,
                &current.description,
            )?,
        })
    }

    fn window(&self, base: CheckinWindow) -> Result<CheckinWindow, Invalid> {
        CheckinWindow::new(
            self.checkin_opens_before_minutes
                .unwrap_or(i64::from(base.opens_before_min)),
            self.checkin_closes_after_minutes
                .unwrap_or(i64::from(base.closes_after_min)),
        )
    }
}

fn required<'a>(
    raw: Option<&'a str>,
    field: &'static str,
    label: &str,
) -> Result<&'a str, Invalid> {
    raw.ok_or_else(|| Invalid::new(field, format!("缺少{label}")))
}

pub fn parse_title(raw: &str) -> Result<String, Invalid> {
    required_text("title", "活动名称", raw, 100)
}

/// An instant in RFC 3339 with an offset; a bare local time is ambiguous and refused.
pub fn parse_instant(field: &'static str, label: &str, raw: &str) -> Result<Timestamp, Invalid> {
    raw.trim().parse().map_err(|_| {
        Invalid::new(
            field,
            format!("{label}须为带时区的 RFC 3339 时间，例如 2026-03-01T14:00:00+08:00"),
        )
    })
}
