//! Backups of a home: the nightly copy that `kejia serve` takes into `DATA/backups/`, the
//! `kejia backup` and `kejia restore` commands, and what the dashboard says about them.
//!
//! [`copy`] makes a copy (SQLite's online backup API) and puts one back; [`nightly`],
//! [`schedule`] and [`rotation`] decide when, where and how many to keep; [`Health`] keeps the
//! outcome for the staffer. It never blocks a check-in: a copy runs on a blocking thread with a
//! read connection of its own.

pub mod copy;
pub mod nightly;
pub mod rotation;
pub mod schedule;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use jiff::Timestamp;

use crate::store::DB_FILE;
pub use copy::{BackupError, Copied, RestoreError, Restored};

/// The nightly backups' folder inside the data folder.
pub const DIR: &str = crate::store::BACKUPS_DIR;

/// `kejia backup --data DIR --to FILE`: a verified copy of the home's database, taken online
/// (the home may be serving).
pub fn backup_to(data_dir: &Path, to: &Path) -> Result<Copied, BackupError> {
    copy::copy_online(&data_dir.join(DB_FILE), to)
}

/// `kejia restore --data DIR --from FILE` (see [`copy::restore`]).
pub fn restore(data_dir: &Path, from: &Path, now: Timestamp) -> Result<Restored, RestoreError> {
    copy::restore(data_dir, from, now)
}

/// The nightly backups' folder of a data folder.
pub fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join(DIR)
}

/// How the nightly backups stand, for the dashboard. Kept in memory: at start it is read from
/// the folder (the newest nightly file); a failure is known only since the last start.
#[derive(Debug, Default)]
pub struct Health {
    state: Mutex<HealthState>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthState {
    /// When the newest verified nightly backup was taken.
    pub newest: Option<Timestamp>,
    /// The last attempt failed: when, and why (English, for the log; not shown to staff).
    pub failed: Option<(Timestamp, String)>,
}

impl Health {
    pub fn starting_from(newest: Option<Timestamp>) -> Self {
        Self {
            state: Mutex::new(HealthState {
                newest,
                failed: None,
            }),
        }
    }

    pub fn snapshot(&self) -> HealthState {
        self.lock().clone()
    }

    pub fn succeeded(&self, at: Timestamp) {
        let mut state = self.lock();
        state.newest = Some(at);
        state.failed = None;
    }

    pub fn failed(&self, at: Timestamp, why: String) {
        self.lock().failed = Some((at, why));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HealthState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
