//! Members' own phones: a phone registers its member (with their consent) and is remembered by
//! the hash of a cookie token, checks in with one tap, and can be forgotten again. The cookie
//! itself is the phone pages' business; here only its hash is known.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use rusqlite::Connection;

use super::HomeError;
use super::checkins::{CheckinRequest, Recorded, check_in_with};
use super::counts::LiveCounts;
use crate::domain::Now;
use crate::domain::member::{Member, NewMember};
use crate::domain::room::REGISTER_FORM_SECONDS;
use crate::store::{self, Store, StoreError, devices, members, scans};

/// The device name phone check-ins are logged under; a page's ticket nonce is the scan id, so a
/// double tap or a re-sent form counts once.
pub const PHONE_DEVICE: &str = "phone";

/// The member a phone's cookie stands for, unless it was revoked or its member erased.
pub async fn owner(store: &Store, token_hash: &str) -> Result<Option<Member>, HomeError> {
    let token_hash = token_hash.to_owned();
    let member = store
        .read(move |conn| {
            devices::member_for(conn, &token_hash)?
                .map(|id| members::get(conn, id))
                .transpose()
        })
        .await?;
    Ok(member)
}

/// A registration sent from a phone's form.
pub struct Registration {
    pub member: NewMember,
    /// The hash of the cookie the phone will carry from now on.
    pub token_hash: String,
    /// The phone's earlier cookie, if it had one: it stops standing for anyone.
    pub previous_hash: Option<String>,
    /// The form's ticket nonce (the first check-in's scan id).
    pub nonce: String,
}

/// Registers the member and remembers this phone for them, in one write. A number already
/// registered is a conflict; a form whose ticket already registered someone else is not found.
pub async fn register(
    store: &Store,
    now: Timestamp,
    registration: Registration,
) -> Result<Member, HomeError> {
    let credential = super::members::new_credential()?;
    let member = store
        .write(move |conn| {
            if let Some(previous) = &registration.previous_hash {
                devices::revoke_token(conn, previous, now)?;
            }
            let member = match sent_before(conn, &registration, now)? {
                Some(member) => member,
                None => members::insert(conn, &registration.member, &credential, now)?,
            };
            devices::remember(conn, &registration.token_hash, member.id, now)?;
            Ok(member)
        })
        .await?;
    Ok(member)
}

/// The member this very form registered a moment ago (a double tap, or a reload of the answer
/// page): the check-in stored under its ticket's nonce names them, with the number typed again.
/// Without this the second copy would be refused as a taken number. A ticket that already
/// registered someone else is used up: refused as not found, nothing written.
fn sent_before(
    conn: &Connection,
    registration: &Registration,
    now: Timestamp,
) -> store::Result<Option<Member>> {
    let Some(answer) = scans::answer_for(conn, PHONE_DEVICE, &registration.nonce)? else {
        return Ok(None);
    };
    let Some(brief) = answer.member else {
        return Ok(None);
    };
    let earlier = members::get(conn, brief.id)?;
    let form_life = SignedDuration::from_secs(REGISTER_FORM_SECONDS);
    let same = earlier.phone == registration.member.phone.as_str()
        && now.duration_since(earlier.created_at) <= form_life;
    if same {
        Ok(Some(earlier))
    } else {
        Err(StoreError::NotFound)
    }
}

/// The phone stops standing for its member ("不是本人，重新登记", or a shared phone).
pub async fn forget(store: &Store, now: Timestamp, token_hash: &str) -> Result<(), HomeError> {
    let token_hash = token_hash.to_owned();
    store
        .write(move |conn| devices::revoke_token(conn, &token_hash, now))
        .await?;
    Ok(())
}

/// A tap's check-in, and the phone marked as used, in one write.
pub async fn check_in(
    store: &Store,
    counts: &LiveCounts,
    now: Now,
    tz: &TimeZone,
    token_hash: &str,
    request: CheckinRequest,
) -> Result<Recorded, HomeError> {
    let token_hash = token_hash.to_owned();
    check_in_with(store, counts, now, tz, request, move |conn, _, _| {
        devices::touch(conn, &token_hash, now.at)
    })
    .await
}

#[cfg(test)]
mod tests;
