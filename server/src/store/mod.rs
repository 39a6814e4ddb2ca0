//! The home's SQLite store.
//!
//! One writer thread owns the only write connection and groups the writes waiting for it into
//! one `BEGIN IMMEDIATE` transaction, each in its own savepoint, so one failing write never takes
//! its neighbours down. A caller hears back only after `COMMIT` returned under
//! `synchronous=FULL`: acknowledged means durable. Reads run on a small pool of read-only
//! connections off the async threads. Nothing here decides a business rule; the functions
//! grouped by table load facts for the domain and write its decisions.

pub mod activities;
pub mod audit;
pub mod changelog;
pub mod checkins;
pub mod devices;
mod disk;
pub mod home_profile;
pub use disk::DiskTrouble;
pub mod members;
mod migrate;
pub use migrate::{HOME, HUB, Schema};
pub mod phone_hashes;
// For `crate::backup::copy`, which checks and upgrades the copies it makes.
pub(crate) use migrate::schema_to_latest;
pub mod photos;
pub mod restored;
pub mod scans;
pub mod sync_state;
pub mod tokens;
pub mod users;

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::domain::{Conflict, Invalid};

/// The database file inside a home's data folder.
pub const DB_FILE: &str = "kejia.db";
/// The nightly backups' folder inside a home's data folder (written by `crate::backup`).
pub const BACKUPS_DIR: &str = "backups";

/// Most writes one transaction groups: enough to amortise an fsync over a burst of check-ins,
/// few enough that one commit stays short.
const MAX_BATCH: usize = 256;
const READERS: usize = 4;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes of WAL kept after a checkpoint: twice what a normal checkpoint interval writes.
pub const WAL_SIZE_LIMIT: u64 = 8 << 20;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("{0}")]
    Conflict(#[from] Conflict),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A write that failed, told in words (the writer's own account of a commit, say).
    #[error("could not commit to the database: {0}")]
    Commit(String),
    /// As [`Self::Commit`], with the error that stopped the write kept as its cause.
    #[error("could not commit to the database: {0}")]
    Aborted(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No secret could be made for a write (a member's salt, the enrolment seed): the
    /// system's random source failed. Said, and answered (503), as `Commit` was before.
    #[error("could not commit to the database: {0}")]
    Secret(#[from] crate::secrets::SecretError),
    #[error("the disk refused a write ({trouble:?}): {detail}")]
    Disk {
        trouble: DiskTrouble,
        detail: String,
    },
    #[error(
        "{path} is damaged ({detail}); kejia will not start on it. Restore the latest backup, or move the file away to start an empty home"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "{path} is empty (0 bytes) although this home has backups; kejia will not start an empty home over it. Restore the newest backup with kejia restore, or move the file away to start an empty home"
    )]
    Empty { path: PathBuf },
    #[error(
        "{path} was written by a newer kejia (schema {found}, this build knows {known}); install that kejia version or newer"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "{path} is not a kejia database (application id {found:#x}); point --data at a kejia data folder"
    )]
    Foreign { path: PathBuf, found: i64 },
    #[error("无法使用数据目录：{0}")]
    Io(#[from] std::io::Error),
    #[error("the database writer has stopped")]
    WriterGone,
}

impl StoreError {
    /// Whether this is a uniqueness clash, so a caller can answer 409 with its own words.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Work for the writer. `run` executes inside the open transaction and returns whether it
/// succeeded (else its savepoint is rolled back) and how to answer once the commit's fate is
/// known; `refuse` answers a job that could not run at all.
trait Work: Send {
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Reply);
    fn refuse(self: Box<Self>, error: StoreError);
}

type Job = Box<dyn Work>;
type Reply = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

struct WriteJob<F, T> {
    work: F,
    answer: oneshot::Sender<Result<T>>,
}

impl<F, T> Work for WriteJob<F, T>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T> + Send,
{
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Reply) {
        let Self { work, answer } = *self;
        let outcome = catch_unwind(AssertUnwindSafe(|| work(conn))).unwrap_or_else(|panic| {
            tracing::error!(
                panic = panic_message(&*panic),
                "a write panicked; its savepoint is rolled back"
            );
            Err(StoreError::Commit("internal error".into()))
        });
        let succeeded = outcome.is_ok();
        let reply: Reply = Box::new(move |committed| {
            let _ = answer.send(committed.and(outcome));
        });
        (succeeded, reply)
    }

    fn refuse(self: Box<Self>, error: StoreError) {
        let _ = self.answer.send(Err(error));
    }
}

#[derive(Clone)]
pub struct Store {
    writer: mpsc::Sender<Job>,
    readers: Arc<ReadPool>,
    writer_thread: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

struct ReadPool {
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl Store {
    /// Opens (or creates) the database in `data_dir`, checks it and brings its schema up to
    /// date. A damaged file or one from a newer kejia is refused, never replaced.
    pub fn open(data_dir: &Path) -> Result<Self> {
        Self::open_schema(data_dir, &migrate::HOME)
    }

    /// Opens the database of `schema` (a home's or the hub's) in `data_dir`.
    pub fn open_schema(data_dir: &Path, schema: &Schema) -> Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(schema.file);
        let existed = std::fs::metadata(&path)
            .map(|m| m.len() > 0)
            .unwrap_or(false);
        if !existed {
            refuse_an_empty_file_of_a_home_that_lived(&path, data_dir)?;
        }
        let mut conn = Connection::open(&path).map_err(|e| corrupt(&path, e))?;
        if existed {
            quick_check(&conn, &path)?;
        }
        configure(&conn).map_err(|e| corrupt(&path, e))?;
        migrate::schema_to_latest(&mut conn, &path, schema)?;
        let readers = (0..READERS)
            .map(|_| open_reader(&path))
            .collect::<Result<Vec<_>>>()?;
        let (sender, receiver) = mpsc::channel(4 * MAX_BATCH);
        let writer_thread = std::thread::Builder::new()
            .name("kejia-writer".into())
            .spawn(move || run_writer(conn, receiver))?;
        Ok(Self {
            writer: sender,
            writer_thread: Arc::new(Mutex::new(Some(writer_thread))),
            readers: Arc::new(ReadPool {
                idle: Mutex::new(readers),
                permits: Arc::new(Semaphore::new(READERS)),
            }),
        })
    }

    /// Runs `work` in the writer's transaction and answers once it is durable.
    pub async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(WriteJob { work, answer });
        self.writer
            .send(job)
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answered.await.map_err(|_| StoreError::WriterGone)?
    }

    /// Closes the database after the writes already queued, so SQLite checkpoints the WAL into
    /// the main file and removes it. Waits at most `patience` for other clones to be dropped.
    pub fn close(self, patience: Duration) {
        let Self {
            writer,
            readers,
            writer_thread,
        } = self;
        let idle = std::mem::take(&mut *readers.idle.lock().unwrap_or_else(|p| p.into_inner()));
        for conn in idle {
            if let Err((_, error)) = conn.close() {
                tracing::warn!(%error, "could not close a read connection");
            }
        }
        drop(readers);
        drop(writer);
        let handle = writer_thread
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let Some(handle) = handle else { return };
        let deadline = std::time::Instant::now() + patience;
        while !handle.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if handle.is_finished() {
            let _ = handle.join();
            tracing::debug!("database closed");
        } else {
            tracing::warn!("the database writer is still busy; leaving it to the operating system");
        }
    }

    /// Runs `work` on a read connection, off the async threads.
    pub async fn read<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let permit = self
            .readers
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::WriterGone)?;
        let pool = self.readers.clone();
        let task = tokio::task::spawn_blocking(move || {
            let conn = pool.take()?;
            let outcome = work(&conn);
            pool.put(conn);
            drop(permit);
            outcome
        });
        match task.await {
            Ok(outcome) => outcome,
            Err(join) if join.is_panic() => resume_unwind(join.into_panic()),
            Err(_) => Err(StoreError::WriterGone),
        }
    }
}

impl ReadPool {
    fn take(&self) -> Result<Connection> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The semaphore guarantees a connection is idle whenever a permit is held.
        idle.pop().ok_or(StoreError::WriterGone)
    }

    fn put(&self, conn: Connection) {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        idle.push(conn);
    }
}

fn corrupt(path: &Path, error: rusqlite::Error) -> StoreError {
    StoreError::Corrupt {
        path: path.to_owned(),
        detail: error.to_string(),
    }
}

/// A zero-length database with no WAL beside it holds nothing, so there is nothing to recover
/// from it. It is usually a first start that was cut off, and then a new home is what the
/// staffer wants. But if the folder also holds backups, the home had a life before: the file
/// was emptied by a failing card or a botched copy, and starting empty over it would hide
/// the loss. Then kejia refuses and points at the backups.
fn refuse_an_empty_file_of_a_home_that_lived(path: &Path, data_dir: &Path) -> Result<()> {
    let is_empty_file = std::fs::metadata(path).is_ok_and(|m| m.len() == 0);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal_holds_frames = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
    if !is_empty_file || wal_holds_frames {
        return Ok(());
    }
    let has_backups = std::fs::read_dir(data_dir.join(BACKUPS_DIR))
        .is_ok_and(|mut entries| entries.next().is_some());
    if has_backups {
        return Err(StoreError::Empty {
            path: path.to_owned(),
        });
    }
    tracing::warn!(path = %path.display(), "the database file is empty; starting a new home in it");
    Ok(())
}

pub(crate) fn quick_check(conn: &Connection, path: &Path) -> Result<()> {
    let verdict: String = conn
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(|e| corrupt(path, e))?;
    if verdict == "ok" {
        Ok(())
    } else {
        Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: verdict,
        })
    }
}

/// Per-connection settings; they are not stored in the file, so every connection sets them.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "SQLite refused WAL mode");
    }
    // FULL: the WAL is fsynced at every commit, so an acknowledged check-in survives a power
    // cut, not only a crash of the process.
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    // SQLite checkpoints the WAL every 1000 pages (about 4 MiB) and then writes it again from
    // the start, but never shrinks it. If a long read once held a checkpoint back, the WAL
    // keeps its size for good; this cuts it back once a checkpoint has caught up.
    conn.execute_batch(&format!("PRAGMA journal_size_limit = {WAL_SIZE_LIMIT};"))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn open_reader(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch("PRAGMA foreign_keys = ON;")?;
    Ok(conn)
}

fn run_writer(conn: Connection, mut jobs: mpsc::Receiver<Job>) {
    let dir = conn
        .path()
        .and_then(|path| Path::new(path).parent())
        .map(Path::to_owned)
        .unwrap_or_default();
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&conn, &dir, batch);
    }
    // The last connection to close checkpoints the WAL into the database file and removes it.
    if let Err((_, error)) = conn.close() {
        tracing::warn!(%error, "could not close the database cleanly");
    }
}

fn commit_batch(conn: &Connection, dir: &Path, batch: Vec<Job>) {
    if let Err(error) = conn.execute_batch("BEGIN IMMEDIATE") {
        let refused = Refusal::of(&error, dir);
        tracing::error!(detail = %refused.detail, "could not begin a write transaction");
        for job in batch {
            job.refuse(refused.error());
        }
        return;
    }
    let replies: Vec<Reply> = batch
        .into_iter()
        .filter_map(|job| run_in_savepoint(conn, job))
        .collect();
    let committed = conn.execute_batch("COMMIT").map_err(|error| {
        let refused = Refusal::of(&error, dir);
        tracing::error!(detail = %refused.detail, "commit failed; the batch is rolled back");
        let _ = conn.execute_batch("ROLLBACK");
        refused
    });
    for reply in replies {
        reply(committed.as_ref().map_err(Refusal::error).copied());
    }
}

/// Why a transaction could not begin or commit, told to every write in it: the disk's
/// trouble when there is one, so a full or read-only card is named, else the bare failure.
struct Refusal {
    trouble: Option<DiskTrouble>,
    detail: String,
}

impl Refusal {
    fn of(error: &rusqlite::Error, dir: &Path) -> Self {
        Self {
            trouble: DiskTrouble::diagnose(error, dir),
            detail: error.to_string(),
        }
    }

    fn error(&self) -> StoreError {
        let detail = self.detail.clone();
        match self.trouble {
            Some(trouble) => StoreError::Disk { trouble, detail },
            None => StoreError::Commit(detail),
        }
    }
}

/// Runs one job in its own savepoint; a job that could not even start is answered at once.
/// The savepoint statements are prepared once and cached: they run for every write.
fn run_in_savepoint(conn: &Connection, job: Job) -> Option<Reply> {
    if let Err(error) = execute_cached(conn, "SAVEPOINT job") {
        job.refuse(StoreError::Aborted(error.into()));
        return None;
    }
    let (succeeded, reply) = job.run(conn);
    let closed = if succeeded {
        execute_cached(conn, "RELEASE job")
    } else {
        execute_cached(conn, "ROLLBACK TO job").and_then(|()| execute_cached(conn, "RELEASE job"))
    };
    if let Err(error) = closed {
        tracing::error!(%error, "could not close a savepoint");
    }
    Some(reply)
}

fn execute_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Reads a UUID column; a malformed one is reported as a conversion failure, not a panic.
pub(crate) fn parse_id<T: std::str::FromStr>(
    row: &rusqlite::Row<'_>,
    index: usize,
) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    text.parse().map_err(|_| {
        rusqlite::Error::InvalidColumnType(index, "uuid".into(), rusqlite::types::Type::Text)
    })
}

/// Instants are stored as milliseconds since the epoch.
pub fn to_millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

pub fn from_millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}
