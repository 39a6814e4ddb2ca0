//! Creating staff accounts and device tokens: `kejia user add`, `kejia hub user add` and
//! `kejia token add`.

use std::path::Path;

use jiff::Timestamp;

use crate::domain::access::{DeviceRole, NewPassword, StaffRole, Username};
use crate::domain::{Invalid, required_text};
use crate::secrets::{self, SecretError};
use crate::store::{HOME, HUB, Store, StoreError, tokens, users};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// Which database `kejia user add` wrote to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountsIn {
    /// The hub's, found in the folder.
    Hub,
    /// A home's, found in the folder.
    Home,
    /// A home's, made now: the folder held no database.
    NewHome,
}

/// The database of a data folder for `kejia user add`: the hub's if the folder holds one, else
/// a home's (made if missing, so a home can get its first account before `kejia serve`).
pub fn open_for_accounts(data_dir: &Path) -> Result<(Store, AccountsIn), StoreError> {
    let holds = |file: &str| std::fs::metadata(data_dir.join(file)).is_ok_and(|m| m.len() > 0);
    if holds(HUB.file) {
        return Ok((Store::open_schema(data_dir, &HUB)?, AccountsIn::Hub));
    }
    let found = holds(HOME.file);
    let store = Store::open_schema(data_dir, &HOME)?;
    Ok((
        store,
        if found {
            AccountsIn::Home
        } else {
            AccountsIn::NewHome
        },
    ))
}

/// What `kejia user add` says when it made a home's database in an empty folder: it may have
/// been meant for the association's hub.
pub fn new_home_hint(data_dir: &Path) -> String {
    format!(
        "注意：{dir} 中原来没有数据库，已为科技工作者之家（kejia serve）新建数据库 {home}，账号建在其中。\
         如果这是市科协平台（kejia hub）的数据目录，请改用：kejia hub user add --data {dir} …",
        dir = data_dir.display(),
        home = HOME.file,
    )
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
        .map_err(SecretError::Interrupted)??;
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
