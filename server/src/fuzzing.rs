//! What the cargo-fuzz targets in `fuzz/` run, shared with the tests that replay their committed
//! corpora, so each target is one line and CI exercises every corpus file without cargo-fuzz.
//! Each entry panics when a promise is broken; anything else it returns is fine.

use std::collections::HashMap;

use crate::domain::credential::{CardUid, Presented, QrCredential};
use crate::hub::ingest::{self, Verdict};
use crate::wire::chain::{GENESIS, HomeKey};
use crate::wire::{Change, Push};

/// The home whose pushes the `sync_wire` target signs, and its key.
pub const HOME: &str = "fuzz-home";
const SECRET: [u8; 32] = [0x5a; 32];

/// The `credential` target: the bytes as the text a device reports (lossily decoded, as the
/// JSON body it arrives in is always text).
pub fn credential(data: &[u8]) {
    let raw = String::from_utf8_lossy(data);
    let presented = Presented::classify(&raw);
    let trimmed = raw.trim();
    let own_text = match &presented {
        Presented::Qr(text) | Presented::Unrecognised(text) => {
            assert_eq!(text, trimmed);
            text.as_str()
        }
        Presented::Card(uid) => {
            assert!(uid.as_str().eq_ignore_ascii_case(trimmed));
            assert!(!uid.as_str().bytes().any(|b| b.is_ascii_lowercase()));
            assert_eq!(CardUid::parse(uid.as_str()).as_ref(), Some(uid));
            uid.as_str()
        }
    };
    assert_eq!(Presented::classify(own_text), presented, "decided again");
    assert_eq!(
        CardUid::parse(&raw).is_some(),
        (4..=20).contains(&trimmed.len()) && trimmed.bytes().all(|b| b.is_ascii_hexdigit())
    );
    // An issued credential, however padded, is recognised as exactly itself.
    if let Some(bytes) = trimmed
        .strip_prefix("KJ1")
        .filter(|hex| !hex.bytes().any(|b| b.is_ascii_lowercase()))
        .and_then(|hex| <[u8; 16]>::try_from(hex::decode(hex).ok()?).ok())
    {
        let issued = QrCredential::from_random(bytes);
        assert_eq!(issued.as_str(), trimmed);
        assert_eq!(presented, Presented::Qr(issued.into_string()));
    }
}

/// The `sync_wire` target. The bytes are taken twice: as the body of a push, decoded and opened
/// as the hub does (which a fuzzer cannot sign, so it stops at the signature); and as the
/// payload of a push that [`HOME`] signed, through the HTTP body, the signature, the batch, the
/// chain check against a hub that holds nothing and the records. Then the accepted changes are
/// replayed to a hub that holds them, which must take nothing new.
pub fn sync_wire(data: &[u8]) {
    let key = HomeKey::from_secret(SECRET);
    let public = key.public_hex();
    if let Ok(push) = serde_json::from_slice::<Push>(data) {
        let _ = ingest::open(&push, &public);
    }
    let Ok(payload) = std::str::from_utf8(data) else {
        return;
    };
    let push = Push {
        home_id: HOME.into(),
        payload: payload.to_owned(),
        signature: key.sign(payload),
    };
    let body = match serde_json::to_vec(&push) {
        Ok(body) => body,
        Err(e) => panic!("a push is always JSON: {e}"),
    };
    let received = match serde_json::from_slice::<Push>(&body) {
        Ok(received) => received,
        Err(e) => panic!("a push decodes from its own JSON: {e}"),
    };
    assert_eq!(received, push);
    let Ok(batch) = ingest::open(&received, &public) else {
        return;
    };
    // The hub reads only the records of verified changes; every record is read here, so that
    // the record decoding is fuzzed without the fuzzer having to find SHA-256 preimages.
    for change in &batch.changes {
        if let Ok(record) = change.parsed_record() {
            let canonical = record.canonical();
            let again = Change {
                record: canonical.clone(),
                ..change.clone()
            };
            assert_eq!(again.parsed_record().ok(), Some(record), "{canonical}");
        }
    }
    let nothing = |seq: i64| (seq == 0).then(|| GENESIS.to_owned());
    let Verdict::Accept(fresh) = ingest::verify(&batch, 0, nothing) else {
        return;
    };
    assert_eq!(
        fresh, batch.changes,
        "a hub that holds nothing takes everything"
    );
    let Some(last) = fresh.last().map(|change| change.seq) else {
        return;
    };
    let mut held: HashMap<i64, String> = fresh
        .iter()
        .map(|change| (change.seq, change.hash.clone()))
        .collect();
    held.insert(0, GENESIS.to_owned());
    assert_eq!(
        ingest::verify(&batch, last, |seq| held.get(&seq).cloned()),
        Verdict::Accept(Vec::new()),
        "a replay takes nothing new"
    );
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::wire::Batch;

    /// Every file of a target's committed corpus, by name.
    fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/corpus")
            .join(target);
        let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                (path, bytes)
            })
            .collect();
        files.sort();
        assert!(files.len() >= 3, "{}: a corpus of seeds", dir.display());
        files
    }

    #[test]
    fn the_credential_corpus_replays_cleanly() {
        for (path, bytes) in corpus("credential") {
            eprintln!("{}", path.display());
            credential(&bytes);
        }
    }

    #[test]
    fn the_sync_wire_corpus_replays_cleanly() {
        for (path, bytes) in corpus("sync_wire") {
            eprintln!("{}", path.display());
            sync_wire(&bytes);
        }
    }

    #[test]
    fn a_seed_batch_reaches_the_replay_check() {
        // The corpus must hold at least one batch the hub takes, or the fuzzer starts blind.
        let accepted = corpus("sync_wire").into_iter().any(|(_, bytes)| {
            let Ok(payload) = std::str::from_utf8(&bytes) else {
                return false;
            };
            let Ok(batch) = serde_json::from_str::<Batch>(payload) else {
                return false;
            };
            batch.home_id == HOME
                && !batch.changes.is_empty()
                && matches!(
                    ingest::verify(&batch, 0, |seq| (seq == 0).then(|| GENESIS.to_owned())),
                    Verdict::Accept(_)
                )
        });
        assert!(accepted);
    }
}
