//! The year's activity ledger (台账), the document a home is judged by every October: a cover
//! with the year's figures against article 4, an overview of every activity, and a record per
//! held activity with its sign-in list, summary and photos. Every output (the workbook, the
//! printable page, the CSV) shows this one model, built here from what the store holds.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::domain::Now;
use crate::domain::activity::{Activity, Lifecycle};
use crate::domain::checkin::Source;
use crate::domain::compliance::{self, AwardMonth, MIN_PARTICIPANTS};
use crate::domain::home::HomeProfile;
use crate::domain::ids::{ActivityId, MemberId, PhotoId};

/// The columns of the overview (活动一览), in order.
pub const HEADERS: [&str; 16] = [
    "序号",
    "活动名称",
    "日期",
    "时间",
    "地点",
    "活动类别",
    "主讲人",
    "主办方",
    "报备状态",
    "科协意见",
    "活动状态",
    "参与人数",
    "其中补录",
    "是否达标（≥10人）",
    "活动小结",
    "照片",
];

/// The columns of an activity's sign-in list.
pub const SIGN_IN_HEADERS: [&str; 5] = ["序号", "姓名", "工作单位", "签到方式", "签到时间"];

/// The whole year's 台账.
#[derive(Debug, Clone)]
pub struct YearLedger {
    pub home: String,
    pub host_unit: String,
    /// "2025年6月", or empty when the award month is not known.
    pub awarded_on: String,
    pub year: i16,
    pub figures: YearFigures,
    pub rows: Vec<LedgerRow>,
    /// One record per held activity (ended, not cancelled), in date order.
    pub records: Vec<ActivityRecord>,
    /// When the file was made, in the home's time: "2026年12月5日 15:30".
    pub made_at: String,
}

impl YearLedger {
    /// The file name a staffer saves: `益阳高新区科技工作者之家-2026年活动台账.xlsx`.
    pub fn file_name(&self, extension: &str) -> String {
        format!(
            "{}-{}年活动台账.{extension}",
            file_safe(&self.home),
            self.year
        )
    }

    /// The same name in ASCII, for browsers that do not read `filename*`.
    pub fn ascii_file_name(&self, extension: &str) -> String {
        format!("ledger-{}.{extension}", self.year)
    }
}

/// The year measured against article 4 of the notice: at least one qualifying activity (ten
/// participants or more) a month, twelve a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearFigures {
    /// Activities held: ended and not cancelled.
    pub held: u32,
    /// Of those, with at least ten participants.
    pub qualifying: u32,
    /// Months due so far (from the award month, up to this month).
    pub months_due: u32,
    /// Of the due months, those with a qualifying activity.
    pub months_covered: u32,
    /// Due months without one, for the cover's "缺少达标活动的月份".
    pub missing_months: Vec<i8>,
    /// Participants summed over the held activities (人次).
    pub person_visits: u32,
    /// Different members among them.
    pub distinct_members: u32,
    pub meets_rules: bool,
}

impl YearFigures {
    /// "1、3、5月", or "无".
    pub fn missing_text(&self) -> String {
        if self.missing_months.is_empty() {
            return "无".to_owned();
        }
        let months: Vec<String> = self.missing_months.iter().map(i8::to_string).collect();
        format!("{}月", months.join("、"))
    }

    pub fn meets_text(&self) -> &'static str {
        if self.meets_rules { "是" } else { "否" }
    }
}

/// One activity as the overview shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub number: u32,
    pub id: ActivityId,
    pub title: String,
    /// The day it starts, in the home's calendar.
    pub date: Date,
    /// "14:00–16:00", or "14:00–次日 09:00" across midnight.
    pub time: String,
    pub location: String,
    pub category: &'static str,
    pub speaker: String,
    pub organiser: String,
    pub filing: &'static str,
    /// The association's comment on its filing, if it gave one.
    pub comment: String,
    pub status: &'static str,
    pub participants: u32,
    pub manual_participants: u32,
    /// "是", "否", or "—" when it is cancelled or has not ended yet.
    pub qualifies: &'static str,
    pub summary: String,
    pub photos: u32,
}

/// A cell of the overview, as each output writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell<'a> {
    Number(u32),
    Text(&'a str),
    Date(Date),
}

impl LedgerRow {
    /// The row's cells in [`HEADERS`] order.
    pub fn cells(&self) -> [Cell<'_>; 16] {
        [
            Cell::Number(self.number),
            Cell::Text(&self.title),
            Cell::Date(self.date),
            Cell::Text(&self.time),
            Cell::Text(&self.location),
            Cell::Text(self.category),
            Cell::Text(&self.speaker),
            Cell::Text(&self.organiser),
            Cell::Text(self.filing),
            Cell::Text(&self.comment),
            Cell::Text(self.status),
            Cell::Number(self.participants),
            Cell::Number(self.manual_participants),
            Cell::Text(self.qualifies),
            Cell::Text(&self.summary),
            Cell::Number(self.photos),
        ]
    }

    /// "2026年3月14日", as the pages and headings write it.
    pub fn chinese_date(&self) -> String {
        chinese_date(self.date)
    }
}

/// A held activity with what happened at it.
#[derive(Debug, Clone)]
pub struct ActivityRecord {
    /// The activity's number in the overview.
    pub number: u32,
    pub id: ActivityId,
    pub title: String,
    /// "2026年3月14日 14:00–16:00".
    pub when: String,
    pub location: String,
    pub category: &'static str,
    pub speaker: String,
    pub organiser: String,
    pub participants: u32,
    pub summary: String,
    pub sign_ins: Vec<SignIn>,
    pub photos: Vec<LedgerPhoto>,
}

/// One line of an activity's sign-in list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub number: u32,
    pub name: String,
    pub employer: String,
    pub phone_masked: String,
    pub source: &'static str,
    /// "14:05" on the activity's day, "3月15日 09:05" on another.
    pub time: String,
}

/// A photo of an activity: its id (pages link to it) and, for the workbook, its print copy.
#[derive(Debug, Clone)]
pub struct LedgerPhoto {
    pub id: PhotoId,
    /// JPEG or PNG bytes; `None` when the caller asked for ids only.
    pub bytes: Option<Vec<u8>>,
}

/// What the store gives for one activity of the year.
#[derive(Debug, Clone)]
pub struct ActivityFacts {
    pub activity: Activity,
    pub comment: Option<String>,
    pub summary: Option<String>,
    pub photo_count: u32,
    /// The sign-ins, in order of arrival; loaded for held activities only.
    pub sign_ins: Vec<Arrival>,
    pub photos: Vec<LedgerPhoto>,
}

/// A check-in as the ledger needs it.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub member: MemberId,
    pub name: String,
    pub employer: String,
    pub phone_masked: String,
    pub source: String,
    pub at: Timestamp,
}

/// Whether an activity gets a record (a sheet, a page): held, that is ended and not cancelled.
pub fn is_held(activity: &Activity, now: Timestamp) -> bool {
    let tally = activity.tally();
    !tally.cancelled && tally.has_ended(now)
}

/// The ledger of `year` from the activities starting in it, in date order.
///
/// `counted_from` is the month from which months are due ([`compliance::counted_from`]).
pub fn build(
    profile: &HomeProfile,
    counted_from: Option<AwardMonth>,
    year: i16,
    facts: Vec<ActivityFacts>,
    now: Now,
    tz: &TimeZone,
) -> YearLedger {
    let tallies: Vec<_> = facts.iter().map(|f| f.activity.tally()).collect();
    let checked = compliance::evaluate(year, &tallies, now.at, tz, counted_from);
    let mut members: Vec<MemberId> = Vec::new();
    let mut rows = Vec::with_capacity(facts.len());
    let mut records = Vec::new();
    for (number, fact) in (1u32..).zip(facts) {
        let held = is_held(&fact.activity, now.at);
        rows.push(row(number, &fact, now, tz));
        if held {
            members.extend(fact.sign_ins.iter().map(|s| s.member));
            records.push(record(number, fact, tz));
        }
    }
    members.sort_unstable();
    members.dedup();
    let figures = YearFigures {
        held: checked.activities_held,
        qualifying: checked.qualifying_activities,
        months_due: months_due(year, now.at, tz, counted_from),
        months_covered: 0,
        missing_months: checked.missing_months.clone(),
        person_visits: records.iter().map(|r| r.participants).sum(),
        distinct_members: u32::try_from(members.len()).unwrap_or(u32::MAX),
        meets_rules: checked.meets_rules,
    };
    let figures = YearFigures {
        months_covered: figures
            .months_due
            .saturating_sub(u32::try_from(figures.missing_months.len()).unwrap_or(0)),
        ..figures
    };
    YearLedger {
        home: profile.name.clone(),
        host_unit: profile.host_unit.clone().unwrap_or_default(),
        awarded_on: profile
            .award
            .map(|a| format!("{}年{}月", a.year, a.month))
            .unwrap_or_default(),
        year,
        figures,
        rows,
        records,
        made_at: now
            .at
            .to_zoned_datetime(tz.clone())
            .strftime("%Y年%-m月%-d日 %H:%M")
            .to_string(),
    }
}

/// Months of `year` that are due as of `now` (see [`compliance::is_due`]).
fn months_due(year: i16, now: Timestamp, tz: &TimeZone, from: Option<AwardMonth>) -> u32 {
    let today = now.to_zoned_datetime(tz.clone()).date();
    let due = (1..=12)
        .filter(|month| compliance::is_due(year, *month, today, from))
        .count();
    u32::try_from(due).unwrap_or(0)
}

fn row(number: u32, fact: &ActivityFacts, now: Now, tz: &TimeZone) -> LedgerRow {
    let activity = &fact.activity;
    let lifecycle = activity.lifecycle(now);
    let qualifies = if !is_held(activity, now.at) {
        "—"
    } else if activity.participants >= MIN_PARTICIPANTS {
        "是"
    } else {
        "否"
    };
    let start = activity.schedule.starts_at().to_zoned_datetime(tz.clone());
    LedgerRow {
        number,
        id: activity.id,
        title: activity.title.clone(),
        date: start.date(),
        time: time_span(activity, tz),
        location: activity.location.clone().unwrap_or_default(),
        category: activity.category.label(),
        speaker: activity.speaker.clone().unwrap_or_default(),
        organiser: activity.organiser.clone().unwrap_or_default(),
        filing: activity.filing.label(),
        comment: fact.comment.clone().unwrap_or_default(),
        status: lifecycle_label(lifecycle),
        participants: activity.participants,
        manual_participants: activity.manual_participants,
        qualifies,
        summary: fact.summary.clone().unwrap_or_default(),
        photos: fact.photo_count,
    }
}

fn record(number: u32, fact: ActivityFacts, tz: &TimeZone) -> ActivityRecord {
    let activity = fact.activity;
    let day = activity
        .schedule
        .starts_at()
        .to_zoned_datetime(tz.clone())
        .date();
    let sign_ins = (1u32..)
        .zip(fact.sign_ins)
        .map(|(n, arrival)| SignIn {
            number: n,
            time: arrival_time(&activity, &arrival, day, tz),
            source: Source::from_code(&arrival.source).map_or("其他", Source::label),
            name: arrival.name,
            employer: arrival.employer,
            phone_masked: arrival.phone_masked,
        })
        .collect();
    ActivityRecord {
        number,
        id: activity.id,
        when: format!("{} {}", chinese_date(day), time_span(&activity, tz)),
        title: activity.title,
        location: activity.location.unwrap_or_default(),
        category: activity.category.label(),
        speaker: activity.speaker.unwrap_or_default(),
        organiser: activity.organiser.unwrap_or_default(),
        participants: activity.participants,
        summary: fact.summary.unwrap_or_default(),
        sign_ins,
        photos: fact.photos,
    }
}

/// "14:00–16:00"; an end on a later day says so ("14:00–3月15日 09:00").
fn time_span(activity: &Activity, tz: &TimeZone) -> String {
    let start = activity.schedule.starts_at().to_zoned_datetime(tz.clone());
    let end = activity.schedule.ends_at().to_zoned_datetime(tz.clone());
    let end_text = if end.date() == start.date() {
        end.strftime("%H:%M").to_string()
    } else {
        end.strftime("%-m月%-d日 %H:%M").to_string()
    };
    format!("{}–{end_text}", start.strftime("%H:%M"))
}

/// A check-in's time: the clock on the activity's day, with the date on any other. One entered
/// by hand afterwards from a paper list stands for the activity's start, marked 补录, as the
/// activity page shows it ([`Activity::attended_at`]).
fn arrival_time(activity: &Activity, arrival: &Arrival, day: Date, tz: &TimeZone) -> String {
    let manual = arrival.source == Source::Manual.code();
    let local = activity
        .attended_at(manual, arrival.at)
        .to_zoned_datetime(tz.clone());
    let clock = if local.date() == day {
        local.strftime("%H:%M").to_string()
    } else {
        local.strftime("%-m月%-d日 %H:%M").to_string()
    };
    if manual {
        format!("{clock}（补录）")
    } else {
        clock
    }
}

pub fn chinese_date(date: Date) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
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

/// A home name made safe for a file name on every system: no path separators, no characters
/// Windows refuses, no control characters.
fn file_safe(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    if cleaned.is_empty() {
        "科技工作者之家".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_chinese_and_safe() {
        assert_eq!(
            file_safe("益阳高新区科技工作者之家"),
            "益阳高新区科技工作者之家"
        );
        assert_eq!(file_safe("a/b\\c:\"d\"\n"), "a_b_c__d_");
        assert_eq!(file_safe("  "), "科技工作者之家");
    }

    #[test]
    fn months_due_run_from_the_award_month_to_this_month() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let now: Timestamp = "2026-12-05T08:00:00Z".parse().unwrap();
        assert_eq!(months_due(2026, now, &tz, None), 12);
        assert_eq!(months_due(2025, now, &tz, None), 12);
        assert_eq!(months_due(2027, now, &tz, None), 0);
        let june = AwardMonth {
            year: 2026,
            month: 6,
        };
        assert_eq!(months_due(2026, now, &tz, Some(june)), 7);
        assert_eq!(months_due(2025, now, &tz, Some(june)), 0);
        let may: Timestamp = "2026-05-20T08:00:00Z".parse().unwrap();
        assert_eq!(months_due(2026, may, &tz, Some(june)), 0);
    }

    #[test]
    fn missing_months_read_as_a_list() {
        let figures = YearFigures {
            held: 0,
            qualifying: 0,
            months_due: 3,
            months_covered: 1,
            missing_months: vec![1, 3],
            person_visits: 0,
            distinct_members: 0,
            meets_rules: false,
        };
        assert_eq!(figures.missing_text(), "1、3月");
    }
}
