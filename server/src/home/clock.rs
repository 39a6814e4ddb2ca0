//! Whether the home believes its clock. A Pi has no real-time clock: until the kernel says a
//! time service synchronised it, check-ins are marked as taken under an untrusted clock and no
//! activity opens or closes by its schedule. A staffer who sees that the device's time is right
//! may vouch for it until the next restart; the vouch is kept in memory only.

use std::sync::atomic::{AtomicBool, Ordering};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::HomeError;
use crate::domain::calendar::rfc3339;
use crate::store::audit::Entry;
use crate::store::{Store, audit};

/// Records who vouched for the device's time, and what time it said, then trusts it.
pub async fn confirm_time(
    store: &Store,
    confirmed: &AtomicBool,
    seen: Timestamp,
    tz: &TimeZone,
    staffer: &str,
) -> Result<(), HomeError> {
    let shown = rfc3339(seen, tz);
    let staffer = staffer.to_owned();
    store
        .write(move |conn| {
            audit::append(
                conn,
                Entry::new(seen, &staffer, "clock.confirm", "clock").detail(Some(&shown)),
            )
        })
        .await?;
    confirmed.store(true, Ordering::Relaxed);
    tracing::info!("a staffer confirmed the device's time");
    Ok(())
}
