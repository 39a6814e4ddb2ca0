//! Properties of the sync wire format: decoding arbitrary bytes or arbitrary JSON never panics,
//! and every message encodes and decodes back to itself, records through their canonical text
//! too. The strategies are shared with the hub's ingest properties.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::*;

/// Arbitrary text, with short ASCII strings often enough to look like ids and dates.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z0-9:-]{0,12}"]
}

pub(crate) fn record() -> impl Strategy<Value = Record> {
    prop_oneof![
        (text(), text(), any::<bool>(), text()).prop_map(
            |(id, status, consent_share, personal_hash)| Record::Member {
                id,
                status,
                consent_share,
                personal_hash,
            }
        ),
        (
            (text(), text(), text()),
            (text(), text(), any::<bool>(), text(), any::<bool>())
        )
            .prop_map(
                |(
                    (id, title, category),
                    (starts_at, ends_at, cancelled, filing, checkin_closed),
                )| {
                    Record::Activity {
                        id,
                        title,
                        category,
                        starts_at,
                        ends_at,
                        cancelled,
                        filing,
                        checkin_closed,
                    }
                }
            ),
        (
            (text(), text(), option::of(text()), option::of(text())),
            (text(), text(), any::<bool>(), any::<bool>())
        )
            .prop_map(
                |((id, member_id, activity_id, visit_day), (source, at, clock_trusted, undone))| {
                    Record::Checkin {
                        id,
                        member_id,
                        activity_id,
                        visit_day,
                        source,
                        at,
                        clock_trusted,
                        undone,
                    }
                }
            ),
    ]
}

/// Personal data as a home sends it: the phone as a hash (64 lowercase hex digits).
pub(crate) fn personal() -> impl Strategy<Value = Personal> {
    (option::of(text()), option::of(text()), "[0-9a-f]{64}").prop_map(
        |(name, employer, phone_hash)| Personal {
            name,
            employer,
            phone_hash,
        },
    )
}

fn change() -> impl Strategy<Value = Change> {
    (any::<i64>(), text(), record(), option::of(personal())).prop_map(
        |(seq, hash, record, personal)| Change {
            seq,
            hash,
            record: record.canonical(),
            personal,
        },
    )
}

fn batch() -> impl Strategy<Value = Batch> {
    (
        text(),
        text(),
        vec(change(), 0..6),
        any::<i64>(),
        option::of(text()),
        vec(
            (text(), text()).prop_map(|(member_id, phone_hash)| MemberPhoneHash {
                member_id,
                phone_hash,
            }),
            0..3,
        ),
    )
        .prop_map(
            |(home_id, prev_hash, changes, notices_after, phone_hash_kind, phone_hashes)| Batch {
                home_id,
                prev_hash,
                changes,
                notices_after,
                phone_hash_kind,
                phone_hashes,
            },
        )
}

/// Arbitrary JSON, nested a few levels, with the wire's field names among its keys so that
/// some objects nearly decode.
fn json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let key = prop_oneof![
        text(),
        proptest::sample::select(vec![
            "home_id",
            "payload",
            "signature",
            "prev_hash",
            "changes",
            "notices_after",
            "seq",
            "hash",
            "record",
            "personal",
            "kind",
            "id",
            "phone_hash",
        ])
        .prop_map(str::to_owned),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((key.clone(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// Decodes `bytes` as every message of the wire; only `Err` may come of it, never a panic.
fn decode_all(bytes: &[u8]) {
    let _ = serde_json::from_slice::<Push>(bytes);
    let _ = serde_json::from_slice::<Batch>(bytes);
    let _ = serde_json::from_slice::<Change>(bytes);
    let _ = serde_json::from_slice::<Record>(bytes);
    let _ = serde_json::from_slice::<PushAnswer>(bytes);
    let _ = serde_json::from_slice::<Refusal>(bytes);
    let _ = serde_json::from_slice::<EnrollRequest>(bytes);
    let _ = serde_json::from_slice::<EnrollAnswer>(bytes);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        decode_all(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(value in json()) {
        decode_all(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn a_batch_decodes_to_itself(batch in batch()) {
        let text = serde_json::to_string(&batch).unwrap();
        prop_assert_eq!(serde_json::from_str::<Batch>(&text).unwrap(), batch);
    }

    #[test]
    fn a_push_decodes_to_itself(home_id in text(), payload in text(), signature in text()) {
        let push = Push { home_id, payload, signature };
        let bytes = serde_json::to_vec(&push).unwrap();
        prop_assert_eq!(serde_json::from_slice::<Push>(&bytes).unwrap(), push);
    }

    #[test]
    fn a_record_has_one_canonical_text_that_decodes_to_it(record in record()) {
        let canonical = record.canonical();
        let change = Change { seq: 1, hash: String::new(), record: canonical.clone(), personal: None };
        let back = change.parsed_record().unwrap();
        prop_assert_eq!(back.canonical(), canonical);
        prop_assert_eq!(back, record);
    }
}
