//! What every handler can reach.

use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::config::Settings;
use crate::secrets;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub setup: Arc<SetupGate>,
    /// Argon2id takes ~19 MiB and tens of milliseconds a hash; two at a time keep a Pi
    /// responsive under a burst of logins.
    pub hashing: Arc<Semaphore>,
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            store,
            clock,
            settings: Arc::new(settings),
            setup: Arc::new(SetupGate::default()),
            hashing: Arc::new(Semaphore::new(2)),
        }
    }
}

/// The one-time link with which the first staffer creates their account. It lives only in
/// memory: a restart prints a new one, and it dies once an account exists.
#[derive(Default)]
pub struct SetupGate {
    token_hash: Mutex<Option<String>>,
}

impl SetupGate {
    /// Issues a new setup token and returns it (only its hash is kept).
    pub fn issue(&self) -> Result<String, secrets::SecretError> {
        let token = secrets::new_token("")?;
        *self.lock() = Some(secrets::token_hash(&token));
        Ok(token)
    }

    pub fn accepts(&self, token: &str) -> bool {
        self.lock().as_deref() == Some(secrets::token_hash(token).as_str())
    }

    pub fn close(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.token_hash.lock().unwrap_or_else(|p| p.into_inner())
    }
}
