//! Why a write did not reach the disk. A Pi's SD card fills up, turns read-only when it wears
//! out, or starts failing; each asks the staffer to do something different, so a refused write
//! says which it was instead of a bare "could not save".

use std::io::{ErrorKind, Write};
use std::path::Path;

/// What stopped a write, as far as kejia can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskTrouble {
    /// No space left: recovers by itself once space is freed.
    Full,
    /// The file system refuses writes (a worn SD card is remounted read-only by the kernel).
    ReadOnly,
    /// Writes fail for another reason: the card or its file system is failing.
    Failing,
    /// Another connection held the database for longer than the busy timeout.
    Busy,
}

impl DiskTrouble {
    /// Classifies an SQLite failure by its code alone. SQLite reports a read-only file system
    /// as a plain I/O error, so only [`Self::diagnose`] can tell those apart.
    pub fn of(error: &rusqlite::Error) -> Option<Self> {
        use rusqlite::ErrorCode::*;
        match error.sqlite_error_code()? {
            DiskFull => Some(Self::Full),
            ReadOnly => Some(Self::ReadOnly),
            SystemIoFailure | CannotOpen => Some(Self::Failing),
            DatabaseBusy | DatabaseLocked => Some(Self::Busy),
            _ => None,
        }
    }

    /// Classifies a failed write to the database in `dir`. An I/O error is looked into by
    /// writing a small probe file beside the database: the operating system's answer names a
    /// full or read-only file system, which SQLite's own code does not.
    pub fn diagnose(error: &rusqlite::Error, dir: &Path) -> Option<Self> {
        match Self::of(error)? {
            Self::Failing => Some(probe(dir).unwrap_or(Self::Failing)),
            trouble => Some(trouble),
        }
    }
}

/// Writes and syncs a one-byte file in `dir`; returns what stopped it, if anything did.
fn probe(dir: &Path) -> Option<DiskTrouble> {
    let path = dir.join(".kejia-write-probe");
    let written = std::fs::File::create(&path).and_then(|mut file| {
        file.write_all(b"k")?;
        file.sync_all()
    });
    let _ = std::fs::remove_file(&path);
    match written.err()?.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Some(DiskTrouble::Full),
        ErrorKind::ReadOnlyFilesystem => Some(DiskTrouble::ReadOnly),
        _ => Some(DiskTrouble::Failing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_error(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn sqlite_codes_name_the_trouble() {
        use rusqlite::ffi;
        assert_eq!(
            DiskTrouble::of(&sqlite_error(ffi::SQLITE_FULL)),
            Some(DiskTrouble::Full)
        );
        assert_eq!(
            DiskTrouble::of(&sqlite_error(ffi::SQLITE_READONLY)),
            Some(DiskTrouble::ReadOnly)
        );
        assert_eq!(
            DiskTrouble::of(&sqlite_error(ffi::SQLITE_IOERR_WRITE)),
            Some(DiskTrouble::Failing)
        );
        assert_eq!(
            DiskTrouble::of(&sqlite_error(ffi::SQLITE_BUSY)),
            Some(DiskTrouble::Busy)
        );
        assert_eq!(DiskTrouble::of(&sqlite_error(ffi::SQLITE_CONSTRAINT)), None);
    }

    #[test]
    fn an_io_error_on_a_writable_folder_stays_a_failing_disk() {
        let dir = tempfile::tempdir().expect("temp dir");
        let error = sqlite_error(rusqlite::ffi::SQLITE_IOERR_WRITE);
        assert_eq!(
            DiskTrouble::diagnose(&error, dir.path()),
            Some(DiskTrouble::Failing)
        );
        assert!(
            !dir.path().join(".kejia-write-probe").exists(),
            "the probe is removed"
        );
    }
}
