//! The first start: the staffer who holds the one-time link becomes the home's first
//! administrator, logged in at once. There is no default account.

use jiff::Timestamp;

use super::HomeError;
use crate::domain::Conflict;
use crate::domain::access::{StaffRole, Username};
use crate::store::users::{self, StaffUser};
use crate::store::{Store, StoreError};

/// The first account and its first session (`session_hash` until `expires`), in one write.
/// Refused with a conflict once any account exists, checked inside the write, so two tabs
/// racing with the same link cannot both make one.
pub async fn create_first_admin(
    store: &Store,
    now: Timestamp,
    username: Username,
    password_phc: String,
    session_hash: String,
    expires: Timestamp,
) -> Result<StaffUser, HomeError> {
    let user = store
        .write(move |conn| {
            if users::count(conn)? > 0 {
                return Err(StoreError::Conflict(Conflict(
                    "已有账号，设置链接已失效".into(),
                )));
            }
            let user = users::insert(conn, &username, &password_phc, StaffRole::Admin, now)?;
            users::create_session(conn, user.id, &session_hash, now, expires)?;
            Ok(user)
        })
        .await?;
    tracing::info!(user = %user.username, "first administrator created through the setup link");
    Ok(user)
}

#[cfg(test)]
mod tests;
