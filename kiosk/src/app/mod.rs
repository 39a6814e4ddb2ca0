//! The kiosk as a pure state machine: events in, effects out, no I/O and no clock of its own.
//!
//! This is where "never lies" lives: a success screen can only follow a server's answer to the
//! scan in flight; a scan that could not be delivered ends on a failure screen.

mod effects;
mod events;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use embedded_graphics::prelude::{Point, Size};

pub use effects::Effect;
pub use events::Event;

use crate::client::{
    ActivityBrief, Answer, Notice, Outcome, PhoneMatch, Presenting, Reply, Source, Status,
};
use crate::readers::Scan;
use crate::screens::keypad::{self, Key};
use crate::screens::{Connection, IdleView, NoticeView, Screen, choose, idle};

/// How long an answer stays on screen before the kiosk returns to idle.
pub const RESULT_TIME: Duration = Duration::from_secs(4);
/// How long the member has to pick an activity, or type on the keypad between touches.
pub const CHOOSE_TIME: Duration = Duration::from_secs(15);
/// How long the keypad waits for the next touch.
pub const KEYPAD_TIME: Duration = Duration::from_secs(30);
/// How long an unknown card or code stays on screen when it offers the registration QR code:
/// time to take out a phone and scan it.
pub const REGISTER_TIME: Duration = Duration::from_secs(15);
/// Before the server's first answer, failed status requests are called offline only once they
/// span this long: at start-up the kiosk often comes up a moment before the network or the
/// server does, and a red "offline" band that vanishes a second later only alarms. With a
/// status request every five seconds, this is the second round of them.
pub const CONNECT_GRACE: Duration = Duration::from_secs(4);
/// Scans waiting while one is in flight; a queue longer than this is a jam, not a crowd.
const MAX_QUEUED: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
struct InFlight {
    scan: u64,
    presenting: Presenting,
}

#[derive(Debug)]
pub struct Kiosk {
    size: Size,
    screen: Screen,
    idle: IdleView,
    in_flight: Option<InFlight>,
    queue: VecDeque<Scan>,
    choosing: Option<(InFlight, Vec<ActivityBrief>)>,
    /// Members offered after a keypad search, and the search waiting for its answer.
    matches: Vec<PhoneMatch>,
    lookup: Option<u64>,
    back_to_idle_at: Option<Instant>,
    next_scan: u64,
    /// When a status request first failed while still connecting.
    first_failure: Option<Instant>,
}

impl Kiosk {
    pub fn new(size: Size, home_name: &str) -> Self {
        let idle = IdleView {
            home_name: home_name.to_owned(),
            connection: Connection::Connecting,
            ..IdleView::default()
        };
        Self {
            size,
            screen: Screen::Idle(idle.clone()),
            idle,
            in_flight: None,
            queue: VecDeque::new(),
            choosing: None,
            matches: Vec::new(),
            lookup: None,
            back_to_idle_at: None,
            next_scan: 1,
            first_failure: None,
        }
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    pub fn handle(&mut self, event: Event, now: Instant) -> Vec<Effect> {
        let before = self.screen.clone();
        let mut effects = match event {
            Event::Scan(scan) => self.scanned(scan),
            Event::Answered { scan, reply } => self.answered(scan, reply, now),
            Event::Undeliverable { scan } => self.undeliverable(scan, now),
            Event::Touch(point) => self.touched(point, now),
            Event::Found { lookup, matches } => self.found(lookup, matches, now),
            Event::Status(status) => self.status(status, now),
            Event::Tick { clock } => self.tick(clock, now),
        };
        if self.screen != before {
            effects.insert(0, Effect::Show(self.screen.clone()));
        }
        effects
    }

    fn scanned(&mut self, scan: Scan) -> Vec<Effect> {
        if self.in_flight.is_some() {
            if self.queue.len() < MAX_QUEUED {
                self.queue.push_back(scan);
            }
            return Vec::new();
        }
        let presenting = match scan {
            Scan::Card(uid) => Presenting::Credential {
                text: uid,
                source: Source::Card,
            },
            Scan::Qr(text) => Presenting::Credential {
                text,
                source: Source::Qr,
            },
        };
        // A new scan replaces a pending choice: the member walked away, someone else came.
        self.choosing = None;
        self.send(presenting, None)
    }

    fn send(&mut self, presenting: Presenting, activity_id: Option<String>) -> Vec<Effect> {
        let scan = self.next_scan;
        self.next_scan += 1;
        self.in_flight = Some(InFlight {
            scan,
            presenting: presenting.clone(),
        });
        vec![Effect::PostCheckin {
            scan,
            presenting,
            activity_id,
        }]
    }

    fn answered(&mut self, scan: u64, reply: Reply, now: Instant) -> Vec<Effect> {
        let Some(in_flight) = self.in_flight.take_if(|f| f.scan == scan) else {
            return Vec::new();
        };
        self.went_online();
        match reply {
            Reply::Answer(answer) => {
                let screen = outcome_screen(&answer, self.idle.phone_url.as_deref());
                let time = match &screen {
                    Screen::Unknown { phone_url: Some(_) } => REGISTER_TIME,
                    _ => RESULT_TIME,
                };
                self.show_for(screen, now, time);
            }
            Reply::Choose(choices) => {
                let titles = choices
                    .iter()
                    .take(choose::MAX_CHOICES)
                    .map(|c| c.title.clone())
                    .collect();
                self.choosing = Some((in_flight, choices));
                self.show_for(Screen::Choose { choices: titles }, now, CHOOSE_TIME);
            }
            Reply::Refused(message) => self.show_for(Screen::Failed { message }, now, RESULT_TIME),
        }
        self.next_in_queue()
    }

    fn undeliverable(&mut self, scan: u64, now: Instant) -> Vec<Effect> {
        if self.in_flight.take_if(|f| f.scan == scan).is_none() {
            return Vec::new();
        }
        self.went_offline();
        let message = "无法连接服务器，您本次签到未计入".to_owned();
        self.show_for(Screen::Failed { message }, now, RESULT_TIME);
        self.next_in_queue()
    }

    fn next_in_queue(&mut self) -> Vec<Effect> {
        match self.queue.pop_front() {
            Some(scan) => self.scanned(scan),
            None => Vec::new(),
        }
    }

    fn touched(&mut self, point: Point, now: Instant) -> Vec<Effect> {
        match self.screen.clone() {
            Screen::Choose { .. } | Screen::Matches { .. }
                if choose::back_button(self.size).contains(point) =>
            {
                self.go_idle();
                Vec::new()
            }
            Screen::Choose { choices } => self.chose_activity(choices.len(), point, now),
            Screen::Matches { choices } => self.chose_member(choices.len(), point, now),
            Screen::Keypad { digits } => self.pressed(digits, point, now),
            Screen::Idle(_) => {
                if idle::keypad_button(self.size).contains(point) {
                    self.show_for(
                        Screen::Keypad {
                            digits: String::new(),
                        },
                        now,
                        KEYPAD_TIME,
                    );
                }
                Vec::new()
            }
            _ => {
                self.go_idle();
                Vec::new()
            }
        }
    }

    fn chose_activity(&mut self, count: usize, point: Point, now: Instant) -> Vec<Effect> {
        let Some(index) = choose::hit(self.size, count, point) else {
            return Vec::new();
        };
        if self.in_flight.is_some() {
            return Vec::new();
        }
        let Some((pending, activities)) = self.choosing.take() else {
            return Vec::new();
        };
        let Some(activity) = activities.get(index) else {
            return Vec::new();
        };
        self.back_to_idle_at = Some(now + RESULT_TIME);
        self.send(pending.presenting, Some(activity.id.clone()))
    }

    fn chose_member(&mut self, count: usize, point: Point, now: Instant) -> Vec<Effect> {
        let Some(index) = choose::hit(self.size, count, point) else {
            return Vec::new();
        };
        if self.in_flight.is_some() {
            return Vec::new();
        }
        let Some(member) = self.matches.get(index) else {
            return Vec::new();
        };
        let presenting = Presenting::Member {
            id: member.id.clone(),
        };
        self.matches.clear();
        self.back_to_idle_at = Some(now + RESULT_TIME);
        self.send(presenting, None)
    }

    fn pressed(&mut self, mut digits: String, point: Point, now: Instant) -> Vec<Effect> {
        let Some(key) = keypad::hit(self.size, point) else {
            return Vec::new();
        };
        match key {
            Key::Digit(d) if digits.len() < keypad::MAX_DIGITS => digits.push(char::from(b'0' + d)),
            Key::Digit(_) => {}
            Key::Delete => {
                digits.pop();
            }
            Key::Cancel => {
                self.go_idle();
                return Vec::new();
            }
            Key::Search if digits.len() >= keypad::MIN_DIGITS && self.lookup.is_none() => {
                let lookup = self.next_scan;
                self.next_scan += 1;
                self.lookup = Some(lookup);
                self.back_to_idle_at = Some(now + KEYPAD_TIME);
                return vec![Effect::FindMembers {
                    lookup,
                    phone_suffix: digits,
                }];
            }
            Key::Search => {}
        }
        self.show_for(Screen::Keypad { digits }, now, KEYPAD_TIME);
        Vec::new()
    }

    fn found(
        &mut self,
        lookup: u64,
        matches: Option<Vec<PhoneMatch>>,
        now: Instant,
    ) -> Vec<Effect> {
        if self.lookup.take_if(|l| *l == lookup).is_none()
            || !matches!(self.screen, Screen::Keypad { .. })
        {
            return Vec::new();
        }
        match matches {
            None => {
                self.went_offline();
                let message = "无法连接服务器，您暂时不能按手机号签到".to_owned();
                self.show_for(Screen::Failed { message }, now, RESULT_TIME);
            }
            Some(found) if found.is_empty() => {
                let message = NO_MATCH.to_owned();
                self.show_for(Screen::Failed { message }, now, RESULT_TIME);
            }
            Some(found) => {
                let choices = found
                    .iter()
                    .take(choose::MAX_CHOICES)
                    .map(|m| format!("{} · {}", m.name_masked, m.phone_masked))
                    .collect();
                self.matches = found;
                self.show_for(Screen::Matches { choices }, now, CHOOSE_TIME);
            }
        }
        Vec::new()
    }

    fn status(&mut self, status: Option<Status>, now: Instant) -> Vec<Effect> {
        match status {
            Some(status) => {
                self.went_online();
                self.idle.home_name = status.home_name;
                self.idle.open = status
                    .open
                    .first()
                    .map(|a| (a.title.clone(), a.participants));
                self.idle.more_open = status.open.len().saturating_sub(1);
                self.idle.next = status.next.map(|a| (a.title, short_time(&a.starts_at)));
                self.idle.phone_url = status.phone_url;
                self.idle.notice = status.notice.and_then(notice_view);
            }
            None => self.status_failed(now),
        }
        match &self.screen {
            Screen::Idle(_) => self.screen = Screen::Idle(self.idle.clone()),
            // The registration code rotates while the screen waits for a phone.
            Screen::Unknown { .. } => {
                self.screen = Screen::Unknown {
                    phone_url: self.idle.phone_url.clone(),
                };
            }
            _ => {}
        }
        Vec::new()
    }

    /// The server cannot be reached: the idle screen says so, and drops the phone QR code,
    /// whose rotating code would be stale before a phone could use it. The notice stays: it is
    /// still the association's newest as far as the kiosk knows.
    fn went_offline(&mut self) {
        self.idle.connection = Connection::Offline;
        self.idle.phone_url = None;
    }

    fn went_online(&mut self) {
        self.idle.connection = Connection::Online;
        self.first_failure = None;
    }

    /// A status request failed. Once the server has answered, or after a member's scan or
    /// search failed, that is offline; while still connecting, only once failures have gone on
    /// for `CONNECT_GRACE`.
    fn status_failed(&mut self, now: Instant) {
        if self.idle.connection != Connection::Connecting {
            self.went_offline();
            return;
        }
        let first = *self.first_failure.get_or_insert(now);
        if now.duration_since(first) >= CONNECT_GRACE {
            self.went_offline();
        }
    }

    fn tick(&mut self, clock: String, now: Instant) -> Vec<Effect> {
        self.idle.clock = clock;
        if self.back_to_idle_at.is_some_and(|at| now >= at) {
            self.go_idle();
        } else if matches!(self.screen, Screen::Idle(_)) {
            self.screen = Screen::Idle(self.idle.clone());
        }
        Vec::new()
    }

    fn show_for(&mut self, screen: Screen, now: Instant, time: Duration) {
        self.screen = screen;
        self.back_to_idle_at = Some(now + time);
    }

    fn go_idle(&mut self) {
        self.choosing = None;
        self.matches.clear();
        self.lookup = None;
        self.back_to_idle_at = None;
        self.screen = Screen::Idle(self.idle.clone());
    }
}

/// What a keypad search that found nobody says: what happened, then what to do.
pub const NO_MATCH: &str = "没有找到匹配的会员。请核对手机号后四位，或请工作人员帮您登记。";

/// The most characters of a notice's title and body the idle screen keeps: more than any panel
/// shows, so the screen makes the visible cut, while a huge text costs nothing per redraw.
const NOTICE_TITLE_CHARS: usize = 120;
const NOTICE_BODY_CHARS: usize = 400;

/// A notice as the idle screen shows it, or `None` when nothing of it is printable.
fn notice_view(notice: Notice) -> Option<NoticeView> {
    let view = NoticeView {
        title: screen_text(&notice.title, NOTICE_TITLE_CHARS),
        body: screen_text(&notice.body, NOTICE_BODY_CHARS),
        published: short_date(&notice.published_at),
    };
    (!view.title.is_empty() || !view.body.is_empty()).then_some(view)
}

/// Text from afar as a screen may show it: control and invisible formatting characters
/// (bidirectional overrides, zero-width spaces) dropped, any run of whitespace (line breaks
/// included) folded to one space, at most `max_chars` characters, an ellipsis where it was cut.
fn screen_text(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = count > 0;
            continue;
        }
        if c.is_control() || invisible(c) {
            continue;
        }
        let needed = usize::from(pending_space) + 1;
        if count + needed > max_chars {
            out.push('…');
            break;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        count += needed;
    }
    out
}

/// Format characters that draw nothing but can reorder or hide text.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// "2026-11-20T09:00:00+08:00" → "11月20日", the day as the association's offset reads it;
/// empty when the server gave no date it could parse.
fn short_date(rfc3339: &str) -> String {
    rfc3339
        .get(..10)
        .and_then(|day| day.parse::<jiff::civil::Date>().ok())
        .map(|day| day.strftime("%-m月%-d日").to_string())
        .unwrap_or_default()
}

/// The screen for a server's answer. An outcome this kiosk does not know is shown as a
/// failure: never as a success it cannot vouch for. An unknown card or code offers the phone
/// page, where an unknown phone can register.
fn outcome_screen(answer: &Answer, phone_url: Option<&str>) -> Screen {
    let name = answer
        .member
        .as_ref()
        .map(|m| m.name_masked.clone())
        .unwrap_or_default();
    let activity = answer.activity.as_ref().map(|a| a.title.clone());
    match &answer.outcome {
        Outcome::CheckedIn => Screen::CheckedIn {
            name,
            employer: answer
                .member
                .as_ref()
                .map(|m| m.employer.clone())
                .unwrap_or_default(),
            activity: activity.unwrap_or_default(),
            position: answer.participants.unwrap_or(0),
        },
        Outcome::AlreadyCheckedIn => Screen::AlreadyCheckedIn {
            name,
            activity: activity.unwrap_or_default(),
        },
        Outcome::Visit => Screen::Visit { name },
        Outcome::UnknownCredential => Screen::Unknown {
            phone_url: phone_url.map(str::to_owned),
        },
        Outcome::MemberSuspended => Screen::Suspended { name },
        Outcome::ActivityNotOpen => Screen::NotOpen { activity },
        Outcome::Unrecognised(other) => Screen::Failed {
            message: format!("服务器返回了无法识别的结果（{other}）。请您联系工作人员"),
        },
    }
}

/// "2026-12-03T14:00:00+08:00" → "12月3日 14:00": the server already gives the home's local
/// time, so its date and time part is what the home reads.
fn short_time(rfc3339: &str) -> String {
    match rfc3339
        .get(..19)
        .and_then(|local| local.parse::<jiff::civil::DateTime>().ok())
    {
        Some(local) => local.strftime("%-m月%-d日 %H:%M").to_string(),
        None => rfc3339.to_owned(),
    }
}
