//! The home's side of sync: enrolment with the hub, and pushing the change log in signed
//! batches from the acknowledged cursor, taking back filing decisions and notices.
//!
//! A push is idempotent at the hub (upsert by id, a repeated batch changes nothing), so every
//! failure is handled the same way: keep the cursor, try again later.
//!
//! A push is prepared through the store (`batch`), sent over HTTP (`transport`), and what
//! follows the hub's answer is decided by a pure function (`plan`: ack, halt, resume or
//! fail); `run` ties them together and backs off.

mod batch;
mod plan;
mod run;
mod transport;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::Connection;
use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use run::{backoff, run};
use transport::Transport;

use crate::clock::Clock;
use crate::domain::compliance::AwardMonth;
use crate::domain::home::HomeProfile;
use crate::store::changelog;
use crate::store::restored::{self, Halt, HaltKind};
use crate::store::sync_state::{self, Enrolment};
use crate::store::{Store, StoreError, home_profile, phone_hashes};
use crate::wire::chain::HomeKey;
use crate::wire::phone::{self, PhoneHashError};
use crate::wire::{EnrollAnswer, EnrollRequest};

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
    /// No connection was made: the hub cannot have seen the request.
    #[error("无法连接科协平台：{0}")]
    Unreachable(String),
    #[error("科协平台的回答无法识别：{0}")]
    BadAnswer(String),
    /// The hub's answer could not be read.
    #[error("科协平台的回答无法识别：{0}")]
    Unreadable(#[source] reqwest::Error),
    /// The HTTP client could not be made. Classed as `Network` was before it kept its cause.
    #[error("无法连接科协平台：{0}")]
    Client(#[source] reqwest::Error),
    /// The batch could not be written as JSON (said as the store's commit failure it was
    /// reported as before it kept its cause).
    #[error("could not commit to the database: {0}")]
    Encode(#[source] serde_json::Error),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("无法生成密钥：{0}")]
    Key(String),
    #[error("无法计算手机号哈希：{0}")]
    PhoneHash(#[from] PhoneHashError),
    /// The task computing phone hashes did not finish (said as the phone hash failure it was
    /// reported as before it kept its cause).
    #[error("无法计算手机号哈希：argon2 refused the phone hash: {0}")]
    HashTask(#[source] tokio::task::JoinError),
    /// Pushing stopped: the hub holds changes this home does not (see `store::restored`).
    #[error(
        "pushing is stopped: {english} (hub holds changes up to {hub_seq}, this home can vouch for up to {local_seq}). See firmware-notes/troubleshooting.md, \"The home is behind the hub\""
    )]
    Halted {
        english: &'static str,
        hub_seq: i64,
        local_seq: i64,
    },
}

impl SyncError {
    /// Worth trying again soon (the network, a busy hub), as opposed to a refusal a person
    /// must look at.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Network(_)
                | Self::Unreachable(_)
                | Self::BadAnswer(_)
                | Self::Unreadable(_)
                | Self::Client(_)
        )
    }

    /// Whether the hub may have acted on the request although this failed (an answer lost or
    /// not understood). Then what the home keeps (the enrolment seed) must stay, so that a
    /// retry presents the same key.
    pub fn hub_may_have_acted(&self) -> bool {
        matches!(
            self,
            Self::Network(_) | Self::BadAnswer(_) | Self::Unreadable(_) | Self::Client(_)
        )
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

/// How long a command waits for the database to close cleanly on its way out.
const CLOSE_PATIENCE: Duration = Duration::from_secs(5);

/// Runs a command of the home's data folder (`kejia enroll`, `kejia sync`) on its store, and
/// closes the store after. If the folder did not exist and the command fails, the folder it
/// made is removed again: a mistyped `--data` or an unreachable hub must not leave an empty
/// home behind that a later `kejia serve` would take for this home. Kept are a folder that
/// existed before, and one whose enrolment the hub may have taken although its answer was
/// lost (the seed in it lets a retry present the same key).
pub async fn in_data_folder<T>(
    data: &Path,
    command: impl AsyncFnOnce(Store) -> Result<T, SyncError>,
) -> Result<T, SyncError> {
    let made = first_missing(data);
    let outcome = match Store::open(data) {
        Ok(store) => {
            let outcome = command(store.clone()).await;
            // The writer stops only when every handle is gone; the command dropped its own.
            store.close(CLOSE_PATIENCE);
            outcome
        }
        Err(error) => Err(error.into()),
    };
    if let (Err(failure), Some(made)) = (&outcome, made)
        && !failure.hub_may_have_acted()
        && let Err(error) = std::fs::remove_dir_all(&made)
    {
        tracing::debug!(%error, "could not remove the data folder made for a failed command");
    }
    outcome
}

/// The outermost folder of `path` that does not exist yet: what creating `path` would make.
fn first_missing(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .take_while(|folder| !folder.as_os_str().is_empty() && !folder.exists())
        .last()
        .map(Path::to_path_buf)
}

#[derive(Clone)]
pub struct SyncClient {
    transport: Transport,
    store: Store,
    clock: Arc<dyn Clock>,
}

impl SyncClient {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Result<Self, SyncError> {
        Ok(Self {
            transport: Transport::new()?,
            store,
            clock,
        })
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
        // presents the same key and the hub answers again, however the code was typed.
        let code = crate::hub::enrol_code::normalize(code);
        let code = code.as_str();
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
        let answer = self.transport.enroll(&hub_url, &request).await?;
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
        let from_hub = answer.clone();
        self.store
            .write(move |conn| {
                sync_state::enrol(conn, &enrolment, now)?;
                take_details_from_hub(conn, &from_hub, now)
            })
            .await?;
        Ok(answer)
    }

    /// Computes the phone hashes the home does not keep yet (all of them after an upgrade or
    /// enrolment, then one per new or changed number), a few at a time off the async threads,
    /// keeping each chunk, so an interrupted backfill resumes where it stopped.
    pub async fn hash_phones(&self) -> Result<usize, SyncError> {
        const CHUNK: usize = 16;
        let mut hashed = 0;
        loop {
            let pending = self
                .store
                .read(|conn| {
                    let Some(enrolment) = sync_state::enrolment(conn)? else {
                        return Ok(None);
                    };
                    Ok(Some((
                        enrolment.phone_key,
                        phone_hashes::unhashed(conn, CHUNK)?,
                    )))
                })
                .await?;
            let Some((key, pending)) = pending.filter(|(_, p)| !p.is_empty()) else {
                return Ok(hashed);
            };
            if hashed == 0 && pending.len() == CHUNK {
                tracing::info!("computing the phone hashes the hub receives (slow on purpose)");
            }
            let count = pending.len();
            let done = tokio::task::spawn_blocking(move || {
                pending
                    .into_iter()
                    .map(|(member, number)| {
                        let hash = phone::phone_hash(&key, &number)?;
                        Ok((member, number, hash))
                    })
                    .collect::<Result<Vec<_>, PhoneHashError>>()
            })
            .await
            .map_err(SyncError::HashTask)??;
            self.store
                .write(move |conn| phone_hashes::keep(conn, &done))
                .await?;
            hashed += count;
        }
    }
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
    /// Pushing stopped because the hub holds changes this home does not (restored from an
    /// older backup, say); nothing is sent until a technician acts.
    pub push_stopped: bool,
    /// `behind` (the hub holds more than this home) or `diverged` (it holds other changes).
    pub push_stopped_reason: Option<String>,
    /// What the staffer reads about it (Chinese).
    pub push_stopped_message: Option<String>,
    /// The last change the hub said it holds, when pushing stopped.
    pub hub_seq: Option<i64>,
    /// When this database was put in place by `kejia restore`, until the hub is seen to hold
    /// no more than the backup did.
    pub restored_at: Option<Timestamp>,
}

/// What the staffer reads when pushing stopped.
pub fn halt_message(halt: &Halt, restored_from_backup: bool) -> String {
    let keep_going = "为免与市科协的记录冲突，本机已停止向市科协上传（签到照常进行，记录保存在本机）。请联系技术人员按装机手册 troubleshooting.md 中“The home is behind the hub”一节处理。";
    match halt.kind {
        HaltKind::Behind => format!(
            "{}：市科协已收到第 {} 条记录，本机只有到第 {} 条。{keep_going}",
            if restored_from_backup {
                "本机数据是从备份恢复的，比市科协已收到的记录旧"
            } else {
                "本机数据比市科协已收到的记录旧（可能是从较早的备份恢复的）"
            },
            halt.hub_seq,
            halt.local_seq
        ),
        HaltKind::Diverged => format!(
            "本机记录与市科协已收到的记录不一致（从第 {} 条起；市科协已收到第 {} 条）。{keep_going}",
            halt.local_seq + 1,
            halt.hub_seq
        ),
    }
}

pub fn status(conn: &Connection) -> Result<SyncStatus, StoreError> {
    let enrolment = sync_state::enrolment(conn)?;
    let health = sync_state::health(conn)?;
    let last_seq = changelog::last_seq(conn)?;
    let acked_seq = enrolment.as_ref().map_or(0, |e| e.acked_seq);
    let halt = restored::halted(conn)?;
    let marker = restored::marker(conn)?;
    Ok(SyncStatus {
        push_stopped: halt.is_some(),
        push_stopped_reason: halt.as_ref().map(|h| h.kind.as_str().to_owned()),
        push_stopped_message: halt.as_ref().map(|h| halt_message(h, marker.is_some())),
        hub_seq: halt.as_ref().map(|h| h.hub_seq),
        restored_at: marker.map(|m| m.restored_at),
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

/// The association's record of the home (name, host unit, award date) becomes the home's own
/// at enrolment: it is what the home is evaluated under. The phone address stays the staffer's.
fn take_details_from_hub(
    conn: &Connection,
    answer: &EnrollAnswer,
    now: Timestamp,
) -> Result<(), StoreError> {
    let saved = home_profile::get(conn)?;
    let award = answer
        .awarded_on
        .as_deref()
        .and_then(|day| day.parse::<jiff::civil::Date>().ok())
        .map(|day| AwardMonth {
            year: day.year(),
            month: day.month(),
        });
    let profile = HomeProfile {
        name: answer.home_name.clone(),
        host_unit: answer
            .host_unit
            .clone()
            .or_else(|| saved.as_ref().and_then(|p| p.host_unit.clone())),
        award: award.or_else(|| saved.as_ref().and_then(|p| p.award)),
        phone_base: saved.and_then(|p| p.phone_base),
    };
    home_profile::put(conn, &profile, now)
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
    fn errors_keep_their_cause_and_say_what_they_said_before_they_kept_it() {
        let json = serde_json::from_str::<i64>("x").unwrap_err();
        let cause = json.to_string();
        let error = SyncError::Encode(json);
        assert_eq!(
            error.to_string(),
            format!("could not commit to the database: {cause}")
        );
        let kept = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(kept, Some(cause));
    }
}
