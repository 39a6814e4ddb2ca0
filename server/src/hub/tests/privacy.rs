//! What the hub keeps of phone numbers (only slow hashes of the declared kind, never anything
//! else) and how many refusals it records when pushes it cannot trust keep coming.

use super::*;
use crate::hub::store::{self as hub_store, REFUSALS_KEPT_PER_HOME, REFUSALS_PER_MINUTE};
use crate::wire::MemberPhoneHash;

fn member_record(id: &str) -> Record {
    Record::Member {
        id: id.to_owned(),
        status: "active".into(),
        consent_share: false,
        personal_hash: "ab".repeat(32),
    }
}

#[tokio::test]
async fn a_push_carrying_a_phone_number_instead_of_its_hash_is_refused_whole() {
    let fixture = fixture().await;
    let mut home = fixture.home("赫山区科技工作者之家", 1).await;
    let activity = home.activity("2026-07-10T01:00:00Z", 2, false);
    let honest = home.member("13912340001");
    home.checkin(&honest, &activity, "2026-07-10T01:05:00Z", "qr", true);
    for bad in [PHONE.to_owned(), "AB".repeat(32), "ab".repeat(31)] {
        let mut tried = fixture_home_copy(&home);
        tried.log = home.log.clone();
        tried.append(
            member_record("m-bad"),
            Some(Personal {
                name: None,
                employer: None,
                phone_hash: bad.clone(),
            }),
        );
        let (status, refusal) = fixture.push(&tried, 1, 0).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {refusal}");
        let error = refusal["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("第 4 条记录的手机号哈希不是 64 位小写十六进制"),
            "{error}"
        );
        assert!(
            !error.contains(&bad),
            "the refusal repeats what was sent: {error}"
        );
    }
    // Outside the chain too.
    let batch = Batch {
        home_id: home.id.clone(),
        prev_hash: GENESIS.into(),
        changes: home.log.clone(),
        notices_after: 0,
        phone_hash_kind: Some(PHONE_HASH_KIND.into()),
        phone_hashes: vec![MemberPhoneHash {
            member_id: honest.clone(),
            phone_hash: PHONE.into(),
        }],
    };
    let payload = serde_json::to_string(&batch).expect("batch");
    let (status, refusal) = fixture.push_payload(&home.id, &home.key, payload).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refusal}");
    assert!(
        refusal["error"]
            .as_str()
            .is_some_and(|e| e.contains("单独发送的手机号哈希")),
        "{refusal}"
    );

    // Nothing of those pushes was stored, not even their good changes.
    for table in ["changes", "members", "activities", "checkins"] {
        let count = fixture
            .hub
            .store()
            .read(move |conn| {
                Ok(
                    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                        row.get::<_, i64>(0)
                    })?,
                )
            })
            .await
            .expect("count");
        assert_eq!(count, 0, "{table}");
    }
    // The association sees that the home's software sends what it must not.
    let (_, homes) = fixture.send("GET", "/api/v1/homes", None).await;
    assert_eq!(homes[0]["refusals"], 4);

    // The same batch with real hashes goes through.
    let (status, answer) = fixture.push(&home, 1, 0).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        fixture
            .count("SELECT count(*) FROM members WHERE phone_hash IS NOT NULL")
            .await,
        1
    );
}

/// A second handle on a test home (same id and key), with its own log.
fn fixture_home_copy(home: &TestHome) -> TestHome {
    TestHome {
        id: home.id.clone(),
        key: HomeKey::from_secret(home.key.secret()),
        phone_key: home.phone_key,
        log: Vec::new(),
    }
}

#[tokio::test]
async fn hashes_of_an_older_kind_are_not_kept_and_a_resent_hash_fills_the_gap() {
    let fixture = fixture().await;
    let mut home = fixture.home("赫山区科技工作者之家", 1).await;
    let member = home.member("13912340002");
    // A home of an older kejia: no kind declared, so its (fast, invertible) hashes are dropped.
    let batch = Batch {
        home_id: home.id.clone(),
        prev_hash: GENESIS.into(),
        changes: home.log.clone(),
        notices_after: 0,
        phone_hash_kind: None,
        phone_hashes: Vec::new(),
    };
    let payload = serde_json::to_string(&batch).expect("batch");
    let (status, answer) = fixture.push_payload(&home.id, &home.key, payload).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(fixture.count("SELECT count(*) FROM members").await, 1);
    assert_eq!(
        fixture
            .count("SELECT count(*) FROM members WHERE phone_hash IS NOT NULL")
            .await,
        0
    );

    // The upgraded home sends the member's hash outside the chain with its next push.
    let hash = phone_hash(&home.phone_key, "13912340002");
    let batch = Batch {
        home_id: home.id.clone(),
        prev_hash: home.log[0].hash.clone(),
        changes: Vec::new(),
        notices_after: 0,
        phone_hash_kind: Some(PHONE_HASH_KIND.into()),
        phone_hashes: vec![
            MemberPhoneHash {
                member_id: member.clone(),
                phone_hash: hash.clone(),
            },
            // A member the hub does not hold is not created by it.
            MemberPhoneHash {
                member_id: "unknown".into(),
                phone_hash: hash.clone(),
            },
        ],
    };
    let payload = serde_json::to_string(&batch).expect("batch");
    let (status, answer) = fixture.push_payload(&home.id, &home.key, payload).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let stored = fixture
        .hub
        .store()
        .read(|conn| {
            Ok(
                conn.query_row("SELECT id, phone_hash FROM members", [], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })?,
            )
        })
        .await
        .expect("member");
    assert_eq!(stored, (member, hash));
    assert_eq!(fixture.count("SELECT count(*) FROM members").await, 1);
}

#[tokio::test]
async fn a_flood_of_bad_signatures_leaves_a_few_rows_and_the_next_real_refusal_on_top() {
    let fixture = fixture().await;
    let mut home = fixture.home("赫山区科技工作者之家", 1).await;
    let member = home.member("13912340003");
    assert_eq!(fixture.push(&home, 1, 0).await.0, StatusCode::OK);

    // Anyone can send these for a known home id: no key is needed to fail a signature.
    let stranger = HomeKey::from_secret([99; 32]);
    for _ in 0..1500 {
        let (status, _) = fixture
            .push_raw(&home.id, &stranger, GENESIS, Vec::new(), 0)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let rows = fixture.count("SELECT count(*) FROM refusals").await;
    assert!(rows <= REFUSALS_PER_MINUTE, "{rows} rows after the flood");
    // Every one is counted, on the rows that are kept.
    assert_eq!(fixture.count("SELECT sum(times) FROM refusals").await, 1500);
    let (_, homes) = fixture.send("GET", "/api/v1/homes", None).await;
    assert_eq!(homes[0]["refusals"], 1500);

    // The home itself then sends a rewritten change: that refusal is listed first.
    home.checkin(&member, "a", "2026-07-10T01:05:00Z", "qr", true);
    let mut rewritten = home.log[1..].to_vec();
    rewritten[0].hash = chain_hash(GENESIS, &rewritten[0].record);
    let prev = home.log[0].hash.clone();
    let (status, _) = fixture
        .push_raw(&home.id, &home.key, &prev, rewritten, 0)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, refusals) = fixture.send("GET", "/api/v1/refusals", None).await;
    assert!(
        refusals[0]["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("哈希链不连续")),
        "{refusals}"
    );
    assert_eq!(refusals[1]["reason"], "签名无效");
    assert!(refusals[1]["times"].as_i64().unwrap_or(0) > 1, "{refusals}");
    // The page says how many times.
    let page = fixture
        .hub
        .store()
        .read(|conn| crate::hub::store::homes::refusals(conn, None, 10))
        .await
        .expect("refusals");
    assert!(
        page.iter()
            .any(|r| r.reason.starts_with("签名无效 等 ") && r.reason.ends_with(" 次")),
        "{page:?}"
    );
    assert!(fixture.count("SELECT count(*) FROM refusals").await <= REFUSALS_PER_MINUTE + 1);
}

#[tokio::test]
async fn a_home_keeps_only_its_newest_refusals_over_a_long_flood() {
    let fixture = fixture().await;
    let home = fixture.home("赫山区科技工作者之家", 1).await;
    let other = fixture.home("资阳区科技工作者之家", 2).await;
    let start: Timestamp = NOW.parse().expect("now");
    let (id, other_id) = (home.id.clone(), other.id.clone());
    fixture
        .hub
        .store()
        .write(move |conn| {
            hub_store::refuse(conn, Some(&other_id), "签名无效", start)?;
            // One refusal a minute for five hours: every one gets its own row at first.
            for minute in 0..300 {
                let at = start + jiff::SignedDuration::from_mins(minute);
                let reason = format!("签名无效 #{minute}");
                hub_store::refuse(conn, Some(&id), &reason, at)?;
            }
            Ok(())
        })
        .await
        .expect("refusals");
    let kept = fixture.count("SELECT count(*) FROM refusals").await;
    assert_eq!(kept, REFUSALS_KEPT_PER_HOME + 1);
    let (_, refusals) = fixture.send("GET", "/api/v1/refusals", None).await;
    assert_eq!(refusals[0]["reason"], "签名无效 #299");
    // Another home's refusal is not pushed out by this one's.
    assert_eq!(
        fixture
            .count("SELECT count(*) FROM refusals WHERE reason = '签名无效'")
            .await,
        1
    );
}

#[test]
fn upgrading_the_hub_leaves_no_trace_of_the_old_fast_phone_hashes_in_its_files() {
    use sha2::{Digest, Sha256};

    use crate::store::{HUB, Store};
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(HUB.file);
    // A hub database as the previous kejia left it (schema 4), holding fast hashes.
    let old: Vec<String> = (0..200)
        .map(|n| hex::encode(Sha256::digest(format!("139{n:08}").as_bytes())))
        .collect();
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        for sql in &HUB.migrations[..4] {
            conn.execute_batch(sql).expect("old schema");
        }
        conn.execute_batch(&format!(
            "PRAGMA user_version = 4; PRAGMA application_id = {};",
            HUB.application_id
        ))
        .expect("version");
        for (n, hash) in old.iter().enumerate() {
            conn.execute(
                "INSERT INTO members (home_id, id, status, consent_share, phone_hash) \
                 VALUES ('h', ?1, 'active', 0, ?2)",
                rusqlite::params![format!("m{n}"), hash],
            )
            .expect("member");
        }
    }
    let store = Store::open_schema(dir.path(), &HUB).expect("upgrade");
    store.close(std::time::Duration::from_secs(5));

    let mut bytes = Vec::new();
    for file in std::fs::read_dir(dir.path()).expect("dir") {
        let path = file.expect("entry").path();
        if path.is_file() {
            bytes.extend(std::fs::read(path).expect("read"));
        }
    }
    let left: Vec<&String> = old
        .iter()
        .filter(|hash| bytes.windows(64).any(|w| w == hash.as_bytes()))
        .collect();
    assert!(
        left.is_empty(),
        "{} old hashes left in the files",
        left.len()
    );
}
