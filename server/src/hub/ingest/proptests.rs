//! Properties of how the hub opens and checks a pushed batch: a batch the home signed opens to
//! itself; any single-byte change to its payload, and any change to its signature's bytes, is
//! refused before the payload is read; a batch chained from arbitrary records is taken whole by
//! a hub that holds nothing, a replay of it adds nothing, and rewriting any record breaks the
//! chain at that record.

use std::collections::HashMap;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::*;
use crate::wire::chain::{GENESIS, HomeKey};
use crate::wire::proptests::{personal, record};
use crate::wire::{Personal, Record};

const HOME: &str = "home-1";

fn key() -> HomeKey {
    HomeKey::from_secret([9; 32])
}

/// Records chained from GENESIS as a home logs them, from sequence 1.
fn chained(records: &[(Record, Option<Personal>)]) -> Batch {
    let mut previous = GENESIS.to_owned();
    let changes = records
        .iter()
        .zip(1..)
        .map(|((record, personal), seq)| {
            let record = record.canonical();
            let hash = chain_hash(&previous, &record);
            previous = hash.clone();
            Change {
                seq,
                hash,
                record,
                personal: personal.clone(),
            }
        })
        .collect();
    Batch {
        home_id: HOME.into(),
        prev_hash: GENESIS.into(),
        changes,
        notices_after: 0,
        phone_hash_kind: Some(crate::wire::phone::PHONE_HASH_KIND.into()),
        phone_hashes: Vec::new(),
    }
}

fn signed(batch: &Batch) -> Push {
    let payload = serde_json::to_string(batch).unwrap();
    Push {
        home_id: batch.home_id.clone(),
        signature: key().sign(&payload),
        payload,
    }
}

fn records() -> impl Strategy<Value = Vec<(Record, Option<Personal>)>> {
    vec((record(), proptest::option::of(personal())), 0..5)
}

proptest! {
    #[test]
    fn a_signed_batch_opens_to_itself(records in records()) {
        let batch = chained(&records);
        prop_assert_eq!(open(&signed(&batch), &key().public_hex()), Ok(batch));
    }

    #[test]
    fn any_single_byte_change_to_the_payload_is_refused(
        records in records(),
        at in any::<Index>(),
        byte in 0u8..0x80,
    ) {
        let push = signed(&chained(&records));
        // Only ASCII bytes are replaced, by ASCII, so the payload stays text as the wire
        // requires; JSON's syntax is all ASCII, so every part of the batch is reached.
        let ascii: Vec<usize> = push.payload.bytes().enumerate()
            .filter(|(_, b)| b.is_ascii())
            .map(|(i, _)| i)
            .collect();
        let at = ascii[at.index(ascii.len())];
        let mut bytes = push.payload.clone().into_bytes();
        prop_assume!(bytes[at] != byte);
        bytes[at] = byte;
        let changed = Push { payload: String::from_utf8(bytes).unwrap(), ..push };
        prop_assert_eq!(open(&changed, &key().public_hex()), Err(Unopened::BadSignature));
    }

    #[test]
    fn any_change_to_the_signature_is_refused(
        records in records(),
        at in any::<Index>(),
        byte in any::<u8>(),
    ) {
        let push = signed(&chained(&records));
        let mut signature = hex::decode(&push.signature).unwrap();
        let at = at.index(signature.len());
        prop_assume!(signature[at] != byte);
        signature[at] = byte;
        let changed = Push { signature: hex::encode(signature), ..push.clone() };
        prop_assert_eq!(open(&changed, &key().public_hex()), Err(Unopened::BadSignature));
        // The hex is only the signature's spelling: in upper case it is the same signature.
        let upper = Push { signature: push.signature.to_ascii_uppercase(), ..push };
        prop_assert!(open(&upper, &key().public_hex()).is_ok());
    }

    #[test]
    fn a_batch_sent_under_another_homes_id_is_refused(records in records(), other in "[a-z0-9-]{1,12}") {
        prop_assume!(other != HOME);
        let push = Push { home_id: other, ..signed(&chained(&records)) };
        prop_assert_eq!(open(&push, &key().public_hex()), Err(Unopened::WrongHome));
    }

    #[test]
    fn a_chained_batch_is_taken_whole_and_its_replay_adds_nothing(records in records()) {
        let batch = chained(&records);
        let empty = |seq: i64| (seq == 0).then(|| GENESIS.to_owned());
        prop_assert_eq!(verify(&batch, 0, empty), Verdict::Accept(batch.changes.clone()));
        let mut held: HashMap<i64, String> =
            batch.changes.iter().map(|c| (c.seq, c.hash.clone())).collect();
        held.insert(0, GENESIS.to_owned());
        let acked = i64::try_from(batch.changes.len()).unwrap();
        prop_assert_eq!(
            verify(&batch, acked, |seq| held.get(&seq).cloned()),
            Verdict::Accept(Vec::new())
        );
        for change in &batch.changes {
            prop_assert_eq!(change.parsed_record().map(|r| r.canonical()).ok(), Some(change.record.clone()));
        }
    }

    #[test]
    fn rewriting_any_record_breaks_the_chain_there(
        records in vec((record(), proptest::option::of(personal())), 1..5),
        at in any::<Index>(),
        rewritten in record(),
    ) {
        let mut batch = chained(&records);
        let at = at.index(batch.changes.len());
        let text = rewritten.canonical();
        prop_assume!(batch.changes[at].record != text);
        batch.changes[at].record = text;
        let empty = |seq: i64| (seq == 0).then(|| GENESIS.to_owned());
        prop_assert_eq!(
            verify(&batch, 0, empty),
            Verdict::Refuse(Rejection::ChainBroken { seq: batch.changes[at].seq })
        );
    }
}

/// The most a home sends in one push is taken; one more is refused before anything is
/// verified or stored.
#[test]
fn a_batch_larger_than_any_home_sends_is_refused_unopened() {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let one = record().new_tree(&mut runner).unwrap().current();
    let records = vec![(one, None); crate::wire::MAX_BATCH + 1];
    let too_many = chained(&records);
    assert_eq!(
        open(&signed(&too_many), &key().public_hex()),
        Err(Unopened::TooLarge {
            changes: crate::wire::MAX_BATCH + 1
        })
    );
    let most = chained(&records[1..]);
    assert!(open(&signed(&most), &key().public_hex()).is_ok());
}

proptest! {
    /// A plain number, upper-case hex, a short or long string: whatever is not 64 lowercase
    /// hex digits in a phone hash refuses the whole batch, in the chain or outside it.
    #[test]
    fn a_phone_hash_that_is_not_64_lowercase_hex_refuses_the_batch(
        records in vec((record(), proptest::option::of(personal())), 0..4),
        bad in prop_oneof![
            "1[3-9][0-9]{9}",
            "[0-9A-F]{64}",
            "[0-9a-f]{0,63}",
            "[0-9a-f]{65,80}",
            any::<String>(),
        ],
        outside in any::<bool>(),
    ) {
        prop_assume!(!crate::wire::phone::is_phone_hash(&bad));
        let mut records = records;
        let member = Record::Member {
            id: "m".into(),
            status: "active".into(),
            consent_share: false,
            personal_hash: String::new(),
        };
        let personal = Personal { name: None, employer: None, phone_hash: bad.clone() };
        if outside {
            let mut batch = chained(&records);
            batch.phone_hashes.push(crate::wire::MemberPhoneHash {
                member_id: "m".into(),
                phone_hash: bad,
            });
            prop_assert_eq!(
                open(&signed(&batch), &key().public_hex()),
                Err(Unopened::BadPhoneHash { seq: None })
            );
        } else {
            records.push((member, Some(personal)));
            let batch = chained(&records);
            let seq = i64::try_from(records.len()).unwrap();
            prop_assert_eq!(
                open(&signed(&batch), &key().public_hex()),
                Err(Unopened::BadPhoneHash { seq: Some(seq) })
            );
        }
    }
}
