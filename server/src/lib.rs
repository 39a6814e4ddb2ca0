//! kejia-server: the home (`kejia serve`): store, domain, its use cases (`home`), HTTP API and
//! pages.
//!
//! [`Home::open`] opens and checks the database before anything listens, so a bound listener
//! handed to [`Home::serve`] means ready.

pub mod accounts;
pub mod backup;
pub mod clock;
pub mod config;
pub mod domain;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod home;
pub mod http;
pub mod hub;
#[cfg(test)]
mod layers;
pub mod lockfile;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod systemd;
pub mod telemetry;
pub mod web;
pub mod wire;

use std::future::Future;
use std::sync::Arc;

use clock::Clock;
use config::Settings;
use store::{Store, StoreError};

/// Where `kejia serve --kiosk` keeps its kiosk's token, inside the data folder.
const LOCAL_KIOSK_TOKEN: &str = "local-kiosk.token";

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// A home, opened and ready to serve.
pub struct Home {
    state: http::AppState,
    /// Held while the home is open, so `kejia restore` refuses to swap its database.
    _lock: lockfile::DataLock,
}

impl Home {
    pub fn open(settings: Settings) -> Result<Self, StoreError> {
        let clock = settings.clock.clock();
        Self::open_with_clock(settings, clock)
    }

    pub fn open_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let lock = lockfile::DataLock::acquire(&settings.data_dir)
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        let store = Store::open(&settings.data_dir)?;
        let backups = Arc::new(backup::Health::starting_from(backup::rotation::newest(
            &backup::folder(&settings.data_dir),
        )));
        Ok(Self {
            state: http::AppState::with_backups(store, clock, settings, backups),
            _lock: lock,
        })
    }

    /// On a home with no staff account yet, a one-time setup token for `/setup?token=`.
    pub async fn first_start_token(&self) -> Result<Option<String>, StoreError> {
        let accounts = self.state.store.read(store::users::count).await?;
        if accounts > 0 {
            return Ok(None);
        }
        self.state
            .setup
            .issue()
            .map(Some)
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))
    }

    /// The token of the kiosk that `kejia serve --kiosk` runs beside the home. It is kept in
    /// the data folder (readable by its owner only) so restarts reuse one device entry.
    pub async fn local_kiosk_token(&self) -> Result<String, accounts::AccountError> {
        let path = self.state.settings.data_dir.join(LOCAL_KIOSK_TOKEN);
        if let Ok(token) = std::fs::read_to_string(&path) {
            let hash = secrets::token_hash(token.trim());
            let known = self
                .state
                .store
                .read(move |conn| store::tokens::find(conn, &hash))
                .await?;
            if known.is_some() {
                return Ok(token.trim().to_owned());
            }
        }
        let now = self.state.clock.now();
        let token = accounts::add_token(
            &self.state.store,
            "本机签到机",
            domain::access::DeviceRole::Kiosk,
            now,
        )
        .await?;
        write_private(&path, &token).map_err(StoreError::Io)?;
        Ok(token)
    }

    /// Records where the home listens and reads its saved profile; answers why phones on the
    /// venue network could not open the check-in page, if they could not (said at start).
    pub async fn listening_on(
        &self,
        address: std::net::SocketAddr,
    ) -> Result<Option<String>, StoreError> {
        let _ = self.state.listening.set(address);
        self.state.reload_profile().await?;
        Ok(http::reach::phone_address(&self.state, None)
            .problem
            .map(|problem| problem.message()))
    }

    pub fn router(&self) -> axum::Router {
        http::router(self.state.clone())
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        if let Ok(address) = listener.local_addr() {
            self.listening_on(address)
                .await
                .map_err(std::io::Error::other)?;
        }
        let now = self.state.clock.now();
        let logged = self
            .state
            .store
            .write(move |conn| store::changelog::backfill_if_empty(conn, now))
            .await
            .map_err(std::io::Error::other)?;
        if logged > 0 {
            tracing::info!(
                logged,
                "records from before the change log were logged for sync"
            );
        }
        // Sync runs beside the server; it does nothing until the home is enrolled.
        let syncing =
            match sync::client::SyncClient::new(self.state.store.clone(), self.state.clock.clone())
            {
                Ok(client) => Some(tokio::spawn(sync::client::run(client))),
                Err(error) => {
                    tracing::error!(%error, "sync is off");
                    None
                }
            };
        let app = self.router();
        let backups = tokio::spawn(backup::nightly::run(
            self.state.settings.data_dir.clone(),
            self.state.settings.tz.clone(),
            self.state.clock.clone(),
            self.state.backups.clone(),
        ));
        let watchdog = systemd::spawn_watchdog(self.state.store.clone());
        systemd::ready();
        let served = web::serve::serve(listener, app, shutdown).await;
        systemd::stopping();
        for task in [syncing, watchdog, Some(backups)].into_iter().flatten() {
            task.abort();
        }
        // Close the database so SQLite checkpoints the WAL into the main file.
        // The folder stays locked until the database is closed.
        let Self { state, _lock: lock } = self;
        let store = state.store.clone();
        drop(state);
        store.close(std::time::Duration::from_secs(5));
        drop(lock);
        served
    }
}
