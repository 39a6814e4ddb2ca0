//! Members: registering, a staffer's changes and the audit entry each one leaves. The JSON API
//! and the member's staff page both call these, so each audit action is named once here. An
//! erased member's row stays only so past check-ins count: nothing about it changes again.

use jiff::Timestamp;
use rusqlite::Connection;

use super::HomeError;
use crate::domain::Conflict;
use crate::domain::credential::{CardUid, QrCredential};
use crate::domain::ids::MemberId;
use crate::domain::member::{Member, MemberStatus, NewMember, consent_share_since};
use crate::secrets;
use crate::store::audit::Entry;
use crate::store::members::{self, MemberChanges};
use crate::store::{Store, StoreError, audit, devices};

/// Registers a member with a new QR credential.
pub async fn register(
    store: &Store,
    now: Timestamp,
    member: NewMember,
) -> Result<Member, HomeError> {
    let credential = new_credential()?;
    let created = store
        .write(move |conn| members::insert(conn, &member, &credential, now))
        .await?;
    Ok(created)
}

/// The member, read by a staffer who asked to see the full phone number: the look is audited
/// (who and when, never the number) in the same write. An erased member has no number to see.
pub async fn show_phone(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: MemberId,
) -> Result<Member, HomeError> {
    let staffer = staffer.to_owned();
    let member = store
        .write(move |conn| {
            let member = members::get(conn, id)?;
            if member.status != MemberStatus::Erased {
                let subject = id.to_string();
                audit::append(
                    conn,
                    Entry::new(now, &staffer, "member.phone_viewed", &subject),
                )?;
            }
            Ok(member)
        })
        .await?;
    Ok(member)
}

/// Changes a member's record; a change of status is audited (`member.status.CODE`).
pub async fn update(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: MemberId,
    changes: MemberChanges,
) -> Result<Member, HomeError> {
    let staffer = staffer.to_owned();
    let updated = store
        .write(move |conn| {
            let current = members::get(conn, id)?;
            if current.status == MemberStatus::Erased {
                return Err(Conflict("该会员信息已按本人要求删除，不能再修改".into()).into());
            }
            let consent_at = consent_share_since(changes.consent_share, current.consent_share, now);
            let member = members::update(conn, id, &changes, consent_at, now)?;
            if let Some(status) = changes.status {
                let action = format!("member.status.{}", status.code());
                audit::append(conn, Entry::new(now, &staffer, &action, &id.to_string()))?;
            }
            Ok(member)
        })
        .await?;
    Ok(updated)
}

/// Suspends or restores a member (audited).
pub async fn set_status(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: MemberId,
    status: MemberStatus,
) -> Result<Member, HomeError> {
    let changes = MemberChanges {
        status: Some(status),
        ..MemberChanges::default()
    };
    update(store, now, staffer, id, changes).await
}

/// Issues a new QR credential; the old code stops working at once.
pub async fn reissue_credential(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: MemberId,
) -> Result<Member, HomeError> {
    let credential = new_credential()?;
    set_credential(store, now, staffer, id, Some(credential)).await
}

/// Revokes the QR credential (a lost badge); the member can still use cards or be reissued one.
pub async fn revoke_credential(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: MemberId,
) -> Result<Member, HomeError> {
    set_credential(store, now, staffer, id, None).await
}

async fn set_credential(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: MemberId,
    credential: Option<QrCredential>,
) -> Result<Member, HomeError> {
    let action = if credential.is_some() {
        "member.credential.reissue"
    } else {
        "member.credential.revoke"
    };
    let staffer = staffer.to_owned();
    let member = store
        .write(move |conn| {
            let member = members::set_credential(conn, id, credential.as_ref(), now)?;
            audit::append(conn, Entry::new(now, &staffer, action, &id.to_string()))?;
            Ok(member)
        })
        .await?;
    Ok(member)
}

/// Binds a card to the member (audited with its UID).
pub async fn bind_card(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: MemberId,
    uid: CardUid,
) -> Result<Member, HomeError> {
    change_card(store, now, staffer, id, uid, true).await
}

/// Unbinds one of the member's cards (audited with its UID).
pub async fn unbind_card(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: MemberId,
    uid: CardUid,
) -> Result<Member, HomeError> {
    change_card(store, now, staffer, id, uid, false).await
}

async fn change_card(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: MemberId,
    uid: CardUid,
    bind: bool,
) -> Result<Member, HomeError> {
    let staffer = staffer.to_owned();
    let member = store
        .write(move |conn| {
            let (member, action) = if bind {
                (claim_card(conn, id, &uid, now)?, "member.card.bind")
            } else {
                (members::unbind_card(conn, id, &uid)?, "member.card.unbind")
            };
            audit::append(
                conn,
                Entry::new(now, &staffer, action, &id.to_string()).detail(Some(uid.as_str())),
            )?;
            Ok(member)
        })
        .await?;
    Ok(member)
}

/// Binding a card again to the same member changes nothing; a card already bound to someone
/// else must be unbound there first. An erased member takes no cards.
fn claim_card(
    conn: &Connection,
    id: MemberId,
    uid: &CardUid,
    now: Timestamp,
) -> Result<Member, StoreError> {
    let member = members::get(conn, id)?;
    if member.status == MemberStatus::Erased {
        return Err(StoreError::NotFound);
    }
    match members::card_holder(conn, uid)? {
        Some(holder) if holder == id => Ok(member),
        Some(_) => Err(Conflict("这张卡已绑定给另一位会员，请先在该会员处解绑".into()).into()),
        None => members::bind_card(conn, id, uid, now),
    }
}

/// Deletes the member's personal information on their request (audited with the reason).
pub async fn erase(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: MemberId,
    reason: String,
) -> Result<Member, HomeError> {
    let staffer = staffer.to_owned();
    let erased = store
        .write(move |conn| forget(conn, id, &staffer, &reason, now))
        .await?;
    Ok(erased)
}

/// Erasure (PIPL art. 47) inside the writer's transaction: the member's personal information,
/// cards, remembered phones and scan-log traces go in one write, with the audit entry.
pub fn forget(
    conn: &Connection,
    id: MemberId,
    staffer: &str,
    reason: &str,
    now: Timestamp,
) -> Result<Member, StoreError> {
    let member = members::get(conn, id)?;
    if member.status == MemberStatus::Erased {
        return Err(Conflict("该会员的个人信息已删除".into()).into());
    }
    devices::revoke_all(conn, id, now)?;
    let erased = members::anonymise(conn, id, now)?;
    let subject = id.to_string();
    audit::append(
        conn,
        Entry::new(now, staffer, "member.erase", &subject).because(reason),
    )?;
    Ok(erased)
}

/// Revokes one of the member's remembered phones by its handle (audited).
pub async fn revoke_phone(
    store: &Store,
    now: Timestamp,
    staffer: &str,
    id: MemberId,
    handle: String,
) -> Result<(), HomeError> {
    let staffer = staffer.to_owned();
    store
        .write(move |conn| {
            if !devices::revoke(conn, id, &handle, now)? {
                return Err(StoreError::NotFound);
            }
            audit::append(
                conn,
                Entry::new(now, &staffer, "member.device.revoke", &id.to_string()),
            )
        })
        .await?;
    Ok(())
}

/// A fresh QR credential: 128 random bits.
pub(super) fn new_credential() -> Result<QrCredential, HomeError> {
    let bytes = secrets::random_bytes::<16>().map_err(HomeError::Secret)?;
    Ok(QrCredential::from_random(bytes))
}

#[cfg(test)]
mod tests;
