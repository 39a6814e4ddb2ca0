//! The staffer's activity pages: the year's list, create and edit, the detail page with its
//! actions, live count, attendance, manual check-in, undo and summary, and the printable
//! sign-in sheet (签到表).

pub mod detail;
pub mod form;
pub mod list;
pub mod photos;
pub mod sheet;

use jiff::tz::TimeZone;

use crate::domain::Now;
use crate::domain::activity::Activity;
use crate::export::ledger::lifecycle_label;

/// An activity as the pages show it: times in the home's zone, labels in Chinese.
pub struct Shown {
    pub id: String,
    pub title: String,
    pub category: &'static str,
    pub date: String,
    pub time: String,
    pub location: String,
    pub speaker: String,
    pub organiser: String,
    pub description: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub filing: &'static str,
    pub participants: u32,
    pub manual_participants: u32,
}

impl Shown {
    pub fn new(activity: &Activity, now: Now, tz: &TimeZone) -> Self {
        let starts = activity.schedule.starts_at().to_zoned_datetime(tz.clone());
        let ends = activity.schedule.ends_at().to_zoned_datetime(tz.clone());
        let lifecycle = activity.lifecycle(now);
        Self {
            id: activity.id.to_string(),
            title: activity.title.clone(),
            category: activity.category.label(),
            date: starts.strftime("%Y年%-m月%-d日").to_string(),
            time: format!("{}–{}", starts.strftime("%H:%M"), ends.strftime("%H:%M")),
            location: activity.location.clone().unwrap_or_default(),
            speaker: activity.speaker.clone().unwrap_or_default(),
            organiser: activity.organiser.clone().unwrap_or_default(),
            description: activity.description.clone().unwrap_or_default(),
            status: lifecycle_label(lifecycle),
            status_class: match lifecycle {
                crate::domain::activity::Lifecycle::Open => "open",
                crate::domain::activity::Lifecycle::Cancelled => "cancelled",
                _ => "",
            },
            filing: activity.filing.label(),
            participants: activity.participants,
            manual_participants: activity.manual_participants,
        }
    }
}
