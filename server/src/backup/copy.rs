//! Copies of the home's database, taken online, and putting one back.
//!
//! A copy is made with SQLite's online backup API from a read connection of its own, in one
//! step (`step(-1)`): the whole file under one read transaction, so it is a consistent snapshot
//! of every committed (acknowledged) write, and check-ins keep committing meanwhile (WAL: a
//! reader never blocks the writer, and a single step cannot be restarted by their writes). The
//! copy goes to a temporary file beside its destination, is checked (`quick_check`, a kejia
//! home's database of a schema this build knows), fsynced, and only then renamed into place.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::lockfile::{DataLock, LockError};
use crate::store::{HOME, StoreError, changelog, quick_check, restored, schema_to_latest};

/// How often a busy source is retried before a copy gives up (50 ms apart).
const BUSY_RETRIES: u32 = 200;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} 处没有科技工作者之家的数据库，请检查 --data")]
    NoDatabase(PathBuf),
    #[error("{0} 已存在，请换一个文件名")]
    Exists(PathBuf),
    #[error("{0}")]
    Source(StoreError),
    #[error("数据库持续繁忙 10 秒，请稍后再试")]
    Busy,
    #[error("{path} 处的副本未通过校验（{detail}），已删除，不是有效的备份")]
    Unverified { path: PathBuf, detail: String },
    /// The backup file cannot be made where it was asked for (no such folder, no permission,
    /// a read-only file system).
    #[error("无法在 {folder} 中写入备份文件，请确认该目录存在且可写")]
    Unwritable { folder: PathBuf },
    #[error("无法写入 {path}：{source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("复制数据库时出错：{0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// A verified copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub path: PathBuf,
    pub bytes: u64,
    /// The newest change in the copy's change log.
    pub last_seq: i64,
}

/// Copies the home database `db` to `to`, online. `to` must not exist yet.
pub fn copy_online(db: &Path, to: &Path) -> Result<Copied, BackupError> {
    if !db.is_file() {
        return Err(BackupError::NoDatabase(db.to_owned()));
    }
    if to.exists() {
        return Err(BackupError::Exists(to.to_owned()));
    }
    let source = open_source(db).map_err(BackupError::Source)?;
    home_schema(&source, db).map_err(BackupError::Source)?;
    let partial = partial_path(to);
    let copied = write_copy(&source, &partial).and_then(|last_seq| {
        let io = |source| BackupError::Io {
            path: to.to_owned(),
            source,
        };
        sync_file(&partial).map_err(io)?;
        std::fs::rename(&partial, to).map_err(io)?;
        sync_parent(to).map_err(io)?;
        let bytes = std::fs::metadata(to).map(|m| m.len()).map_err(io)?;
        Ok(Copied {
            path: to.to_owned(),
            bytes,
            last_seq,
        })
    });
    if copied.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    copied
}

/// The folder a file is in, as the user named it ("." for a bare file name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Where a copy is written before it is checked and renamed: beside it, hidden.
pub fn partial_path(to: &Path) -> PathBuf {
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "kejia-backup".into());
    to.with_file_name(format!(".{name}.partial"))
}

/// The copy into `partial`, checked; returns its newest change.
fn write_copy(source: &Connection, partial: &Path) -> Result<i64, BackupError> {
    let _ = std::fs::remove_file(partial);
    let mut copy = Connection::open(partial).map_err(|error| {
        tracing::debug!(%error, "could not create the backup file");
        BackupError::Unwritable {
            folder: folder_of(partial),
        }
    })?;
    snapshot(source, &mut copy)?;
    // A standalone file: no -wal beside it that could be lost when it is copied off the box.
    let _: String = copy.query_row("PRAGMA journal_mode = DELETE", [], |row| row.get(0))?;
    let unverified = |error: StoreError| BackupError::Unverified {
        path: partial.to_owned(),
        detail: error.to_string(),
    };
    quick_check(&copy, partial).map_err(unverified)?;
    home_schema(&copy, partial).map_err(unverified)?;
    let last_seq = changelog::last_seq(&copy).map_err(unverified)?;
    copy.close().map_err(|(_, e)| BackupError::Sqlite(e))?;
    Ok(last_seq)
}

/// The whole of `source` into `copy` in one step.
fn snapshot(source: &Connection, copy: &mut Connection) -> Result<(), BackupError> {
    let backup = Backup::new(source, copy)?;
    for _ in 0..BUSY_RETRIES {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            // Another connection holds a lock SQLite cannot read past (not the home's writer in
            // WAL mode, but a checkpoint or a program on the file): wait a little.
            StepResult::Busy | StepResult::Locked => std::thread::sleep(Duration::from_millis(50)),
            // With -1 one step copies everything (`More` does not come); anything else: again.
            _ => {}
        }
    }
    Err(BackupError::Busy)
}

/// A read connection of its own on a database file.
fn open_source(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::Corrupt {
        path: path.to_owned(),
        detail: e.to_string(),
    })?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

/// The schema version of a kejia home's database this build can run; anything else is
/// refused with the store's own words (another program's file, or a newer kejia's).
fn home_schema(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let corrupt = |e: rusqlite::Error| StoreError::Corrupt {
        path: path.to_owned(),
        detail: e.to_string(),
    };
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(corrupt)?;
    let application_id: i64 = conn
        .query_row("PRAGMA application_id", [], |row| row.get(0))
        .map_err(corrupt)?;
    if application_id != HOME.application_id || version < 1 {
        return Err(StoreError::Foreign {
            path: path.to_owned(),
            found: application_id,
        });
    }
    if version > HOME.latest() {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found: version,
            known: HOME.latest(),
        });
    }
    Ok(version)
}

fn sync_file(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}

/// A rename is durable once the folder holding it is synced.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => std::fs::File::open(parent)?.sync_all(),
        None => std::fs::File::open(".")?.sync_all(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "the home in {0} is running (or another restore is): stop it first, e.g. `sudo systemctl stop kejia-kiosk.service kejia-serve.service`; nothing was changed"
    )]
    Running(PathBuf),
    #[error("{0} does not exist or is not a file; nothing was changed")]
    NoFile(PathBuf),
    #[error("{0} is the home's own database; restore from a backup file; nothing was changed")]
    SameFile(PathBuf),
    #[error(
        "{path} is damaged or not an SQLite database ({detail}); nothing was changed. Try the next older backup"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "{path} is not a kejia home's database (application id {found:#x}); nothing was changed"
    )]
    Foreign { path: PathBuf, found: i64 },
    #[error(
        "{path} was written by a newer kejia (schema {found}, this build knows {known}); install that kejia version or newer, then restore; nothing was changed"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("cannot restore into {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("restore failed: {0}")]
    Store(StoreError),
}

impl From<StoreError> for RestoreError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Corrupt { path, detail } => Self::Damaged { path, detail },
            StoreError::Foreign { path, found } => Self::Foreign { path, found },
            StoreError::TooNew { path, found, known } => Self::TooNew { path, found, known },
            other => Self::Store(other),
        }
    }
}

impl From<rusqlite::Error> for RestoreError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Store(StoreError::Sqlite(error))
    }
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub database: PathBuf,
    /// Where the database that was in place now is (with its `-wal`, if it had one).
    pub set_aside: Option<PathBuf>,
    /// The newest change the restored database holds.
    pub last_seq: i64,
}

/// Puts the backup `from` in place as the database of `data_dir`. Refuses while the home runs,
/// and refuses a file that is damaged, not a kejia home's or from a newer kejia, before it
/// changes anything. The database that was in place is renamed aside, never deleted.
pub fn restore(data_dir: &Path, from: &Path, now: Timestamp) -> Result<Restored, RestoreError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| RestoreError::Io { path, source }
    };
    let _lock = DataLock::acquire(data_dir).map_err(|e| match e {
        LockError::Busy(dir) => RestoreError::Running(dir),
        LockError::Io { path, source } => RestoreError::Io { path, source },
    })?;
    if !from.is_file() {
        return Err(RestoreError::NoFile(from.to_owned()));
    }
    let database = data_dir.join(HOME.file);
    if database.exists()
        && std::fs::canonicalize(&database).ok() == std::fs::canonicalize(from).ok()
    {
        return Err(RestoreError::SameFile(from.to_owned()));
    }
    let source = open_source(from)?;
    quick_check(&source, from)?;
    home_schema(&source, from)?;

    let staged = data_dir.join(format!(".{}.restoring", HOME.file));
    remove_with_journals(&staged).map_err(io(&staged))?;
    let staging = stage(&source, &staged, from, now);
    drop(source);
    let last_seq = match staging {
        Ok(last_seq) => last_seq,
        Err(error) => {
            let _ = remove_with_journals(&staged);
            return Err(error);
        }
    };
    sync_file(&staged).map_err(io(&staged))?;

    let set_aside = if database.exists() {
        let aside = data_dir.join(format!(
            "{}.before-restore-{}",
            HOME.file,
            now.strftime("%Y%m%d-%H%M%SZ")
        ));
        std::fs::rename(&database, &aside).map_err(io(&database))?;
        // The -wal may hold committed changes of the set-aside database: it goes with it.
        // Left here it would be replayed into the restored file and damage it.
        for suffix in ["-wal", "-journal"] {
            let journal = with_suffix(&database, suffix);
            if journal.exists() {
                std::fs::rename(&journal, with_suffix(&aside, suffix)).map_err(io(&journal))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    let shm = with_suffix(&database, "-shm");
    if shm.exists() {
        std::fs::remove_file(&shm).map_err(io(&shm))?;
    }
    std::fs::rename(&staged, &database).map_err(io(&database))?;
    sync_parent(&database).map_err(io(&database))?;
    Ok(Restored {
        database,
        set_aside,
        last_seq,
    })
}

/// Copies the backup into `staged`, checks the copy, brings its schema up to date and marks it
/// restored; returns its newest change.
fn stage(
    source: &Connection,
    staged: &Path,
    from: &Path,
    now: Timestamp,
) -> Result<i64, RestoreError> {
    let mut copy = Connection::open(staged)?;
    snapshot(source, &mut copy).map_err(|e| match e {
        BackupError::Sqlite(e) => RestoreError::Damaged {
            path: from.to_owned(),
            detail: e.to_string(),
        },
        other => RestoreError::Store(StoreError::Aborted(other.into())),
    })?;
    let _: String = copy.query_row("PRAGMA journal_mode = DELETE", [], |row| row.get(0))?;
    quick_check(&copy, from)?;
    schema_to_latest(&mut copy, staged, &HOME)?;
    let last_seq = restored::mark(&copy, &from.display().to_string(), now)?;
    copy.close().map_err(|(_, e)| RestoreError::from(e))?;
    Ok(last_seq)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_with_journals(path: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        match std::fs::remove_file(with_suffix(path, suffix)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
