//! The frame of every staff page of the home: its name, who is logged in, the tabs, the logout
//! form. (The hub has its own, in `hub/pages`.)

use crate::http::AppState;
use crate::web::csrf::Csrf;
use crate::web::render::StaffPage;

/// Which part of the staff site a page belongs to (the highlighted tab).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Activities,
    Members,
    Ledger,
    Settings,
}

/// The frame of every staff page: home name, who is logged in, the tabs, the logout form.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub home_name: String,
    pub username: String,
    pub csrf: String,
    pub section: Section,
}

impl Chrome {
    pub fn new(state: &AppState, staff: &StaffPage, csrf: &Csrf, section: Section) -> Self {
        Self {
            home_name: state.home_name(),
            username: staff.0.username.clone(),
            csrf: csrf.0.clone(),
            section,
        }
    }

    /// `class="here"` for the current tab (used by `base.html`).
    pub fn here(&self, section: &str) -> &'static str {
        let current = match self.section {
            Section::Dashboard => "dashboard",
            Section::Activities => "activities",
            Section::Members => "members",
            Section::Ledger => "ledger",
            Section::Settings => "settings",
        };
        if current == section { "here" } else { "" }
    }
}
