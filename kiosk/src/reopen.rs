//! What the reader and touch threads share at the device edge: how a read loop ends, and
//! waiting to reopen a device that went away while still noticing that nobody listens.

use std::io;
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

/// How often a waiting device thread looks whether its receiver is still there.
pub(crate) const WAKE_EVERY: Duration = Duration::from_millis(100);

/// Why a device's read loop stopped.
pub(crate) enum Ended {
    ReceiverDropped,
    DeviceGone(io::Error),
}

/// Waits `retry`, waking every [`WAKE_EVERY`] to see whether anyone still listens. False if not.
pub(crate) fn pause<T>(retry: Duration, listeners: &UnboundedSender<T>) -> bool {
    let until = Instant::now().checked_add(retry);
    loop {
        if listeners.is_closed() {
            return false;
        }
        let now = Instant::now();
        let left = until.map_or(WAKE_EVERY, |until| until.saturating_duration_since(now));
        if left.is_zero() {
            return true;
        }
        thread::sleep(left.min(WAKE_EVERY));
    }
}
