//! The hub through its router, on a real store in a temporary folder with a fixed clock: homes
//! built here sign their own chained batches, the way `kejia sync` does.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use jiff::Timestamp;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::Hub;
use crate::accounts;
use crate::clock::{Clock, FixedClock};
use crate::config::RawConfig;
use crate::domain::access::StaffRole;
use crate::domain::compliance::{self, AwardMonth, Tally};
use crate::wire::chain::{GENESIS, HomeKey, chain_hash};
use crate::wire::phone::PHONE_HASH_KIND;
use crate::wire::{Batch, Change, Personal, Push, Record};

const PASSWORD: &str = "correct horse battery";
const PHONE: &str = "13912345678";
/// Mid-July 2026, noon in Shanghai.
const NOW: &str = "2026-07-15T04:00:00Z";

/// The slow phone hash, computed once per (key, phone) for the whole test binary: tests push
/// the same numbers many times.
fn phone_hash(key: &[u8; 32], phone: &str) -> String {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};
    static KNOWN: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Mutex::default);
    let wanted = format!("{}:{phone}", hex::encode(key));
    if let Some(hash) = KNOWN.lock().expect("lock").get(&wanted) {
        return hash.clone();
    }
    let hash = crate::wire::phone::phone_hash(key, phone).expect("phone hash");
    KNOWN.lock().expect("lock").insert(wanted, hash.clone());
    hash
}

struct Fixture {
    hub: Hub,
    clock: Arc<FixedClock>,
    cookie: String,
    dir: tempfile::TempDir,
}

/// A home as the hub sees it: its key, its id and its whole change log.
struct TestHome {
    id: String,
    key: HomeKey,
    phone_key: [u8; 32],
    log: Vec<Change>,
}

async fn fixture() -> Fixture {
    fixture_with(RawConfig::default()).await
}

/// A hub with the association's own settings (thresholds, say).
async fn fixture_with(raw: RawConfig) -> Fixture {
    let dir = tempfile::tempdir().expect("dir");
    let settings = raw.check(dir.path().to_owned()).expect("settings");
    let clock = Arc::new(FixedClock::at(NOW.parse().expect("now")));
    let hub = Hub::open_with_clock(settings, clock.clone()).expect("hub");
    accounts::add_user(
        hub.store(),
        "xiehui",
        StaffRole::Staff,
        PASSWORD,
        clock.now(),
    )
    .await
    .expect("user");
    let mut fixture = Fixture {
        hub,
        clock,
        cookie: String::new(),
        dir,
    };
    fixture.log_in().await;
    fixture
}

impl Fixture {
    async fn log_in(&mut self) {
        let response = self
            .request_as(
                None,
                "POST",
                "/api/v1/session",
                Some(json!({ "username": "xiehui", "password": PASSWORD })),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        self.cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|c| c.to_str().ok())
            .and_then(|c| c.split(';').next())
            .expect("cookie")
            .to_owned();
    }

    async fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> axum::response::Response {
        self.request_as(Some(&self.cookie), method, path, body)
            .await
    }

    async fn request_as(
        &self,
        cookie: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> axum::response::Response {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(cookie) = cookie.filter(|c| !c.is_empty()) {
            request = request.header("cookie", cookie);
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .expect("request");
        self.hub.router().oneshot(request).await.expect("response")
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let response = self.request(method, path, body).await;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("json")
        };
        (status, value)
    }

    async fn enroll(&self, code: &str, key: &HomeKey) -> (StatusCode, Value) {
        self.send(
            "POST",
            "/api/v1/enroll",
            Some(json!({ "code": code, "public_key": key.public_hex() })),
        )
        .await
    }

    /// Registers and enrols a home with its own key.
    async fn home(&self, name: &str, secret: u8) -> TestHome {
        let (id, code) = self.hub.add_home(name).await.expect("add home");
        let key = HomeKey::from_secret([secret; 32]);
        let (status, answer) = self.enroll(&code, &key).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["home_id"], id.as_str());
        let phone_key: [u8; 32] = hex::decode(answer["phone_key"].as_str().expect("key"))
            .expect("hex")
            .try_into()
            .expect("32 bytes");
        TestHome {
            id,
            key,
            phone_key,
            log: Vec::new(),
        }
    }

    /// Pushes `changes` (after `prev_hash`) signed with `key` on behalf of `home`.
    async fn push_raw(
        &self,
        home: &str,
        key: &HomeKey,
        prev_hash: &str,
        changes: Vec<Change>,
        notices_after: i64,
    ) -> (StatusCode, Value) {
        let batch = Batch {
            home_id: home.to_owned(),
            prev_hash: prev_hash.to_owned(),
            changes,
            notices_after,
            phone_hash_kind: Some(PHONE_HASH_KIND.into()),
            phone_hashes: Vec::new(),
        };
        let payload = serde_json::to_string(&batch).expect("batch");
        self.push_payload(home, key, payload).await
    }

    async fn push_payload(
        &self,
        home: &str,
        key: &HomeKey,
        payload: String,
    ) -> (StatusCode, Value) {
        let push = Push {
            home_id: home.to_owned(),
            signature: key.sign(&payload),
            payload,
        };
        self.send(
            "POST",
            "/api/v1/sync/push",
            Some(serde_json::to_value(&push).expect("push")),
        )
        .await
    }

    /// Pushes the home's log from `from` (a sequence number, 1-based) on.
    async fn push(&self, home: &TestHome, from: i64, notices_after: i64) -> (StatusCode, Value) {
        let start = usize::try_from(from - 1).expect("from");
        let prev = if start == 0 {
            GENESIS.to_owned()
        } else {
            home.log[start - 1].hash.clone()
        };
        self.push_raw(
            &home.id,
            &home.key,
            &prev,
            home.log[start..].to_vec(),
            notices_after,
        )
        .await
    }

    async fn evaluation(&self, year: i16) -> Value {
        let (status, value) = self
            .send("GET", &format!("/api/v1/evaluation?year={year}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{value}");
        value
    }

    async fn count(&self, sql: &'static str) -> i64 {
        self.hub
            .store()
            .read(move |conn| Ok(conn.query_row(sql, [], |row| row.get(0))?))
            .await
            .expect("count")
    }
}

impl TestHome {
    fn append(&mut self, record: Record, personal: Option<Personal>) {
        let previous = self.log.last().map_or(GENESIS, |c| c.hash.as_str());
        let text = record.canonical();
        let change = Change {
            seq: i64::try_from(self.log.len()).expect("len") + 1,
            hash: chain_hash(previous, &text),
            record: text,
            personal,
        };
        self.log.push(change);
    }

    /// A member with a shared name and a hashed phone; returns its id.
    fn member(&mut self, phone: &str) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        let personal = Personal {
            name: Some("李四".into()),
            employer: Some("益阳某研究所".into()),
            phone_hash: phone_hash(&self.phone_key, phone),
        };
        self.append(
            Record::Member {
                id: id.clone(),
                status: "active".into(),
                consent_share: true,
                personal_hash: "ab".repeat(32),
            },
            Some(personal),
        );
        id
    }

    fn activity(&mut self, starts_at: &str, hours: i64, cancelled: bool) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        let start: Timestamp = starts_at.parse().expect("start");
        let end = start
            .checked_add(jiff::SignedDuration::from_hours(hours))
            .expect("end");
        self.append(
            Record::Activity {
                id: id.clone(),
                title: format!("讲座 {starts_at}"),
                category: "lecture".into(),
                starts_at: start.to_string(),
                ends_at: end.to_string(),
                cancelled,
                filing: "filed".into(),
                checkin_closed: false,
            },
            None,
        );
        id
    }

    fn checkin(&mut self, member: &str, activity: &str, at: &str, method: &str, trusted: bool) {
        self.checkin_as(
            &uuid::Uuid::now_v7().to_string(),
            member,
            activity,
            at,
            method,
            trusted,
            false,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn checkin_as(
        &mut self,
        id: &str,
        member: &str,
        activity: &str,
        at: &str,
        method: &str,
        trusted: bool,
        undone: bool,
    ) {
        self.append(
            Record::Checkin {
                id: id.to_owned(),
                member_id: member.to_owned(),
                activity_id: Some(activity.to_owned()),
                visit_day: None,
                source: method.into(),
                at: at.parse::<Timestamp>().expect("at").to_string(),
                clock_trusted: trusted,
                undone,
            },
            None,
        );
    }

    fn acked(&self) -> i64 {
        i64::try_from(self.log.len()).expect("len")
    }
}

/// The fields of `domain::compliance::Compliance` in one home's evaluation entry.
fn figures(entry: &Value) -> Value {
    let mut figures = entry.clone();
    if let Some(object) = figures.as_object_mut() {
        for key in ["home", "flags", "suggested_rating"] {
            object.remove(key);
        }
    }
    figures
}

fn entry<'a>(evaluation: &'a Value, home: &str) -> &'a Value {
    evaluation["homes"]
        .as_array()
        .and_then(|homes| homes.iter().find(|h| h["home"]["id"] == home))
        .expect("home in evaluation")
}

fn flags(evaluation: &Value, home: &str) -> Vec<String> {
    entry(evaluation, home)["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .filter_map(|f| f.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_code_enrols_one_key_once_and_nothing_else() {
    let fixture = fixture().await;
    let (id, code) = fixture
        .hub
        .add_home("赫山区科技工作者之家")
        .await
        .expect("add");
    let key = HomeKey::from_secret([1; 32]);
    let (status, first) = fixture.enroll(&code, &key).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["home_id"], id.as_str());
    assert_eq!(first["home_name"], "赫山区科技工作者之家");
    assert_eq!(first["phone_key"].as_str().map(str::len), Some(64));

    // The home whose answer was lost retries with the same key: the same answer.
    let (status, again) = fixture.enroll(&code, &key).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, first);

    // Anyone else holding the used code is refused, in Chinese.
    let (status, stolen) = fixture.enroll(&code, &HomeKey::from_secret([2; 32])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(stolen["error"], "登记码无效或已使用");
    let (status, _) = fixture
        .enroll("not-a-code", &HomeKey::from_secret([3; 32]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, bad) = fixture
        .send(
            "POST",
            "/api/v1/enroll",
            Some(json!({ "code": code, "public_key": "xyz" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");

    // Every home gets the same phone key, so one member at two homes is recognised.
    let other = fixture.home("资阳区科技工作者之家", 4).await;
    assert_eq!(
        hex::encode(other.phone_key),
        first["phone_key"].as_str().unwrap_or("")
    );
    // The code is kept only as a hash, and it is cleared or useless once used.
    let codes = fixture
        .count(
            "SELECT count(*) FROM homes WHERE enrol_code_hash IS NOT NULL AND public_key IS NULL",
        )
        .await;
    assert_eq!(codes, 0);
}

#[tokio::test]
async fn a_signed_batch_is_acknowledged_once_and_a_repeat_changes_nothing() {
    let fixture = fixture().await;
    let mut home = fixture.home("赫山区科技工作者之家", 1).await;
    let member = home.member("13800138000");
    let activity = home.activity("2026-07-10T01:00:00Z", 2, false);
    home.checkin(&member, &activity, "2026-07-10T01:05:00Z", "qr", true);

    let (status, answer) = fixture.push(&home, 1, 0).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["acked_seq"], 3);
    assert_eq!(answer["decisions"], json!([]));
    assert_eq!(answer["notices"], json!([]));

    let (status, again) = fixture.push(&home, 1, 0).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, answer);
    assert_eq!(fixture.count("SELECT count(*) FROM changes").await, 3);
    assert_eq!(fixture.count("SELECT count(*) FROM members").await, 1);
    assert_eq!(fixture.count("SELECT count(*) FROM checkins").await, 1);

    // An update of a record already held replaces it (the latest sequence wins).
    home.append(
        Record::Member {
            id: member.clone(),
            status: "suspended".into(),
            consent_share: false,
            personal_hash: "cd".repeat(32),
        },
        Some(Personal {
            name: Some("李四".into()),
            employer: None,
            phone_hash: phone_hash(&home.phone_key, "13800138000"),
        }),
    );
    let (status, answer) = fixture.push(&home, 1, 0).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["acked_seq"], 4);
    assert_eq!(fixture.count("SELECT count(*) FROM members").await, 1);
    // Without consent to share, the name does not stay at the hub.
    assert_eq!(
        fixture
            .count("SELECT count(*) FROM members WHERE status = 'suspended' AND name IS NULL AND phone_hash IS NOT NULL")
            .await,
        1
    );

    let (status, homes) = fixture.send("GET", "/api/v1/homes", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(homes[0]["acked_seq"], 4);
    assert_eq!(homes[0]["refusals"], 0);
    assert_eq!(homes[0]["last_push_at"], NOW);
}

#[tokio::test]
async fn pushes_that_cannot_be_trusted_are_refused_and_leave_the_figures_alone() {
    let fixture = fixture().await;
    let mut home = fixture.home("赫山区科技工作者之家", 1).await;
    let activity = home.activity("2026-07-10T01:00:00Z", 2, false);
    let members: Vec<String> = (0..10)
        .map(|i| home.member(&format!("1380013800{i}")))
        .collect();
    for member in &members {
        home.checkin(member, &activity, "2026-07-10T01:05:00Z", "qr", true);
    }
    let (status, _) = fixture.push(&home, 1, 0).await;
    assert_eq!(status, StatusCode::OK);
    let acked = home.acked();
    let before = fixture.evaluation(2026).await;
    assert_eq!(entry(&before, &home.id)["qualifying_activities"], 1);

    // Signed by a key the hub never enrolled for this home.
    let stranger = HomeKey::from_secret([9; 32]);
    let (status, refusal) = fixture
        .push_raw(&home.id, &stranger, GENESIS, home.log.clone(), 0)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refusal}");
    assert_eq!(refusal["error"], "签名无效");

    // A home the hub does not know.
    let (status, _) = fixture
        .push_raw("no-such-home", &home.key, GENESIS, Vec::new(), 0)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Seq 1 again, re-chained over an altered record: a history rewritten after the fact.
    let mut altered = home.log.clone();
    if let Ok(Record::Activity {
        id,
        title,
        category,
        starts_at,
        ends_at,
        filing,
        ..
    }) = serde_json::from_str::<Record>(&altered[0].record)
    {
        let record = Record::Activity {
            id,
            title,
            category,
            starts_at,
            ends_at,
            cancelled: true,
            filing,
            checkin_closed: false,
        };
        altered[0].record = record.canonical();
    }
    let mut previous = GENESIS.to_owned();
    for change in &mut altered {
        change.hash = chain_hash(&previous, &change.record);
        previous = change.hash.clone();
    }
    let (status, refusal) = fixture
        .push_raw(&home.id, &home.key, GENESIS, altered[..1].to_vec(), 0)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refusal}");
    assert!(
        refusal["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("重放的记录内容不同")),
        "{refusal}"
    );
    assert_eq!(refusal["acked_seq"], acked);

    // A new change whose hash does not follow from the one before.
    home.checkin(
        &members[0],
        &activity,
        "2026-07-10T01:30:00Z",
        "manual",
        true,
    );
    let mut rewritten = home.log[home.log.len() - 1..].to_vec();
    rewritten[0].hash = chain_hash(GENESIS, &rewritten[0].record);
    let prev = home.log[home.log.len() - 2].hash.clone();
    let (status, refusal) = fixture
        .push_raw(&home.id, &home.key, &prev, rewritten, 0)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refusal}");
    assert!(
        refusal["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("哈希链不连续")),
        "{refusal}"
    );

    // A batch that starts after a missing change: the home is told where to resume.
    home.checkin(&members[1], &activity, "2026-07-10T01:31:00Z", "qr", true);
    let (status, refusal) = fixture.push(&home, acked + 2, 0).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refusal}");
    assert!(
        refusal["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("缺少序号")),
        "{refusal}"
    );
    assert_eq!(refusal["acked_seq"], acked);

    // Nothing of it was stored or counted.
    assert_eq!(fixture.count("SELECT count(*) FROM changes").await, acked);
    assert_eq!(
        fixture
            .count("SELECT count(*) FROM activities WHERE cancelled = 1")
            .await,
        0
    );
    let after = fixture.evaluation(2026).await;
    assert_eq!(
        figures(entry(&after, &home.id)),
        figures(entry(&before, &home.id))
    );

    // The association sees the refusals that matter (a gap is the home's own cursor, not kept).
    let (status, refusals) = fixture.send("GET", "/api/v1/refusals", None).await;
    assert_eq!(status, StatusCode::OK);
    let reasons: Vec<&str> = refusals
        .as_array()
        .expect("refusals")
        .iter()
        .filter_map(|r| r["reason"].as_str())
        .collect();
    assert_eq!(reasons.len(), 3, "{refusals}");
    assert!(reasons.contains(&"签名无效"));
    let (_, homes) = fixture.send("GET", "/api/v1/homes", None).await;
    assert_eq!(homes[0]["refusals"], 3);

    // The honest home carries on from where the hub stands.
    let (status, answer) = fixture.push(&home, acked + 1, 0).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["acked_seq"], home.acked());
}

/// A home restored from an older backup: its log is the hub's first records, and the records
/// it logged since have sequence numbers the hub already holds with other content. Whatever
/// part of that log it pushes, the hub refuses the fork and keeps what it holds.
#[tokio::test]
async fn a_home_restored_behind_the_hub_cannot_fork_its_chain() {
    let fixture = fixture().await;
    let mut home = fixture.home("桃江县科技工作者之家", 1).await;
    let activity = home.activity("2026-07-10T01:00:00Z", 2, false);
    let member = home.member("13800138001");
    home.checkin(&member, &activity, "2026-07-10T01:05:00Z", "qr", true);
    let (status, _) = fixture.push(&home, 1, 0).await;
    assert_eq!(status, StatusCode::OK);
    // The backup holds these three; two more reach the hub after it was taken.
    let mut restored = TestHome {
        id: home.id.clone(),
        key: HomeKey::from_secret([1; 32]),
        phone_key: home.phone_key,
        log: home.log.clone(),
    };
    let later = home.member("13800138002");
    home.checkin(&later, &activity, "2026-07-10T01:10:00Z", "qr", true);
    let (status, answer) = fixture.push(&home, 4, 0).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["acked_seq"], 5);
    let held = fixture.count("SELECT count(*) FROM changes").await;
    let checkins = fixture.count("SELECT count(*) FROM checkins").await;

    // The restored home logs other changes as 4, 5 and 6.
    let other = restored.member("13800138003");
    restored.checkin(&other, &activity, "2026-07-11T01:00:00Z", "manual", true);
    restored.checkin(&member, &activity, "2026-07-11T01:01:00Z", "manual", true);
    assert_ne!(restored.log[3].hash, home.log[3].hash);

    // From its old cursor: the replay of 1-3 is the hub's, 4 is not.
    let (status, refusal) = fixture.push(&restored, 1, 0).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refusal}");
    assert!(
        refusal["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("重放的记录内容不同（第 4 条）")),
        "{refusal}"
    );
    assert_eq!(refusal["acked_seq"], 5);
    // From just after the backup.
    let (status, _) = fixture.push(&restored, 4, 0).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Only what comes after the hub's head, chained on the restored home's own 5.
    let (status, refusal) = fixture.push(&restored, 6, 0).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refusal}");
    assert!(
        refusal["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("哈希链不连续")),
        "{refusal}"
    );

    // Nothing of the fork was stored; the association sees the attempts.
    assert_eq!(fixture.count("SELECT count(*) FROM changes").await, held);
    assert_eq!(
        fixture.count("SELECT count(*) FROM checkins").await,
        checkins
    );
    assert_eq!(
        fixture
            .count("SELECT count(*) FROM checkins WHERE source = 'manual'")
            .await,
        0
    );
    let (_, homes) = fixture.send("GET", "/api/v1/homes", None).await;
    assert_eq!(homes[0]["acked_seq"], 5);
    assert_eq!(homes[0]["refusals"], 3);
    // The hub's own home goes on as before.
    home.checkin(&member, &activity, "2026-07-10T01:20:00Z", "qr", true);
    let (status, answer) = fixture.push(&home, 6, 0).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["acked_seq"], 6);
}

#[tokio::test]
async fn malformed_pushes_are_bad_requests_not_failures() {
    let fixture = fixture().await;
    let home = fixture.home("赫山区科技工作者之家", 1).await;
    let (status, answer) = fixture
        .push_payload(&home.id, &home.key, "not a batch".into())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["error"].is_string());

    let other = Batch {
        home_id: "another-home".into(),
        prev_hash: GENESIS.into(),
        changes: Vec::new(),
        notices_after: 0,
        phone_hash_kind: None,
        phone_hashes: Vec::new(),
    };
    let payload = serde_json::to_string(&other).expect("batch");
    let (status, _) = fixture.push_payload(&home.id, &home.key, payload).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _) = fixture
        .send(
            "POST",
            "/api/v1/sync/push",
            Some(json!({ "home_id": home.id })),
        )
        .await;
    assert!(status.is_client_error(), "{status}");
}

#[tokio::test]
async fn the_hubs_evaluation_equals_the_homes_own_rules_on_the_same_records() {
    let fixture = fixture().await;
    let mut home = fixture.home("赫山区科技工作者之家", 1).await;
    fixture
        .hub
        .store()
        .write(|conn| {
            conn.execute("UPDATE homes SET awarded_on = '2026-03-10'", [])?;
            Ok(())
        })
        .await
        .expect("award");
    let members: Vec<String> = (0..12)
        .map(|i| home.member(&format!("138001381{i:02}")))
        .collect();
    // (start, members checked in, cancelled): January (before the award), April with a repeat
    // and an undone check-in, a short May, a cancelled June, last year's December, and one still
    // running on "now".
    let plan: [(&str, usize, bool); 6] = [
        ("2026-01-20T02:00:00Z", 10, false),
        ("2026-04-11T06:00:00Z", 11, false),
        ("2026-05-09T06:00:00Z", 3, false),
        ("2026-06-13T06:00:00Z", 11, true),
        ("2025-12-31T15:30:00Z", 10, false),
        ("2026-07-15T03:00:00Z", 4, false),
    ];
    let mut tallies = Vec::new();
    for (index, (start, count, cancelled)) in plan.iter().enumerate() {
        let activity = home.activity(start, 2, *cancelled);
        for member in &members[..*count] {
            home.checkin(member, &activity, start, "qr", true);
        }
        if index == 1 {
            // The same member again (still one participant), and a twelfth member's check-in,
            // undone (the later change of the same record wins: not a participant).
            home.checkin(&members[0], &activity, start, "card", true);
            let undone = uuid::Uuid::now_v7().to_string();
            home.checkin_as(&undone, &members[11], &activity, start, "qr", true, false);
            home.checkin_as(&undone, &members[11], &activity, start, "qr", true, true);
        }
        let participants = u32::try_from(*count).expect("count");
        let start_at: Timestamp = start.parse().expect("start");
        tallies.push(Tally {
            id: activity.parse().expect("id"),
            title: format!("讲座 {start}"),
            starts_at: start_at,
            ends_at: start_at
                .checked_add(jiff::SignedDuration::from_hours(2))
                .expect("end"),
            cancelled: *cancelled,
            checkin_closed: false,
            participants,
        });
    }
    let (status, answer) = fixture.push(&home, 1, 0).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    let expected = compliance::evaluate(
        2026,
        &tallies,
        fixture.clock.now(),
        &tz,
        Some(AwardMonth {
            year: 2026,
            month: 3,
        }),
    );
    let evaluation = fixture.evaluation(2026).await;
    assert_eq!(evaluation["year"], 2026);
    let hub = entry(&evaluation, &home.id);
    assert_eq!(hub["home"]["name"], "赫山区科技工作者之家");
    assert_eq!(
        figures(hub),
        serde_json::to_value(&expected).expect("json"),
        "{evaluation}"
    );
    // January and April qualify; May is short; June was cancelled; July's is still running, so
    // not held yet (issue 14: only activities that have ended count).
    assert_eq!(hub["qualifying_activities"], 2);
    assert_eq!(hub["activities_held"], 3);
    assert_eq!(hub["short_activities"].as_array().map(Vec::len), Some(1));

    // Last year's December (23:30 on 31 December in Shanghai) counts for 2025 only.
    let last_year = fixture.evaluation(2025).await;
    assert_eq!(entry(&last_year, &home.id)["activities_held"], 1);

    // Not signed in: none of the association's views.
    for path in [
        "/api/v1/evaluation?year=2026",
        "/api/v1/homes",
        "/api/v1/refusals",
    ] {
        let response = fixture.request_as(None, "GET", path, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let (status, _) = fixture
        .send("GET", "/api/v1/evaluation?year=abc", None)
        .await;
    assert!(status.is_client_error(), "{status}");
}

#[tokio::test]
async fn integrity_flags_point_the_association_at_what_to_look_at() {
    let mut fixture = fixture().await;
    let mut first = fixture.home("赫山区科技工作者之家", 1).await;
    let mut second = fixture.home("资阳区科技工作者之家", 2).await;
    let quiet = fixture.home("安化县科技工作者之家", 3).await;

    // At the first home: an activity half typed in by hand, one check-in on an unset clock.
    let activity = first.activity("2026-07-11T06:00:00Z", 2, false);
    let people: Vec<String> = (0..10)
        .map(|i| first.member(&format!("1390013900{i}")))
        .collect();
    for (i, member) in people.iter().enumerate() {
        let method = if i < 5 { "manual" } else { "qr" };
        first.checkin(member, &activity, "2026-07-11T06:10:00Z", method, i != 9);
    }
    // The same phone checks in at the second home during an overlapping activity.
    let double = second.member("13900139000");
    let elsewhere = second.activity("2026-07-11T07:00:00Z", 2, false);
    second.checkin(&double, &elsewhere, "2026-07-11T07:05:00Z", "qr", true);
    assert_eq!(fixture.push(&first, 1, 0).await.0, StatusCode::OK);
    assert_eq!(fixture.push(&second, 1, 0).await.0, StatusCode::OK);

    let evaluation = fixture.evaluation(2026).await;
    let at_first = flags(&evaluation, &first.id);
    assert!(at_first.iter().any(|f| f.contains("补录")), "{at_first:?}");
    assert!(at_first.iter().any(|f| f.contains("时钟")), "{at_first:?}");
    assert!(
        at_first.iter().any(|f| f.contains("同一时间")),
        "{at_first:?}"
    );
    assert!(
        !at_first.iter().any(|f| f.contains("没有同步")),
        "{at_first:?}"
    );
    let at_second = flags(&evaluation, &second.id);
    assert!(
        at_second.iter().any(|f| f.contains("同一时间")),
        "{at_second:?}"
    );
    assert!(
        !at_second.iter().any(|f| f.contains("补录")),
        "{at_second:?}"
    );
    // Enrolled but never pushed.
    assert!(
        flags(&evaluation, &quiet.id)
            .iter()
            .any(|f| f.contains("没有同步"))
    );

    // A month later without a push, the first home is silent too.
    fixture
        .clock
        .set("2026-08-15T04:00:00Z".parse().expect("later"));
    fixture.log_in().await;
    let later = fixture.evaluation(2026).await;
    assert!(
        flags(&later, &first.id)
            .iter()
            .any(|f| f.contains("没有同步"))
    );
}

#[tokio::test]
async fn a_decision_and_a_notice_come_back_in_the_next_push_answer() {
    let fixture = fixture().await;
    let mut home = fixture.home("赫山区科技工作者之家", 1).await;
    let activity = home.activity("2026-07-20T06:00:00Z", 2, false);
    assert_eq!(fixture.push(&home, 1, 0).await.0, StatusCode::OK);

    let (status, decision) = fixture
        .send(
            "POST",
            &format!("/api/v1/homes/{}/decisions", home.id),
            Some(json!({ "activity_id": activity, "approved": true, "comment": "同意备案" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{decision}");
    let filing = fixture
        .count("SELECT count(*) FROM activities WHERE filing = 'approved'")
        .await;
    assert_eq!(
        filing, 1,
        "the hub's copy of the filing follows its decision"
    );

    let (status, unknown) = fixture
        .send(
            "POST",
            &format!("/api/v1/homes/{}/decisions", home.id),
            Some(json!({ "activity_id": "nope", "approved": false, "comment": "不存在" })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    // A rejection says what to correct, on the API as on the page.
    let (status, silent) = fixture
        .send(
            "POST",
            &format!("/api/v1/homes/{}/decisions", home.id),
            Some(json!({ "activity_id": "nope", "approved": false, "comment": " " })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{silent}");
    assert!(silent["error"].as_str().is_some_and(|e| e.contains("驳回")));

    let (status, notice) = fixture
        .send(
            "POST",
            "/api/v1/notices",
            Some(json!({ "title": "年度考核", "body": "请于 12 月底前完成自评。" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{notice}");
    let (status, empty) = fixture
        .send(
            "POST",
            "/api/v1/notices",
            Some(json!({ "title": " ", "body": "x" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{empty}");

    // A poll (no new changes) brings both back.
    let (status, answer) = fixture
        .push_raw(&home.id, &home.key, &home.log[0].hash, Vec::new(), 0)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["acked_seq"], 1);
    assert_eq!(answer["decisions"][0]["activity_id"], activity.as_str());
    assert_eq!(answer["decisions"][0]["approved"], true);
    assert_eq!(answer["decisions"][0]["comment"], "同意备案");
    assert_eq!(answer["notices"][0]["title"], "年度考核");
    let seq = answer["notices"][0]["seq"].as_i64().expect("seq");

    // A home that has the notice is not sent it again.
    let (_, answer) = fixture.push(&home, 1, seq).await;
    assert_eq!(answer["notices"], json!([]));
    assert_eq!(answer["decisions"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_hub_database_holds_phone_hashes_never_phone_numbers() {
    let fixture = fixture().await;
    let mut home = fixture.home("赫山区科技工作者之家", 1).await;
    let member = home.member(PHONE);
    let activity = home.activity("2026-07-10T01:00:00Z", 2, false);
    home.checkin(&member, &activity, "2026-07-10T01:05:00Z", "qr", true);
    assert_eq!(fixture.push(&home, 1, 0).await.0, StatusCode::OK);
    // Erasure: the member stays a counted participant, without personal data.
    home.append(
        Record::Member {
            id: member,
            status: "erased".into(),
            consent_share: false,
            personal_hash: String::new(),
        },
        None,
    );
    assert_eq!(fixture.push(&home, 1, 0).await.0, StatusCode::OK);
    assert_eq!(
        fixture
            .count("SELECT count(*) FROM members WHERE name IS NULL AND employer IS NULL AND phone_hash IS NULL")
            .await,
        1
    );

    let mut bytes = Vec::new();
    for file in std::fs::read_dir(fixture.dir.path()).expect("dir") {
        let path = file.expect("entry").path();
        if path.is_file() {
            bytes.extend(std::fs::read(path).expect("read"));
        }
    }
    assert!(!bytes.is_empty());
    let digits = PHONE.as_bytes();
    assert!(
        !bytes.windows(digits.len()).any(|w| w == digits),
        "the phone number reached the hub's files"
    );
}

#[tokio::test]
async fn the_associations_thresholds_set_the_suggestion_and_the_flags() {
    let run = |raw: RawConfig| async move {
        let fixture = fixture_with(raw).await;
        let mut home = fixture.home("桃江县科技工作者之家", 4).await;
        // One qualifying activity a month so far, four of its ten participants typed in.
        let people: Vec<String> = (0..10)
            .map(|i| home.member(&format!("1390013901{i}")))
            .collect();
        for month in 1..=7 {
            let start = format!("2026-{month:02}-08T02:00:00Z");
            let activity = home.activity(&start, 2, false);
            for (i, member) in people.iter().enumerate() {
                let method = if i < 4 { "manual" } else { "qr" };
                home.checkin(member, &activity, &start, method, true);
            }
        }
        assert_eq!(fixture.push(&home, 1, 0).await.0, StatusCode::OK);
        let evaluation = fixture.evaluation(2026).await;
        let entry = entry(&evaluation, &home.id).clone();
        (
            entry["suggested_rating"].as_str().map(str::to_owned),
            flags(&evaluation, &home.id),
        )
    };
    let (usual, usual_flags) = run(RawConfig::default()).await;
    assert_eq!(usual.as_deref(), Some("合格"));
    assert_eq!(
        usual_flags.iter().filter(|f| f.contains("补录")).count(),
        7,
        "{usual_flags:?}"
    );
    let mut own = RawConfig::default();
    own.evaluation.excellent_qualifying = 7;
    own.evaluation.manual_percent = 40;
    let (lenient, lenient_flags) = run(own).await;
    assert_eq!(lenient.as_deref(), Some("优秀"));
    assert!(
        !lenient_flags.iter().any(|f| f.contains("补录")),
        "{lenient_flags:?}"
    );
}

/// Phone hashes at the hub and the refusals table's bounds (issue 13).
mod privacy;
