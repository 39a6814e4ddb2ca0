//! The next batch: read through the store, what of each member the hub may hold, signed.

use rusqlite::Connection;

use super::SyncError;
use super::plan::{self, Sent};
use crate::store::StoreError;
use crate::store::changelog::{self, Logged};
use crate::store::sync_state::{self, Enrolment};
use crate::store::{members, phone_hashes, restored};
use crate::wire::chain::HomeKey;
use crate::wire::phone::{self, PHONE_HASH_KIND, PhoneHashError};
use crate::wire::{Batch, Change, MAX_BATCH, MemberPhoneHash, Personal, Push};

/// What the next push sends, and what it is measured against.
pub struct Prepared {
    pub enrolment: Enrolment,
    pub push: Push,
    pub sent: Sent,
    /// Every (member, phone hash) the batch carries, to mark as announced once acknowledged.
    pub phone_hashes: Vec<(String, String)>,
}

/// Reads what the next push sends.
pub fn prepare(conn: &Connection) -> Result<Result<Prepared, SyncError>, StoreError> {
    let Some(enrolment) = sync_state::enrolment(conn)? else {
        return Ok(Err(SyncError::NotEnrolled));
    };
    let last_seq = changelog::last_seq(conn)?;
    // A cursor past the log's end (a folder copied back by hand after the hub acknowledged
    // more) starts from the end: the hub's answer then shows it is ahead.
    let cursor = enrolment.acked_seq.min(last_seq);
    let halted = restored::halted(conn)?.is_some();
    let restored_up_to = restored::marker(conn)?.map(|m| m.last_seq);
    let frontier = plan::frontier(cursor, last_seq, halted, restored_up_to);
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
    let unannounced = if halted {
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
    let count = batch.changes.len();
    let payload = match serde_json::to_string(&batch) {
        Ok(payload) => payload,
        Err(error) => return Ok(Err(SyncError::Encode(error))),
    };
    let key = HomeKey::from_secret(enrolment.secret_key);
    let push = Push {
        home_id: enrolment.home_id.clone(),
        signature: key.sign(&payload),
        payload,
    };
    Ok(Ok(Prepared {
        sent: Sent {
            count,
            acked_seq: enrolment.acked_seq,
            last_seq,
            frontier,
            sent_up_to,
            restored_up_to,
        },
        phone_hashes,
        enrolment,
        push,
    }))
}

/// The frontier as it stands now (another pusher on this database may have moved it since a
/// batch was prepared: `kejia sync` beside the running home).
pub fn frontier_now(conn: &Connection) -> Result<i64, StoreError> {
    let last_seq = changelog::last_seq(conn)?;
    let cursor = sync_state::enrolment(conn)?.map_or(0, |e| e.acked_seq.min(last_seq));
    let halted = restored::halted(conn)?.is_some();
    let restored_up_to = restored::marker(conn)?.map(|m| m.last_seq);
    Ok(plan::frontier(cursor, last_seq, halted, restored_up_to))
}

/// A member's change carries what the hub may hold about them *now*: name and employer only
/// with the consent to share, the phone only as its slow keyed hash (the kept one; computed
/// here only for a number changed since [`super::SyncClient::hash_phones`] ran), nothing once
/// erased.
fn with_personal(
    conn: &Connection,
    change: Logged,
    phone_key: &[u8; 32],
) -> Result<Result<Change, PhoneHashError>, StoreError> {
    let member = if change.record.starts_with(r#"{"kind":"member""#) {
        members::personal_data(conn, &change.record_id)?
    } else {
        None
    };
    let personal = match member {
        Some(member) => {
            let phone_hash = match phone_hashes::kept(conn, &change.record_id)? {
                Some(hash) => hash,
                None => match phone::phone_hash(phone_key, &member.phone) {
                    Ok(hash) => hash,
                    Err(error) => return Ok(Err(error)),
                },
            };
            let share = member.consent_share;
            Some(Personal {
                name: share.then_some(member.name),
                employer: share.then_some(member.employer),
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
