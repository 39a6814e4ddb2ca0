//! What every handler can reach.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::Response;

use super::pages::phone::Notice;
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
use crate::web::login_page::Heading;
use crate::web::rate_limit::PhoneLimits;
use crate::web::{Face, Kit};

/// Cloned for every request, so it is one pointer.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The home's state: the kit's (store, clock, settings, login limits; reached through `Deref`,
/// so `state.store` reads as before) and what only a home has.
pub struct Shared {
    kit: Kit,
    pub setup: Arc<SetupGate>,
    pub devices: Arc<DeviceCache>,
    /// Participant counts as check-ins change them, for the dashboard's event stream.
    pub live: LiveCounts,
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
            kit: Kit::new(store, clock, settings),
            setup: Arc::new(SetupGate::default()),
            devices: Arc::new(DeviceCache::default()),
            live: LiveCounts::default(),
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

impl std::ops::Deref for Shared {
    type Target = Kit;
    fn deref(&self) -> &Kit {
        &self.kit
    }
}

impl Face for AppState {
    fn kit(&self) -> &Kit {
        &self.kit
    }

    fn site_name(&self) -> String {
        self.home_name()
    }

    fn login_heading(&self) -> Heading {
        Heading {
            subtitle: "工作人员登录",
            public_link: None,
        }
    }

    fn phone_refusal(&self, status: StatusCode, message: String) -> Response {
        Notice::refusal(status, message).render(&self.home_name())
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
