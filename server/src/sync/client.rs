//! The home's side of sync: enrolment with the hub, and pushing the change log in signed
//! batches from the acknowledged cursor, taking back filing decisions and notices.
//!
//! A push is idempotent at the hub (upsert by id, a repeated batch changes nothing), so every
//! failure is handled the same way: keep the cursor, try again later.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::clock::Clock;
use crate::domain::compliance::AwardMonth;
use crate::domain::home::HomeProfile;
use crate::secrets;
use crate::store::changelog::{self, Logged};
use crate::store::restored::{self, Halt, HaltKind};
use crate::store::sync_state::{self, Enrolment};
use crate::store::{Store, StoreError};
use crate::store::{home_profile, phone_hashes};
use crate::wire::chain::HomeKey;
use crate::wire::phone::{self, PHONE_HASH_KIND, PhoneHashError};
use crate::wire::{
    Batch, Change, EnrollAnswer, EnrollRequest, MAX_BATCH, MemberPhoneHash, Personal, Push,
    PushAnswer, Refusal,
};

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
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("无法生成密钥：{0}")]
    Key(String),
    #[error("无法计算手机号哈希：{0}")]
    PhoneHash(#[from] PhoneHashError),
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
            Self::Network(_) | Self::Unreachable(_) | Self::BadAnswer(_)
        )
    }

    /// Whether the hub may have acted on the request although this failed (an answer lost or
    /// not understood). Then what the home keeps (the enrolment seed) must stay, so that a
    /// retry presents the same key.
    pub fn hub_may_have_acted(&self) -> bool {
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

/// A request that got no answer, said in words a staffer can act on.
fn unreachable(hub_url: &str, error: &reqwest::Error) -> SyncError {
    if error.is_connect() {
        return SyncError::Unreachable(format!(
            "{hub_url} 连接不上：请检查地址和网络，或确认平台正在运行"
        ));
    }
    let reason = if error.is_timeout() {
        "没有及时回答，请稍后再试".to_owned()
    } else {
        error.to_string()
    };
    SyncError::Network(format!("{hub_url} {reason}"))
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
        let response = self
            .http
            .post(format!("{hub_url}/api/v1/enroll"))
            .json(&request)
            .send()
            .await
            .map_err(|e| unreachable(&hub_url, &e))?;
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
            .map_err(|e| PhoneHashError::Argon2(e.to_string()))??;
            self.store
                .write(move |conn| phone_hashes::keep(conn, &done))
                .await?;
            hashed += count;
        }
    }

    /// Pushes one batch (or, with nothing new, asks for decisions and notices).
    pub async fn push_once(&self) -> Result<PushReport, SyncError> {
        self.hash_phones().await?;
        let Prepared {
            enrolment,
            push,
            sent,
            last_seq,
            frontier,
            sent_up_to,
            restored_up_to,
            phone_hashes,
        } = self.store.read(prepare).await??;
        let outcome = self.send(&enrolment, &push).await;
        let now = self.clock.now();
        let frontier = match &outcome {
            Ok(answer) if answer.acked_seq > frontier => {
                frontier.max(self.store.read(frontier_now).await?)
            }
            _ => frontier,
        };
        match outcome {
            Ok(answer) if answer.acked_seq > frontier => {
                // The hub holds changes this home cannot vouch for: restored from a backup
                // older than what the hub received. What was sent was taken as the hub's own
                // (the hub checked it against its chain); nothing newer may follow.
                let halt = Halt {
                    kind: HaltKind::Behind,
                    hub_seq: answer.acked_seq,
                    local_seq: frontier,
                    detected_at: now,
                };
                self.stop_pushing(halt, sent_up_to, &answer).await
            }
            Ok(answer) => {
                let acked = answer.acked_seq;
                self.store
                    .write(move |conn| {
                        sync_state::acknowledged(conn, acked, now)?;
                        phone_hashes::announced(conn, &phone_hashes)?;
                        if restored_up_to.is_some_and(|seq| acked >= seq) {
                            // The hub holds exactly what the backup held: carry on as before.
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
                Ok(PushReport {
                    sent,
                    acked_seq: acked,
                    backlog: (last_seq - acked).max(0),
                })
            }
            Err(Failure::Refused(refusal))
                if refusal.acked_seq > enrolment.acked_seq.min(last_seq) =>
            {
                // Not a gap (the hub would stand before this home's cursor) but a clash: the
                // hub holds changes after this home's cursor that differ from this home's,
                // or more than this home has. Sending again would only be refused again.
                let kind = if refusal.acked_seq > frontier {
                    HaltKind::Behind
                } else {
                    HaltKind::Diverged
                };
                let halt = Halt {
                    kind,
                    hub_seq: refusal.acked_seq,
                    local_seq: enrolment.acked_seq.min(last_seq),
                    detected_at: now,
                };
                tracing::warn!(hub = %refusal.error, "the hub refused a push that clashes with what it holds");
                let answer = PushAnswer {
                    acked_seq: refusal.acked_seq,
                    decisions: Vec::new(),
                    notices: Vec::new(),
                };
                self.stop_pushing(halt, enrolment.acked_seq.min(last_seq), &answer)
                    .await
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

    /// Records that pushing stopped (and the decisions and notices that came anyway), and
    /// answers with the reason. `cursor` is how far the hub is known to hold this home's own
    /// changes.
    async fn stop_pushing(
        &self,
        halt: Halt,
        cursor: i64,
        answer: &PushAnswer,
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
        let (decisions, notices) = (answer.decisions.clone(), answer.notices.clone());
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

    async fn send(&self, enrolment: &Enrolment, push: &Push) -> Result<PushAnswer, Failure> {
        let response = self
            .http
            .post(format!("{}/api/v1/sync/push", enrolment.hub_url))
            .json(push)
            .send()
            .await
            .map_err(|e| Failure::Other(unreachable(&enrolment.hub_url, &e)))?;
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
    /// The newest change this home may send: its own log's end, or (restored, until the hub is
    /// seen to hold no more) the backup's, or (pushing stopped) the cursor.
    frontier: i64,
    /// The newest change in the batch (the cursor if none).
    sent_up_to: i64,
    /// The backup's last change, while the restore marker stands.
    restored_up_to: Option<i64>,
    /// Every (member, phone hash) the batch carries, to mark as announced once acknowledged.
    phone_hashes: Vec<(String, String)>,
}

/// Reads what the next push sends.
fn prepare(conn: &Connection) -> Result<Result<Prepared, SyncError>, StoreError> {
    let Some(enrolment) = sync_state::enrolment(conn)? else {
        return Ok(Err(SyncError::NotEnrolled));
    };
    let last_seq = changelog::last_seq(conn)?;
    // A cursor past the log's end (a folder copied back by hand after the hub acknowledged
    // more) starts from the end: the hub's answer then shows it is ahead.
    let cursor = enrolment.acked_seq.min(last_seq);
    let marker = restored::marker(conn)?;
    let frontier = frontier(conn, cursor, last_seq)?;
    let logged = changelog::after(conn, cursor, MAX_BATCH)?;
    let mut phone_hashes = Vec::new();
    let mut changes = Vec::new();
    for change in logged.into_iter().filter(|change| change.seq <= frontier) {
        let member = change.record_id.clone();
        let change = match with_personal(conn, change, &enrolment.phone_key)? {
            Ok(change) => change,
            Err(error) => return Ok(Err(error.into())),
        };
        if let Some(personal) = &change.personal {
            phone_hashes.push((member, personal.phone_hash.clone()));
        }
        changes.push(change);
    }
    let sent_up_to = changes.last().map_or(cursor, |c| c.seq);
    // Hashes the hub has not acknowledged (members synced before it kept this kind); not while
    // pushing is stopped, when nothing but a poll goes out.
    let unannounced = if restored::halted(conn)?.is_some() {
        Vec::new()
    } else {
        phone_hashes::unannounced(conn, MAX_BATCH)?
    };
    phone_hashes.extend(unannounced.iter().cloned());
    let batch = Batch {
        home_id: enrolment.home_id.clone(),
        prev_hash: changelog::hash_at(conn, cursor)?,
        notices_after: enrolment.notices_after,
        changes,
        phone_hash_kind: Some(PHONE_HASH_KIND.to_owned()),
        phone_hashes: unannounced
            .into_iter()
            .map(|(member_id, phone_hash)| MemberPhoneHash {
                member_id,
                phone_hash,
            })
            .collect(),
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
        last_seq,
        frontier,
        sent_up_to,
        restored_up_to: marker.map(|m| m.last_seq),
        phone_hashes,
        enrolment,
        push,
        sent,
    }))
}

/// The newest change this home may send from `cursor`: its log's end, or, while the restore
/// marker stands, the backup's end, or, once pushing stopped, nothing past the cursor.
fn frontier(conn: &Connection, cursor: i64, last_seq: i64) -> Result<i64, StoreError> {
    Ok(if restored::halted(conn)?.is_some() {
        cursor
    } else if let Some(marker) = restored::marker(conn)? {
        marker.last_seq.clamp(cursor, last_seq)
    } else {
        last_seq
    })
}

/// The frontier as it stands now (another pusher on this database may have moved it since a
/// batch was prepared: `kejia sync` beside the running home).
fn frontier_now(conn: &Connection) -> Result<i64, StoreError> {
    let last_seq = changelog::last_seq(conn)?;
    let cursor = sync_state::enrolment(conn)?.map_or(0, |e| e.acked_seq.min(last_seq));
    frontier(conn, cursor, last_seq)
}

/// A member's change carries what the hub may hold about them *now*: name and employer only
/// with the consent to share, the phone only as its slow keyed hash (the kept one; computed
/// here only for a number changed since [`SyncClient::hash_phones`] ran), nothing once erased.
fn with_personal(
    conn: &Connection,
    change: Logged,
    phone_key: &[u8; 32],
) -> Result<Result<Change, PhoneHashError>, StoreError> {
    let member = if change.record.starts_with(r#"{"kind":"member""#) {
        conn.prepare_cached(
            "SELECT status, consent_share, name, employer, phone FROM members WHERE id = ?1",
        )?
        .query_row([&change.record_id], |row| {
            let status: String = row.get(0)?;
            let share: bool = row.get(1)?;
            let name: String = row.get(2)?;
            let employer: String = row.get(3)?;
            let phone: String = row.get(4)?;
            Ok((status != "erased").then_some((share, name, employer, phone)))
        })
        .optional()?
        .flatten()
    } else {
        None
    };
    let personal = match member {
        Some((share, name, employer, number)) => {
            let phone_hash = match phone_hashes::kept(conn, &change.record_id)? {
                Some(hash) => hash,
                None => match phone::phone_hash(phone_key, &number) {
                    Ok(hash) => hash,
                    Err(error) => return Ok(Err(error)),
                },
            };
            Some(Personal {
                name: share.then_some(name),
                employer: share.then_some(employer),
                phone_hash,
            })
        }
        None => None,
    };
    Ok(Ok(Change {
        seq: change.seq,
        hash: change.hash,
        record: change.record,
        personal,
    }))
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
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) >= Duration::from_secs(1) && backoff(1) < Duration::from_millis(1300));
        assert!(backoff(30) <= Duration::from_secs(375));
    }
}
