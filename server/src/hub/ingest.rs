//! Whether a home's batch may be taken in: consecutive sequence numbers from the hub's cursor,
//! replays identical to what the hub already holds, and an unbroken hash chain. Pure: the
//! caller hands in what the hub holds; nothing is written unless everything verifies.

use crate::wire::chain::{self, chain_hash};
use crate::wire::phone::is_phone_hash;
use crate::wire::{Batch, Change, MAX_BATCH, Push};

/// Why a push's batch could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unopened {
    /// The signature is not the home's over exactly the payload's bytes.
    BadSignature,
    /// The payload is not a batch (serde's reason).
    Malformed(String),
    /// The batch names another home than the push that carries it.
    WrongHome,
    /// More changes than a home ever sends at once: verifying and storing them would hold the
    /// hub's writer for one home while every other home waits.
    TooLarge { changes: usize },
    /// A phone hash is not 64 lowercase hex digits (a plain number, say): the change with
    /// that sequence number, or `None` for one sent outside the chain. Nothing of the push may
    /// be kept.
    BadPhoneHash { seq: Option<i64> },
}

/// The batch a push carries, if `public_key` (hex) signed exactly its payload and the batch is
/// the pushing home's own. The signature is checked before the payload is parsed at all.
pub fn open(push: &Push, public_key: &str) -> Result<Batch, Unopened> {
    chain::verify(public_key, &push.payload, &push.signature)
        .map_err(|_| Unopened::BadSignature)?;
    let batch: Batch =
        serde_json::from_str(&push.payload).map_err(|e| Unopened::Malformed(e.to_string()))?;
    if batch.home_id != push.home_id {
        return Err(Unopened::WrongHome);
    }
    let largest = batch.changes.len().max(batch.phone_hashes.len());
    if largest > MAX_BATCH {
        return Err(Unopened::TooLarge { changes: largest });
    }
    if let Some(change) = batch.changes.iter().find(|change| {
        change
            .personal
            .as_ref()
            .is_some_and(|p| !is_phone_hash(&p.phone_hash))
    }) {
        return Err(Unopened::BadPhoneHash {
            seq: Some(change.seq),
        });
    }
    if batch
        .phone_hashes
        .iter()
        .any(|sent| !is_phone_hash(&sent.phone_hash))
    {
        return Err(Unopened::BadPhoneHash { seq: None });
    }
    Ok(batch)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The changes after the cursor, to be stored (maybe none: a repeat or a poll).
    Accept(Vec<Change>),
    Refuse(Rejection),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The batch starts after the hub's cursor: changes are missing in between.
    Gap { expected: i64, found: i64 },
    /// Sequence numbers inside the batch are not consecutive.
    NotConsecutive,
    /// A change the hub already holds came again with other content.
    ReplayDiffers { seq: i64 },
    /// A hash does not follow from the one before: a record was rewritten.
    ChainBroken { seq: i64 },
}

impl Unopened {
    /// What the home reads for a bad phone hash.
    pub fn phone_hash_message(seq: Option<i64>) -> String {
        let which = match seq {
            Some(seq) => format!("第 {seq} 条记录"),
            None => "单独发送的手机号哈希".into(),
        };
        format!(
            "{which}的手机号哈希不是 64 位小写十六进制：不得上传手机号本身或其他内容，整批未保存"
        )
    }
}

impl Rejection {
    /// What the association and the home read.
    pub fn message(&self) -> String {
        match self {
            Self::Gap { expected, found } => {
                format!("缺少序号：应从第 {expected} 条开始，收到的是第 {found} 条")
            }
            Self::NotConsecutive => "批次内的序号不连续".into(),
            Self::ReplayDiffers { seq } => format!("重放的记录内容不同（第 {seq} 条）"),
            Self::ChainBroken { seq } => format!("哈希链不连续（第 {seq} 条记录被改写）"),
        }
    }

    /// Whether the association must look at it (a gap is the home's cursor being behind or
    /// ahead, which the home repairs itself).
    pub fn is_tampering(&self) -> bool {
        !matches!(self, Self::Gap { .. })
    }
}

/// Checks `batch` against the hub's cursor `acked` and `stored_hash(seq)`, the hash the hub
/// holds for an earlier change (GENESIS for 0).
pub fn verify(batch: &Batch, acked: i64, stored_hash: impl Fn(i64) -> Option<String>) -> Verdict {
    let Some(first) = batch.changes.first().map(|c| c.seq) else {
        return Verdict::Accept(Vec::new());
    };
    if first > acked + 1 || first < 1 {
        return Verdict::Refuse(Rejection::Gap {
            expected: acked + 1,
            found: first,
        });
    }
    if batch
        .changes
        .iter()
        .zip(first..)
        .any(|(change, expected)| change.seq != expected)
    {
        return Verdict::Refuse(Rejection::NotConsecutive);
    }
    if stored_hash(first - 1).as_deref() != Some(batch.prev_hash.as_str()) {
        return Verdict::Refuse(Rejection::ChainBroken { seq: first });
    }
    let mut previous = batch.prev_hash.clone();
    let mut fresh = Vec::new();
    for change in &batch.changes {
        if chain_hash(&previous, &change.record) != change.hash {
            return Verdict::Refuse(Rejection::ChainBroken { seq: change.seq });
        }
        if change.seq <= acked {
            if stored_hash(change.seq).as_deref() != Some(change.hash.as_str()) {
                return Verdict::Refuse(Rejection::ReplayDiffers { seq: change.seq });
            }
        } else {
            fresh.push(change.clone());
        }
        previous = change.hash.clone();
    }
    Verdict::Accept(fresh)
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::wire::chain::GENESIS;

    fn chain(records: &[&str], from: i64, previous: &str) -> Vec<Change> {
        let mut previous = previous.to_owned();
        records
            .iter()
            .zip(from..)
            .map(|(record, seq)| {
                let hash = chain_hash(&previous, record);
                previous = hash.clone();
                Change {
                    seq,
                    hash,
                    record: (*record).to_owned(),
                    personal: None,
                }
            })
            .collect()
    }

    fn batch(changes: Vec<Change>, prev: &str) -> Batch {
        Batch {
            home_id: "h".into(),
            prev_hash: prev.into(),
            changes,
            notices_after: 0,
            phone_hash_kind: None,
            phone_hashes: Vec::new(),
        }
    }

    fn held(changes: &[Change]) -> HashMap<i64, String> {
        let mut map: HashMap<i64, String> =
            changes.iter().map(|c| (c.seq, c.hash.clone())).collect();
        map.insert(0, GENESIS.to_owned());
        map
    }

    #[test]
    fn a_fresh_chain_is_accepted_and_a_repeat_adds_nothing() {
        let changes = chain(&["a", "b", "c"], 1, GENESIS);
        let none = held(&[]);
        let verdict = verify(&batch(changes.clone(), GENESIS), 0, |s| {
            none.get(&s).cloned()
        });
        assert_eq!(verdict, Verdict::Accept(changes.clone()));
        let all = held(&changes);
        let again = verify(&batch(changes, GENESIS), 3, |s| all.get(&s).cloned());
        assert_eq!(again, Verdict::Accept(Vec::new()));
    }

    #[test]
    fn an_overlapping_batch_stores_only_the_new_part() {
        let changes = chain(&["a", "b", "c", "d"], 1, GENESIS);
        let two = held(&changes[..2]);
        let verdict = verify(&batch(changes.clone(), GENESIS), 2, |s| {
            two.get(&s).cloned()
        });
        assert_eq!(verdict, Verdict::Accept(changes[2..].to_vec()));
    }

    #[test]
    fn gaps_replays_with_other_content_and_rewritten_chains_are_refused() {
        let changes = chain(&["a", "b", "c"], 1, GENESIS);
        let one = held(&changes[..1]);
        let later = batch(changes[2..].to_vec(), &changes[1].hash);
        assert_eq!(
            verify(&later, 1, |s| one.get(&s).cloned()),
            Verdict::Refuse(Rejection::Gap {
                expected: 2,
                found: 3
            })
        );
        let all = held(&changes);
        let altered = chain(&["a", "B", "c"], 1, GENESIS);
        assert_eq!(
            verify(&batch(altered, GENESIS), 3, |s| all.get(&s).cloned()),
            Verdict::Refuse(Rejection::ReplayDiffers { seq: 2 })
        );
        let mut rewritten = chain(&["a", "b", "c"], 1, GENESIS);
        rewritten[1].record = "B".into();
        let none = held(&[]);
        assert_eq!(
            verify(&batch(rewritten, GENESIS), 0, |s| none.get(&s).cloned()),
            Verdict::Refuse(Rejection::ChainBroken { seq: 2 })
        );
        // A new change chained onto a history the hub does not hold.
        let forked = chain(&["x"], 4, &chain_hash("other", "c"));
        assert_eq!(
            verify(&batch(forked.clone(), &chain_hash("other", "c")), 3, |s| {
                all.get(&s).cloned()
            }),
            Verdict::Refuse(Rejection::ChainBroken { seq: 4 })
        );
    }
    #[test]
    fn sequence_numbers_inside_a_batch_must_follow_one_another() {
        let mut changes = chain(&["a", "b", "c"], 1, GENESIS);
        changes[2].seq = 4;
        let none = held(&[]);
        assert_eq!(
            verify(&batch(changes, GENESIS), 0, |s| none.get(&s).cloned()),
            Verdict::Refuse(Rejection::NotConsecutive)
        );
        let mut zero = chain(&["a"], 0, GENESIS);
        zero[0].seq = 0;
        assert!(matches!(
            verify(&batch(zero, GENESIS), 0, |s| none.get(&s).cloned()),
            Verdict::Refuse(Rejection::Gap { expected: 1, .. })
        ));
    }

    #[test]
    fn a_batch_must_start_from_the_hash_the_hub_holds() {
        let changes = chain(&["a", "b", "c"], 1, GENESIS);
        let all = held(&changes);
        // A replay from seq 2 claiming another predecessor than the hub's seq 1.
        assert_eq!(
            verify(&batch(changes[1..].to_vec(), GENESIS), 3, |s| all
                .get(&s)
                .cloned()),
            Verdict::Refuse(Rejection::ChainBroken { seq: 2 })
        );
        // The same replay from the right predecessor is a harmless repeat.
        assert_eq!(
            verify(&batch(changes[1..].to_vec(), &changes[0].hash), 3, |s| all
                .get(&s)
                .cloned()),
            Verdict::Accept(Vec::new())
        );
    }

    #[test]
    fn only_a_gap_is_left_to_the_home_to_repair() {
        assert!(
            !Rejection::Gap {
                expected: 2,
                found: 5
            }
            .is_tampering()
        );
        assert!(Rejection::ReplayDiffers { seq: 1 }.is_tampering());
        assert!(Rejection::ChainBroken { seq: 1 }.is_tampering());
        assert!(Rejection::NotConsecutive.is_tampering());
        assert!(
            Rejection::Gap {
                expected: 2,
                found: 5
            }
            .message()
            .starts_with("缺少序号")
        );
        assert!(
            Rejection::ReplayDiffers { seq: 1 }
                .message()
                .starts_with("重放的记录内容不同")
        );
        assert!(
            Rejection::ChainBroken { seq: 1 }
                .message()
                .starts_with("哈希链不连续")
        );
    }
}
