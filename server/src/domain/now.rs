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

/// Tests hand the rules bare instants and mean them as trusted. Only tests: a runtime caller
/// must say whether its clock is trusted (`AppState::now()`), so this does not compile there.
#[cfg(test)]
impl From<Timestamp> for Now {
    fn from(at: Timestamp) -> Self {
        Self { at, trusted: true }
    }
}
