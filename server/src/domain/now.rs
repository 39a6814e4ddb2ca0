//! The present, as the device knows it.

use jiff::Timestamp;

/// An instant and whether the clock that gave it was synchronised. Rules that follow the
/// calendar (opening check-in by schedule) act only on a trusted instant; every record made
/// under an untrusted one says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub at: Timestamp,
    pub trusted: bool,
}

impl From<Timestamp> for Now {
    /// A bare instant is one the caller vouches for (tests, and times a staffer entered).
    fn from(at: Timestamp) -> Self {
        Self { at, trusted: true }
    }
}
