use crate::client::Source;
use crate::screens::Screen;

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Draw this screen.
    Show(Screen),
    /// Send a check-in; answer with `Event::Answered` or `Event::Undeliverable` for `scan`.
    PostCheckin {
        scan: u64,
        credential: String,
        source: Source,
        activity_id: Option<String>,
    },
}
