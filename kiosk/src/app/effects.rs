use crate::client::Presenting;
use crate::screens::Screen;

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Draw this screen.
    Show(Screen),
    /// Send a check-in; answer with `Event::Answered` or `Event::Undeliverable` for `scan`.
    PostCheckin {
        scan: u64,
        presenting: Presenting,
        activity_id: Option<String>,
    },
    /// Look up members by the last digits of their phone; answer with `Event::Found`.
    FindMembers { lookup: u64, phone_suffix: String },
}
