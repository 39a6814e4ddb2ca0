//! Telling systemd how the service is (`Type=notify`, `WatchdogSec=`). Outside systemd
//! (`NOTIFY_SOCKET` unset) every call here does nothing.

use std::time::Duration;

use sd_notify::NotifyState;

use crate::store::Store;

/// Listening and the database checked: systemd may start what depends on this service.
pub fn ready() {
    if let Err(error) = sd_notify::notify(&[NotifyState::Ready]) {
        tracing::warn!(%error, "could not tell systemd the service is ready");
    }
}

/// Stopping: systemd should not take the pause for a hang.
pub fn stopping() {
    let _ = sd_notify::notify(&[NotifyState::Stopping]);
}

/// The interval systemd expects a ping at, when it runs a watchdog for this service.
fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled().map(|interval| interval / 2)
}

/// Pings the watchdog at half its interval, each time only after the store answered a read,
/// so a wedged database (not just a live process) gets the service restarted.
pub fn spawn_watchdog(store: Store) -> Option<tokio::task::JoinHandle<()>> {
    let every = watchdog_interval()?;
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            let answered = store
                .read(|conn| Ok(conn.query_row("SELECT 1", [], |row| row.get::<_, i64>(0))?))
                .await;
            match answered {
                Ok(1) => ping(),
                Ok(_) | Err(_) => {
                    tracing::error!("the database did not answer; the watchdog is not fed")
                }
            }
        }
    }))
}

/// One watchdog ping, for services with no store (the kiosk proves its loop runs instead).
pub fn ping() {
    let _ = sd_notify::notify(&[NotifyState::Watchdog]);
}

/// Pings at half the watchdog interval from a task on the runtime, if systemd runs one.
pub fn spawn_plain_watchdog() -> Option<tokio::task::JoinHandle<()>> {
    let every = watchdog_interval()?;
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            ping();
        }
    }))
}
