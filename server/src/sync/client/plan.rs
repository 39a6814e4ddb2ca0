//! What a push does after the hub answered (or did not): a pure function of the batch that was
//! sent and the answer, so every case can be read, and tested, as a row of a table.
//!
//! - **ack**: the hub holds the batch; the cursor moves to what it acknowledged, and its filing
//!   decisions and notices are kept.
//! - **halt**: the hub holds changes this home cannot vouch for (`store::restored`); pushing
//!   stops until a technician acts.
//! - **resume**: the hub refused but said where it stands; the next push starts from there.
//! - **fail**: nothing learnt; the cursor stays and the loop backs off.

use jiff::Timestamp;

use super::{PushReport, SyncError};
use crate::store::restored::{Halt, HaltKind};
use crate::wire::{Decision, Notice, PushAnswer, Refusal};

/// Why a push got no [`PushAnswer`].
#[derive(Debug)]
pub enum Failure {
    /// The hub answered with a refusal that says where it stands.
    Refused(Refusal),
    /// No answer, an answer not understood, or a refusal without a position.
    Other(SyncError),
}

/// What was sent, and what it is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Changes in the batch.
    pub count: usize,
    /// The hub's acknowledged sequence as this home last heard it.
    pub acked_seq: i64,
    /// The newest change this home holds.
    pub last_seq: i64,
    /// The newest change this home may send (see [`frontier`]).
    pub frontier: i64,
    /// The newest change in the batch (the cursor if none).
    pub sent_up_to: i64,
    /// The backup's last change, while the restore marker stands.
    pub restored_up_to: Option<i64>,
}

impl Sent {
    /// Where the batch started. A cursor past the log's end (a folder copied back by hand
    /// after the hub acknowledged more) starts from the end: the hub's answer then shows it is
    /// ahead.
    pub fn cursor(&self) -> i64 {
        self.acked_seq.min(self.last_seq)
    }
}

/// What the push does next.
#[derive(Debug)]
pub enum Step {
    /// The hub holds everything up to `answer.acked_seq`: move the cursor there, keep the
    /// decisions and notices, and (`confirm_restore`) lift the restore marker.
    Ack {
        answer: PushAnswer,
        confirm_restore: bool,
        report: PushReport,
    },
    /// Stop pushing: record `halt`, set the cursor to `cursor` (how far the hub is known to
    /// hold this home's own changes), and keep whatever decisions and notices came anyway.
    Halt {
        halt: Halt,
        cursor: i64,
        decisions: Vec<Decision>,
        notices: Vec<Notice>,
        /// The hub's words, when it refused the batch.
        refused: Option<String>,
    },
    /// The hub refused and said where it stands: start from `cursor` next time.
    Resume { cursor: i64, error: String },
    /// Keep the cursor, note the failure, back off.
    Fail(SyncError),
}

/// The newest change this home may send from `cursor`: its log's end, or, while the restore
/// marker stands, the backup's end, or, once pushing stopped, nothing past the cursor.
pub fn frontier(cursor: i64, last_seq: i64, halted: bool, restored_up_to: Option<i64>) -> i64 {
    if halted {
        cursor
    } else if let Some(backup) = restored_up_to {
        backup.clamp(cursor, last_seq)
    } else {
        last_seq
    }
}

/// Whether the frontier must be read again before [`plan`] decides: the hub acknowledged more
/// than the batch's frontier, and another pusher on this database (`kejia sync` beside the
/// running home) may have moved it since the batch was prepared.
pub fn wants_frontier_now(sent: &Sent, outcome: &Result<PushAnswer, Failure>) -> bool {
    matches!(outcome, Ok(answer) if answer.acked_seq > sent.frontier)
}

/// Decides what the push does after `outcome`. `frontier_now` is the frontier read again when
/// [`wants_frontier_now`] asked for it.
pub fn plan(
    sent: &Sent,
    outcome: Result<PushAnswer, Failure>,
    frontier_now: Option<i64>,
    now: Timestamp,
) -> Step {
    let cursor = sent.cursor();
    match outcome {
        Ok(answer) => {
            let frontier = frontier_now.map_or(sent.frontier, |f| sent.frontier.max(f));
            if answer.acked_seq > frontier {
                // The hub holds changes this home cannot vouch for: restored from a backup
                // older than what the hub received. What was sent was taken as the hub's own
                // (the hub checked it against its chain); nothing newer may follow.
                return Step::Halt {
                    halt: Halt {
                        kind: HaltKind::Behind,
                        hub_seq: answer.acked_seq,
                        local_seq: frontier,
                        detected_at: now,
                    },
                    cursor: sent.sent_up_to,
                    decisions: answer.decisions,
                    notices: answer.notices,
                    refused: None,
                };
            }
            let acked = answer.acked_seq;
            Step::Ack {
                // The hub holds exactly what the backup held: carry on as before.
                confirm_restore: sent.restored_up_to.is_some_and(|seq| acked >= seq),
                report: PushReport {
                    sent: sent.count,
                    acked_seq: acked,
                    backlog: (sent.last_seq - acked).max(0),
                },
                answer,
            }
        }
        Err(Failure::Refused(refusal)) if refusal.acked_seq > cursor => {
            // Not a gap (the hub would stand before this home's cursor) but a clash: the hub
            // holds changes after this home's cursor that differ from this home's, or more
            // than this home has. Sending again would only be refused again.
            let kind = if refusal.acked_seq > sent.frontier {
                HaltKind::Behind
            } else {
                HaltKind::Diverged
            };
            Step::Halt {
                halt: Halt {
                    kind,
                    hub_seq: refusal.acked_seq,
                    local_seq: cursor,
                    detected_at: now,
                },
                cursor,
                decisions: Vec::new(),
                notices: Vec::new(),
                refused: Some(refusal.error),
            }
        }
        // The hub says where it stands: resume from there next time (a gap after the hub was
        // restored, say). A rewritten chain needs a person, and stays refused.
        Err(Failure::Refused(refusal)) => Step::Resume {
            cursor: refusal.acked_seq.min(sent.acked_seq),
            error: refusal.error,
        },
        Err(Failure::Other(error)) => Step::Fail(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step, in the terms a row states it.
    #[derive(Debug, PartialEq, Eq)]
    enum Seen {
        Ack {
            acked: i64,
            backlog: i64,
            confirm_restore: bool,
        },
        Halt {
            kind: HaltKind,
            hub_seq: i64,
            local_seq: i64,
            cursor: i64,
        },
        Resume {
            cursor: i64,
        },
        Fail,
    }

    fn seen(step: &Step) -> Seen {
        match step {
            Step::Ack {
                answer,
                confirm_restore,
                report,
            } => {
                assert_eq!(report.acked_seq, answer.acked_seq);
                Seen::Ack {
                    acked: answer.acked_seq,
                    backlog: report.backlog,
                    confirm_restore: *confirm_restore,
                }
            }
            Step::Halt { halt, cursor, .. } => Seen::Halt {
                kind: halt.kind,
                hub_seq: halt.hub_seq,
                local_seq: halt.local_seq,
                cursor: *cursor,
            },
            Step::Resume { cursor, .. } => Seen::Resume { cursor: *cursor },
            Step::Fail(_) => Seen::Fail,
        }
    }

    /// A batch of changes 4..=6 from a cursor of 3, of a log that ends at 6.
    const SENT: Sent = Sent {
        count: 3,
        acked_seq: 3,
        last_seq: 6,
        frontier: 6,
        sent_up_to: 6,
        restored_up_to: None,
    };

    fn took(acked_seq: i64) -> Result<PushAnswer, Failure> {
        Ok(PushAnswer {
            acked_seq,
            decisions: Vec::new(),
            notices: Vec::new(),
        })
    }

    fn refused(acked_seq: i64) -> Result<PushAnswer, Failure> {
        Err(Failure::Refused(Refusal {
            error: "拒绝".into(),
            acked_seq,
        }))
    }

    fn failed(error: SyncError) -> Result<PushAnswer, Failure> {
        Err(Failure::Other(error))
    }

    fn ack(acked: i64, backlog: i64, confirm_restore: bool) -> Seen {
        Seen::Ack {
            acked,
            backlog,
            confirm_restore,
        }
    }

    fn halt(kind: HaltKind, hub_seq: i64, local_seq: i64, cursor: i64) -> Seen {
        Seen::Halt {
            kind,
            hub_seq,
            local_seq,
            cursor,
        }
    }

    /// A situation, the batch sent, the hub's answer, the frontier read again (if it was),
    /// and the step expected.
    type Row = (
        &'static str,
        Sent,
        Result<PushAnswer, Failure>,
        Option<i64>,
        Seen,
    );

    #[test]
    fn every_answer_has_one_step() {
        use HaltKind::{Behind, Diverged};
        let rows: Vec<Row> = vec![
            (
                "the hub holds the whole batch",
                SENT,
                took(6),
                None,
                ack(6, 0, false),
            ),
            (
                "a full batch, more to come",
                Sent {
                    last_seq: 2500,
                    frontier: 2500,
                    sent_up_to: 1003,
                    count: 1000,
                    ..SENT
                },
                took(1003),
                None,
                ack(1003, 1497, false),
            ),
            (
                "a poll with nothing new",
                Sent {
                    count: 0,
                    last_seq: 3,
                    frontier: 3,
                    sent_up_to: 3,
                    ..SENT
                },
                took(3),
                None,
                ack(3, 0, false),
            ),
            (
                "the hub holds less than the cursor (itself restored): the cursor goes back",
                SENT,
                took(1),
                None,
                ack(1, 5, false),
            ),
            (
                "a restored home whose backup the hub holds exactly",
                Sent {
                    restored_up_to: Some(6),
                    ..SENT
                },
                took(6),
                None,
                ack(6, 0, true),
            ),
            (
                "a restored home whose backup the hub does not hold yet",
                Sent {
                    restored_up_to: Some(6),
                    ..SENT
                },
                took(5),
                None,
                ack(5, 1, false),
            ),
            (
                "another pusher moved the frontier since the batch was prepared",
                Sent {
                    last_seq: 8,
                    frontier: 6,
                    restored_up_to: Some(6),
                    ..SENT
                },
                took(8),
                Some(8),
                ack(8, 0, true),
            ),
            (
                "the hub holds more than this home can vouch for",
                Sent {
                    restored_up_to: Some(6),
                    ..SENT
                },
                took(9),
                Some(6),
                halt(Behind, 9, 6, 6),
            ),
            (
                "the hub holds more even than the frontier read again",
                Sent {
                    last_seq: 8,
                    frontier: 6,
                    restored_up_to: Some(6),
                    ..SENT
                },
                took(9),
                Some(7),
                halt(Behind, 9, 7, 6),
            ),
            (
                "a refusal from a hub that holds more than this home has",
                SENT,
                refused(9),
                None,
                halt(Behind, 9, 3, 3),
            ),
            (
                "a refusal from a hub that holds other changes after the cursor",
                SENT,
                refused(5),
                None,
                halt(Diverged, 5, 3, 3),
            ),
            (
                "a refusal that clashes, with the cursor past the log's end",
                Sent {
                    acked_seq: 10,
                    last_seq: 6,
                    frontier: 6,
                    sent_up_to: 6,
                    count: 0,
                    ..SENT
                },
                refused(8),
                None,
                halt(Behind, 8, 6, 6),
            ),
            (
                "a refusal with a gap: the hub stands before the cursor",
                SENT,
                refused(1),
                None,
                Seen::Resume { cursor: 1 },
            ),
            (
                "a refusal where the hub stands at the cursor (a bad signature, say)",
                SENT,
                refused(3),
                None,
                Seen::Resume { cursor: 3 },
            ),
            (
                "a refusal with the cursor past the log's end, at the log's end",
                Sent {
                    acked_seq: 10,
                    count: 0,
                    ..SENT
                },
                refused(6),
                None,
                Seen::Resume { cursor: 6 },
            ),
            (
                "no connection",
                SENT,
                failed(SyncError::Unreachable("连接不上".into())),
                None,
                Seen::Fail,
            ),
            (
                "an answer lost on the way",
                SENT,
                failed(SyncError::Network("没有及时回答".into())),
                None,
                Seen::Fail,
            ),
            (
                "an answer not understood",
                SENT,
                failed(SyncError::BadAnswer("acked_seq".into())),
                None,
                Seen::Fail,
            ),
            (
                "a refusal that does not say where the hub stands",
                SENT,
                failed(SyncError::Refused("HTTP 400 Bad Request: ?".into())),
                None,
                Seen::Fail,
            ),
        ];
        let now: Timestamp = "2026-05-12T02:00:00Z".parse().unwrap();
        for (situation, sent, outcome, frontier_now, expected) in rows {
            let asks = wants_frontier_now(&sent, &outcome);
            assert_eq!(
                asks,
                frontier_now.is_some(),
                "{situation}: the frontier is read again exactly when the hub acknowledged past it"
            );
            let step = plan(&sent, outcome, frontier_now, now);
            assert_eq!(seen(&step), expected, "{situation}");
        }
    }

    #[test]
    fn what_comes_with_an_answer_is_kept_whether_acked_or_halted() {
        let now: Timestamp = "2026-05-12T02:00:00Z".parse().unwrap();
        let answer = |acked_seq| PushAnswer {
            acked_seq,
            decisions: vec![Decision {
                activity_id: "a".into(),
                approved: true,
                comment: String::new(),
                decided_at: "2026-05-12T02:00:00Z".into(),
            }],
            notices: vec![Notice {
                seq: 1,
                title: "通知".into(),
                body: String::new(),
                published_at: "2026-05-12T02:00:00Z".into(),
            }],
        };
        let Step::Ack { answer: kept, .. } = plan(&SENT, Ok(answer(6)), None, now) else {
            panic!("ack")
        };
        assert_eq!((kept.decisions.len(), kept.notices.len()), (1, 1));
        let Step::Halt {
            decisions,
            notices,
            halt,
            refused,
            ..
        } = plan(&SENT, Ok(answer(9)), Some(6), now)
        else {
            panic!("halt")
        };
        assert_eq!((decisions.len(), notices.len()), (1, 1));
        assert_eq!((halt.detected_at, refused), (now, None));
        let Step::Halt { refused, .. } = plan(&SENT, refused_with("分叉", 9), None, now) else {
            panic!("halt")
        };
        assert_eq!(refused.as_deref(), Some("分叉"));
        let Step::Resume { error, .. } = plan(&SENT, refused_with("缺少序号", 1), None, now)
        else {
            panic!("resume")
        };
        assert_eq!(error, "缺少序号");
    }

    fn refused_with(error: &str, acked_seq: i64) -> Result<PushAnswer, Failure> {
        Err(Failure::Refused(Refusal {
            error: error.into(),
            acked_seq,
        }))
    }

    #[test]
    fn the_frontier_is_the_logs_end_the_backups_or_the_cursor() {
        let rows = [
            ("nothing restored", 3, 9, false, None, 9),
            ("pushing stopped", 3, 9, true, None, 3),
            ("pushing stopped on a restored home", 3, 9, true, Some(6), 3),
            ("restored: up to the backup's end", 3, 9, false, Some(6), 6),
            (
                "restored, the cursor past the backup",
                7,
                9,
                false,
                Some(6),
                7,
            ),
            ("restored, the backup past the log", 3, 5, false, Some(6), 5),
        ];
        for (situation, cursor, last_seq, halted, backup, expected) in rows {
            assert_eq!(
                frontier(cursor, last_seq, halted, backup),
                expected,
                "{situation}"
            );
        }
    }
}
