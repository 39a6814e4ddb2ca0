//! What every handler can reach.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::rate_limit::{LoginThrottle, PhoneLimits};
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::Now;
use crate::domain::compliance::AwardMonth;
use crate::domain::home::HomeProfile;
use crate::domain::room::RoomCode;
use crate::home::counts::LiveCounts;
use crate::secrets;
use crate::store::Store;
use crate::store::tokens::Device;

/// Cloned for every request, so it is one pointer.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub setup: Arc<SetupGate>,
    /// Argon2id takes ~19 MiB and tens of milliseconds a hash; two at a time keep a Pi
    /// responsive under a burst of logins.
    pub hashing: Arc<Semaphore>,
    pub devices: Arc<DeviceCache>,
    /// Participant counts as check-ins change them, for the dashboard's event stream.
    pub live: LiveCounts,
    pub logins: LoginThrottle,
    /// Rate limits of the phone pages, per peer address.
    pub phone_limits: PhoneLimits,
    pub room: RoomCode,
    /// A staffer looked at the device's time and said it is right. Kept in memory only: after
    /// a restart (a power cut, most likely) the clock must be vouched for again.
    pub time_confirmed: AtomicBool,
    /// How the nightly backups stand (a home's; the hub's stays empty).
    pub backups: Arc<crate::backup::Health>,
    /// The home's name, host unit, award month and phone address: the settings file's values
    /// until the staffer saves their own (see `store::home_profile`).
    profile: RwLock<HomeProfile>,
    /// Where the server listens, once it does (unset in handler tests, which never listen).
    pub listening: OnceLock<SocketAddr>,
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self::with_backups(store, clock, settings, Arc::default())
    }

    /// A home's state, with its nightly backups' health.
    pub fn with_backups(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: Settings,
        backups: Arc<crate::backup::Health>,
    ) -> Self {
        let profile = RwLock::new(HomeProfile {
            name: settings.home_name.clone(),
            host_unit: None,
            award: settings.award,
            phone_base: settings.public_url.clone(),
        });
        Self(Arc::new(Shared {
            store,
            clock,
            settings: Arc::new(settings),
            setup: Arc::new(SetupGate::default()),
            hashing: Arc::new(Semaphore::new(2)),
            devices: Arc::new(DeviceCache::default()),
            live: LiveCounts::default(),
            logins: LoginThrottle::default(),
            phone_limits: PhoneLimits::default(),
            room: RoomCode::new(),
            time_confirmed: AtomicBool::new(false),
            backups,
            profile,
            listening: OnceLock::new(),
        }))
    }

    /// The home's details as they stand now.
    pub fn profile(&self) -> HomeProfile {
        self.profile
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn home_name(&self) -> String {
        self.profile
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .name
            .clone()
    }

    pub fn award(&self) -> Option<AwardMonth> {
        self.profile.read().unwrap_or_else(|p| p.into_inner()).award
    }

    /// Takes the saved profile, if there is one (saved by a page, or by `kejia enroll` in
    /// another process), over the settings file's values.
    pub async fn reload_profile(&self) -> Result<(), crate::store::StoreError> {
        if let Some(saved) = self.store.read(crate::store::home_profile::get).await? {
            self.set_profile(saved);
        }
        Ok(())
    }

    pub fn set_profile(&self, profile: HomeProfile) {
        *self.profile.write().unwrap_or_else(|p| p.into_inner()) = profile;
    }

    /// The present, trusted when the clock is synchronised or a staffer confirmed the time.
    pub fn now(&self) -> Now {
        let reading = self.clock.reading();
        Now {
            trusted: reading.trusted || self.time_confirmed.load(Ordering::Relaxed),
            ..reading
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

/// Recently verified device tokens. A kiosk sends its token with every scan; remembering it
/// for a short while spares a database read on the check-in path. Only positive answers are
/// kept, so a token made by `kejia token add` works at once.
#[derive(Default)]
pub struct DeviceCache {
    verified: Mutex<HashMap<String, (Device, Instant)>>,
}

impl DeviceCache {
    /// How long a verified token is trusted without asking the database again.
    pub const FRESH: Duration = Duration::from_secs(30);
    const MAX_ENTRIES: usize = 256;

    pub fn get(&self, token_hash: &str) -> Option<Device> {
        let verified = self.lock();
        let (device, at) = verified.get(token_hash)?;
        (at.elapsed() < Self::FRESH).then(|| device.clone())
    }

    pub fn remember(&self, token_hash: String, device: Device) {
        let mut verified = self.lock();
        if verified.len() >= Self::MAX_ENTRIES {
            verified.retain(|_, (_, at)| at.elapsed() < Self::FRESH);
        }
        if verified.len() < Self::MAX_ENTRIES {
            verified.insert(token_hash, (device, Instant::now()));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Device, Instant)>> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }
}
