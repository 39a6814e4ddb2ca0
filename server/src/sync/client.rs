//! The home's side of sync: enrolment with the hub, and pushing the change log in signed
//! batches from the acknowledged cursor, taking back filing decisions and notices.
//!
//! A push is idempotent at the hub (upsert by id, a repeated batch changes nothing), so every
//! failure is handled the same way: keep the cursor, try again later.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::chain::{HomeKey, phone_key_hash};
use super::wire::{
    Batch, Change, EnrollAnswer, EnrollRequest, MAX_BATCH, Personal, Push, PushAnswer, Refusal,
};
use crate::clock::Clock;
use crate::secrets;
use crate::store::changelog::{self, Logged};
use crate::store::sync_state::{self, Enrolment};
use crate::store::{Store, StoreError};

#[derive(Debug, Error)]
pub enum SyncError {
    #[error("本馆尚未登记到科协平台，请先运行 kejia enroll")]
    NotEnrolled,
    #[error("科协平台地址无效：{0}")]
    BadUrl(String),
    #[error("科协平台拒绝了同步：{0}")]
    Refused(String),
    #[error("无法连接科协平台：{0}")]
    Network(String),
    #[error("科协平台的回答无法识别：{0}")]
    BadAnswer(String),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("无法生成密钥：{0}")]
    Key(String),
}

impl SyncError {
    /// Worth trying again soon (the network, a busy hub), as opposed to a refusal a person
    /// must look at.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Network(_) | Self::BadAnswer(_))
    }
}

/// What one push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PushReport {
    pub sent: usize,
    pub acked_seq: i64,
    /// Changes the hub does not hold yet.
    pub backlog: i64,
}

/// The hub's address: HTTPS, or plain HTTP to this machine (or when explicitly allowed for
/// testing). No trailing slash.
pub fn check_hub_url(raw: &str, allow_http: bool) -> Result<String, SyncError> {
    let url = raw.trim().trim_end_matches('/');
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', ':']).next().unwrap_or("");
        let loopback = matches!(host, "127.0.0.1" | "localhost") || rest.starts_with("[::1]");
        if !loopback && !allow_http {
            return Err(SyncError::BadUrl(
                "须使用 https://（明文 http 只允许本机地址，或测试时加 --allow-http）".into(),
            ));
        }
        rest
    } else {
        return Err(SyncError::BadUrl("须以 https:// 开头".into()));
    };
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(SyncError::BadUrl(raw.to_owned()));
    }
    Ok(url.to_owned())
}

#[derive(Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    store: Store,
    clock: Arc<dyn Clock>,
}

impl SyncClient {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Result<Self, SyncError> {
        // reqwest is built without a crypto provider; ring is the one that builds everywhere.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| SyncError::Network(e.to_string()))?;
        Ok(Self { http, store, clock })
    }

    /// Enrols this home with the hub's one-time code: makes the key pair, hands the hub its
    /// public half, keeps the answer.
    pub async fn enroll(
        &self,
        hub_url: &str,
        code: &str,
        allow_http: bool,
    ) -> Result<EnrollAnswer, SyncError> {
        let hub_url = check_hub_url(hub_url, allow_http)?;
        if self.store.read(sync_state::enrolment).await?.is_some() {
            return Err(SyncError::Refused("本馆已登记到科协平台".into()));
        }
        // The key follows from a seed kept here and the code, so a retry after a lost answer
        // presents the same key and the hub answers again.
        let seed = self.store.write(sync_state::enrol_seed).await?;
        let secret: [u8; 32] = Sha256::new()
            .chain_update(seed)
            .chain_update(code.trim().as_bytes())
            .finalize()
            .into();
        let key = HomeKey::from_secret(secret);
        let request = EnrollRequest {
            code: code.trim().to_owned(),
            public_key: key.public_hex(),
        };
        let response = self
            .http
            .post(format!("{hub_url}/api/v1/enroll"))
            .json(&request)
            .send()
            .await
            .map_err(|e| SyncError::Network(e.to_string()))?;
        if !response.status().is_success() {
            return Err(SyncError::Refused(error_text(response).await));
        }
        let answer: EnrollAnswer = response
            .json()
            .await
            .map_err(|e| SyncError::BadAnswer(e.to_string()))?;
        let phone_key: [u8; 32] = hex::decode(&answer.phone_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| SyncError::BadAnswer("phone_key".into()))?;
        let enrolment = Enrolment {
            hub_url,
            home_id: answer.home_id.clone(),
            home_name: answer.home_name.clone(),
            secret_key: secret,
            phone_key,
            acked_seq: 0,
            notices_after: 0,
        };
        let now = self.clock.now();
        self.store
            .write(move |conn| sync_state::enrol(conn, &enrolment, now))
            .await?;
        Ok(answer)
    }

    /// Pushes one batch (or, with nothing new, asks for decisions and notices).
    pub async fn push_once(&self) -> Result<PushReport, SyncError> {
        let Prepared {
            enrolment,
            push,
            sent,
            last_seq,
        } = self.store.read(prepare).await??;
        let outcome = self.send(&enrolment, &push).await;
        let now = self.clock.now();
        match outcome {
            Ok(answer) => {
                let acked = answer.acked_seq;
                self.store
                    .write(move |conn| {
                        sync_state::acknowledged(conn, acked, now)?;
                        for decision in &answer.decisions {
                            sync_state::apply_decision(conn, decision, now)?;
                        }
                        for notice in &answer.notices {
                            sync_state::add_notice(conn, notice, now)?;
                        }
                        Ok(())
                    })
                    .await?;
                Ok(PushReport {
                    sent,
                    acked_seq: acked,
                    backlog: (last_seq - acked).max(0),
                })
            }
            Err(Failure::Refused(refusal)) => {
                // The hub says where it stands: resume from there next time (a gap after the
                // hub was restored, say). A rewritten chain needs a person, and stays refused.
                let message = refusal.error.clone();
                let resume = refusal.acked_seq.min(enrolment.acked_seq);
                let text = message.clone();
                self.store
                    .write(move |conn| {
                        sync_state::resume_from(conn, resume)?;
                        sync_state::failed(conn, &text, now)
                    })
                    .await?;
                Err(SyncError::Refused(message))
            }
            Err(Failure::Other(error)) => {
                let text = error.to_string();
                self.store
                    .write(move |conn| sync_state::failed(conn, &text, now))
                    .await?;
                Err(error)
            }
        }
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

    async fn send(&self, enrolment: &Enrolment, push: &Push) -> Result<PushAnswer, Failure> {
        let response = self
            .http
            .post(format!("{}/api/v1/sync/push", enrolment.hub_url))
            .json(push)
            .send()
            .await
            .map_err(|e| Failure::Other(SyncError::Network(e.to_string())))?;
        let status = response.status();
        if status.is_success() {
            return response
                .json()
                .await
                .map_err(|e| Failure::Other(SyncError::BadAnswer(e.to_string())));
        }
        let text = response.text().await.unwrap_or_default();
        match serde_json::from_str::<Refusal>(&text) {
            Ok(refusal) => Err(Failure::Refused(refusal)),
            Err(_) if status.is_server_error() => {
                Err(Failure::Other(SyncError::Network(format!("HTTP {status}"))))
            }
            Err(_) => Err(Failure::Other(SyncError::Refused(format!(
                "HTTP {status}: {text}"
            )))),
        }
    }
}

enum Failure {
    Refused(Refusal),
    Other(SyncError),
}

/// 0.5 s, 1 s, 2 s, ... with up to a quarter of jitter, so homes that lost the hub together do
/// not come back together.
pub fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(500).saturating_mul(1 << attempt.min(10));
    let jitter = u64::from(secrets::random_bytes::<1>().map(|b| b[0]).unwrap_or(0));
    base.min(Duration::from_secs(300)) + base.min(Duration::from_secs(300)) * jitter as u32 / 1024
}

/// What the next push sends, and what it is measured against.
struct Prepared {
    enrolment: Enrolment,
    push: Push,
    /// Changes in the batch.
    sent: usize,
    /// The newest change this home holds.
    last_seq: i64,
}

/// Reads what the next push sends.
fn prepare(conn: &Connection) -> Result<Result<Prepared, SyncError>, StoreError> {
    let Some(enrolment) = sync_state::enrolment(conn)? else {
        return Ok(Err(SyncError::NotEnrolled));
    };
    let logged = changelog::after(conn, enrolment.acked_seq, MAX_BATCH)?;
    let changes = logged
        .into_iter()
        .map(|change| with_personal(conn, change, &enrolment.phone_key))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let batch = Batch {
        home_id: enrolment.home_id.clone(),
        prev_hash: changelog::hash_at(conn, enrolment.acked_seq)?,
        notices_after: enrolment.notices_after,
        changes,
    };
    let sent = batch.changes.len();
    let payload = serde_json::to_string(&batch).map_err(|e| StoreError::Commit(e.to_string()))?;
    let key = HomeKey::from_secret(enrolment.secret_key);
    let push = Push {
        home_id: enrolment.home_id.clone(),
        signature: key.sign(&payload),
        payload,
    };
    Ok(Ok(Prepared {
        last_seq: changelog::last_seq(conn)?,
        enrolment,
        push,
        sent,
    }))
}

/// A member's change carries what the hub may hold about them *now*: name and employer only
/// with the consent to share, the phone only as a keyed hash, nothing once erased.
fn with_personal(
    conn: &Connection,
    change: Logged,
    phone_key: &[u8; 32],
) -> Result<Change, StoreError> {
    let personal = if change.record.starts_with(r#"{"kind":"member""#) {
        conn.prepare_cached(
            "SELECT status, consent_share, name, employer, phone FROM members WHERE id = ?1",
        )?
        .query_row([&change.record_id], |row| {
            let status: String = row.get(0)?;
            let share: bool = row.get(1)?;
            let name: String = row.get(2)?;
            let employer: String = row.get(3)?;
            let phone: String = row.get(4)?;
            Ok((status != "erased").then(|| Personal {
                name: share.then_some(name),
                employer: share.then_some(employer),
                phone_hash: phone_key_hash(phone_key, &phone),
            }))
        })
        .optional()?
        .flatten()
    } else {
        None
    };
    Ok(Change {
        seq: change.seq,
        hash: change.hash,
        record: change.record,
        personal,
    })
}

async fn error_text(response: reqwest::Response) -> String {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("HTTP {status}"))
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

/// What the staffer and `GET /api/v1/sync/status` see.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub hub_url: Option<String>,
    pub home_id: Option<String>,
    pub acked_seq: i64,
    pub last_seq: i64,
    pub backlog: i64,
    pub last_attempt: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_error: Option<String>,
}

pub fn status(conn: &Connection) -> Result<SyncStatus, StoreError> {
    let enrolment = sync_state::enrolment(conn)?;
    let health = sync_state::health(conn)?;
    let last_seq = changelog::last_seq(conn)?;
    let acked_seq = enrolment.as_ref().map_or(0, |e| e.acked_seq);
    Ok(SyncStatus {
        enrolled: enrolment.is_some(),
        hub_url: enrolment.as_ref().map(|e| e.hub_url.clone()),
        home_id: enrolment.as_ref().map(|e| e.home_id.clone()),
        acked_seq,
        last_seq,
        backlog: last_seq - acked_seq,
        last_attempt: health.last_attempt,
        last_success: health.last_success,
        last_error: health.last_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine_or_when_allowed() {
        assert_eq!(
            check_hub_url("https://hub.example.cn/", false).unwrap(),
            "https://hub.example.cn"
        );
        assert!(check_hub_url("http://127.0.0.1:8090", false).is_ok());
        assert!(check_hub_url("http://localhost:8090", false).is_ok());
        assert!(check_hub_url("http://[::1]:8090", false).is_ok());
        assert!(check_hub_url("http://192.168.1.9:8090", false).is_err());
        assert!(check_hub_url("http://192.168.1.9:8090", true).is_ok());
        assert!(check_hub_url("ftp://hub", true).is_err());
        assert!(check_hub_url("https://", false).is_err());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) >= Duration::from_secs(1) && backoff(1) < Duration::from_millis(1300));
        assert!(backoff(30) <= Duration::from_secs(375));
    }
}
