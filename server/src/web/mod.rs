//! The web kit both faces stand on: the home's (`http`) and the association's hub (`hub`).
//! Staff accounts and sessions, the login check and page, rate limits, CSRF, page rendering,
//! the one error type of every answer, the extractors that refuse in Chinese, the hardening
//! every route gets, and the accept loop. Nothing here knows a home's activities or members,
//! or the hub's homes: a face brings its state, which lends the kit its [`Kit`] through
//! [`Face`], and its own router naming every path it serves.

pub mod assets;
pub mod auth;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod harden;
pub mod health;
pub mod login;
pub mod login_page;
pub mod rate_limit;
pub mod refusals;
pub mod render;
pub mod serve;
pub mod session;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::config::Settings;
use crate::store::Store;
use rate_limit::LoginThrottle;

/// What the kit needs of a face's state: the staff accounts' store, the clock sessions expire
/// by, the settings, and the shared limits on password checks.
pub struct Kit {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    /// Argon2id takes ~19 MiB and tens of milliseconds a hash; two at a time keep a Pi
    /// responsive under a burst of logins (see [`Kit::hashing`]).
    hashing_permits: Arc<Semaphore>,
    pub logins: LoginThrottle,
}

/// Password work could not run: the limiter was closed (shutting down) or the work panicked.
#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    #[error("password hashing is shut down: {0}")]
    Closed(#[from] tokio::sync::AcquireError),
    #[error("password hashing failed: {0}")]
    Panicked(#[from] tokio::task::JoinError),
}

impl Kit {
    /// Runs password work (Argon2id) on a blocking thread, at most two at a time.
    pub async fn hashing<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashingError> {
        let permit = self.hashing_permits.clone().acquire_owned().await?;
        let done = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await?;
        Ok(done)
    }

    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            hashing_permits: Arc::new(Semaphore::new(2)),
            logins: LoginThrottle::default(),
        }
    }
}

/// A server's state, as the kit's extractors, handlers and layers see it.
pub trait Face: Clone + Send + Sync + 'static {
    fn kit(&self) -> &Kit;

    /// The name at the top of the login page and of a refusal page.
    fn site_name(&self) -> String;

    /// What the login page says under the name.
    fn login_heading(&self) -> login_page::Heading;

    /// The page a member's phone gets for a refusal under `/m/` (a face without phone pages
    /// answers with the staff error page).
    fn phone_refusal(&self, status: StatusCode, message: String) -> Response {
        render::error_page(status, &message)
    }
}
