use embedded_graphics::prelude::Point;

use crate::client::{PhoneMatch, Reply, Status};
use crate::readers::Scan;

/// Everything that can happen to the kiosk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A reader reported a credential.
    Scan(Scan),
    /// The panel (or the mirror page) was touched.
    Touch(Point),
    /// The server answered the scan numbered `scan`.
    Answered { scan: u64, reply: Reply },
    /// The scan numbered `scan` could not be delivered, even after retries.
    Undeliverable { scan: u64 },
    /// The members found for lookup `lookup`, or `None` when the server could not be asked.
    Found {
        lookup: u64,
        matches: Option<Vec<PhoneMatch>>,
    },
    /// What the idle screen shows, or `None` when the server cannot be reached.
    Status(Option<Status>),
    /// A second passed; `clock` is the home's date and time as shown on the idle screen.
    Tick { clock: String },
}
