//! The screens: view models (plain data the state machine produces) and how each is drawn.
//! Drawing is a pure function of the view and the canvas size; layouts scale with the shorter
//! side of the panel (800×480, 1024×600, 720×1280 portrait).

mod card;
pub mod choose;
pub mod idle;
pub mod keypad;
#[cfg(test)]
mod long_text_tests;
pub mod outcomes;
pub mod phone;
#[cfg(test)]
mod tests;

use embedded_graphics::prelude::*;

use crate::display::Frame;

/// What the idle screen knows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdleView {
    pub home_name: String,
    /// Date and time as the home reads it, e.g. "11月28日 星期六 20:45".
    pub clock: String,
    /// The activity taking check-ins now and its live participant count.
    pub open: Option<(String, u32)>,
    /// How many more activities are open at the same time.
    pub more_open: usize,
    /// The next activity and when it starts ("12月3日 14:00").
    pub next: Option<(String, String)>,
    /// Whether the server answers, as far as the kiosk knows.
    pub connection: Connection,
    /// The phone check-in page, shown as a QR code; `None` when the server gave none or cannot
    /// be reached (its code would be stale by the time a phone opened it).
    pub phone_url: Option<String>,
    /// The association's newest notice: a band at the foot under the phone card, or a card in
    /// the phone card's place when there is none (offline, the notice stays).
    pub notice: Option<NoticeView>,
}

/// What the kiosk knows of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Connection {
    /// No answer yet, and no failure long enough to call it offline: the kiosk has just started.
    #[default]
    Connecting,
    Online,
    /// The server could not be reached.
    Offline,
}

/// The association's newest notice as the idle screen shows it: text cleaned of control and
/// invisible characters, whitespace folded to single spaces, cut to what a screen can hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NoticeView {
    pub title: String,
    pub body: String,
    /// The day it was published as the association reads it ("11月20日"); empty if unknown.
    pub published: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Idle(IdleView),
    CheckedIn {
        name: String,
        employer: String,
        activity: String,
        position: u32,
    },
    AlreadyCheckedIn {
        name: String,
        activity: String,
    },
    Visit {
        name: String,
    },
    /// No member has this card or code; with the phone page's address, a QR code to register.
    Unknown {
        phone_url: Option<String>,
    },
    Suspended {
        name: String,
    },
    NotOpen {
        activity: Option<String>,
    },
    Choose {
        choices: Vec<String>,
    },
    /// Check-in by the last digits of a phone number: the digits typed so far.
    Keypad {
        digits: String,
    },
    /// The members whose phone ends with the typed digits, to pick from.
    Matches {
        choices: Vec<String>,
    },
    /// The scan could not be delivered or was refused: nothing was counted.
    Failed {
        message: String,
    },
}

/// Makes `frame` show `screen`; only the pixels that differ from what it showed are marked
/// dirty, so a clock tick sends a few hundred pixels to the panel, not the whole screen.
pub fn render(screen: &Screen, frame: &mut Frame) {
    let mut next = Frame::new(frame.size());
    draw(screen, &mut next);
    frame.update_from(&next);
}

/// Draws `screen` over the whole canvas.
pub fn draw(screen: &Screen, frame: &mut Frame) {
    match screen {
        Screen::Idle(view) => idle::draw(view, frame),
        Screen::Choose { choices } => choose::draw("请选择您参加的活动", choices, frame),
        Screen::Matches { choices } => choose::draw("请选择您本人", choices, frame),
        Screen::Keypad { digits } => keypad::draw(digits, frame),
        outcome => outcomes::draw(outcome, frame),
    }
}

/// Sizes scale with the panel's shorter side; 480 px is the reference.
pub(crate) fn scale(size: Size, reference_px: u32) -> u32 {
    (reference_px * size.width.min(size.height) / 480).max(1)
}
