//! Creating staff accounts and device tokens: `kejia user add` and `kejia token add`.

use jiff::Timestamp;

use crate::domain::access::{DeviceRole, NewPassword, StaffRole, Username};
use crate::domain::{Invalid, required_text};
use crate::secrets::{self, SecretError};
use crate::store::{Store, StoreError, tokens, users};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

pub async fn add_user(
    store: &Store,
    username: &str,
    role: StaffRole,
    password: &str,
    now: Timestamp,
) -> Result<(), AccountError> {
    let username = Username::parse(username)?;
    let password = NewPassword::parse(password)?;
    let phc = tokio::task::spawn_blocking(move || secrets::hash_password(password.as_str()))
        .await
        .map_err(|e| SecretError::Hash(e.to_string()))??;
    store
        .write(move |conn| users::insert(conn, &username, &phc, role, now))
        .await?;
    Ok(())
}

/// Creates a device token and returns it; only its hash is stored, so it is shown once.
pub async fn add_token(
    store: &Store,
    name: &str,
    role: DeviceRole,
    now: Timestamp,
) -> Result<String, AccountError> {
    let name = required_text("name", "设备名称", name, 50)?;
    let token = secrets::new_token("kjt_")?;
    let hash = secrets::token_hash(&token);
    store
        .write(move |conn| tokens::insert(conn, &name, role, &hash, now))
        .await?;
    Ok(token)
}
