//! Logging, filtered by `RUST_LOG`, `info` by default. Under systemd (standard error connected
//! to the journal) records go to journald through its native protocol, each with its priority,
//! so `journalctl -p warning` shows the warnings and errors; anywhere else, plain lines to
//! standard error. Nothing logs a phone number or a credential.

use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::MetadataExt;

use tracing_journald::{Priority, PriorityMappings};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

/// Where log records go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sink {
    /// journald's native socket, with priorities.
    Journal,
    /// Plain lines to standard error.
    Stderr,
}

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = std::io::stderr();
    let sink = sink(
        std::env::var("JOURNAL_STREAM").ok().as_deref(),
        identity(stderr.as_fd()),
    );
    let (journal, refused) = match sink {
        Sink::Journal => match tracing_journald::layer() {
            Ok(layer) => (Some(layer.with_priority_mappings(priorities())), None),
            Err(error) => (None, Some(error)),
        },
        Sink::Stderr => (None, None),
    };
    let plain = journal.is_none().then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&stderr))
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(journal)
        .with(plain)
        .try_init();
    if let Some(error) = refused {
        tracing::warn!(%error, "journald did not answer; logging to standard error");
    }
}

/// The journal when standard error is the stream systemd connected to it: `JOURNAL_STREAM`
/// ("DEVICE:INODE") names that stream, and only a process whose standard error still is that
/// stream should bypass it (not one whose standard error was redirected, nor a child of a
/// service that inherited the variable). This is the check systemd.exec(5) recommends.
fn sink(journal_stream: Option<&str>, stderr: Option<(u64, u64)>) -> Sink {
    let named = journal_stream.and_then(|value| {
        let (device, inode) = value.split_once(':')?;
        Some((device.parse::<u64>().ok()?, inode.parse::<u64>().ok()?))
    });
    match (named, stderr) {
        (Some(named), Some(stderr)) if named == stderr => Sink::Journal,
        _ => Sink::Stderr,
    }
}

/// The device and inode of an open file, as `JOURNAL_STREAM` writes them.
fn identity(fd: BorrowedFd<'_>) -> Option<(u64, u64)> {
    let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
    let metadata = file.metadata().ok()?;
    Some((metadata.dev(), metadata.ino()))
}

/// tracing's levels as syslog priorities: ERROR is err (3), WARN warning (4), INFO notice
/// (5), DEBUG info (6), TRACE debug (7).
fn priorities() -> PriorityMappings {
    PriorityMappings {
        error: Priority::Error,
        warn: Priority::Warning,
        info: Priority::Notice,
        debug: Priority::Informational,
        trace: Priority::Debug,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_of(file: &std::fs::File) -> String {
        let (device, inode) = identity(file.as_fd()).expect("identity");
        format!("{device}:{inode}")
    }

    #[test]
    fn the_journal_when_stderr_is_the_stream_systemd_named() {
        let file = tempfile::tempfile().unwrap();
        let stream = stream_of(&file);
        assert_eq!(sink(Some(&stream), identity(file.as_fd())), Sink::Journal);
    }

    #[test]
    fn standard_error_when_it_was_redirected_or_nothing_was_named() {
        let journal = tempfile::tempfile().unwrap();
        let elsewhere = tempfile::tempfile().unwrap();
        let stream = stream_of(&journal);
        let redirected = identity(elsewhere.as_fd());
        assert_eq!(sink(Some(&stream), redirected), Sink::Stderr);
        assert_eq!(sink(None, redirected), Sink::Stderr);
        assert_eq!(sink(Some(&stream), None), Sink::Stderr);
        for garbage in ["", "12", "a:b", "12:", ":34", "12:34:56"] {
            assert_eq!(sink(Some(garbage), redirected), Sink::Stderr, "{garbage}");
        }
    }

    #[test]
    fn warnings_and_errors_keep_their_syslog_priorities() {
        // journald's PRIORITY field is the digit as text.
        let mappings = priorities();
        assert_eq!(mappings.error as u8, b'3');
        assert_eq!(mappings.warn as u8, b'4');
        assert_eq!(mappings.info as u8, b'5');
    }
}
