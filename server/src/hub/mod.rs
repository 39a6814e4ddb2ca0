//! The association's hub (`kejia hub`): enrols homes, takes in their signed change logs,
//! sends back filing decisions and notices, and evaluates every home each year.
//!
//! It stands on the web kit (`web`: accounts, sessions, errors, hardening) with its own state
//! (`state.rs`) and router (`router.rs`), and on the home's store engine with its own schema.

pub mod api;
pub mod enrol_code;
#[cfg(test)]
mod enrol_tests;
mod errors;
pub mod evaluation;
pub mod homes_api;
#[cfg(test)]
mod homes_tests;
pub mod ingest;
pub mod pages;
pub mod profile;
pub mod pushes;
pub mod registry;
pub mod report;
pub mod router;
pub mod state;
pub mod store;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
pub mod workbook;

use std::sync::Arc;

use axum::Router;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::store::{HUB, Store, StoreError};
use state::HubState;

/// Who runs the hub, as its pages and login name it.
pub const ASSOCIATION: &str = "益阳市科学技术协会";

/// Largest push accepted: a full batch of changes, with room to spare.
pub const PUSH_LIMIT: usize = 8 * 1024 * 1024;

pub struct Hub {
    state: HubState,
}

impl Hub {
    pub fn open(settings: Settings) -> Result<Self, StoreError> {
        Self::open_with_clock(settings, Arc::new(SystemClock))
    }

    /// As [`Hub::open`], with a clock tests can fix (evaluation asks "now").
    pub fn open_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let store = Store::open_schema(&settings.data_dir, &HUB)?;
        Ok(Self {
            state: HubState::new(store, clock, settings),
        })
    }

    /// Registers a home by name; returns its id and the one-time enrolment code (only its hash
    /// is kept).
    pub async fn add_home(&self, name: &str) -> Result<(String, String), StoreError> {
        let registered = self.register(&profile::NewHome::named(name)).await?;
        Ok((registered.profile.id, registered.code))
    }

    /// Registers a home with whatever details are already known.
    pub async fn register(
        &self,
        new: &profile::NewHome,
    ) -> Result<registry::Registered, StoreError> {
        registry::register(&self.state, new).await
    }

    /// Issues a new enrolment code for a home not yet enrolled (`home`: its id or exact name).
    pub async fn new_code(&self, home: &str) -> Result<registry::Registered, StoreError> {
        registry::new_code(&self.state, home).await
    }

    pub fn router(&self) -> Router {
        router::router(self.state.clone())
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = self.router();
        let watchdog = crate::systemd::spawn_watchdog(self.state.store.clone());
        crate::systemd::ready();
        let served = crate::web::serve::serve(listener, app, shutdown).await;
        crate::systemd::stopping();
        if let Some(task) = watchdog {
            task.abort();
        }
        let store = self.state.store.clone();
        drop(self);
        store.close(std::time::Duration::from_secs(5));
        served
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// What a person starting the hub must be told, if anything: no staff account yet (so
    /// every login is refused), worse when the folder also holds a home's database, a sign
    /// that `kejia user add` put the accounts there.
    pub async fn start_hint(&self) -> Result<Option<String>, StoreError> {
        let staff = self.state.store.read(crate::store::users::count).await?;
        if staff > 0 {
            return Ok(None);
        }
        let dir = self.state.settings.data_dir.display();
        let home = crate::store::HOME.file;
        let hint = if self.state.settings.data_dir.join(home).exists() {
            format!(
                "科协平台还没有工作人员账号，登录都会被拒绝。{dir} 中另有一个科技工作者之家的数据库 {home}：\
                 kejia user add 可能把账号建在了那里。请用 kejia hub user add --data {dir} --username 用户名 --role admin --password-stdin 为科协平台建账号。"
            )
        } else {
            format!(
                "科协平台还没有工作人员账号，登录都会被拒绝。请用 kejia hub user add --data {dir} --username 用户名 --role admin --password-stdin 建账号。"
            )
        };
        Ok(Some(hint))
    }
}
