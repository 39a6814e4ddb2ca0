//! Copies and restores on real SQLite files.

use super::*;
use crate::store::Store;

fn now() -> Timestamp {
    "2026-12-02T02:00:00Z".parse().unwrap()
}

/// A home database in `dir` with `changes` changes in its log, closed.
async fn home_with_changes(dir: &Path, changes: i64) {
    let store = Store::open(dir).unwrap();
    store
        .write(move |conn| {
            for n in 0..changes {
                conn.execute(
                    "INSERT INTO changes (record_id, record, hash, at) VALUES (?1, '{}', 'h', 0)",
                    [n.to_string()],
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    store.close(Duration::from_secs(5));
}

fn changes_in(db: &Path) -> i64 {
    let conn = Connection::open(db).unwrap();
    conn.query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn a_copy_is_a_checked_standalone_file_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    home_with_changes(dir.path(), 3).await;
    // Open again, as a running home holds it (WAL, writer and readers open).
    let store = Store::open(dir.path()).unwrap();
    let to = dir.path().join("copy.db");
    let copied = copy_online(&dir.path().join(HOME.file), &to).unwrap();
    assert_eq!(copied.last_seq, 3);
    assert!(!with_suffix(&to, "-wal").exists());
    assert!(!partial_path(&to).exists());
    assert_eq!(changes_in(&to), 3);
    assert!(matches!(
        copy_online(&dir.path().join(HOME.file), &to),
        Err(BackupError::Exists(_))
    ));
    store.close(Duration::from_secs(5));
    let missing = tempfile::tempdir().unwrap();
    assert!(matches!(
        copy_online(
            &missing.path().join(HOME.file),
            &missing.path().join("x.db")
        ),
        Err(BackupError::NoDatabase(_))
    ));
}

#[tokio::test]
async fn a_restore_keeps_the_old_database_aside_with_its_wal_and_marks_the_new_one() {
    let old = tempfile::tempdir().unwrap();
    home_with_changes(old.path(), 2).await;
    let backup = old.path().join("backup.db");
    copy_online(&old.path().join(HOME.file), &backup).unwrap();

    let home = tempfile::tempdir().unwrap();
    home_with_changes(home.path(), 5).await;
    let db = home.path().join(HOME.file);
    // A stale -wal and -shm, as a crash leaves them.
    std::fs::write(with_suffix(&db, "-wal"), b"wal of the old database").unwrap();
    std::fs::write(with_suffix(&db, "-shm"), b"shm").unwrap();
    let restored = restore(home.path(), &backup, now()).unwrap();
    assert_eq!(restored.last_seq, 2);
    let aside = restored.set_aside.unwrap();
    assert_eq!(
        std::fs::read(with_suffix(&aside, "-wal")).unwrap(),
        b"wal of the old database"
    );
    assert_eq!(changes_in(&aside), 5);
    assert!(!with_suffix(&db, "-wal").exists() && !with_suffix(&db, "-shm").exists());
    let conn = Connection::open(&db).unwrap();
    let marker = restored::marker(&conn).unwrap().unwrap();
    assert_eq!(marker.last_seq, 2);
    assert_eq!(marker.restored_at, now());
    drop(conn);
    // The restored home opens.
    Store::open(home.path())
        .unwrap()
        .close(Duration::from_secs(5));
}

#[tokio::test]
async fn a_restore_refuses_damaged_foreign_and_newer_files_and_changes_nothing() {
    let home = tempfile::tempdir().unwrap();
    home_with_changes(home.path(), 4).await;
    let db = home.path().join(HOME.file);
    let before = std::fs::read(&db).unwrap();
    let files = tempfile::tempdir().unwrap();

    let garbage = files.path().join("garbage.db");
    std::fs::write(&garbage, vec![7u8; 8192]).unwrap();
    assert!(matches!(
        restore(home.path(), &garbage, now()),
        Err(RestoreError::Damaged { .. })
    ));

    let foreign = files.path().join("foreign.db");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); PRAGMA user_version = 1;")
        .unwrap();
    assert!(matches!(
        restore(home.path(), &foreign, now()),
        Err(RestoreError::Foreign { .. })
    ));

    let newer = files.path().join("newer.db");
    copy_online(&db, &newer).unwrap();
    Connection::open(&newer)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    assert!(matches!(
        restore(home.path(), &newer, now()),
        Err(RestoreError::TooNew { found: 99, .. })
    ));

    // Damaged inside: a good copy with a page overwritten.
    let damaged = files.path().join("damaged.db");
    copy_online(&db, &damaged).unwrap();
    let mut bytes = std::fs::read(&damaged).unwrap();
    let page = 4096;
    for b in &mut bytes[page * 2..page * 3] {
        *b = 0xA5;
    }
    std::fs::write(&damaged, bytes).unwrap();
    assert!(matches!(
        restore(home.path(), &damaged, now()),
        Err(RestoreError::Damaged { .. })
    ));

    assert!(matches!(
        restore(home.path(), &db, now()),
        Err(RestoreError::SameFile(_))
    ));
    assert!(matches!(
        restore(home.path(), &files.path().join("missing.db"), now()),
        Err(RestoreError::NoFile(_))
    ));
    let left: Vec<String> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("before-restore") || n.contains("restoring"))
        .collect();
    assert!(left.is_empty(), "nothing set aside or left over: {left:?}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[tokio::test]
async fn a_restore_refuses_while_the_folder_is_locked() {
    let home = tempfile::tempdir().unwrap();
    home_with_changes(home.path(), 1).await;
    let backup = home.path().join("b.db");
    copy_online(&home.path().join(HOME.file), &backup).unwrap();
    let held = DataLock::acquire(home.path()).unwrap();
    assert!(matches!(
        restore(home.path(), &backup, now()),
        Err(RestoreError::Running(_))
    ));
    drop(held);
    assert!(restore(home.path(), &backup, now()).is_ok());
}
