//! The activity ledger (台账): one row per activity of a year, as the association's forms ask.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::domain::Now;
use crate::domain::activity::{Activity, Lifecycle};
use crate::domain::compliance::MIN_PARTICIPANTS;

pub const HEADERS: [&str; 13] = [
    "序号",
    "活动名称",
    "活动类别",
    "开始时间",
    "结束时间",
    "地点",
    "主讲人",
    "主办方",
    "报备状态",
    "活动状态",
    "参与人数",
    "其中补录人数",
    "是否达标（≥10人）",
];

/// One activity as the ledger shows it; every cell but the counts is text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub number: u32,
    pub title: String,
    pub category: &'static str,
    pub starts_at: String,
    pub ends_at: String,
    pub location: String,
    pub speaker: String,
    pub organiser: String,
    pub filing: &'static str,
    pub status: &'static str,
    pub participants: u32,
    pub manual_participants: u32,
    pub qualifies: &'static str,
}

impl LedgerRow {
    /// The text cells between the number and the counts, in header order.
    pub fn text_cells(&self) -> [&str; 9] {
        [
            &self.title,
            self.category,
            &self.starts_at,
            &self.ends_at,
            &self.location,
            &self.speaker,
            &self.organiser,
            self.filing,
            self.status,
        ]
    }
}

pub fn rows(activities: &[Activity], now: Now, tz: &TimeZone) -> Vec<LedgerRow> {
    activities
        .iter()
        .zip(1..)
        .map(|(activity, number)| row(number, activity, now, tz))
        .collect()
}

fn row(number: u32, activity: &Activity, now: Now, tz: &TimeZone) -> LedgerRow {
    let lifecycle = activity.lifecycle(now);
    let qualifies = match lifecycle {
        Lifecycle::Cancelled => "—",
        _ if activity.participants >= MIN_PARTICIPANTS => "是",
        _ => "否",
    };
    LedgerRow {
        number,
        title: activity.title.clone(),
        category: activity.category.label(),
        starts_at: local_minutes(activity.schedule.starts_at(), tz),
        ends_at: local_minutes(activity.schedule.ends_at(), tz),
        location: activity.location.clone().unwrap_or_default(),
        speaker: activity.speaker.clone().unwrap_or_default(),
        organiser: activity.organiser.clone().unwrap_or_default(),
        filing: activity.filing.label(),
        status: lifecycle_label(lifecycle),
        participants: activity.participants,
        manual_participants: activity.manual_participants,
        qualifies,
    }
}

fn local_minutes(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

pub fn lifecycle_label(lifecycle: Lifecycle) -> &'static str {
    match lifecycle {
        Lifecycle::Scheduled => "未开始",
        Lifecycle::Open => "签到中",
        Lifecycle::Closed => "已结束",
        Lifecycle::Cancelled => "已取消",
        Lifecycle::AwaitingClock => "待校准时钟",
    }
}
