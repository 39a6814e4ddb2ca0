//! The push loop: prepare a batch through the store, send it with the transport, let the plan
//! decide, and carry that out in one write; then again, with backoff while the hub cannot be
//! reached.

use std::time::Duration;

use rusqlite::Connection;

use super::batch::{self, Prepared};
use super::plan::{self, Step};
use super::{PushReport, SyncClient, SyncError, halt_message};
use crate::secrets;
use crate::store::StoreError;
use crate::store::changelog;
use crate::store::restored::{self, Halt, HaltKind};
use crate::store::{phone_hashes, sync_state};
use crate::wire::{Decision, Notice};

impl SyncClient {
    /// Pushes one batch (or, with nothing new, asks for decisions and notices).
    pub async fn push_once(&self) -> Result<PushReport, SyncError> {
        self.hash_phones().await?;
        let Prepared {
            enrolment,
            push,
            sent,
            phone_hashes,
        } = self.store.read(batch::prepare).await??;
        let outcome = self.transport.push(&enrolment.hub_url, &push).await;
        let now = self.clock.now();
        let frontier_now = if plan::wants_frontier_now(&sent, &outcome) {
            Some(self.store.read(batch::frontier_now).await?)
        } else {
            None
        };
        match plan::plan(&sent, outcome, frontier_now, now) {
            Step::Ack {
                answer,
                confirm_restore,
                report,
            } => {
                let acked = answer.acked_seq;
                self.store
                    .write(move |conn| {
                        sync_state::acknowledged(conn, acked, now)?;
                        phone_hashes::announced(conn, &phone_hashes)?;
                        if confirm_restore {
                            restored::confirm(conn)?;
                            tracing::info!(
                                acked,
                                "the hub holds what the restored backup held; sync goes on"
                            );
                        }
                        for decision in &answer.decisions {
                            sync_state::apply_decision(conn, decision, now)?;
                        }
                        for notice in &answer.notices {
                            sync_state::add_notice(conn, notice, now)?;
                        }
                        Ok(())
                    })
                    .await?;
                Ok(report)
            }
            Step::Halt {
                halt,
                cursor,
                decisions,
                notices,
                refused,
            } => {
                if let Some(hub) = refused {
                    tracing::warn!(%hub, "the hub refused a push that clashes with what it holds");
                }
                self.stop_pushing(halt, cursor, decisions, notices).await
            }
            Step::Resume { cursor, error } => {
                let text = error.clone();
                self.store
                    .write(move |conn| {
                        sync_state::resume_from(conn, cursor)?;
                        sync_state::failed(conn, &text, now)
                    })
                    .await?;
                Err(SyncError::Refused(error))
            }
            Step::Fail(error) => {
                let text = error.to_string();
                self.store
                    .write(move |conn| sync_state::failed(conn, &text, now))
                    .await?;
                Err(error)
            }
        }
    }

    /// Records that pushing stopped (and the decisions and notices that came anyway), and
    /// answers with the reason. `cursor` is how far the hub is known to hold this home's own
    /// changes.
    async fn stop_pushing(
        &self,
        halt: Halt,
        cursor: i64,
        decisions: Vec<Decision>,
        notices: Vec<Notice>,
    ) -> Result<PushReport, SyncError> {
        let now = halt.detected_at;
        let restored_from = self.store.read(restored::marker).await?.is_some();
        let text = halt_message(&halt, restored_from);
        tracing::error!(
            kind = halt.kind.as_str(),
            hub_seq = halt.hub_seq,
            local_seq = halt.local_seq,
            "the hub holds changes this home does not have; pushing is stopped"
        );
        let stored = halt.clone();
        self.store
            .write(move |conn| {
                sync_state::resume_from(conn, cursor)?;
                restored::halt(conn, &stored)?;
                for decision in &decisions {
                    sync_state::apply_decision(conn, decision, now)?;
                }
                for notice in &notices {
                    sync_state::add_notice(conn, notice, now)?;
                }
                sync_state::failed(conn, &text, now)
            })
            .await?;
        Err(SyncError::Halted {
            english: match halt.kind {
                HaltKind::Behind => {
                    "the hub already holds changes this home's database does not have (restored from an older backup?)"
                }
                HaltKind::Diverged => {
                    "the hub holds other changes than this home's after the last acknowledged one (restored and written to since, or rewritten)"
                }
            },
            hub_seq: halt.hub_seq,
            local_seq: halt.local_seq,
        })
    }

    /// Pushes until the hub holds everything; transient failures are retried a few times with
    /// backoff. `progress` hears after every batch.
    pub async fn push_all(
        &self,
        mut progress: impl FnMut(&PushReport),
    ) -> Result<PushReport, SyncError> {
        let mut failures = 0u32;
        loop {
            match self.push_once().await {
                Ok(report) => {
                    failures = 0;
                    progress(&report);
                    if report.backlog == 0 {
                        return Ok(report);
                    }
                }
                Err(error) if error.is_transient() && failures < 5 => {
                    failures += 1;
                    tokio::time::sleep(backoff(failures)).await;
                }
                Err(SyncError::Refused(message))
                    if failures < 1 && message.contains("缺少序号") =>
                {
                    // A gap: the cursor now stands where the hub is; go again at once.
                    failures += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

/// 0.5 s, 1 s, 2 s, ... with up to a quarter of jitter, so homes that lost the hub together do
/// not come back together.
pub fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(500).saturating_mul(1 << attempt.min(10));
    let jitter = u64::from(secrets::random_bytes::<1>().map(|b| b[0]).unwrap_or(0));
    base.min(Duration::from_secs(300)) + base.min(Duration::from_secs(300)) * jitter as u32 / 1024
}

/// Runs beside the home: pushes new changes within seconds, polls for decisions and notices
/// every few minutes, and backs off (with jitter) while the hub cannot be reached.
pub async fn run(client: SyncClient) {
    const IDLE: Duration = Duration::from_secs(5);
    const POLL: Duration = Duration::from_secs(300);
    let mut failures = 0u32;
    let mut since_poll = POLL;
    loop {
        let wait = if failures == 0 {
            IDLE
        } else {
            backoff(failures + 3)
        };
        tokio::time::sleep(wait).await;
        since_poll += wait;
        let due = match client.store.read(pending).await {
            Ok(Some(backlog)) => backlog > 0 || since_poll >= POLL,
            Ok(None) => false,
            Err(error) => {
                tracing::warn!(%error, "sync could not read the change log");
                false
            }
        };
        if !due {
            continue;
        }
        since_poll = Duration::ZERO;
        match client.push_all(|_| {}).await {
            Ok(_) => failures = 0,
            Err(error) => {
                failures = (failures + 1).min(10);
                tracing::warn!(%error, "sync failed; will try again");
            }
        }
    }
}

/// How many changes the hub does not hold yet, if this home is enrolled.
fn pending(conn: &Connection) -> Result<Option<i64>, StoreError> {
    let Some(enrolment) = sync_state::enrolment(conn)? else {
        return Ok(None);
    };
    Ok(Some(changelog::last_seq(conn)? - enrolment.acked_seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) >= Duration::from_secs(1) && backoff(1) < Duration::from_millis(1300));
        assert!(backoff(30) <= Duration::from_secs(375));
    }
}
