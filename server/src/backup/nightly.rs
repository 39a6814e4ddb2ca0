//! The nightly backup beside `kejia serve`: one verified copy into `DATA/backups/` at the quiet
//! hour (and at start when the newest is older than a day), then the rotation. Each copy runs on
//! a blocking thread with a read connection of its own, so check-ins never wait for it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{Health, copy, rotation, schedule};
use crate::clock::Clock;
use crate::store::DB_FILE;

/// Longest sleep between looks at the clock: a Pi's clock jumps when a time service first sets
/// it after boot, and the next run must follow.
const LOOK_AGAIN: Duration = Duration::from_secs(600);

/// What one nightly backup did.
#[derive(Debug, Clone)]
pub struct Taken {
    pub copied: copy::Copied,
    pub removed: Vec<PathBuf>,
}

/// Takes one nightly backup into the data folder's `backups/` and rotates; blocking.
pub fn take_once(
    data_dir: &Path,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Taken, copy::BackupError> {
    let folder = super::folder(data_dir);
    std::fs::create_dir_all(&folder).map_err(|source| copy::BackupError::Io {
        path: folder.clone(),
        source,
    })?;
    let to = folder.join(rotation::file_name(now));
    let copied = copy::copy_online(&data_dir.join(DB_FILE), &to)?;
    // The new copy is verified before anything old is removed.
    let removed = rotation::apply(&folder, tz).map_err(|source| copy::BackupError::Io {
        path: folder.clone(),
        source,
    })?;
    Ok(Taken { copied, removed })
}

/// Runs for as long as the home serves.
pub async fn run(data_dir: PathBuf, tz: TimeZone, clock: Arc<dyn Clock>, health: Arc<Health>) {
    if schedule::due_at_start(health.snapshot().newest, clock.now()) {
        take(&data_dir, &tz, clock.as_ref(), &health).await;
    }
    let mut next = schedule::next_run(clock.now(), &tz);
    loop {
        let now = clock.now();
        if now >= next {
            take(&data_dir, &tz, clock.as_ref(), &health).await;
            next = schedule::next_run(clock.now(), &tz);
            continue;
        }
        // The clock may have been set back a long way (a Pi's first NTP answer): plan afresh.
        if next.duration_since(now) > jiff::SignedDuration::from_hours(25) {
            next = schedule::next_run(now, &tz);
        }
        let wait = Duration::try_from(next.duration_since(now))
            .unwrap_or(LOOK_AGAIN)
            .clamp(Duration::from_secs(1), LOOK_AGAIN);
        tokio::time::sleep(wait).await;
    }
}

async fn take(data_dir: &Path, tz: &TimeZone, clock: &dyn Clock, health: &Health) {
    let now = clock.now();
    let (dir, zone) = (data_dir.to_owned(), tz.clone());
    let started = std::time::Instant::now();
    let outcome = tokio::task::spawn_blocking(move || take_once(&dir, now, &zone)).await;
    match outcome {
        Ok(Ok(taken)) => {
            tracing::info!(
                file = %taken.copied.path.display(),
                bytes = taken.copied.bytes,
                last_change = taken.copied.last_seq,
                removed = taken.removed.len(),
                millis = started.elapsed().as_millis() as u64,
                "nightly backup taken and verified"
            );
            health.succeeded(now);
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "nightly backup failed");
            health.failed(now, error.to_string());
        }
        Err(join) => {
            tracing::error!(error = %join, "nightly backup stopped unexpectedly");
            health.failed(now, join.to_string());
        }
    }
}
