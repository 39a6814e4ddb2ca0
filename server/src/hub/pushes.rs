//! A home's push, taken in: the signature and the batch checked (`ingest`), then verified
//! against what the hub holds and stored in one write, answered with the hub's cursor, the
//! home's filing decisions and the notices it has not seen. A refusal that may be tampering is
//! recorded for the association (counted, not logged line by line, when they flood).

use jiff::Timestamp;

use super::ingest::{self, Unopened, Verdict};
use super::store as hub;
use crate::store::{Store, StoreError};
use crate::wire::phone::PHONE_HASH_KIND;
use crate::wire::{MAX_BATCH, Push, PushAnswer};

/// Why a push was refused; the face says it with a status.
#[derive(Debug, thiserror::Error)]
pub enum PushRefused {
    /// Not the home's to send: unknown home, or a bad signature.
    #[error("{0}")]
    Forbidden(String),
    /// Not a batch this hub can read (the home's software is at fault).
    #[error("{0}")]
    Malformed(String),
    /// The batch does not follow what the hub holds; `acked` is the hub's cursor.
    #[error("{reason}")]
    OutOfStep { reason: String, acked: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Takes in `push`, or says why not (and records a refusal the association must see).
pub async fn take_in(store: &Store, now: Timestamp, push: Push) -> Result<PushAnswer, PushRefused> {
    let home = push.home_id.clone();
    let lookup = home.clone();
    let key = store
        .read(move |conn| hub::public_key(conn, &lookup))
        .await?;
    let Some(key) = key else {
        return Err(PushRefused::Forbidden("未登记的科技工作者之家".into()));
    };
    let batch = match ingest::open(&push, &key) {
        Ok(batch) => batch,
        Err(Unopened::BadSignature) => {
            let reason = "签名无效".to_owned();
            record_refusal(store, now, &home, &reason).await;
            return Err(PushRefused::Forbidden(reason));
        }
        Err(Unopened::Malformed(e)) => {
            return Err(PushRefused::Malformed(format!("批次格式有误：{e}")));
        }
        Err(Unopened::WrongHome) => {
            return Err(PushRefused::Malformed("批次与签名的家不一致".into()));
        }
        Err(Unopened::BadPhoneHash { seq }) => {
            // Signed by the home: its software sends what the hub must never hold (a phone
            // number, say). The association must see it; the text names no value.
            let reason = Unopened::phone_hash_message(seq);
            record_refusal(store, now, &home, &reason).await;
            return Err(PushRefused::Malformed(reason));
        }
        Err(Unopened::TooLarge { changes }) => {
            return Err(PushRefused::Malformed(format!(
                "一个批次最多 {MAX_BATCH} 条记录，收到 {changes} 条"
            )));
        }
    };
    let notices_after = batch.notices_after;
    let phone_hashes_kept = batch.phone_hash_kind.as_deref() == Some(PHONE_HASH_KIND);
    if !phone_hashes_kept && batch.changes.iter().any(|c| c.personal.is_some()) {
        tracing::warn!(home = %home, "a home of an older kejia sent fast phone hashes; they are not kept");
    }
    let writer_home = home.clone();
    // Verified and stored in one write, so two pushes of the same home cannot interleave.
    let outcome = store
        .write(move |conn| {
            let acked = hub::acked(conn, &writer_home)?;
            let verdict = ingest::verify(&batch, acked, |seq| {
                hub::hash_at(conn, &writer_home, seq).ok().flatten()
            });
            match verdict {
                Verdict::Accept(fresh) => {
                    hub::take_in(conn, &writer_home, &fresh, phone_hashes_kept, now)?;
                    if phone_hashes_kept {
                        hub::set_phone_hashes(conn, &writer_home, &batch.phone_hashes)?;
                    }
                    let answer = PushAnswer {
                        acked_seq: hub::acked(conn, &writer_home)?,
                        decisions: hub::decisions(conn, &writer_home)?,
                        notices: hub::notices_after(conn, notices_after)?,
                    };
                    Ok(Ok(answer))
                }
                Verdict::Refuse(rejection) => Ok(Err((rejection, acked))),
            }
        })
        .await?;
    match outcome {
        Ok(answer) => Ok(answer),
        Err((rejection, acked)) => {
            let reason = rejection.message();
            if rejection.is_tampering() {
                record_refusal(store, now, &home, &reason).await;
            }
            Err(PushRefused::OutOfStep { reason, acked })
        }
    }
}

/// Keeps a refusal for the association's refusals page; a flood is counted, not logged line by
/// line. A refusal that cannot be kept is still answered.
async fn record_refusal(store: &Store, now: Timestamp, home: &str, reason: &str) {
    let (kept_home, text) = (home.to_owned(), reason.to_owned());
    let recorded = store
        .write(move |conn| hub::refuse(conn, Some(&kept_home), &text, now))
        .await;
    if !matches!(recorded, Ok(hub::Recorded::Counted)) {
        tracing::warn!(%home, %reason, "push refused");
    }
}
