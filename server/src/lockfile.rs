//! The data folder's lock: `kejia serve` holds it for as long as it runs, and `kejia restore`
//! for as long as it swaps files, so a restore never replaces the database under a running home
//! and a home never starts on a half-restored folder.
//!
//! It is an advisory `flock` on `DATA/kejia.lock`, which the kernel releases when the process
//! ends however it ends (kill -9 and power cuts included), so a stale lock file never blocks.
//! Commands that work online (`kejia backup`, `user add`, `sync`) do not take it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file inside a home's data folder.
pub const LOCK_FILE: &str = "kejia.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("另一个 kejia 进程正在使用 {0}（kejia serve 正在运行，或正在恢复备份）")]
    Busy(PathBuf),
    #[error("无法锁定 {path}：{source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held while alive; dropping it (or the process ending) releases the folder.
#[derive(Debug)]
pub struct DataLock {
    _file: Option<File>,
}

impl DataLock {
    /// Takes the folder's lock at once or says who holds it; never waits.
    pub fn acquire(data_dir: &Path) -> Result<Self, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: Some(file) }),
            Err(TryLockError::WouldBlock) => Err(LockError::Busy(data_dir.to_owned())),
            // A file system without locks (rare; not an SD card's ext4): carry on unguarded
            // rather than refuse to run the home.
            Err(TryLockError::Error(error)) if error.kind() == std::io::ErrorKind::Unsupported => {
                tracing::warn!(path = %path.display(), "this file system cannot lock files; restore cannot tell whether the home runs");
                Ok(Self { _file: None })
            }
            Err(TryLockError::Error(error)) => Err(io(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let held = DataLock::acquire(dir.path()).unwrap();
        assert!(matches!(
            DataLock::acquire(dir.path()),
            Err(LockError::Busy(_))
        ));
        drop(held);
        assert!(DataLock::acquire(dir.path()).is_ok());
    }
}
